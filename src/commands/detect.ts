/**
 * `tunnelwatch detect`: wires sources → parser → engine → sinks for one run
 * and prints the run summary on stderr at the end or on SIGINT/SIGTERM.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import type { Alert } from '../alerts/alert.js';
import type { Config } from '../config/schema.js';
import { TunnelwatchError } from '../errors.js';
import { ParallelProcessor } from '../parallel/coordinator.js';
import { resolveFormat } from '../parsers/create.js';
import { isRecordFormat } from '../parsers/formats.js';
import { InProcessProcessor, type Processor, type ProcessorOutputs } from '../processor.js';
import { JsonlFileAlertSink, StdoutAlertSink, type AlertSink } from '../sinks/alert-sink.js';
import { LineFileWriter } from '../sinks/line-writer.js';
import { FileSource, StdinSource } from '../sources/file.js';
import { FollowSource } from '../sources/follow.js';
import { DirectoryWatcher } from '../sources/directory.js';
import { MergedSource } from '../sources/merged.js';
import { SyslogSource } from '../sources/syslog.js';
import { DnstapListener, parseDnstapEndpoint, type ConnectionStats } from '../sources/dnstap-listener.js';
import { SyslogAlertSink } from '../sinks/syslog-sink.js';
import { WebhookAlertSink } from '../sinks/webhook.js';
import type { LineSource } from '../sources/source.js';
import type { WindowAggregate } from '../windows/aggregate.js';
import { parseDuration } from '../windows/window-spec.js';
import { RunCheckpointer, stateFingerprint, type SourceProgress } from '../state/run-checkpoint.js';
import type { ResumePoint } from '../sources/text-chunk.js';
import { ProgressMeter } from './progress.js';

export interface DetectOptions {
  config: Config;
  inputs: string[];
  /** Extra in-process alert consumer (tests, demo). */
  onAlert?: (alert: Alert) => void;
  /** Where the summary goes; default stderr. */
  log?: (text: string) => void;
  /** Handle SIGINT/SIGTERM (the CLI does; embedded runs do not). */
  handleSignals?: boolean;
}

export interface DetectSummary {
  inputs: string[];
  lines: number;
  bytes: number;
  parsed: number;
  skipped: number;
  skippedBy: Record<string, number>;
  quarantined: number;
  quarantinedBy: Record<string, number>;
  late: number;
  lateUnapplied: number;
  alerts: number;
  suppressed: number;
  /** Alerts of muted clients (`detection.mutes`), counted, not emitted. */
  muted: number;
  /** Domain windows freed early to keep state within `state.maxStateMb`. */
  evictedWindows: number;
  windowsClosed: number;
  aggregateRows: number;
  elapsedMs: number;
  linesPerSecond: number;
  peakRssBytes: number;
  interrupted: boolean;
}

const FLUSH_EVERY_MS = 1000;

export async function runDetect(options: DetectOptions): Promise<DetectSummary> {
  const config = withListenerFormat(options.config);
  const log = options.log ?? ((text: string) => process.stderr.write(text + '\n'));
  const started = performance.now();

  const checkpointer = config.state.dir === undefined ? null : new RunCheckpointer(config.state.dir, config, log);
  if (checkpointer !== null) checkCheckpointable(options.inputs, config);
  const resumed = checkpointer?.load(config) ?? null;

  const { alerts: alertsFile, alertsMaxMb, alertsKeep } = config.output;
  const alertFile =
    alertsFile === undefined
      ? null
      : new JsonlFileAlertSink(alertsFile, { maxBytes: Math.round(alertsMaxMb * 1048576), keep: alertsKeep, onCommitOnly: checkpointer !== null });
  const sinks: AlertSink[] = [alertFile ?? new StdoutAlertSink()];
  if (config.output.webhook !== undefined) sinks.push(new WebhookAlertSink({ url: config.output.webhook, spillDir: config.output.webhookSpillDir }));
  if (config.output.syslog !== undefined) sinks.push(syslogSink(config.output.syslog));
  const quarantine = new LineFileWriter(config.output.quarantine);
  const late = config.output.late === undefined ? null : new LineFileWriter(config.output.late);
  // DuckDB takes a tenth of a second to load: only runs that write tables pay for it.
  // Tags this run's window rows in the store and the Parquet files; a resumed run is the same run.
  const runId = resumed?.runId ?? randomBytes(8).toString('hex');
  const parquet =
    config.output.aggregates === undefined
      ? null
      : await (await import('../sinks/parquet-aggregates.js')).ParquetAggregateSink.open({ dir: config.output.aggregates, run: runId, firstSeq: resumed?.aggregateRows ?? 0 });
  const store = config.output.store === undefined ? null : await (await import('../store/store.js')).Store.open(config.output.store);
  const pendingRows: WindowAggregate[] = [];
  let aggregateRows = resumed?.aggregateRows ?? 0;
  let alerts = resumed?.alerts ?? 0;
  if (resumed !== null) {
    // What was written after the checkpoint is replayed: cut it off first, so it is written once.
    const cut =
      (alertFile === null || resumed.outputs.alerts === null ? 0 : LineFileWriter.trimTo(alertFile.path, resumed.outputs.alerts)) +
      LineFileWriter.trimTo(quarantine.path, resumed.outputs.quarantine) +
      (late === null || resumed.outputs.late === null ? 0 : LineFileWriter.trimTo(late.path, resumed.outputs.late));
    const rows = (await store?.forgetWindowsFrom(runId, resumed.aggregateRows)) ?? 0;
    const lines = resumed.sources.reduce((n, p) => n + p.lines, 0);
    const replayed = [cut > 0 ? `${cut} bytes of output` : '', rows > 0 ? `${rows} window rows of the store` : ''].filter((x) => x !== '').join(' and ');
    log(`tunnelwatch: resuming from the checkpoint in ${checkpointer!.dir}: ${lines} lines done${replayed === '' ? '' : `, ${replayed} after it cut off for replay`}`);
  }
  const outputs: ProcessorOutputs = {
    alert(alert) {
      alerts++;
      for (const sink of sinks) sink.write(alert);
      store?.addAlert(alert);
      options.onAlert?.(alert);
    },
    aggregate:
      parquet === null && store === null
        ? undefined
        : (row) => {
            if (parquet !== null) pendingRows.push(row);
            store?.addWindow(row, runId, aggregateRows);
            aggregateRows++;
          },
    late: late === null ? undefined : (event) => late.write(JSON.stringify(event)),
    quarantine,
  };
  const progressOf = (path: string): SourceProgress | undefined => checkpointer?.progress.get(path);
  const allSources = makeSources(options.inputs, config, log, (path) => progressOf(path)?.resume);
  // A checkpointed run skips the files it finished before.
  const sources = allSources.filter((s) => progressOf(s.name)?.done !== true);
  // A watched directory adds a source per new file; finished files are remembered by the checkpoint.
  const watcher =
    config.input.watchDir === undefined
      ? null
      : new DirectoryWatcher(config.input.watchDir, config.input.watchPattern, parseDuration(config.input.pollInterval), (f) => {
          const p = progressOf(f.path);
          return p?.done === true && p.resume?.dev === f.dev && p.resume?.ino === f.ino;
        });
  async function* sourceStream(): AsyncGenerator<LineSource> {
    yield* [...sources];
    if (watcher === null) return;
    for await (const file of watcher.files()) {
      const source = new FileSource(file.path, progressOf(file.path)?.resume, log);
      sources.push(source);
      yield source;
    }
  }
  const doneBytes = allSources.filter((s) => !sources.includes(s)).reduce((n, s) => n + (progressOf(s.name)?.bytes ?? 0), 0);
  // Made at the first chunk, so an `auto` format can be read off the input (a resumed run knows it).
  let processor: Processor | null = null;
  let format = resumed?.format ?? '';
  const processorFor = (sample: Buffer | null): Processor => {
    const resolved = resumed === null ? resolveFormat(config, sample) : { ...config, input: { ...config.input, format: resumed.format as Config['input']['format'] } };
    format = resolved.input.format;
    if (checkpointer !== null && isRecordFormat(format)) {
      throw new TunnelwatchError('TW_USAGE', `--state-dir: checkpoints take line formats; ${format} is a binary record format`);
    }
    // Binary record formats are decoded in one thread (their records are not lines to route).
    const parallel = resolved.runtime.workers > 1 && !isRecordFormat(resolved.input.format);
    const resume = resumed?.processor ?? null;
    if (parallel) return new ParallelProcessor(resolved, outputs, resolved.runtime.workers, { resume, checkpointing: checkpointer !== null });
    // One engine in this thread holds all the state (a record format falls back to it).
    const local = new InProcessProcessor({ ...resolved, runtime: { ...resolved.runtime, workers: 1 } }, outputs);
    if (resume !== null) local.restore(resume[0]!);
    return local;
  };
  if (resumed !== null) processor = processorFor(null);

  const checkpoint = async (): Promise<void> => {
    if (checkpointer === null || processor === null) return;
    // Taken first: a parallel run's workers answer after the chunks before it, with their alerts.
    const state = await processor.checkpointState();
    // The tables hold every row and alert counted before the checkpoint (none is replayed); after
    // any flush the timer started, and a failure stops the checkpoint.
    const flushed = flushing.then(flushTables);
    flushing = flushed.catch(() => {});
    await flushed;
    checkpointer.save({
      fingerprint: stateFingerprint(config, format),
      format,
      processor: state,
      alerts,
      aggregateRows,
      runId,
      outputs: { alerts: alertFile?.commit() ?? null, quarantine: quarantine.commit(), late: late?.commit() ?? null },
    });
  };

  let interrupted = false;
  const onSignal = (): void => {
    interrupted = true;
    for (const s of sources) s.stop();
    watcher?.stop();
  };
  if (options.handleSignals === true) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }

  let peakRss = process.memoryUsage.rss();
  const flushTables = async (): Promise<void> => {
    if (parquet !== null && pendingRows.length > 0) {
      parquet.add(pendingRows.splice(0));
      await parquet.flushAll();
    }
    await store?.flush();
  };
  const flushOutputs = async (): Promise<void> => {
    quarantine.flush();
    late?.flush();
    await flushTables();
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  };
  // Also while the input is idle (follow mode, a quiet syslog feed), buffered outputs reach the disk.
  let flushing: Promise<void> = Promise.resolve();
  const flushTimer = setInterval(() => {
    flushing = flushing.then(flushOutputs).catch((error: unknown) => log(`tunnelwatch: flushing outputs failed: ${(error as Error).message}`));
  }, FLUSH_EVERY_MS);
  flushTimer.unref();

  // A batch run over files shows its progress on a terminal (stderr), and nothing anywhere else.
  const cursors: Array<{ lines: number }> = [];
  const progress = new ProgressMeter(
    process.stderr,
    () => ({ bytesDone: sources.reduce((n, s) => n + s.counters.bytes, 0), lines: cursors.reduce((n, c) => n + c.lines, 0) }),
    config.input.follow || watcher !== null || options.handleSignals !== true ? 0 : totalBytes(options.inputs),
  );
  progress.start();

  let counters;
  try {
    try {
      for await (const source of sourceStream()) {
        if (interrupted) break;
        const cursor = { name: source.name, lines: progressOf(source.name)?.lines ?? 0 };
        cursors.push(cursor);
        for await (const chunk of source.chunks()) {
          processor ??= processorFor(chunk.data);
          await processor.consume(cursor, chunk);
          if (checkpointer !== null) {
            checkpointer.processed(source.name, cursor.lines, source.counters.bytes, chunk);
            if (checkpointer.due()) await checkpoint();
          }
        }
        processor?.endSource(cursor, interrupted);
        if (!interrupted) checkpointer?.finished(source.name);
      }
    } finally {
      // A completed batch run has seen every event: its windows close. An interrupted one has not.
      counters = await (processor ?? processorFor(null)).finish(interrupted);
    }
    // Interrupted or complete, the state is saved: a run given the same --state-dir goes on from here.
    await checkpoint();
    await flushOutputs();
  } finally {
    progress.stop();
    clearInterval(flushTimer);
    await flushing;
    if (options.handleSignals === true) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    quarantine.close();
    late?.close();
    await parquet?.close();
    await store?.close();
    for (const sink of sinks) await sink.close();
  }

  const elapsedMs = performance.now() - started;
  const c = counters;
  const summary: DetectSummary = {
    inputs: options.inputs,
    lines: c.read,
    bytes: doneBytes + sources.reduce((n, s) => n + s.counters.bytes, 0),
    parsed: c.parsed,
    skipped: c.skipped,
    skippedBy: c.skippedBy,
    quarantined: Object.values(c.quarantined).reduce((n, v) => n + v, 0),
    quarantinedBy: c.quarantined,
    late: c.late,
    lateUnapplied: c.lateUnapplied,
    alerts,
    suppressed: c.suppressed,
    muted: c.muted,
    evictedWindows: c.evictedWindows,
    windowsClosed: c.windowsClosed,
    aggregateRows,
    elapsedMs,
    linesPerSecond: c.read / Math.max(elapsedMs / 1000, 1e-9),
    peakRssBytes: Math.max(peakRss, process.memoryUsage.rss()),
    interrupted,
  };
  log(formatSummary(summary, config));
  return summary;
}

/** Checkpoints resume files by offset: streams (stdin, syslog) cannot be re-read. */
function checkCheckpointable(inputs: string[], config: Config): void {
  if (config.input.listenSyslog.length > 0 || config.input.listenDnstap.length > 0) {
    throw new TunnelwatchError('TW_USAGE', '--state-dir: a network stream (syslog, dnstap) cannot be replayed from a checkpoint; give files');
  }
  if ((inputs.length === 0 && config.input.watchDir === undefined) || inputs.includes('-')) {
    throw new TunnelwatchError('TW_USAGE', '--state-dir: checkpoints resume files by offset; give file paths or --watch-dir, not stdin');
  }
}

/** A dnstap listener's input is dnstap whatever its first bytes (a READY frame, not a file's START). */
function withListenerFormat(config: Config): Config {
  if (config.input.listenDnstap.length === 0 || config.input.format === 'dnstap') return config;
  if (config.input.format !== 'auto') throw new TunnelwatchError('TW_USAGE', `--listen-dnstap receives dnstap: --format ${config.input.format} does not apply`);
  return { ...config, input: { ...config.input, format: 'dnstap' } };
}

function makeSources(inputs: string[], config: Config, log: (text: string) => void, resumeFor: (path: string) => ResumePoint | undefined = () => undefined): LineSource[] {
  const dnstap = config.input.listenDnstap;
  if (dnstap.length > 0) {
    if (inputs.length > 0) throw new TunnelwatchError('TW_USAGE', '--listen-dnstap reads from the network: give no input files with it');
    if (config.input.listenSyslog.length > 0) throw new TunnelwatchError('TW_USAGE', '--listen-dnstap and --listen-syslog: one kind of listener per run');
    const onConnectionClosed = (c: ConnectionStats): void =>
      log(`tunnelwatch: ${c.stream} closed ${c.state === 'stopped' ? 'after STOP' : `in state ${c.state}`}: ${c.bytes} bytes, ${c.frames} frames (${c.dataFrames} data), ${c.errors} errors`);
    return [new DnstapListener({ endpoints: dnstap.map(parseDnstapEndpoint), onConnectionClosed })];
  }
  const listen = config.input.listenSyslog;
  if (listen.length > 0 && inputs.length > 0) throw new TunnelwatchError('TW_USAGE', '--listen-syslog reads from the network: give no input files with it');
  if (listen.length === 1) return [new SyslogSource(endpoint(listen[0]!, '--listen-syslog'))];
  if (listen.length > 1) return [new MergedSource(listen.map((url) => new SyslogSource(endpoint(url, '--listen-syslog'))))];
  const list = inputs.length === 0 ? (config.input.watchDir !== undefined ? [] : ['-']) : inputs;
  if (config.input.follow && list.includes('-')) throw new TunnelwatchError('TW_USAGE', '--follow needs file paths, not stdin');
  return list.map((path) => {
    if (path === '-') return new StdinSource();
    const resume = resumeFor(path);
    return config.input.follow ? new FollowSource(path, parseDuration(config.input.pollInterval), resume, log) : new FileSource(path, resume, log);
  });
}

/**
 * Total size of the input files; 0 — no progress shown — when one is stdin, gzip (its size says
 * nothing of the text inside) or cannot be read.
 */
function totalBytes(inputs: string[]): number {
  if (inputs.length === 0 || inputs.includes('-')) return 0;
  let total = 0;
  for (const path of inputs) {
    try {
      const magic = Buffer.alloc(2);
      const fd = openSync(path, 'r');
      try {
        readSync(fd, magic, 0, 2, 0);
      } finally {
        closeSync(fd);
      }
      if (magic[0] === 0x1f && magic[1] === 0x8b) return 0;
      total += statSync(path).size;
    } catch {
      return 0;
    }
  }
  return total;
}

/** `udp://host:port` or `tcp://host:port` (IPv6 hosts in brackets). */
function endpoint(url: string, flag: string): { protocol: 'udp' | 'tcp'; host: string; port: number } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TunnelwatchError('TW_USAGE', `${flag}: not a URL: ${url} (expected udp://HOST:PORT or tcp://HOST:PORT)`);
  }
  const protocol = parsed.protocol.slice(0, -1);
  const port = Number(parsed.port);
  if ((protocol !== 'udp' && protocol !== 'tcp') || parsed.hostname === '' || !Number.isInteger(port) || parsed.port === '') {
    throw new TunnelwatchError('TW_USAGE', `${flag}: expected udp://HOST:PORT or tcp://HOST:PORT, got ${url}`);
  }
  return { protocol, host: parsed.hostname.replace(/^\[|\]$/g, ''), port };
}

/** `udp://…`, `tcp://…` or `tls://HOST:PORT[?ca=PEM-FILE]`, each with an optional `format=json|cef`. */
function syslogSink(url: string): AlertSink {
  const params = new URL(url).searchParams;
  const format = params.get('format') ?? 'json';
  if (format !== 'json' && format !== 'cef') throw new TunnelwatchError('TW_USAGE', `--syslog: format must be json or cef, got ${format}`);
  const tls = url.startsWith('tls://');
  const target = endpoint(tls ? `tcp://${url.slice('tls://'.length)}` : url, '--syslog');
  const caFile = params.get('ca');
  let ca: string | undefined;
  if (caFile !== null) {
    if (!tls) throw new TunnelwatchError('TW_USAGE', '--syslog: ca= applies to tls:// only');
    try {
      ca = readFileSync(caFile, 'utf8');
    } catch (error) {
      throw new TunnelwatchError('TW_CONFIG', `--syslog: cannot read the CA file ${caFile}: ${(error as Error).message}`, { cause: error });
    }
  }
  return new SyslogAlertSink({ ...target, protocol: tls ? 'tls' : target.protocol, format, ...(ca === undefined ? {} : { ca }) });
}

function formatBy(counts: Record<string, number>): string {
  const parts = Object.entries(counts).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}=${v}`);
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}

export function formatSummary(s: DetectSummary, config: Config): string {
  const mb = (n: number): string => (n / 1048576).toFixed(1);
  const lines = [
    `tunnelwatch detect summary${s.interrupted ? ' (interrupted)' : ''}`,
    `  lines read        ${s.lines}  (${mb(s.bytes)} MiB)`,
    `  parsed            ${s.parsed}`,
    `  skipped           ${s.skipped}${formatBy(s.skippedBy)}`,
    `  quarantined       ${s.quarantined}${formatBy(s.quarantinedBy)}${s.quarantined + s.skipped > 0 ? `  → ${config.output.quarantine}` : ''}`,
    `  late              ${s.late}${s.lateUnapplied > 0 ? ` (${s.lateUnapplied} after all their windows closed)` : ''}${config.output.late !== undefined && s.late > 0 ? `  → ${config.output.late}` : ''}`,
    `  alerts            ${s.alerts}  (${s.suppressed} repeat crossings suppressed${s.muted > 0 ? `, ${s.muted} of muted clients` : ''})`,
    `  windows closed    ${s.windowsClosed}${s.aggregateRows > 0 ? `  (${s.aggregateRows} aggregate rows → ${[config.output.aggregates, config.output.store].filter((x) => x !== undefined).join(', ')})` : ''}`,
    ...(s.evictedWindows > 0 ? [`  windows evicted   ${s.evictedWindows}  (least suspicious first, to stay within state.maxStateMb ${config.state.maxStateMb} MiB)`] : []),
    `  elapsed           ${(s.elapsedMs / 1000).toFixed(2)} s, ${Math.round(s.linesPerSecond)} lines/s, peak RSS ${mb(s.peakRssBytes)} MiB`,
  ];
  return lines.join('\n');
}
