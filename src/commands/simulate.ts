/** `tunnelwatch simulate`: seeded BIND query logs with tunnels in them, written at once or in real time. */
import { createWriteStream, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { TunnelwatchError } from '../errors.js';
import {
  defaultSimulationOptions,
  defaultTunnels,
  groundTruth,
  simulateChunks,
  simulateLines,
  type SimulationOptions,
  type TunnelSpec,
} from '../simulate/simulator.js';
import { parseDuration } from '../windows/window-spec.js';

export interface SimulateCliOptions {
  seed: number;
  start?: string;
  duration: string;
  rate: number;
  domains: number;
  clients: number;
  tunnel: string[];
  tunnels: boolean;
  outOfOrder: string;
  out?: string;
  truth?: string;
  lines?: number;
  realtime: boolean;
  batchInterval: string;
  dnsbl: number;
  av: number;
}

/** Builds simulation options from CLI flags; `--tunnel` specs replace the default tunnels. */
export function simulationFromCli(o: SimulateCliOptions): SimulationOptions {
  const startMs = o.start === undefined ? undefined : o.start === 'now' ? Math.floor(Date.now() / 60_000) * 60_000 : Date.parse(o.start);
  if (startMs !== undefined && Number.isNaN(startMs)) throw new TunnelwatchError('TW_USAGE', `--start: not an ISO 8601 time or "now": ${o.start}`);
  const base = defaultSimulationOptions(startMs === undefined ? {} : { startMs });
  const durationMs = usageDuration('--duration', o.duration);
  const tunnels = !o.tunnels ? [] : o.tunnel.length > 0 ? o.tunnel.map((spec) => parseTunnelSpec(spec, base.startMs)) : defaultTunnels(base.startMs);
  return {
    ...base,
    seed: o.seed,
    durationMs,
    benignQueriesPerMinute: o.rate,
    benignDomains: o.domains,
    clients: o.clients,
    tunnels,
    outOfOrderMs: o.outOfOrder === '0' ? 0 : usageDuration('--out-of-order', o.outOfOrder),
    dnsblPerMinute: o.dnsbl,
    avPerMinute: o.av,
  };
}

/**
 * `domain=x.net,client=10.1.2.3,encoding=base32,rate=40,start=5m,duration=15m[,qtype=NULL][,prefix=t][,labels=2][,label-length=57]`;
 * `start` is an offset from the simulation start.
 */
export function parseTunnelSpec(text: string, simulationStartMs: number): TunnelSpec {
  const fields = new Map<string, string>();
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new TunnelwatchError('TW_USAGE', `--tunnel: expected key=value, got "${part}"`);
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const need = (k: string): string => {
    const v = fields.get(k);
    if (v === undefined) throw new TunnelwatchError('TW_USAGE', `--tunnel: missing ${k}= in "${text}"`);
    fields.delete(k);
    return v;
  };
  const optional = (k: string): string | undefined => {
    const v = fields.get(k);
    fields.delete(k);
    return v;
  };
  const encoding = need('encoding');
  if (encoding !== 'base32' && encoding !== 'hex' && encoding !== 'base64') throw new TunnelwatchError('TW_USAGE', `--tunnel: encoding must be base32, hex or base64`);
  const spec: TunnelSpec = {
    domain: need('domain'),
    client: need('client'),
    encoding,
    queriesPerMinute: Number(need('rate')),
    startMs: simulationStartMs + usageDuration('--tunnel start', optional('start') ?? '0s'),
    durationMs: usageDuration('--tunnel duration', need('duration')),
  };
  const qtype = optional('qtype');
  const prefix = optional('prefix');
  const labels = optional('labels');
  const labelLength = optional('label-length');
  if (qtype !== undefined) spec.qtype = qtype.toUpperCase();
  if (prefix !== undefined) spec.zonePrefix = prefix;
  if (labels !== undefined) spec.labels = Number(labels);
  if (labelLength !== undefined) spec.labelLength = Number(labelLength);
  if (fields.size > 0) throw new TunnelwatchError('TW_USAGE', `--tunnel: unknown key(s) ${[...fields.keys()].join(', ')}`);
  if (!(spec.queriesPerMinute > 0)) throw new TunnelwatchError('TW_USAGE', `--tunnel: rate must be a positive number of queries per minute`);
  return spec;
}

function usageDuration(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (Number.isNaN(ms)) throw new TunnelwatchError('TW_USAGE', `${flag}: expected a duration such as 90s, 10m, 2h; got "${text}"`);
  return ms;
}

export async function runSimulate(o: SimulateCliOptions): Promise<void> {
  const options = simulationFromCli(o);
  try {
    // Validates the options (the simulator throws RangeError on bad ones) before any output is opened.
    groundTruth(options);
  } catch (error) {
    if (error instanceof RangeError) throw new TunnelwatchError('TW_USAGE', error.message);
    throw error;
  }
  if (o.truth !== undefined) writeFileSync(o.truth, JSON.stringify(groundTruth(options), null, 2) + '\n');
  const out: Writable = o.out === undefined || o.out === '-' ? process.stdout : createWriteStream(o.out);
  try {
    if (o.realtime) await writeRealtime(options, out, usageDuration('--batch-interval', o.batchInterval), o.lines);
    else await writeAll(options, out, o.lines);
  } finally {
    if (out !== process.stdout) {
      out.end();
      await once(out, 'close');
    }
  }
}

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

async function writeAll(options: SimulationOptions, out: Writable, maxLines: number | undefined): Promise<void> {
  if (maxLines === undefined) {
    for (const chunk of simulateChunks(options)) await write(out, chunk);
    return;
  }
  let n = 0;
  let buf = '';
  for (const line of simulateLines(options)) {
    if (n++ >= maxLines) break;
    buf += line + '\n';
    if (buf.length >= 1 << 16) {
      await write(out, buf);
      buf = '';
    }
  }
  if (buf.length > 0) await write(out, buf);
}

/** The design's generator: one batch per simulated minute, then a pause of `intervalMs` of wall time. */
async function writeRealtime(options: SimulationOptions, out: Writable, intervalMs: number, maxLines: number | undefined): Promise<void> {
  let minute = '';
  let batch = '';
  let n = 0;
  for (const line of simulateLines(options)) {
    if (maxLines !== undefined && n++ >= maxLines) break;
    // Lines start with BIND's `DD-Mon-YYYY HH:MM:SS.mmm`: a new HH:MM starts the next batch.
    const lineMinute = line.slice(12, 17);
    if (lineMinute !== minute && batch.length > 0) {
      await write(out, batch);
      batch = '';
      await sleep(intervalMs);
    }
    minute = lineMinute;
    batch += line + '\n';
  }
  if (batch.length > 0) await write(out, batch);
}
