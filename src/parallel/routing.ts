/**
 * The coordinator's pass over a chunk, once for all workers: each line's end,
 * event time, what the parser's `locate` found in it and its owning partition,
 * laid out in one SharedArrayBuffer beside the bytes so workers read it without a copy.
 *
 *   [ times: Float64 × n ][ ends: Int32 × n ][ located: Int32 × n × LOCATED_FIELDS ][ owners: Uint8 × n ][ pad ][ data bytes ]
 *
 * A worker then decodes and parses only its own lines, without locating them
 * again where the parser can take back what `locate` found (profiles showed the
 * second `locate` at about a fifteenth of a worker's time); for the others it
 * only moves its clock to the line's time, so every worker keeps the same
 * watermark. Lines rejected before their name is found belong to partition 0;
 * header lines (HEADER_REASON) go to every worker's parser and count in partition 0.
 */

/** Owner value of a header line: every worker parses it. */
export const BROADCAST = 255;

/**
 * Hash slots per partition, weighted: partition 0 is the coordinator's own thread, which also reads
 * and routes every line (about a sixth of the per-line work in profiles), so it takes three quarters
 * of a worker's share of the domains; with two threads both are then about equally busy.
 */
export function ownerTable(partitions: number): Uint8Array {
  const slotsPerWorker = 8;
  const local = 6;
  const table = new Uint8Array(local + (partitions - 1) * slotsPerWorker);
  for (let i = 0; i < table.length; i++) table[i] = i < local ? 0 : 1 + Math.floor((i - local) / slotsPerWorker);
  return table;
}
import { HEADER_REASON, LOCATED_FIELDS, type LineParser } from '../parsers/parser.js';
import { partitionOfName } from './partition.js';

export interface RoutedChunk {
  buffer: SharedArrayBuffer;
  lines: number;
  dataOffset: number;
  dataLength: number;
}

export interface RoutedView {
  times: Float64Array;
  ends: Int32Array;
  /** Per line, LOCATED_FIELDS numbers from `saveLocated`; the first is -1 where there is nothing to take back. */
  located: Int32Array;
  owners: Uint8Array;
  data: Buffer;
  /** The coordinator's own lines as the routing pass decoded them (by line index), so they are not decoded twice. */
  decoded?: Array<string | undefined>;
}

/** Bytes of routing data per line, before the padding and the line bytes. */
const BYTES_PER_LINE = 8 + 4 + 4 * LOCATED_FIELDS + 1;

/**
 * `owners` maps a name's hash slot (partitionOfName over `owners.length` slots) to the partition
 * that handles it: slots, not partitions, so partitions can take unequal shares. `keep`, when
 * given, receives the decoded text of partition 0's lines (the caller's own, in this thread).
 */
export function routeChunk(data: Buffer, parser: LineParser, owners: Uint8Array, keep?: Array<string | undefined>): RoutedChunk {
  let lines = 0;
  for (let i = data.indexOf(0x0a); i >= 0; i = data.indexOf(0x0a, i + 1)) lines++;
  if (data.length > 0 && data[data.length - 1] !== 0x0a) lines++;
  const dataOffset = align8(lines * BYTES_PER_LINE);
  const buffer = new SharedArrayBuffer(dataOffset + data.length);
  const view = viewOf({ buffer, lines, dataOffset, dataLength: data.length });
  view.data.set(data);
  let start = 0;
  for (let i = 0; i < lines; i++) {
    let nl = data.indexOf(0x0a, start);
    if (nl < 0) nl = data.length;
    const line = data.toString('latin1', start, nl);
    const rejected = parser.locate(line);
    view.times[i] = parser.lastTime;
    view.ends[i] = nl;
    if (rejected === null && parser.saveLocated !== undefined) parser.saveLocated(view.located, i * LOCATED_FIELDS);
    else view.located[i * LOCATED_FIELDS] = -1;
    const owner = rejected === null ? owners[partitionOfName(line, parser.nameStart, parser.nameEnd, owners.length)]! : rejected.reason === HEADER_REASON ? BROADCAST : 0;
    view.owners[i] = owner;
    if (keep !== undefined) keep[i] = owner === 0 ? line : undefined;
    start = nl + 1;
  }
  return { buffer, lines, dataOffset, dataLength: data.length };
}

export function viewOf(chunk: RoutedChunk): RoutedView {
  const { buffer, lines, dataOffset, dataLength } = chunk;
  return {
    times: new Float64Array(buffer, 0, lines),
    ends: new Int32Array(buffer, lines * 8, lines),
    located: new Int32Array(buffer, lines * 12, lines * LOCATED_FIELDS),
    owners: new Uint8Array(buffer, lines * (12 + 4 * LOCATED_FIELDS), lines),
    data: Buffer.from(buffer, dataOffset, dataLength),
  };
}

function align8(n: number): number {
  return (n + 7) & ~7;
}
