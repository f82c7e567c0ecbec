/**
 * `npm run bench`: tunnelwatch's whole detect pipeline against two baselines
 * that do the same distinct-subdomain count the simplest honest way (mawk,
 * plain Node), each as its own child process with wall time and peak RSS,
 * then an in-process micro-benchmark of the per-line stages. Numbers are
 * reported, not asserted: the run exits 0 unless something fails to run.
 *
 *   npm run bench                      2,000,000 lines (seed 1, 10,000 queries/min ≈ 200 min)
 *   BENCH_LINES=200000 npm run bench   a quick run
 *   BENCH_NO_GNU_TIME=1                peak RSS by polling /proc even where /usr/bin/time exists
 *
 * See bench/README.md for what each row means.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { validateConfig } from '../src/config/load.js';
import { DetectionEngine } from '../src/engine.js';
import dnsPacket from 'dns-packet';
import { PcapDecoder } from '../src/parsers/pcap/pcap-decoder.js';
import { BindQueryParser } from '../src/parsers/bind.js';
import { Rejection } from '../src/parsers/parser.js';
import { createParser } from '../src/parsers/create.js';
import type { Format } from '../src/parsers/formats.js';
import { DnstapDecoder } from '../src/parsers/dnstap/decoder.js';
import { CONTENT_TYPE_DNSTAP, CONTROL, encodeControl, FrameStreamReader } from '../src/parsers/dnstap/frame-stream.js';
import type { DecodedRecords } from '../src/parsers/record-decoder.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'dist', 'src', 'cli.js');
const AWK_SCRIPT = join(ROOT, 'bench', 'baselines', 'distinct.awk');
const NODE_BASELINE = join(ROOT, 'bench', 'baselines', 'distinct-node.mjs');
const CACHE_DIR = join(ROOT, '.tmp', 'bench');
const RUN_DIR = join(CACHE_DIR, 'run');

const SEED = 1;
const RATE_PER_MIN = 10_000;
const DEFAULT_LINES = 2_000_000;
const MICRO_LINES = 500_000;
const MICRO_PASSES = 3;

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(1);
}

function linesFromEnv(): number {
  const raw = process.env.BENCH_LINES;
  if (raw === undefined || raw === '') return DEFAULT_LINES;
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 1) fail(`BENCH_LINES must be a positive integer, got "${raw}"`);
  return n;
}

// ---------------------------------------------------------------------------
// The input log, generated once per parameter set (and simulator build)

interface LogInfo {
  path: string;
  lines: number;
  bytes: number;
  generated: boolean;
}

/** Hash of the compiled simulator, so a changed simulator regenerates the cached log. */
function simulatorHash(): string {
  const h = createHash('sha256');
  const files = [join(ROOT, 'dist', 'src', 'commands', 'simulate.js')];
  const simDir = join(ROOT, 'dist', 'src', 'simulate');
  for (const name of readdirSync(simDir).sort()) if (name.endsWith('.js')) files.push(join(simDir, name));
  for (const f of files) h.update(readFileSync(f));
  return h.digest('hex').slice(0, 10);
}

function countLines(path: string): number {
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(1 << 22);
  let n = 0;
  let last = 0x0a;
  try {
    for (;;) {
      const got = readSync(fd, buf, 0, buf.length, null);
      if (got === 0) break;
      let i = -1;
      while ((i = buf.indexOf(0x0a, i + 1)) >= 0 && i < got) n++;
      last = buf[got - 1] ?? 0x0a;
    }
  } finally {
    closeSync(fd);
  }
  return last === 0x0a ? n : n + 1;
}

function ensureLog(lines: number): LogInfo {
  // Enough simulated time for the line count (the simulator stops at --lines); 200 minutes for the default.
  const durationMin = Math.max(200, Math.ceil(lines / RATE_PER_MIN));
  const name = `sim-seed${SEED}-rate${RATE_PER_MIN}-dur${durationMin}m-lines${lines}-${simulatorHash()}.log`;
  const path = join(CACHE_DIR, name);
  const meta = path + '.json';
  mkdirSync(CACHE_DIR, { recursive: true });
  if (existsSync(path) && existsSync(meta)) {
    const info = JSON.parse(readFileSync(meta, 'utf8')) as { lines: number; bytes: number };
    if (statSync(path).size === info.bytes) return { path, lines: info.lines, bytes: info.bytes, generated: false };
  }
  // Logs from other simulator builds are stale (and 300 MB each): remove them.
  const hash = simulatorHash();
  for (const old of readdirSync(CACHE_DIR)) if (old.startsWith('sim-') && !old.includes(`-${hash}.log`)) rmSync(join(CACHE_DIR, old), { force: true });

  const partial = `${path}.partial-${process.pid}`;
  const args = [CLI, 'simulate', '--seed', String(SEED), '--duration', `${durationMin}m`, '--rate', String(RATE_PER_MIN), '--lines', String(lines), '-o', partial];
  process.stdout.write(`generating ${relative(ROOT, path)}\n  node ${args.map((a) => relative(ROOT, a) || a).join(' ')}\n`);
  const started = performance.now();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) {
    rmSync(partial, { force: true });
    fail(`simulate failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`})`);
  }
  renameSync(partial, path);
  const info = { lines: countLines(path), bytes: statSync(path).size };
  writeFileSync(meta, JSON.stringify(info) + '\n');
  process.stdout.write(`  ${info.lines} lines, ${mib(info.bytes)} MiB in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  if (info.lines < lines) process.stdout.write(`  note: the simulator wrote fewer lines than the ${lines} asked for\n`);
  return { path, ...info, generated: true };
}

/** Reads the whole log once so every timed run starts with it in the page cache. */
function warmPageCache(path: string): void {
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(1 << 22);
  try {
    while (readSync(fd, buf, 0, buf.length, null) > 0);
  } finally {
    closeSync(fd);
  }
}

// ---------------------------------------------------------------------------
// Child processes: wall time and peak RSS

type RssMethod = 'gnu-time' | 'proc-poll' | 'none';

function detectRssMethod(): RssMethod {
  // BENCH_NO_GNU_TIME=1 exercises the /proc fallback on a machine that has GNU time.
  if (existsSync('/usr/bin/time') && process.env.BENCH_NO_GNU_TIME !== '1') {
    const r = spawnSync('/usr/bin/time', ['-f', '%e %M', 'true'], { encoding: 'utf8' });
    if (r.status === 0 && /^\d+(\.\d+)? \d+\s*$/.test(r.stderr.trim().split('\n').pop() ?? '')) return 'gnu-time';
  }
  return existsSync(`/proc/${process.pid}/status`) ? 'proc-poll' : 'none';
}

interface Measured {
  ok: boolean;
  exit: string;
  seconds: number;
  /** NaN when it could not be measured. */
  peakRssBytes: number;
  stderr: string;
}

function readProcPeak(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'latin1');
    // VmHWM is the peak so far (what we want); VmRSS the current size. Keep the larger, in case VmHWM is missing.
    let peak = 0;
    for (const m of status.matchAll(/^(?:VmHWM|VmRSS):\s+(\d+) kB$/gm)) peak = Math.max(peak, Number(m[1]) * 1024);
    return peak;
  } catch {
    return 0; // gone already
  }
}

/** Runs `command args`, stdout to `stdoutFile`, and measures it as RSS_METHOD allows. */
function measure(method: RssMethod, command: string, args: string[], stdoutFile: string): Promise<Measured> {
  const timeFile = join(RUN_DIR, 'time.out');
  rmSync(timeFile, { force: true });
  const out = openSync(stdoutFile, 'w');
  const [cmd, argv] = method === 'gnu-time' ? ['/usr/bin/time', ['-o', timeFile, '-f', '%e %M', command, ...args]] : [command, args];
  const started = performance.now();
  const child = spawn(cmd, argv, { stdio: ['ignore', out, 'pipe'] });
  closeSync(out);
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (s: string) => {
    stderr += s;
  });
  let polledPeak = 0;
  const poll =
    method === 'proc-poll' && child.pid !== undefined
      ? setInterval(() => {
          polledPeak = Math.max(polledPeak, readProcPeak(child.pid!));
        }, 50)
      : undefined;
  return new Promise((resolve) => {
    child.on('error', (error) => {
      if (poll !== undefined) clearInterval(poll);
      resolve({ ok: false, exit: error.message, seconds: NaN, peakRssBytes: NaN, stderr });
    });
    child.on('close', (code, signal) => {
      if (poll !== undefined) clearInterval(poll);
      let seconds = (performance.now() - started) / 1000;
      let peak = method === 'proc-poll' && polledPeak > 0 ? polledPeak : NaN;
      if (method === 'gnu-time' && existsSync(timeFile)) {
        // GNU time writes "Command exited with non-zero status N" before the format line on failure.
        const m = /(\d+(?:\.\d+)?) (\d+)\s*$/.exec(readFileSync(timeFile, 'utf8'));
        if (m !== null) {
          seconds = Number(m[1]);
          peak = Number(m[2]) * 1024; // %M is in KiB
        }
      }
      resolve({ ok: code === 0, exit: signal ?? String(code), seconds, peakRssBytes: peak, stderr });
    });
  });
}

// ---------------------------------------------------------------------------
// The three runs

interface Row {
  name: string;
  lines: number;
  seconds: number;
  peakRssBytes: number;
  alerts: number | string;
  domains: string[];
  note: string;
  failed?: string;
  skipped?: string;
}

function outputLines(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  return text.split('\n').filter((l) => l.length > 0);
}

async function runTunnelwatch(method: RssMethod, log: LogInfo, workers: number): Promise<{ row: Row; summary: string }> {
  const alertsFile = join(RUN_DIR, `tunnelwatch-alerts-w${workers}.jsonl`);
  const quarantine = join(RUN_DIR, 'tunnelwatch-quarantine.jsonl');
  rmSync(quarantine, { force: true });
  const m = await measure(method, process.execPath, [CLI, 'detect', log.path, '--quarantine', quarantine, '--workers', String(workers)], alertsFile);
  const alerts = outputLines(alertsFile);
  const domains = new Set<string>();
  for (const line of alerts) {
    try {
      const doc = JSON.parse(line) as { dns?: { question?: { registered_domain?: string } } };
      domains.add(doc.dns?.question?.registered_domain ?? '?');
    } catch {
      domains.add('(unparsable alert line)');
    }
  }
  const read = /lines read\s+(\d+)/.exec(m.stderr);
  const row: Row = {
    name: workers === 1 ? 'tunnelwatch detect' : `tunnelwatch detect --workers ${workers}`,
    lines: read === null ? log.lines : Number(read[1]),
    seconds: m.seconds,
    peakRssBytes: m.peakRssBytes,
    alerts: alerts.length,
    domains: [...domains],
    note:
      'full pipeline with the default detection suite: BIND parse with validation, PSL registered-domain split, ' +
      '10m/5m windows of every query plus 1h/24h windows of suspicious ones, 60 s watermark, per-query features, tool signatures, ' +
      'benign classes, client profiles, the evidence score with its alert at the crossing and cool-down, quarantine file' +
      (workers === 1 ? '; one thread' : `; ${workers} worker threads by registered-domain partition + the reading/routing main thread`),
  };
  if (!m.ok) row.failed = `exit ${m.exit}: ${m.stderr.trim().split('\n').slice(-3).join(' | ')}`;
  const summary = m.stderr.split('\n').find((l) => l.trimStart().startsWith('elapsed')) ?? '(no summary line on stderr)';
  return { row, summary: summary.trimEnd() };
}

async function runBaseline(method: RssMethod, name: string, command: string, args: string[], log: LogInfo, note: string): Promise<Row> {
  const outFile = join(RUN_DIR, `${name.replace(/\W+/g, '-')}.tsv`);
  const m = await measure(method, command, args, outFile);
  const crossings = outputLines(outFile);
  const row: Row = {
    name,
    lines: log.lines,
    seconds: m.seconds,
    peakRssBytes: m.peakRssBytes,
    alerts: crossings.length,
    domains: crossings.map((l) => l.split('\t')[0] ?? ''),
    note,
  };
  if (!m.ok) row.failed = `exit ${m.exit}: ${m.stderr.trim().split('\n').slice(-3).join(' | ')}`;
  return row;
}

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

// ---------------------------------------------------------------------------
// In-process stages

interface Stage {
  name: string;
  lines: number;
  bytes: number;
  bestSeconds: number;
}

/** The first `n` lines of the log as one buffer (bytes up to and including the n-th newline). */
function readHead(path: string, n: number): { data: Buffer; lines: number } {
  const fd = openSync(path, 'r');
  const parts: Buffer[] = [];
  let lines = 0;
  try {
    for (;;) {
      const buf = Buffer.allocUnsafe(1 << 22);
      const got = readSync(fd, buf, 0, buf.length, null);
      if (got === 0) break;
      let i = -1;
      let cut = got;
      while ((i = buf.indexOf(0x0a, i + 1)) >= 0 && i < got) {
        if (++lines === n) {
          cut = i + 1;
          break;
        }
      }
      parts.push(buf.subarray(0, cut));
      if (lines === n) break;
    }
  } finally {
    closeSync(fd);
  }
  return { data: Buffer.concat(parts), lines };
}

function splitLatin1(data: Buffer): string[] {
  const out: string[] = [];
  let start = 0;
  while (start < data.length) {
    let nl = data.indexOf(0x0a, start);
    if (nl < 0) nl = data.length;
    out.push(data.toString('latin1', start, nl));
    start = nl + 1;
  }
  return out;
}

function best(passes: number, body: () => void): number {
  body(); // warm-up: let the JIT settle
  let min = Infinity;
  for (let i = 0; i < passes; i++) {
    const t0 = performance.now();
    body();
    min = Math.min(min, (performance.now() - t0) / 1000);
  }
  return min;
}

function microBenchmark(log: LogInfo, maxLines: number): Stage[] {
  const head = readHead(log.path, maxLines);
  const bytes = head.data.length;
  const stages: Stage[] = [];
  let sink = 0;

  stages.push({
    name: 'split lines + latin1 decode',
    lines: head.lines,
    bytes,
    bestSeconds: best(MICRO_PASSES, () => {
      sink += splitLatin1(head.data).length;
    }),
  });

  const lines = splitLatin1(head.data);
  stages.push({
    name: 'BIND parse only',
    lines: lines.length,
    bytes,
    bestSeconds: best(MICRO_PASSES, () => {
      const parser = new BindQueryParser();
      for (let i = 0; i < lines.length; i++) {
        const r = parser.parse(lines[i]!, 'bench', i + 1, 0);
        if (!(r instanceof Rejection)) sink += r.qnameBytes;
      }
    }),
  });

  // The core design's rule alone (one 10m/5m window, distinct subdomains ≥ 180) beside the full
  // default suite (score rule with per-query features, benign classes and signatures, long windows).
  const classic = validateConfig({
    windows: [{ length: '10m', slide: '5m' }],
    rules: [{ name: 'dns_distinct_subdomains', type: 'distinct_subdomains', key: 'domain', threshold: 180 }],
  });
  stages.push({
    name: 'BIND parse + engine, classic distinct rule only',
    lines: lines.length,
    bytes,
    bestSeconds: best(MICRO_PASSES, () => {
      const parser = new BindQueryParser();
      const engine = new DetectionEngine(classic, { alert: () => sink++ });
      for (let i = 0; i < lines.length; i++) {
        const r = parser.parse(lines[i]!, 'bench', i + 1, 0);
        if (!(r instanceof Rejection)) engine.process(r);
      }
      engine.finish();
    }),
  });
  const config = validateConfig({});
  stages.push({
    name: 'BIND parse + engine, full default suite',
    lines: lines.length,
    bytes,
    bestSeconds: best(MICRO_PASSES, () => {
      const parser = new BindQueryParser();
      const engine = new DetectionEngine(config, { alert: () => sink++ });
      for (let i = 0; i < lines.length; i++) {
        const r = parser.parse(lines[i]!, 'bench', i + 1, 0);
        if (!(r instanceof Rejection)) engine.process(r);
      }
      engine.finish();
    }),
  });
  stages.push(...formatStages());
  stages.push(pcapStage());
  if (sink === -1) process.stdout.write('\n'); // keeps `sink` observable
  return stages;
}

/**
 * pcap decode throughput: 100,000 queries for the Umbrella top-100k names and their answers (one A
 * record each, EDNS on both), encoded with dns-packet into Ethernet/IPv4/UDP frames of a classic
 * pcap in memory, from 50 clients; decoded from bytes (records, link and IP layers, DNS header and
 * question by hand, the rest by dns-packet, name facts, pairing) in 1 MiB pieces, as FileSource reads.
 */
function pcapStage(): Stage {
  const names = readFileSync(join(ROOT, '..', 'shared', 'data', 'names', 'umbrella-top-100k.txt'), 'latin1')
    .split('\n')
    .filter((n) => n.length > 0 && n.length < 250);
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(262_144, 16);
  header.writeUInt32LE(1, 20); // Ethernet
  const parts: Buffer[] = [header];
  const edns = { type: 'OPT', name: '.', udpPayloadSize: 1232, flags: 0, options: [] } as unknown as dnsPacket.Answer;
  const record = (micros: number, client: number, port: number, toServer: boolean, payload: Buffer): void => {
    const frame = Buffer.alloc(42 + payload.length);
    frame.writeUInt16BE(0x0800, 12);
    frame[14] = 0x45;
    frame.writeUInt16BE(28 + payload.length, 16);
    frame[22] = 64;
    frame[23] = 17;
    const clientIp = [10, 1, client, 2];
    const serverIp = [10, 1, 0, 53];
    Buffer.from(toServer ? clientIp : serverIp).copy(frame, 26);
    Buffer.from(toServer ? serverIp : clientIp).copy(frame, 30);
    frame.writeUInt16BE(toServer ? port : 53, 34);
    frame.writeUInt16BE(toServer ? 53 : port, 36);
    frame.writeUInt16BE(8 + payload.length, 38);
    payload.copy(frame, 42);
    const h = Buffer.alloc(16);
    h.writeUInt32LE(1_795_000_000 + Math.floor(micros / 1e6), 0);
    h.writeUInt32LE(micros % 1e6, 4);
    h.writeUInt32LE(frame.length, 8);
    h.writeUInt32LE(frame.length, 12);
    parts.push(h, frame);
  };
  for (const [i, name] of names.entries()) {
    const id = i & 0xffff;
    const questions: dnsPacket.Question[] = [{ type: 'A', name }];
    const query = dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions, additionals: [edns] });
    const answers: dnsPacket.Answer[] = [{ type: 'A', name, ttl: 300, data: `192.0.2.${i % 250}` }];
    const response = dnsPacket.encode({ type: 'response', id, flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE, questions, answers, additionals: [edns] });
    const port = 20_000 + ((i * 7919) % 40_000);
    record(i * 200, 1 + (i % 50), port, true, query);
    record(i * 200 + 150, 1 + (i % 50), port, false, response);
  }
  const data = Buffer.concat(parts);
  let sink = 0;
  const out = { event: (e: { qnameBytes: number }) => void (sink += e.qnameBytes), reject: () => void sink++ };
  const stage: Stage = {
    name: 'pcap (dns-packet-encoded, Umbrella names) decode',
    lines: names.length * 2,
    bytes: data.length,
    bestSeconds: best(MICRO_PASSES, () => {
      const decoder = new PcapDecoder();
      for (let at = 0; at < data.length; at += 1 << 20) decoder.push(data.subarray(at, at + (1 << 20)), at, 'bench', out);
      decoder.end('bench', out);
    }),
  };
  if (sink === -1) process.stdout.write('\n');
  return stage;
}

/**
 * Parse throughput per input format, on real data: the WRCCDC Zeek log (both encodings) from
 * ../shared/data, and the fixtures written by Suricata, dnsmasq and unbound, each repeated to about
 * 200,000 records (a repeated line costs the parser what a new one does: nothing is cached by name).
 */
function formatStages(): Stage[] {
  const corpora: Array<{ format: Format; label: string; lines: string[] }> = [];
  const shared = join(ROOT, '..', 'shared', 'data', 'zeek-wrccdc2018');
  const gz = (file: string): string[] => splitLatin1(gunzipSync(readFileSync(join(shared, file))));
  const fixture = (file: string): string[] => splitLatin1(readFileSync(join(ROOT, 'test', 'fixtures', file)));
  try {
    corpora.push({ format: 'zeek-tsv', label: 'Zeek TSV (WRCCDC dns.log)', lines: gz('dns.log.gz') });
    corpora.push({ format: 'zeek-json', label: 'Zeek JSON (WRCCDC dns.json)', lines: gz('dns.json.gz') });
  } catch {
    process.stdout.write(`(no ${shared}: Zeek rows skipped)\n`);
  }
  corpora.push({ format: 'suricata-eve', label: 'Suricata EVE (fixture)', lines: fixture('suricata/eve-dns-v2.json') });
  corpora.push({ format: 'dnsmasq', label: 'dnsmasq (fixture)', lines: fixture('dnsmasq/dnsmasq-2.90-extra.log') });
  corpora.push({ format: 'unbound', label: 'unbound (fixture)', lines: fixture('unbound/unbound-1.17-ascii.log') });
  corpora.push({ format: 'windows-dns', label: 'Windows DNS (fixture)', lines: fixture('windows-dns/debug.log') });
  const stages: Stage[] = [];
  let sink = 0;
  for (const c of corpora) {
    const base = c.lines.filter((l) => l.length > 0);
    const lines: string[] = [];
    while (lines.length < 200_000) lines.push(...base);
    const bytes = lines.reduce((n, l) => n + l.length + 1, 0);
    const config = validateConfig({ input: { format: c.format } });
    stages.push({
      name: `${c.label} parse`,
      lines: lines.length,
      bytes,
      bestSeconds: best(MICRO_PASSES, () => {
        const parser = createParser(config);
        for (let i = 0; i < lines.length; i++) {
          const r = parser.parse(lines[i]!, 'bench', i + 1, 0);
          if (!(r instanceof Rejection)) sink += r.qnameBytes;
        }
      }),
    });
  }
  stages.push(dnstapStage());
  if (sink === -1) process.stdout.write('\n');
  return stages;
}

/**
 * dnstap decode throughput: the data frames of the BIND 9.18 resolver fixture (client and resolver
 * queries and responses), repeated in memory to about 200,000 frames behind one START, decoded
 * from bytes (Frame Streams, protobuf, DNS message, pairing) in 1 MiB pieces, as FileSource reads.
 */
function dnstapStage(): Stage {
  const fixture = readFileSync(join(ROOT, 'test', 'fixtures', 'dnstap', 'bind-9.18-resolver.dnstap'));
  const frames: Buffer[] = [];
  const reader = new FrameStreamReader();
  const collect = { dataFrame: (payload: Buffer) => void frames.push(Buffer.concat([lengthPrefix(payload.length), payload])), controlFrame: () => undefined, badFrame: () => undefined };
  reader.push(fixture, collect);
  reader.end(collect);
  const parts: Buffer[] = [encodeControl(CONTROL.START, [CONTENT_TYPE_DNSTAP])];
  let records = 0;
  while (records < 200_000) {
    parts.push(...frames);
    records += frames.length;
  }
  parts.push(encodeControl(CONTROL.STOP));
  const data = Buffer.concat(parts);
  let sink = 0;
  const out: DecodedRecords = { event: (e) => void (sink += e.qnameBytes), reject: () => void sink++ };
  const stage: Stage = {
    name: 'dnstap (BIND fixture frames) decode',
    lines: records,
    bytes: data.length,
    bestSeconds: best(MICRO_PASSES, () => {
      const decoder = new DnstapDecoder();
      for (let at = 0; at < data.length; at += 1 << 20) decoder.push(data.subarray(at, at + (1 << 20)), at, 'bench', out);
      decoder.end('bench', out);
    }),
  };
  if (sink === -1) process.stdout.write('\n');
  return stage;
}

function lengthPrefix(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

// ---------------------------------------------------------------------------
// Output

function mib(bytes: number): string {
  return Number.isFinite(bytes) ? (bytes / 1048576).toFixed(1) : 'n/a';
}

function thousands(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a';
}

function table(headers: string[], rows: string[][], rightAlign: boolean[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: string[]): string =>
    cells.map((c, i) => (rightAlign[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [fmt(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}

function machine(): string {
  let model = cpus()[0]?.model?.trim() ?? '';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m !== null) model = m[1]!.trim();
  } catch {
    // not Linux: os.cpus() it is
  }
  const nproc = spawnSync('nproc', { encoding: 'utf8' }).stdout?.trim() || String(cpus().length);
  return `${nproc} CPUs (nproc), ${model || 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}, ${process.platform}/${process.arch}`;
}

async function main(): Promise<void> {
  const lines = linesFromEnv();
  process.stdout.write(`tunnelwatch bench: ${machine()}\n\n`);
  const log = ensureLog(lines);
  if (!log.generated) process.stdout.write(`using cached ${relative(ROOT, log.path)} (${log.lines} lines, ${mib(log.bytes)} MiB)\n`);
  rmSync(RUN_DIR, { recursive: true, force: true });
  mkdirSync(RUN_DIR, { recursive: true });
  warmPageCache(log.path);

  const method = detectRssMethod();
  const methodText =
    method === 'gnu-time'
      ? "/usr/bin/time -f '%e %M' (wall seconds and max RSS of each child)"
      : method === 'proc-poll'
        ? `${process.env.BENCH_NO_GNU_TIME === '1' ? 'BENCH_NO_GNU_TIME=1' : 'GNU time is not installed (Debian package `time`)'}: ` +
          'wall time measured here, peak RSS by polling /proc/<pid>/status (VmHWM/VmRSS) every 50 ms'
        : 'no /usr/bin/time and no /proc: wall time only, peak RSS not measured';
  process.stdout.write(`measuring: ${methodText}\n\n`);

  const rows: Row[] = [];
  process.stdout.write('running tunnelwatch detect ...\n');
  const tw = await runTunnelwatch(method, log, 1);
  rows.push(tw.row);
  const workers = Math.max(2, Math.min(availableParallelism(), 8));
  process.stdout.write(`running tunnelwatch detect --workers ${workers} ...\n`);
  const twParallel = await runTunnelwatch(method, log, workers);
  rows.push(twParallel.row);

  const awkNote = 'split on spaces, last two labels as domain, assoc array of seen (window, domain, subdomain), windows dropped 15 min behind';
  if (onPath('mawk')) {
    process.stdout.write('running mawk baseline ...\n');
    rows.push(await runBaseline(method, 'mawk distinct.awk', 'mawk', ['-f', AWK_SCRIPT, log.path], log, awkNote));
  } else {
    process.stdout.write('mawk is not installed (Debian: apt-get install mawk): skipping that baseline\n');
    rows.push({ name: 'mawk distinct.awk', lines: log.lines, seconds: NaN, peakRssBytes: NaN, alerts: 'skipped', domains: [], note: awkNote, skipped: 'mawk not installed' });
  }

  process.stdout.write('running node baseline ...\n');
  rows.push(
    await runBaseline(
      method,
      'node distinct-node.mjs',
      process.execPath,
      [NODE_BASELINE, log.path],
      log,
      "1 MiB latin1 chunks, line.split(' '), last two labels as domain, Map<window, Map<domain, Set<sub>>>, windows freed 15 min behind",
    ),
  );

  process.stdout.write(`\n${log.lines.toLocaleString('en-US')} lines, ${mib(log.bytes)} MiB: ${relative(ROOT, log.path)}\n\n`);
  process.stdout.write(
    table(
      ['name', 'lines', 'seconds', 'lines/s', 'peak RSS MiB', 'alerts'],
      rows.map((r) => [
        r.name,
        thousands(r.lines),
        Number.isFinite(r.seconds) ? r.seconds.toFixed(2) : 'n/a',
        thousands(r.lines / r.seconds),
        mib(r.peakRssBytes),
        String(r.alerts),
      ]),
      [false, true, true, true, true, true],
    ) + '\n\n',
  );
  process.stdout.write(`tunnelwatch's own summary: ${tw.summary.trim()}\n`);
  process.stdout.write(`with --workers ${workers}:       ${twParallel.summary.trim()}\n\n`);
  for (const r of rows) {
    process.stdout.write(`${r.name}: ${r.note}\n`);
    if (r.domains.length > 0) process.stdout.write(`  alerted: ${r.domains.join(', ')}\n`);
    if (r.failed !== undefined) process.stdout.write(`  FAILED: ${r.failed}\n`);
    if (r.skipped !== undefined) process.stdout.write(`  skipped: ${r.skipped}\n`);
  }
  process.stdout.write(
    '\nalerts: tunnelwatch prints one alert per (rule, key) per cool-down (default: the window length), keyed by PSL registered domain;\n' +
      'the baselines print each domain once, the first time any window reaches 180, and take the last two labels as the domain\n' +
      '(so names under co.uk, com.au, ... pile up into one "domain").\n\n',
  );

  const microLines = Math.min(MICRO_LINES, log.lines);
  process.stdout.write(`in-process stages over the first ${microLines.toLocaleString('en-US')} lines (best of ${MICRO_PASSES} after a warm-up pass):\n`);
  const stages = microBenchmark(log, microLines);
  process.stdout.write(
    table(
      ['stage', 'lines', 'seconds', 'lines/s', 'MB/s'],
      stages.map((s) => [s.name, thousands(s.lines), s.bestSeconds.toFixed(3), thousands(s.lines / s.bestSeconds), (s.bytes / 1e6 / s.bestSeconds).toFixed(1)]),
      [false, true, true, true, true],
    ) + '\n',
  );
  process.stdout.write('(MB = 10^6 bytes of log text; the parse stages start from already-decoded line strings)\n');

  if (rows.some((r) => r.failed !== undefined)) process.exitCode = 1;
}

await main();
