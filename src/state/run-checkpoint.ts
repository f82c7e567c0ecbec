/**
 * What `detect --state-dir` checkpoints, and when. One checkpoint holds, taken together between two
 * chunks (so they agree with each other): every file source's position (file identity, offset,
 * lines, whether it is done), the engine's windows, watermark and cool-downs, the pipeline's
 * counters and header lines, the run's alert count, and the committed sizes of the output files.
 *
 * Recovery replays what came after the checkpoint: the sources resume at their offsets, and the
 * alert, quarantine and late files are cut back to their committed sizes first, so each line in
 * them is written once however often the process is killed (other sinks — stdout, webhook,
 * syslog — are at-least-once; alert ids are deterministic so consumers can de-duplicate).
 */
import { createHash } from 'node:crypto';
import type { Config } from '../config/schema.js';
import { TunnelwatchError } from '../errors.js';
import { isRecordFormat } from '../parsers/formats.js';
import type { ProcessorState } from '../processor.js';
import type { ResumePoint, TextChunk } from '../sources/text-chunk.js';
import { parseDuration } from '../windows/window-spec.js';
import { CheckpointStore } from './checkpoint-store.js';

/** Raised when the layout changes (2: one processor state per partition). */
const VERSION = 2;

export interface SourceProgress {
  name: string;
  /** Absent until the first chunk of a file is processed. */
  resume?: ResumePoint;
  lines: number;
  bytes: number;
  done: boolean;
}

export interface RunCheckpoint {
  version: number;
  /** Hash of the settings the state depends on: a resumed run must use the same. */
  fingerprint: string;
  format: string;
  sources: SourceProgress[];
  /** One per partition (`--workers`), partition 0 first. */
  processor: ProcessorState[];
  alerts: number;
  aggregateRows: number;
  /** The run's id in the store's window rows (kept across restarts, so a resumed run can find its rows). */
  runId: string;
  /** Committed byte sizes of the output files, by role. */
  outputs: { alerts: number | null; quarantine: number; late: number | null };
}

/** Engines a run keeps state in: one per worker for line formats (binary record formats are decoded in one thread). */
export function partitionsFor(config: Config, format: string): number {
  return isRecordFormat(format) ? 1 : config.runtime.workers;
}

/** The settings that shape the state: windows, rules, scoring, lateness, and how lines are read. */
export function stateFingerprint(config: Config, format: string): string {
  const relevant = {
    format,
    windows: config.windows,
    rules: config.rules,
    scoring: config.scoring,
    detection: config.detection,
    watermark: config.watermark,
    exactDistinctLimit: config.state.exactDistinctLimit,
    timeZone: config.input.timeZone,
    syslogYear: config.input.syslogYear,
    windowsDateOrder: config.input.windowsDateOrder,
    jsonFields: config.input.jsonFields,
  };
  return createHash('sha256').update(JSON.stringify(relevant)).digest('hex');
}

export class RunCheckpointer {
  private readonly store: CheckpointStore;
  private readonly intervalMs: number;
  private last = Date.now();
  readonly progress = new Map<string, SourceProgress>();
  resumed: RunCheckpoint | null = null;
  saved = 0;

  constructor(readonly dir: string, config: Config, private readonly log: (text: string) => void) {
    this.store = new CheckpointStore(dir);
    this.intervalMs = parseDuration(config.state.checkpointInterval);
  }

  /** Loads the newest good checkpoint (saying which were unusable and why); null on a first run. */
  load(config: Config): RunCheckpoint | null {
    const loaded = this.store.load<RunCheckpoint>();
    if (loaded === null) return null;
    for (const r of loaded.rejected) this.log(`tunnelwatch: checkpoint ${r.file} in ${this.dir} is unusable (${r.reason}); resuming from the previous one, ${loaded.file}`);
    const state = loaded.state;
    if (state === null || typeof state !== 'object' || state.version !== VERSION) {
      throw new TunnelwatchError('TW_INPUT', `${loaded.file} in ${this.dir} is from another tunnelwatch version; use a new --state-dir`);
    }
    if (state.fingerprint !== stateFingerprint(config, state.format)) {
      throw new TunnelwatchError(
        'TW_CONFIG',
        `the state in ${this.dir} was made with other windows, rules, scoring or input settings; use the same configuration, or a new --state-dir`,
      );
    }
    const partitions = partitionsFor(config, state.format);
    if (state.processor.length !== partitions) {
      throw new TunnelwatchError(
        'TW_CONFIG',
        `the state in ${this.dir} was taken with ${state.processor.length} detection thread(s) and this run has ${partitions}: run with --workers ${state.processor.length}, or use a new --state-dir`,
      );
    }
    for (const s of state.sources) this.progress.set(s.name, { ...s });
    this.resumed = state;
    return state;
  }

  /** Notes that `chunk` of `source` has been processed. */
  processed(source: string, lines: number, bytes: number, chunk: TextChunk): void {
    const p = this.entry(source);
    p.lines = lines;
    p.bytes = bytes;
    if (chunk.file !== undefined) {
      const { dev, ino, base } = chunk.file;
      p.resume = { dev, ino, base, fileOffset: chunk.offset - base + chunk.data.length };
    }
  }

  finished(source: string): void {
    this.entry(source).done = true;
  }

  due(): boolean {
    return Date.now() - this.last >= this.intervalMs;
  }

  save(state: Omit<RunCheckpoint, 'version' | 'sources'>): void {
    this.store.save({ version: VERSION, sources: [...this.progress.values()], ...state } satisfies RunCheckpoint);
    this.last = Date.now();
    this.saved++;
  }

  private entry(source: string): SourceProgress {
    let p = this.progress.get(source);
    if (p === undefined) this.progress.set(source, (p = { name: source, lines: 0, bytes: 0, done: false }));
    return p;
  }
}
