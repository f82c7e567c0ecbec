/**
 * The log simulator: deterministic BIND 9.18 query-log lines with benign
 * traffic and DNS tunnels mixed in, for `tunnelwatch simulate`, `tunnelwatch
 * demo`, tests and benchmarks.
 *
 * Every traffic source (benign, DNSBL, antivirus, each tunnel) is a
 * time-sorted stream with its own seeded random stream; the streams are merged
 * in time order, then optionally shuffled by a bounded reorder buffer to mimic
 * BIND's multi-threaded logging. Memory is O(1) in the number of lines.
 */

import { AvSource, BenignSource, buildPopulation, DnsblSource, type LineSource } from './benign.js';
import { BindTimeFormatter } from './format.js';
import { Rng } from './random.js';
import { resolveTunnel, TunnelSource, type TunnelSpec } from './tunnel.js';

export type { TunnelSpec } from './tunnel.js';
export type { PayloadEncoding } from './encode.js';
export { encodeBase32, encodeBase64Url, encodeHex } from './encode.js';
export {
  BindTimeFormatter,
  clientObjectFor,
  escapeLabel,
  formatBindQueryLine,
  formatBindTime,
  nameFromLabels,
  type BindQueryFields,
} from './format.js';
export { AV_APPLIANCE_IP, AV_ZONE, CDN_DOMAINS, DNSBL_ZONES, MAIL_GATEWAY_IP, RESOLVERS_V4, RESOLVERS_V6 } from './benign.js';

export interface SimulationOptions {
  seed: number;
  /** First timestamp, epoch ms (the CLI's default is `DEFAULT_START_MS`, 2026-11-22T00:00:00Z). */
  startMs: number;
  /** Simulated time span; lines have times in [startMs, startMs + durationMs). */
  durationMs: number;
  /** Total benign rate (the DNSBL and antivirus streams below come on top). */
  benignQueriesPerMinute: number;
  /** Size of the benign registered-domain population, e.g. 5000. */
  benignDomains: number;
  /** Number of benign client IPs, e.g. 200 (IPv4 in 10/8, about 5% IPv6 in 2001:db8::/32). */
  clients: number;
  tunnels: TunnelSpec[];
  /** Max jitter: a line may be written after lines up to this many ms later than it (0 = strict time order). */
  outOfOrderMs: number;
  /** DNSBL queries per minute from the mail gateway (two zones per looked-up address); default 8. */
  dnsblPerMinute?: number;
  /** Antivirus reputation queries per minute from the AV appliance; default 4. */
  avPerMinute?: number;
}

export interface GroundTruth {
  /** Registered domain of the tunnel, lower-cased. */
  domain: string;
  client: string;
  /** Time of the first / last query; -1 for both when the tunnel has no query inside the simulated span. */
  firstMs: number;
  lastMs: number;
  queries: number;
  /** Distinct lower-cased subdomains (payload labels plus the zone prefix). */
  distinctSubdomains: number;
}

/** 2026-11-22T00:00:00Z */
export const DEFAULT_START_MS = Date.UTC(2026, 10, 22, 0, 0, 0, 0);

const MINUTE = 60_000;

/**
 * The demo's tunnels, relative to `startMs`:
 * - an iodine-like base32 NULL tunnel (`<id><base32>.<base32>.t.cdn-sync.net`) at 40 q/min for 15 minutes from +5 min;
 * - a dnscat-like hex TXT tunnel (`<hex>.<hex>.stats-relay.org`) at 25 q/min for 12 minutes from +12 min;
 * - a slow base32 exfiltration (`<base32>.pixel-metrics.io`, TXT) at 0.2 q/min for 6 hours from +2 min.
 */
export function defaultTunnels(startMs: number): TunnelSpec[] {
  return [
    {
      domain: 'cdn-sync.net',
      zonePrefix: 't',
      client: '10.1.7.23',
      encoding: 'base32',
      qtype: 'NULL',
      queriesPerMinute: 40,
      startMs: startMs + 5 * MINUTE,
      durationMs: 15 * MINUTE,
      labelLength: 57,
      labels: 2,
    },
    {
      domain: 'stats-relay.org',
      client: '10.2.14.88',
      encoding: 'hex',
      qtype: 'TXT',
      queriesPerMinute: 25,
      startMs: startMs + 12 * MINUTE,
      durationMs: 12 * MINUTE,
      labelLength: 60,
      labels: 2,
    },
    {
      domain: 'pixel-metrics.io',
      client: '10.3.2.41',
      encoding: 'base32',
      qtype: 'TXT',
      queriesPerMinute: 0.2,
      startMs: startMs + 2 * MINUTE,
      durationMs: 6 * 60 * MINUTE,
    },
  ];
}

/** Complete options from defaults: seed 1, 30 minutes from `DEFAULT_START_MS`, 2000 benign q/min, 5000 domains, 200 clients, the demo tunnels. */
export function defaultSimulationOptions(overrides: Partial<SimulationOptions> = {}): SimulationOptions {
  const startMs = overrides.startMs ?? DEFAULT_START_MS;
  return {
    seed: 1,
    startMs,
    durationMs: 30 * MINUTE,
    benignQueriesPerMinute: 2000,
    benignDomains: 5000,
    clients: 200,
    tunnels: overrides.tunnels ?? defaultTunnels(startMs),
    outOfOrderMs: 0,
    dnsblPerMinute: 8,
    avPerMinute: 4,
    ...overrides,
  };
}

function checkNumber(name: string, v: unknown, min: number, integer = false, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v)))
    throw new RangeError(`${name} must be a finite${integer ? ' integer' : ' number'} in [${min}, ${max}], got ${String(v)}`);
  return v;
}

/** Validates options (throws `RangeError` with the offending field) and fills the optional ones. */
function resolve(opts: SimulationOptions) {
  checkNumber('seed', opts.seed, -Number.MAX_SAFE_INTEGER);
  checkNumber('startMs', opts.startMs, -8.64e15, false, 8.64e15);
  checkNumber('durationMs', opts.durationMs, 0);
  const benignRate = checkNumber('benignQueriesPerMinute', opts.benignQueriesPerMinute, 0);
  if (benignRate > 0) {
    checkNumber('benignDomains', opts.benignDomains, 1, true, 5_000_000);
    checkNumber('clients', opts.clients, 1, true, 50_000);
  }
  const outOfOrderMs = checkNumber('outOfOrderMs', opts.outOfOrderMs ?? 0, 0, false, 3_600_000);
  const dnsbl = checkNumber('dnsblPerMinute', opts.dnsblPerMinute ?? 8, 0);
  const av = checkNumber('avPerMinute', opts.avPerMinute ?? 4, 0);
  if (!Array.isArray(opts.tunnels)) throw new RangeError('tunnels must be an array');
  const tunnels = opts.tunnels.map((t, i) => resolveTunnel(t, i));
  return { benignRate, outOfOrderMs, dnsbl, av, tunnels, endMs: opts.startMs + opts.durationMs };
}

function makeTunnelSources(opts: SimulationOptions, r: ReturnType<typeof resolve>, fmt: BindTimeFormatter): TunnelSource[] {
  return r.tunnels.map((t, i) => new TunnelSource(t, opts.seed, i, opts.startMs, r.endMs, fmt));
}

/** Min-heap of (writeTime, line) for the out-of-order buffer. */
class ReorderHeap {
  private readonly keys: number[] = [];
  private readonly lines: string[] = [];

  get size(): number {
    return this.keys.length;
  }

  get topKey(): number {
    return this.keys[0] as number;
  }

  push(key: number, line: string): void {
    const keys = this.keys;
    const lines = this.lines;
    let i = keys.length;
    keys.push(key);
    lines.push(line);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pk = keys[p] as number;
      if (pk <= key) break;
      keys[i] = pk;
      lines[i] = lines[p] as string;
      i = p;
    }
    keys[i] = key;
    lines[i] = line;
  }

  pop(): string {
    const keys = this.keys;
    const lines = this.lines;
    const top = lines[0] as string;
    const lastKey = keys.pop() as number;
    const lastLine = lines.pop() as string;
    const n = keys.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && (keys[c + 1] as number) < (keys[c] as number)) c++;
        if ((keys[c] as number) >= lastKey) break;
        keys[i] = keys[c] as number;
        lines[i] = lines[c] as string;
        i = c;
      }
      keys[i] = lastKey;
      lines[i] = lastLine;
    }
    return top;
  }
}

/** Lines of all sources merged in time order (ties: source order benign, DNSBL, AV, tunnels). */
function* mergedLines(sources: LineSource[]): Generator<string> {
  const n = sources.length;
  if (n === 0) return;
  for (;;) {
    // Find the earliest source and the earliest time among the others.
    let best = sources[0] as LineSource;
    let bestT = best.t;
    let other = Infinity;
    for (let i = 1; i < n; i++) {
      const s = sources[i] as LineSource;
      const t = s.t;
      if (t < bestT) {
        other = bestT;
        best = s;
        bestT = t;
      } else if (t < other) {
        other = t;
      }
    }
    if (bestT === Infinity) return;
    // Drain the earliest source until another one is due (the common case: benign runs).
    do {
      yield best.take();
    } while (best.t < other);
  }
}

/**
 * BIND 9.18 query-log lines (no trailing newline) in time order, or in time
 * order within `outOfOrderMs` when that is positive. Deterministic: the same
 * options give the same lines.
 */
export function* simulateLines(opts: SimulationOptions): Generator<string> {
  const r = resolve(opts);
  const fmt = new BindTimeFormatter();
  const sources: LineSource[] = [];
  if (r.benignRate > 0 && opts.durationMs > 0) {
    const pop = buildPopulation(opts.seed, opts.benignDomains, opts.clients, opts.tunnels.map((t) => t.domain));
    sources.push(new BenignSource(pop, opts.seed, opts.startMs, r.endMs, r.benignRate, fmt));
  }
  if (r.dnsbl > 0) sources.push(new DnsblSource(opts.seed, opts.startMs, r.endMs, r.dnsbl, fmt));
  if (r.av > 0) sources.push(new AvSource(opts.seed, opts.startMs, r.endMs, r.av, fmt));
  sources.push(...makeTunnelSources(opts, r, fmt));

  if (r.outOfOrderMs <= 0) {
    yield* mergedLines(sources);
    return;
  }

  // Each line gets a write time in [t, t + outOfOrderMs) and lines leave in write-time order.
  // A line is released once no future line can have an earlier write time (future times >= the current time),
  // so a line is never preceded by one more than outOfOrderMs later than it.
  const rng = Rng.stream(opts.seed, 'reorder');
  const heap = new ReorderHeap();
  const jitter = r.outOfOrderMs;
  for (;;) {
    let best: LineSource | undefined;
    let bestT = Infinity;
    for (const s of sources) {
      if (s.t < bestT) {
        best = s;
        bestT = s.t;
      }
    }
    if (best === undefined) break;
    heap.push(bestT + rng.float() * jitter, best.take());
    while (heap.size > 0 && heap.topKey <= bestT) yield heap.pop();
  }
  while (heap.size > 0) yield heap.pop();
}

/**
 * `simulateLines` joined into chunks of about `chunkChars` characters, each
 * line ending in `\n`: cheaper to write to a stream than one line at a time.
 */
export function* simulateChunks(opts: SimulationOptions, chunkChars = 1 << 16): Generator<string> {
  let buf = '';
  for (const line of simulateLines(opts)) {
    buf += line + '\n';
    if (buf.length >= chunkChars) {
      yield buf;
      buf = '';
    }
  }
  if (buf.length > 0) yield buf;
}

/**
 * What the tunnels in `opts` put into the log, one entry per `opts.tunnels`
 * element in order. Runs only the tunnel streams (they do not depend on the
 * benign ones), so it is cheap even for long, busy simulations.
 */
export function groundTruth(opts: SimulationOptions): GroundTruth[] {
  const r = resolve(opts);
  const fmt = new BindTimeFormatter();
  return makeTunnelSources(opts, r, fmt).map((src, i) => {
    const spec = r.tunnels[i]!.spec;
    const distinct = new Set<string>();
    let first = -1;
    let last = -1;
    let queries = 0;
    while (src.t !== Infinity) {
      if (queries === 0) first = src.t;
      last = src.t;
      queries++;
      distinct.add(src.subdomain);
      src.advance();
    }
    return {
      domain: spec.domain.toLowerCase(),
      client: spec.client,
      firstMs: first,
      lastMs: last,
      queries,
      distinctSubdomains: distinct.size,
    };
  });
}
