/**
 * The flood benchmark of the durability issue: an attacker sends millions of queries for unique
 * random registered domains (or unique subdomains of one domain) to exhaust memory, with an
 * iodine-shaped tunnel running in the same stream. Reports, beside a run on ordinary simulated
 * traffic of the same length: throughput, peak RSS against the state budget, windows evicted, and
 * whether the tunnel was still alerted.
 *
 *   npm run bench:flood                     # 10,000,000 flood lines per mode
 *   FLOOD_LINES=2000000 npm run bench:flood # a quicker run
 *
 * Inputs are generated once into .tmp/bench/ (git-ignored). Numbers are reported, not asserted.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, createWriteStream, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatBindQueryLine } from '../src/simulate/simulator.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'dist', 'src', 'cli.js');
const DIR = join(ROOT, '.tmp', 'bench', 'flood');
const LINES = Number(process.env.FLOOD_LINES ?? 10_000_000);
const BUDGET_MB = Number(process.env.FLOOD_BUDGET_MB ?? 256);
const T0 = Date.UTC(2026, 10, 22, 0, 0, 0);
/** Log-time rate of the flood: every window of the run is full of it. */
const FLOOD_PER_SECOND = 50_000;
const TUNNEL = 'media-sync.net';
const VICTIM = '10.66.0.7';

/** A small xorshift generator: the same input for the same seed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

const ALPHA = 'abcdefghijklmnopqrstuvwxyz0123456789';
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
function word(r: () => number, n: number, alphabet = ALPHA): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(r() * alphabet.length)];
  return s;
}

/** Flood lines (mode `domains`: a new registered domain each; `subdomains`: new subdomains of one) with a tunnel query every 100 ms of log time. */
async function generate(mode: 'domains' | 'subdomains', path: string): Promise<void> {
  if (existsSync(path)) return;
  mkdirSync(DIR, { recursive: true });
  const r = rng(mode === 'domains' ? 1 : 2);
  const tmp = `${path}.tmp`;
  const out = createWriteStream(tmp);
  let batch: string[] = [];
  const tunnelEvery = FLOOD_PER_SECOND / 10;
  for (let i = 0; i < LINES; i++) {
    const time = T0 + Math.floor((i * 1000) / FLOOD_PER_SECOND);
    const qname = mode === 'domains' ? `www.${word(r, 12)}.com` : `${word(r, 20)}.flood-target.org`;
    batch.push(formatBindQueryLine({ timeMs: time, clientIp: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, clientPort: 1024 + (i % 60000), qname, qtype: 'A', serverIp: '10.0.0.53' }));
    if (i % tunnelEvery === 0) {
      batch.push(formatBindQueryLine({ timeMs: time, clientIp: VICTIM, clientPort: 53000, qname: `${'0' + word(r, 50, BASE32)}.t.${TUNNEL}`, qtype: 'NULL', serverIp: '10.0.0.53' }));
    }
    if (batch.length >= 10_000) {
      if (!out.write(batch.join('\n') + '\n')) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      batch = [];
    }
  }
  out.write(batch.join('\n') + (batch.length > 0 ? '\n' : ''));
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  renameSync(tmp, path);
}

function normalLog(path: string): void {
  if (existsSync(path)) return;
  mkdirSync(DIR, { recursive: true });
  const fd = openSync(`${path}.tmp`, 'w');
  const r = spawnSync(process.execPath, [CLI, 'simulate', '--seed', '1', '--duration', `${Math.ceil(LINES / 10_000)}m`, '--rate', '10000', '--lines', String(LINES)], {
    stdio: ['ignore', fd, 'inherit'],
  });
  closeSync(fd);
  if (r.status !== 0) throw new Error('simulate failed');
  renameSync(`${path}.tmp`, path);
}

interface Result {
  input: string;
  lines: number;
  seconds: number;
  peakRssMiB: number;
  evicted: number;
  tunnelAlerted: boolean | null;
  ok: boolean;
}

/** Runs detect, polling /proc for the peak RSS (VmHWM). */
async function detect(input: string, log: string): Promise<Result> {
  const alerts = join(DIR, `${input}.alerts.jsonl`);
  rmSync(alerts, { force: true });
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, 'detect', log, '--alerts', alerts, '--quarantine', join(DIR, 'q.jsonl'), '--max-state-mb', String(BUDGET_MB)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let peakKb = 0;
  const poll = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m !== null) peakKb = Math.max(peakKb, Number(m[1]));
    } catch {
      // exited between polls
    }
  }, 50);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearInterval(poll);
  const seconds = (performance.now() - started) / 1000;
  const lines = Number(/lines read\s+(\d+)/.exec(stderr)?.[1] ?? 0);
  const evicted = Number(/windows evicted\s+(\d+)/.exec(stderr)?.[1] ?? 0);
  const alerted = existsSync(alerts) && readFileSync(alerts, 'utf8').includes(`"registered_domain":"${TUNNEL}"`);
  return { input, lines, seconds, peakRssMiB: peakKb / 1024, evicted, tunnelAlerted: input === 'normal' ? null : alerted, ok: code === 0 };
}

async function main(): Promise<void> {
  const domains = join(DIR, `flood-domains-${LINES}.log`);
  const subdomains = join(DIR, `flood-subdomains-${LINES}.log`);
  const normal = join(DIR, `normal-${LINES}.log`);
  process.stdout.write(`generating inputs (${LINES.toLocaleString('en-US')} lines each, cached in ${DIR}) ...\n`);
  await generate('domains', domains);
  await generate('subdomains', subdomains);
  normalLog(normal);
  const results: Result[] = [];
  for (const [input, path] of [['normal', normal], ['flood: unique domains', domains], ['flood: unique subdomains', subdomains]] as const) {
    process.stdout.write(`running detect on ${input} (${(statSync(path).size / 1048576).toFixed(0)} MiB) ...\n`);
    results.push(await detect(input, path));
  }
  const base = results[0]!;
  process.stdout.write(`\nstate budget --max-state-mb ${BUDGET_MB}\n`);
  process.stdout.write('input                         lines   seconds    lines/s  vs normal  peak RSS MiB  windows evicted  tunnel alerted\n');
  for (const r of results) {
    const rate = r.lines / r.seconds;
    process.stdout.write(
      `${r.input.padEnd(26)} ${String(r.lines).padStart(9)} ${r.seconds.toFixed(1).padStart(9)} ${Math.round(rate).toString().padStart(10)} ${(base.lines / base.seconds / rate).toFixed(2).padStart(9)}x ${r.peakRssMiB.toFixed(0).padStart(13)} ${String(r.evicted).padStart(16)} ${r.tunnelAlerted === null ? '-' : r.tunnelAlerted ? 'yes' : 'NO'}${r.ok ? '' : '  (FAILED)'}\n`,
    );
  }
  if (results.some((r) => !r.ok)) process.exitCode = 1;
}

await main();
