/**
 * `tunnelwatch export`: reads ECS alert JSON lines (what `detect` writes),
 * rolls them up into one indicator per registered domain and writes them as
 * an RPZ zone, a plain domain list, CSV or a STIX 2.1 bundle — to a file
 * (written to a temporary file beside it, then renamed over it, so a resolver
 * or feed reader never sees half a file) or to stdout.
 *
 * Bad input lines and domains refused by the exporter are counted and
 * reported on `log` (default stderr), never fatal. Attacker-controlled text
 * in that report is escaped to printable ASCII.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { TunnelwatchError } from '../errors.js';
import { toCsv } from '../export/csv.js';
import { toDomains } from '../export/domains.js';
import type { Refusal } from '../export/hostname.js';
import { checkSerial, DEFAULT_RPZ_ZONE, DEFAULT_SINKHOLE, normalizeZoneName, serialFromTime, toRpz, type RpzAction } from '../export/rpz.js';
import { toStix } from '../export/stix.js';
import { DEFAULT_TTL_DAYS, IndicatorRollup } from '../indicators/rollup.js';
import { FileSource, StdinSource } from '../sources/file.js';
import type { LineSource } from '../sources/source.js';

export type ExportFormat = 'rpz' | 'domains' | 'csv' | 'stix';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['rpz', 'domains', 'csv', 'stix'];
export const RPZ_ACTIONS: readonly RpzAction[] = ['nxdomain', 'nodata', 'sinkhole'];

export interface ExportOptions {
  format: ExportFormat;
  /** ECS alert JSONL files (plain or gzip); '-' or none (and no store) for stdin. */
  alerts: string[];
  /** A store written by `detect --store`: its alerts are read too. */
  store?: string;
  /** Output file; stdout when absent or '-'. */
  out?: string;
  /** Reference time (epoch ms) for expiry, STIX created/modified and the default RPZ serial; default now. */
  now?: number;
  /** Indicator lifetime after its last alert, days; default 7. */
  ttlDays?: number;
  /** RPZ zone name; default rpz.tunnelwatch. */
  zone?: string;
  /** RPZ action; default nxdomain. */
  action?: RpzAction;
  /** RPZ sinkhole address (implies action sinkhole); default 0.0.0.0. */
  sinkhole?: string;
  /** RPZ SOA serial; default epoch seconds of `now`. */
  serial?: number;
  includeExpired?: boolean;
  /** Where the report goes; default stderr. */
  log?: (s: string) => void;
}

export interface ExportSummary {
  /** Indicators written. */
  indicators: number;
  /** Indicators whose domain the format refused (RPZ, domains). */
  refused: number;
  /** Input lines that were not valid alerts. */
  badLines: number;
}

const MAX_REPORTED = 10;

/** A path or name for the report: as is when it is plain printable ASCII without quotes or spaces, else `printable`. */
function shown(s: string): string {
  return /^[\x21-\x7e]+$/.test(s) && !s.includes('"') && s.length <= 1000 ? s : printable(s);
}

/** Hostile text made safe for a terminal: JSON-quoted, everything outside printable ASCII as \uXXXX. */
export function printable(s: string, max = 200): string {
  const cut = s.length > max ? s.slice(0, max) : s;
  const quoted = JSON.stringify(cut).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return s.length > max ? `${quoted}…(${s.length} chars)` : quoted;
}

function usage(message: string): never {
  throw new TunnelwatchError('TW_USAGE', message);
}

interface Checked {
  now: number;
  ttlDays: number;
  zone: string;
  action: RpzAction;
  sinkhole: string;
  serial: number;
}

function checkOptions(o: ExportOptions): Checked {
  if (!EXPORT_FORMATS.includes(o.format)) usage(`--format must be one of ${EXPORT_FORMATS.join(', ')}, not ${printable(String(o.format))}`);
  const now = o.now ?? Date.now();
  if (!Number.isFinite(now)) usage('the reference time must be a valid time');
  const ttlDays = o.ttlDays ?? DEFAULT_TTL_DAYS;
  if (!Number.isFinite(ttlDays) || ttlDays < 0) usage(`--ttl-days must be a non-negative number, not ${ttlDays}`);
  const rpzOnly = (['zone', 'action', 'sinkhole', 'serial'] as const).filter((k) => o[k] !== undefined);
  if (o.format !== 'rpz' && rpzOnly.length > 0) usage(`--${rpzOnly[0]} applies to --format rpz only`);
  if (o.action !== undefined && !RPZ_ACTIONS.includes(o.action)) usage(`--action must be one of ${RPZ_ACTIONS.join(', ')}, not ${printable(String(o.action))}`);
  if (o.sinkhole !== undefined && o.action !== undefined && o.action !== 'sinkhole') usage('--sinkhole needs --action sinkhole');
  const action: RpzAction = o.action ?? (o.sinkhole !== undefined ? 'sinkhole' : 'nxdomain');
  let zone = DEFAULT_RPZ_ZONE;
  let serial = 1;
  try {
    zone = normalizeZoneName(o.zone ?? DEFAULT_RPZ_ZONE);
    serial = checkSerial(o.serial ?? serialFromTime(now));
    // Validates the sinkhole address (and everything else) on an empty zone before any input is read.
    if (o.format === 'rpz') toRpz([], { zone, serial, action, sinkhole: o.sinkhole ?? DEFAULT_SINKHOLE });
  } catch (error) {
    usage((error as Error).message);
  }
  return { now, ttlDays, zone, action, sinkhole: o.sinkhole ?? DEFAULT_SINKHOLE, serial };
}

/** Lines of a source, decoded as UTF-8 (what the alert sinks write), without their `\n` / `\r\n`. */
async function* sourceLines(source: LineSource): AsyncGenerator<string> {
  for await (const chunk of source.chunks()) {
    const data = chunk.data;
    let start = 0;
    while (start < data.length) {
      let nl = data.indexOf(0x0a, start);
      if (nl < 0) nl = data.length;
      let end = nl;
      if (end > start && data[end - 1] === 0x0d) end--;
      yield data.toString('utf8', start, end);
      start = nl + 1;
    }
  }
}

/** Writes `text` to `path` through a temporary file in the same directory and a rename. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let handle;
  try {
    handle = await open(tmp, 'wx', 0o644);
    await handle.writeFile(text, 'utf8');
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(tmp, path);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw new TunnelwatchError('TW_OUTPUT', `cannot write ${path}: ${(error as Error).message}`, { cause: error });
  }
}

async function writeStdout(text: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    process.stdout.write(text, (error) => (error ? reject(new TunnelwatchError('TW_OUTPUT', `cannot write stdout: ${error.message}`, { cause: error })) : resolve()));
  });
}

export async function runExport(opts: ExportOptions): Promise<ExportSummary> {
  const log = opts.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const c = checkOptions(opts);

  const rollup = new IndicatorRollup({ now: c.now, ttlDays: c.ttlDays, includeExpired: opts.includeExpired === true });
  if (opts.store !== undefined) {
    // The store keeps each alert's ECS document: the same lines the JSONL file holds.
    const { Store } = await import('../store/store.js'); // DuckDB: loaded only when a store is read
    const store = await Store.open(opts.store, true);
    try {
      const reader = await store.connection.runAndReadAll('SELECT doc::VARCHAR AS doc FROM alerts ORDER BY ts, id');
      let n = 0;
      for (const row of reader.getRowObjectsJS()) rollup.addLine(String(row.doc), opts.store, ++n);
    } finally {
      await store.close();
    }
  }
  const inputs = opts.alerts.length === 0 && opts.store === undefined ? ['-'] : opts.alerts;
  if (inputs.filter((p) => p === '-').length > 1) usage('stdin ("-") can be read only once');
  for (const path of inputs) {
    const source: LineSource = path === '-' ? new StdinSource() : new FileSource(path);
    let n = 0;
    for await (const line of sourceLines(source)) rollup.addLine(line, path, ++n);
  }
  const rolled = rollup.finish();

  const refusals: Refusal[] = [];
  const onRefused = (r: Refusal): void => {
    refusals.push(r);
  };
  let text: string;
  switch (opts.format) {
    case 'rpz':
      text = toRpz(rolled.indicators, { zone: c.zone, serial: c.serial, action: c.action, sinkhole: c.sinkhole, now: c.now, onRefused });
      break;
    case 'domains':
      text = toDomains(rolled.indicators, { onRefused });
      break;
    case 'csv':
      text = toCsv(rolled.indicators);
      break;
    case 'stix':
      text = toStix(rolled.indicators, { now: c.now });
      break;
  }

  if (opts.out === undefined || opts.out === '-') await writeStdout(text);
  else await writeFileAtomic(opts.out, text);

  const summary: ExportSummary = {
    indicators: rolled.indicators.length - refusals.length,
    refused: refusals.length,
    badLines: rolled.badLines,
  };
  const report = [
    `tunnelwatch export (${opts.format}${opts.format === 'rpz' ? `, zone ${c.zone}, ${c.action}, serial ${c.serial}` : ''})` +
      ` → ${opts.out === undefined || opts.out === '-' ? 'stdout' : shown(opts.out)}`,
    `  alerts read       ${rolled.alerts}${rolled.duplicates > 0 ? `  (${rolled.duplicates} duplicates ignored)` : ''}`,
    `  indicators        ${summary.indicators}${rolled.expired > 0 ? `  (${rolled.expired} expired, not exported)` : ''}`,
    `  refused           ${summary.refused}`,
    ...refusals.slice(0, MAX_REPORTED).map((r) => `    ${r.reason}: ${printable(r.domain)}`),
    ...(refusals.length > MAX_REPORTED ? [`    … and ${refusals.length - MAX_REPORTED} more`] : []),
    `  bad input lines   ${rolled.badLines}`,
    ...rolled.badLineExamples.map((b) => `    ${shown(b.source)}:${b.line}: ${b.reason}`),
    ...(rolled.badLines > rolled.badLineExamples.length ? [`    … and ${rolled.badLines - rolled.badLineExamples.length} more`] : []),
  ];
  log(report.join('\n'));
  return summary;
}
