/**
 * The pcap/pcapng decoder on captures made by real software: the fixtures of
 * scripts/capture-pcap-fixtures.sh (named and dig in network namespaces, tcpdump, dumpcap) and
 * the Zeek project's DNS test traces in ../shared/data/zeek-traces.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { DnsEvent, SourcePosition } from '../src/event.js';
import { BindQueryParser } from '../src/parsers/bind.js';
import { sniffFormat } from '../src/parsers/create.js';
import { Rejection } from '../src/parsers/parser.js';
import { readName } from '../src/parsers/pcap/dns-message.js';
import { PcapDecoder, type PcapDecoderOptions } from '../src/parsers/pcap/pcap-decoder.js';
import type { DecodedRecords } from '../src/parsers/record-decoder.js';
import { LineChunker } from '../src/sources/text-chunk.js';
import { fixtureLines, fixturePath, randomInt, repoPath, seededRandom, withTmpDir } from './helpers.js';

// ---------------------------------------------------------------------------
// Helpers

interface Outcome {
  kind: 'event' | 'skip' | 'quarantine';
  reason: string;
  line: number;
  offset: number;
  time: number;
  event: DnsEvent | null;
}

/** Records every outcome in order, and counts them as RecordPipeline does. */
class Collected implements DecodedRecords {
  readonly outcomes: Outcome[] = [];
  readonly events: DnsEvent[] = [];
  read = 0;
  parsed = 0;
  skipped: Record<string, number> = {};
  quarantined: Record<string, number> = {};

  event(event: DnsEvent): void {
    this.read++;
    this.parsed++;
    this.events.push(event);
    this.outcomes.push({ kind: 'event', reason: '', line: event.position.line, offset: event.position.offset, time: event.time, event });
  }

  reject(rejection: Rejection, _raw: Uint8Array, position: SourcePosition, time: number): void {
    this.read++;
    const by = rejection.skip ? this.skipped : this.quarantined;
    by[rejection.reason] = (by[rejection.reason] ?? 0) + 1;
    this.outcomes.push({ kind: rejection.skip ? 'skip' : 'quarantine', reason: rejection.reason, line: position.line, offset: position.offset, time, event: null });
  }

  get skippedTotal(): number {
    return Object.values(this.skipped).reduce((a, b) => a + b, 0);
  }

  get quarantinedTotal(): number {
    return Object.values(this.quarantined).reduce((a, b) => a + b, 0);
  }
}

/** Decodes `data` as one source, fed in the given pieces (whole by default). */
function decode(data: Buffer, pieces: readonly Buffer[] = [data], options?: PcapDecoderOptions, decoder = new PcapDecoder(options)): Collected {
  const out = new Collected();
  let offset = 0;
  for (const piece of pieces) {
    decoder.push(piece, offset, 'capture', out);
    offset += piece.length;
  }
  decoder.end('capture', out);
  return out;
}

/** `data` cut into pieces of 1 to `max` bytes. */
function randomPieces(data: Buffer, random: () => number, max: number): Buffer[] {
  const pieces: Buffer[] = [];
  for (let at = 0; at < data.length; ) {
    const n = 1 + randomInt(random, max);
    pieces.push(data.subarray(at, at + n));
    at += n;
  }
  return pieces;
}

/** `data` as a file source hands it over: reads of random sizes, cut at the last newline byte by LineChunker. */
function lineChunks(data: Buffer, random: () => number): Buffer[] {
  const chunker = new LineChunker(0, 4096);
  const chunks: Buffer[] = [];
  for (let at = 0; at < data.length; ) {
    const n = 1 + randomInt(random, 3000);
    const chunk = chunker.push(data.subarray(at, at + n));
    if (chunk !== null) chunks.push(chunk.data);
    at += n;
  }
  const last = chunker.end();
  if (last !== null) chunks.push(last.data);
  return chunks;
}

function fixture(name: string): Buffer {
  return readFileSync(fixturePath(`pcap/${name}`));
}

const ZEEK_TRACES = repoPath('../shared/data/zeek-traces/testing/btest/Traces');

function zeekTrace(name: string): Buffer {
  return readFileSync(join(ZEEK_TRACES, name));
}

function allZeekTraces(): string[] {
  const found: string[] = [];
  const walk = (dir: string, prefix: string): void => {
    for (const entry of readdirSync(dir).sort()) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path, `${prefix}${entry}/`);
      else if (entry.endsWith('.pcap') || entry.endsWith('.pcapng')) found.push(`${prefix}${entry}`);
    }
  };
  walk(ZEEK_TRACES, '');
  return found;
}

/**
 * Packets in a capture by a walk independent of the decoder (classic: record headers; pcapng: EPB,
 * SPB and OPB blocks), for exact accounting.
 */
function countPackets(data: Buffer): number {
  const magic = data.readUInt32BE(0);
  if (magic === 0x0a0d0d0a) {
    let n = 0;
    let little = true;
    for (let p = 0; p + 12 <= data.length; ) {
      if (data.readUInt32BE(p) === 0x0a0d0d0a) little = data.readUInt32LE(p + 8) === 0x1a2b3c4d;
      const type = little ? data.readUInt32LE(p) : data.readUInt32BE(p);
      const length = little ? data.readUInt32LE(p + 4) : data.readUInt32BE(p + 4);
      if (type === 2 || type === 3 || type === 6) n++;
      p += length;
    }
    return n;
  }
  const little = data.readUInt32LE(0) === 0xa1b2c3d4 || data.readUInt32LE(0) === 0xa1b23c4d;
  let n = 0;
  for (let p = 24; p + 16 <= data.length; n++) p += 16 + (little ? data.readUInt32LE(p + 8) : data.readUInt32BE(p + 8));
  return n;
}

/** What an event says, without where it was read from (pcap and pcapng offsets differ). */
function facts(e: DnsEvent): Omit<DnsEvent, 'position'> & { line: number } {
  const { position, ...rest } = e;
  return { ...rest, line: position.line };
}

/** A classic pcap with every header field in the other byte order: what a big-endian machine writes. */
function swapPcap(data: Buffer): Buffer {
  const out = Buffer.from(data);
  out.writeUInt32BE(data.readUInt32LE(0), 0);
  out.writeUInt16BE(data.readUInt16LE(4), 4);
  out.writeUInt16BE(data.readUInt16LE(6), 6);
  for (const at of [8, 12, 16, 20]) out.writeUInt32BE(data.readUInt32LE(at), at);
  for (let p = 24; p + 16 <= data.length; ) {
    for (const at of [0, 4, 8, 12]) out.writeUInt32BE(data.readUInt32LE(p + at), p + at);
    p += 16 + data.readUInt32LE(p + 8);
  }
  return out;
}

/** A little-endian pcapng (SHB, IDB, EPB and their options) rewritten big-endian. */
function swapPcapng(data: Buffer): Buffer {
  const out = Buffer.from(data);
  const u32 = (at: number): void => void out.writeUInt32BE(data.readUInt32LE(at), at);
  const u16 = (at: number): void => void out.writeUInt16BE(data.readUInt16LE(at), at);
  const options = (from: number, end: number, type: number): void => {
    for (let p = from; p + 4 <= end; ) {
      const code = data.readUInt16LE(p);
      const len = data.readUInt16LE(p + 2);
      u16(p);
      u16(p + 2);
      if (type === 1 && code === 14 && len === 8) out.writeBigInt64BE(data.readBigInt64LE(p + 4), p + 4);
      if (code === 0) break;
      p += 4 + ((len + 3) & ~3);
    }
  };
  for (let p = 0; p + 12 <= data.length; ) {
    const type = data.readUInt32LE(p);
    const length = data.readUInt32LE(p + 4);
    u32(p);
    u32(p + 4);
    u32(p + length - 4);
    if (type === 0x0a0d0d0a) {
      u32(p + 8);
      u16(p + 12);
      u16(p + 14);
      out.writeBigInt64BE(data.readBigInt64LE(p + 16), p + 16);
      options(p + 24, p + length - 4, type);
    } else if (type === 1) {
      u16(p + 8);
      u16(p + 10);
      u32(p + 12);
      options(p + 16, p + length - 4, type);
    } else if (type === 6) {
      for (const at of [8, 12, 16, 20, 24]) u32(p + at);
      options(p + 28 + ((data.readUInt32LE(p + 20) + 3) & ~3), p + length - 4, type);
    }
    p += length;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Events, field by field

test('dns-ethernet.pcap: one event per query, paired with its response, field by field', () => {
  const c = decode(fixture('dns-ethernet.pcap'));
  const rows = c.events.map((e) => [
    e.position.line,
    e.clientIp,
    e.clientPort,
    e.serverIp,
    e.qname,
    e.qclass,
    e.qtype,
    e.flags,
    e.rcode ?? null,
    e.answerCount ?? null,
    e.answerTypes?.join(',') ?? null,
    e.queryBytes ?? null,
    e.responseBytes ?? null,
  ]);
  assert.deepEqual(rows, [
    [5, '10.77.0.2', 59433, '10.77.0.1', 'www.example.com', 'IN', 'A', '+E(0)K', 'NOERROR', 1, 'A', 56, 88],
    [7, '10.77.0.2', 52958, '10.77.0.1', 'example.com', 'IN', 'MX', '+E(0)K', 'NOERROR', 1, 'MX', 52, 105],
    [9, '10.77.0.2', 33809, '10.77.0.1', 'example.com', 'IN', 'TXT', '+E(0)K', 'NOERROR', 1, 'TXT', 52, 92],
    [11, '10.77.0.2', 49400, '10.77.0.1', 'www.example.com', 'IN', 'AAAA', '+E(0)K', 'NOERROR', 1, 'AAAA', 56, 100],
    [13, '10.77.0.2', 42379, '10.77.0.1', 'nothere.example.com', 'IN', 'A', '+E(0)K', 'NXDOMAIN', 0, '', 60, 127],
    [15, '10.77.0.2', 44135, '10.77.0.1', 'A\\000b\\.c\\255\\"D.w.example.com', 'IN', 'A', '+E(0)K', 'NOERROR', 1, 'A', 63, 104],
    [17, '10.77.0.2', 48217, '10.77.0.1', 'alias.example.com', 'IN', 'A', '+E(0)K', 'NOERROR', 2, 'CNAME,A', 58, 108],
    [19, '10.77.0.2', 59739, '10.77.0.1', 'nothere.example.org', 'IN', 'A', '+E(0)K', 'REFUSED', 0, '', 60, 76],
    [21, '10.77.0.2', 35628, '10.77.0.1', 'www.example.com', 'IN', 'A', '-', 'NOERROR', 1, 'A', 33, 83],
    [23, '10.77.0.2', 33213, '10.77.0.1', 'example.com', 'IN', 'SOA', '+E(0)DK', 'NOERROR', 1, 'SOA', 52, 119],
    [27, 'fd77::2', 49054, 'fd77::1', 'www.example.com', 'IN', 'AAAA', '+E(0)K', 'NOERROR', 1, 'AAAA', 56, 100],
    [32, '10.77.0.2', 43613, '10.77.0.1', 'www.example.com', 'IN', 'A', '+E(0)TK', 'NOERROR', 1, 'A', 56, 88],
    [42, '10.77.0.2', 41573, '10.77.0.1', 'big.example.com', 'IN', 'TXT', '+E(0)TK', 'NOERROR', 24, 'TXT', 56, 4968],
    [52, '10.77.0.2', 34901, '10.77.0.1', 'a.example.com', 'IN', 'A', '+E(0)TK', 'NOERROR', 1, 'A', 54, 86],
    [56, '10.77.0.2', 34901, '10.77.0.1', 'b.example.com', 'IN', 'A', '+E(0)TK', 'NOERROR', 1, 'A', 54, 86],
    [61, '10.77.0.2', 50532, '10.77.0.1', 'big.example.com', 'IN', 'TXT', '+E(0)', 'NOERROR', 0, '', 44, 44],
    [66, '10.77.0.2', 38559, '10.77.0.1', 'big.example.com', 'IN', 'TXT', '+E(0)T', 'NOERROR', 24, 'TXT', 44, 4940],
    [76, 'fd77::2', 43891, 'fd77::1', 'big.example.com', 'IN', 'TXT', '+E(0)TK', 'NOERROR', 24, 'TXT', 56, 4968],
    // Port 5355 (LLMNR's): nothing listens, ICMP port unreachable: given up at the end, no response facts.
    [84, '10.77.0.2', 36852, '10.77.0.1', 'llmnr-port.example.com', 'IN', 'A', '+E(0)K', null, null, null, 63, null],
  ]);
  for (const e of c.events.slice(0, -1)) {
    assert.ok(e.latencyMs !== undefined && e.latencyMs > 0 && e.latencyMs < 5, `latency of ${e.qname}: ${e.latencyMs}`);
  }
  assert.equal(c.events.at(-1)!.latencyMs, undefined);
  // Capture time, to the microsecond (tshark: frame 5 at 1795451560.694738).
  assert.equal(c.events[0]!.time, 1795451560694.738);
  assert.equal(c.events[0]!.position.offset, 24 + [110, 110, 42, 42].reduce((n, len) => n + 16 + len, 0));
  // Name facts: the raw-byte name counts its bytes un-escaped, like BIND's log of it.
  const raw = c.events[5]!;
  assert.deepEqual([raw.qnameBytes, raw.labels, raw.longestLabel, raw.registeredDomain, raw.nameKind], [22, 4, 8, 'example.com', 'normal']);

  assert.equal(c.read, 87);
  assert.equal(c.read, countPackets(fixture('dns-ethernet.pcap')));
  assert.equal(c.read, c.parsed + c.skippedTotal + c.quarantinedTotal);
  assert.deepEqual(c.skipped, { not_ip: 2, not_dns: 8, response_paired: 18, tcp_no_payload: 40 });
  assert.deepEqual(c.quarantined, {});
});

test('the same queries as named logged them: names, flags, client and server match BIND field by field', () => {
  const c = decode(fixture('dns-ethernet.pcap'));
  const parser = new BindQueryParser();
  const lines = fixtureLines('pcap/dns-ethernet.named.log');
  assert.equal(lines.length, 18);
  for (const [i, line] of lines.entries()) {
    const logged = parser.parse(line, 'named', i + 1, 0);
    assert.ok(!(logged instanceof Rejection), line);
    const seen = c.events.filter((e) => e.clientPort === logged.clientPort && e.qname === logged.qname);
    assert.equal(seen.length, 1, `one capture event for ${line}`);
    const e = seen[0]!;
    for (const key of ['clientIp', 'serverIp', 'qname', 'qnameLower', 'qnameBytes', 'labels', 'longestLabel', 'qclass', 'qtype', 'flags', 'registeredDomain', 'subdomain', 'subdomainBytes', 'nameKind'] as const) {
      assert.equal(e[key], logged[key], `${key} of ${line}`);
    }
    // named logs when it handles the query: within a few milliseconds of the capture.
    assert.ok(Math.abs(e.time - logged.time) < 50, `${e.time} vs ${logged.time}`);
  }
});

test('pcap and pcapng of the same traffic (editcap) give the same events', () => {
  const pcap = decode(fixture('dns-ethernet.pcap'));
  const pcapng = decode(fixture('dns-ethernet.pcapng'));
  assert.deepEqual(pcapng.events.map(facts), pcap.events.map(facts));
  assert.deepEqual(pcapng.skipped, pcap.skipped);
  assert.equal(pcapng.read, pcap.read);
});

test('link types: nanosecond pcap, Linux SLL and SLL2, 802.1Q and QinQ, raw IP, a two-interface pcapng', () => {
  const summary = (c: Collected): string[] =>
    c.events.map((e) => `${e.position.line} ${e.clientIp}#${e.clientPort} ${e.qname} ${e.qtype} ${e.flags} ${e.rcode} ${e.answerCount} ${e.queryBytes}/${e.responseBytes}`);
  const nano = decode(fixture('dns-ethernet-nano.pcap'));
  assert.deepEqual(summary(nano), [
    '1 10.77.0.2#39773 www.example.com A +E(0)K NOERROR 1 56/88',
    '6 10.77.0.2#39225 mail.example.com A +E(0)TK NOERROR 1 57/89',
    '13 fd77::2#52753 nothere.example.com AAAA +E(0)K NXDOMAIN 0 60/127',
  ]);
  // tshark: frame 1 at 1795451561.802005958; nanoseconds survive in the epoch-ms double to ~0.1 µs.
  assert.ok(Math.abs(nano.events[0]!.time - 1795451561802.005958) < 1e-4, String(nano.events[0]!.time));
  // tcprewrite wrote the tagged copies with microsecond timestamps; otherwise the same events.
  for (const tagged of ['dns-vlan.pcap', 'dns-qinq.pcap']) {
    const c = decode(fixture(tagged));
    assert.deepEqual(summary(c), summary(nano), tagged);
    for (const [i, e] of c.events.entries()) {
      const lost = nano.events[i]!.time - e.time; // the nanoseconds tcprewrite truncated
      assert.ok(lost > -1e-6 && lost < 0.001, `${tagged}: ${e.time} vs ${nano.events[i]!.time}`);
    }
    assert.deepEqual(c.skipped, nano.skipped, tagged);
  }
  const sll = decode(fixture('dns-sll.pcap'));
  const sll2 = decode(fixture('dns-sll2.pcap'));
  assert.deepEqual(summary(sll), [
    '1 10.77.0.2#50124 www.example.com A +E(0)K NOERROR 1 56/88',
    '3 fd77::2#43427 www.example.com AAAA +E(0)K NOERROR 1 56/100',
    '8 10.77.0.2#35753 example.com MX +E(0)TK NOERROR 1 52/105',
  ]);
  assert.deepEqual(summary(sll2), summary(sll));
  assert.deepEqual(sll2.skipped, sll.skipped);

  const raw = decode(fixture('dns-raw.pcap'));
  assert.deepEqual(summary(raw), [
    '1 10.77.44.2#49328 www.example.com A +E(0)K NOERROR 1 56/88',
    '3 fd44::2#58245 www.example.com AAAA +E(0)K NOERROR 1 56/100',
    '8 10.77.44.2#33957 big.example.com TXT +E(0)TK NOERROR 24 56/4968',
  ]);
  // The 4,968-byte answer came in five segments: four wait for the rest of the message.
  assert.deepEqual(raw.skipped, { response_paired: 3, tcp_no_payload: 12, tcp_partial_message: 4 });

  const multi = decode(fixture('dns-multi-interface.pcapng'));
  assert.deepEqual(summary(multi), [
    '1 10.77.0.2#43140 www.example.com A +E(0)K NOERROR 1 56/88',
    '3 10.77.44.2#44546 mail.example.com A +E(0)K NOERROR 1 57/89',
    '5 fd44::2#34961 www.example.com AAAA +E(0)K NOERROR 1 56/100',
  ]);
  for (const c of [nano, sll, sll2, raw, multi]) assert.equal(c.read, c.parsed + c.skippedTotal + c.quarantinedTotal);
});

test('big-endian files (every header field byte-swapped) give the same events', () => {
  for (const name of ['dns-ethernet.pcap', 'dns-ethernet-nano.pcap', 'dns-raw.pcap']) {
    const swapped = swapPcap(fixture(name));
    assert.equal(swapped.readUInt32BE(0) >>> 16, 0xa1b2);
    assert.equal(sniffFormat(swapped), 'pcap');
    assert.deepEqual(decode(swapped).outcomes, decode(fixture(name)).outcomes, name);
  }
  for (const name of ['dns-ethernet.pcapng', 'dns-multi-interface.pcapng']) {
    const swapped = swapPcapng(fixture(name));
    assert.equal(swapped.readUInt32BE(8), 0x1a2b3c4d);
    assert.equal(sniffFormat(swapped), 'pcap');
    assert.deepEqual(decode(swapped).outcomes, decode(fixture(name)).outcomes, name);
  }
});

/** The blocks of a little-endian pcapng: type, start, total length. */
function pcapngBlocks(data: Buffer): Array<{ type: number; start: number; length: number }> {
  const blocks: Array<{ type: number; start: number; length: number }> = [];
  for (let p = 0; p + 12 <= data.length; p += data.readUInt32LE(p + 4)) blocks.push({ type: data.readUInt32LE(p), start: p, length: data.readUInt32LE(p + 4) });
  return blocks;
}

function block(type: number, body: Buffer): Buffer {
  const b = Buffer.alloc(12 + body.length);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(b.length, 4);
  body.copy(b, 8);
  b.writeUInt32LE(b.length, b.length - 4);
  return b;
}

test('pcapng: unknown and metadata blocks skipped by length, sections restart interfaces, SPB and OPB carry packets', () => {
  const multi = fixture('dns-multi-interface.pcapng');
  const base = decode(multi);
  const blocks = pcapngBlocks(multi);
  const firstPacket = blocks.find((b) => b.type === 6)!;
  const names = (c: Collected): string[] => c.events.map((e) => `${e.position.line} ${e.qname} ${e.qtype} ${e.clientIp}#${e.clientPort} ${e.rcode}`);

  // An unknown block (reported, numbered) and a name resolution block (metadata: silent).
  const nrb = block(4, Buffer.from([0, 0, 0, 0]));
  const unknown = block(0x00000f00, Buffer.alloc(8, 0xee));
  const withBlocks = decode(Buffer.concat([multi.subarray(0, firstPacket.start), nrb, unknown, multi.subarray(firstPacket.start)]));
  assert.deepEqual(withBlocks.skipped, { ...base.skipped, pcapng_unknown_block: 1 });
  assert.deepEqual(withBlocks.outcomes.slice(1).map((o) => ({ ...o, line: o.line - 1, offset: 0, event: null })), base.outcomes.map((o) => ({ ...o, offset: 0, event: null })));

  // Two sections, the second in the other byte order with interfaces of its own (0 = Ethernet, 1 = raw IP).
  const ethernet = fixture('dns-ethernet.pcapng');
  const sections = decode(Buffer.concat([ethernet, swapPcapng(multi)]));
  const first = decode(ethernet);
  // One source: the unanswered LLMNR-port query of the first section waits until the end of the file.
  const byLine = (lines: string[]): string[] => lines.sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
  assert.deepEqual(byLine(names(sections)), [...byLine(names(first)), ...base.events.map((e) => `${e.position.line + 87} ${e.qname} ${e.qtype} ${e.clientIp}#${e.clientPort} ${e.rcode}`)]);

  // Every EPB as an obsolete Packet Block: the same fields where it matters (16-bit interface, 16-bit drops).
  const opb = Buffer.from(multi);
  for (const b of blocks) if (b.type === 6) opb.writeUInt32LE(2, b.start);
  assert.deepEqual(decode(opb).outcomes, base.outcomes);

  // A Simple Packet Block has no timestamp: it takes the last packet's, or is quarantined before any.
  const answer = blocks.filter((b) => b.type === 6)[1]!;
  const captured = multi.readUInt32LE(answer.start + 20);
  const spbBody = Buffer.alloc(4 + ((captured + 3) & ~3));
  spbBody.writeUInt32LE(captured, 0);
  multi.copy(spbBody, 4, answer.start + 28, answer.start + 28 + captured);
  const spb = block(3, spbBody);
  const withSpb = decode(Buffer.concat([multi.subarray(0, answer.start), spb, multi.subarray(answer.start + answer.length)]));
  assert.deepEqual(names(withSpb), names(base));
  assert.equal(withSpb.events[0]!.latencyMs, 0);
  const spbFirst = decode(Buffer.concat([multi.subarray(0, firstPacket.start), spb, multi.subarray(firstPacket.start)]));
  assert.deepEqual(spbFirst.outcomes[0], { kind: 'quarantine', reason: 'pcapng_no_timestamp', line: 1, offset: firstPacket.start, time: NaN, event: null });
});

test('mDNS and LLMNR ports: multicast queries are events, announcements without a question are skipped, the unicast-response bit is not class', () => {
  const data = zeekTrace('var-services-std-ports.pcap');
  const c = decode(data);
  const mdns = c.events.filter((e) => e.clientPort === 5353);
  assert.equal(mdns.length, 12);
  assert.deepEqual([mdns[1]!.clientIp, mdns[1]!.serverIp, mdns[1]!.qname, mdns[1]!.qtype, mdns[1]!.qclass, mdns[1]!.position.line], ['172.16.238.131', '224.0.0.251', '1.238.16.172.in-addr.arpa', 'PTR', 'IN', 31]);
  assert.equal(c.skipped.dns_no_question, 5);
  // Record 31 with the QU bit set in its class, then the same question on port 53, where the bit is class.
  let p = 24;
  for (let n = 1; n < 31; n++) p += 16 + data.readUInt32LE(p + 8);
  const length = data.readUInt32LE(p + 8);
  const record = Buffer.from(data.subarray(p, p + 16 + length));
  const classAt = record.length - 2;
  assert.equal(record.readUInt16BE(classAt), 1);
  record.writeUInt16BE(0x8001, classAt);
  const qu = decode(Buffer.concat([data.subarray(0, 24), record]));
  assert.equal(qu.events[0]!.qclass, 'IN');
  record.writeUInt16BE(53, 16 + 14 + 20); // UDP source port
  record.writeUInt16BE(53, 16 + 14 + 22); // UDP destination port
  assert.equal(decode(Buffer.concat([data.subarray(0, 24), record])).events[0]!.qclass, 'CLASS32769');
});

test('format detection by magic bytes: pcap (µs, ns) and pcapng are `pcap`', () => {
  for (const name of ['dns-ethernet.pcap', 'dns-ethernet-nano.pcap', 'dns-ethernet.pcapng', 'dns-multi-interface.pcapng', 'dns-sll2.pcap']) {
    assert.equal(sniffFormat(fixture(name)), 'pcap', name);
  }
  assert.notEqual(sniffFormat(readFileSync(fixturePath('pcap/dns-ethernet.named.log'))), 'pcap');
});

// ---------------------------------------------------------------------------
// Chunk boundaries

test('records cut anywhere: 1-byte pieces, random pieces and newline-cut chunks give the same outcomes', () => {
  const random = seededRandom(20261123);
  for (const name of ['dns-ethernet.pcap', 'dns-ethernet.pcapng', 'dns-raw.pcap', 'dns-multi-interface.pcapng', 'dns-sll2.pcap', 'dns-qinq.pcap']) {
    const data = fixture(name);
    const whole = decode(data).outcomes;
    const bytes = [...data].map((_, i) => data.subarray(i, i + 1));
    assert.deepEqual(decode(data, bytes).outcomes, whole, `${name} in 1-byte pieces`);
    for (let round = 0; round < 20; round++) {
      assert.deepEqual(decode(data, randomPieces(data, random, 1 + randomInt(random, 2000))).outcomes, whole, `${name} random pieces, round ${round}`);
      assert.deepEqual(decode(data, lineChunks(data, random)).outcomes, whole, `${name} newline-cut chunks, round ${round}`);
    }
  }
});

test('a source stopped in the middle of a record (SIGTERM): the part read is not reported as a truncated record; the records before it are unchanged', () => {
  const data = fixture('dns-ethernet-nano.pcap');
  // Record 6 (the TCP query) starts at 546: stop 20 bytes into it.
  const piece = data.subarray(0, 546 + 20);
  const decoder = new PcapDecoder();
  const stopped = new Collected();
  decoder.push(piece, 0, 'capture', stopped);
  decoder.end('capture', stopped, true);
  const ended = decode(piece);
  assert.deepEqual(stopped.outcomes, ended.outcomes.slice(0, -1), 'the same outcomes, less the truncated record');
  assert.equal(ended.outcomes.at(-1)!.reason, 'pcap_truncated_record');
  assert.deepEqual(stopped.quarantined, {});
});

test('a file cut short: records before the cut unchanged, the cut record quarantined; a damaged length stops the file', () => {
  const data = fixture('dns-ethernet-nano.pcap');
  const whole = decode(data);
  // Record 6 (the TCP query) starts at 546.
  const cut = decode(data.subarray(0, 546 + 20));
  const before = whole.outcomes.filter((o) => o.line < 6 && o.kind !== 'event');
  assert.deepEqual(cut.outcomes.filter((o) => o.kind !== 'event').slice(0, -1), before);
  assert.deepEqual(cut.outcomes.at(-1), { kind: 'quarantine', reason: 'pcap_truncated_record', line: 6, offset: 546, time: NaN, event: null });
  // The query of record 1 was answered before the cut; nothing else became an event.
  assert.deepEqual(cut.events.map((e) => e.qname), ['www.example.com']);

  const damaged = Buffer.from(data);
  damaged.writeUInt32LE(0x7ffffff0, 546 + 8); // captured length of record 6
  const d = decode(damaged);
  assert.deepEqual(d.quarantined, { pcap_bad_record_length: 1 });
  assert.equal(d.outcomes.at(-1)!.offset, 546);
  assert.equal(Math.max(...d.outcomes.map((o) => o.line)), 6);

  assert.deepEqual(decode(Buffer.from('not a capture\n')).quarantined, { pcap_bad_magic: 1 });
});

test('one decoder, several sources: numbering and pairing start afresh at each source', () => {
  const decoder = new PcapDecoder();
  const a = fixture('dns-sll.pcap');
  const b = fixture('dns-ethernet-nano.pcap');
  decode(a, [a], undefined, decoder);
  assert.deepEqual(decode(b, [b], undefined, decoder).outcomes, decode(b).outcomes);
  assert.deepEqual(decoder.state, { waitingQueries: 0, evictedQueries: 0, tcpFlows: 0, tcpBufferedBytes: 0 });
});

/** The records of a little-endian classic pcap: header and frame, to rearrange. */
function pcapRecords(data: Buffer): { header: Buffer; records: Array<{ head: Buffer; frame: Buffer }> } {
  const records: Array<{ head: Buffer; frame: Buffer }> = [];
  for (let p = 24; p + 16 <= data.length; ) {
    const length = data.readUInt32LE(p + 8);
    records.push({ head: data.subarray(p, p + 16), frame: data.subarray(p + 16, p + 16 + length) });
    p += 16 + length;
  }
  return { header: data.subarray(0, 24), records };
}

function pcapFrom(header: Buffer, records: Array<{ head: Buffer; frame: Buffer }>): Buffer {
  return Buffer.concat([header, ...records.flatMap((r) => [r.head, r.frame])]);
}

test('DNS over TCP: segments out of order, retransmitted, lost; several messages in one segment', () => {
  // dns-raw.pcap: the 4,968-byte TXT answer is records 10, 12, 14, 16 and 18 (0-based 9, 11, 13, 15, 17).
  const { header, records } = pcapRecords(fixture('dns-raw.pcap'));
  const base = decode(pcapFrom(header, records));
  const answered = (c: Collected): string[] => c.events.map((e) => `${e.qname} ${e.rcode} ${e.answerCount} ${e.responseBytes} ${e.latencyMs}`);

  const swapped = [...records];
  [swapped[11], swapped[13]] = [swapped[13]!, swapped[11]!];
  const reordered = decode(pcapFrom(header, swapped));
  assert.deepEqual(answered(reordered), answered(base));
  // 14 is held until 12 fills the gap; then 12 (with 14) still leaves the message unfinished.
  assert.deepEqual(base.skipped, { response_paired: 3, tcp_no_payload: 12, tcp_partial_message: 4 });
  assert.deepEqual(reordered.skipped, { response_paired: 3, tcp_no_payload: 12, tcp_partial_message: 3, tcp_out_of_order: 1 });

  const resent = decode(pcapFrom(header, [...records.slice(0, 12), records[11]!, ...records.slice(12)]));
  assert.deepEqual(answered(resent), answered(base));
  assert.deepEqual(resent.skipped, { ...base.skipped, tcp_retransmission: 1 });

  // Segment 12 never captured: the rest waits for it, so the TCP query is given up unanswered.
  const lost = decode(pcapFrom(header, [...records.slice(0, 11), ...records.slice(12)]));
  assert.deepEqual(lost.events.map((e) => `${e.qname} ${e.rcode}`), ['www.example.com NOERROR', 'www.example.com NOERROR', 'big.example.com undefined']);
  assert.deepEqual(lost.skipped, { response_paired: 2, tcp_no_payload: 12, tcp_partial_message: 1, tcp_out_of_order: 3 });

  // dns-ethernet.pcap records 52 and 56: `a.example.com` and `b.example.com` on one connection.
  // Put b's [length][message] into a's segment: one packet, two messages, two events.
  const eth = pcapRecords(fixture('dns-ethernet.pcap'));
  const a = eth.records[51]!;
  const b = eth.records[55]!;
  const tcpPayload = (frame: Buffer): Buffer => frame.subarray(14 + 20 + (frame[14 + 20 + 12]! >> 4) * 4);
  const frame = Buffer.concat([a.frame, tcpPayload(b.frame)]);
  frame.writeUInt16BE(frame.length - 14, 14 + 2); // IPv4 total length
  const head = Buffer.from(a.head);
  head.writeUInt32LE(frame.length, 8);
  head.writeUInt32LE(frame.length, 12);
  const merged = [...eth.records.slice(0, 51), { head, frame }, ...eth.records.slice(52, 55), ...eth.records.slice(56)];
  const two = decode(pcapFrom(eth.header, merged));
  const pair = two.events.filter((e) => e.clientPort === 34901);
  assert.deepEqual(pair.map((e) => [e.position.line, e.qname, e.rcode, e.answerTypes?.join(',')]), [
    [52, 'a.example.com', 'NOERROR', 'A'],
    [52, 'b.example.com', 'NOERROR', 'A'],
  ]);
  assert.equal(two.read, merged.length + 1, 'the segment with two messages counts twice');
  assert.equal(two.read, two.parsed + two.skippedTotal + two.quarantinedTotal);
});

// ---------------------------------------------------------------------------
// Zeek's DNS traces

test('every Zeek trace decodes without throwing, every packet accounted for exactly once', () => {
  const traces = allZeekTraces();
  assert.ok(traces.length >= 76, `found ${traces.length} traces`);
  for (const name of traces) {
    const data = zeekTrace(name);
    const c = decode(data);
    assert.equal(c.read, c.parsed + c.skippedTotal + c.quarantinedTotal, name);
    // Every packet has an outcome; only a TCP segment completing several messages has more than one.
    const packets = countPackets(data);
    const lines = new Set(c.outcomes.map((o) => o.line));
    assert.equal(lines.size, packets, name);
    for (let n = 1; n <= packets; n++) assert.ok(lines.has(n), `${name}: packet ${n} has an outcome`);
    assert.equal(c.read, packets, `${name}: no segment here carries two messages`);
    for (const e of c.events) assert.ok(Number.isFinite(e.time) && e.qname.length > 0, name);
  }
});

test('Zeek traces: BSD loopback, raw IPv4/IPv6, VLAN, DNS over TCP, extended rcode, SVCB/HTTPS, cookies, fragments', () => {
  const line = (e: DnsEvent): string =>
    `${e.clientIp}#${e.clientPort}>${e.serverIp} ${e.qname} ${e.qtype} ${e.flags} ${e.rcode} ${e.answerCount} ${e.answerTypes?.join(',')} ${e.queryBytes}/${e.responseBytes} ${e.latencyMs}`;
  const events = (name: string): string[] => decode(zeekTrace(name)).events.map(line);
  // LINKTYPE_NULL (macOS loopback)
  assert.deepEqual(events('dns-svcb.pcap'), ['127.0.0.1#57549>127.0.0.1 example.com SVCB +E(0)K NOERROR 1 SVCB 52/71 0.339']);
  // LINKTYPE_IPV4, an rcode in the OPT record's extended bits
  assert.deepEqual(events('dns/dns_extended_rcode.pcap'), ['192.168.1.100#31337>192.168.1.53 test.example.com A +E(0) BADVERS 0  45/45 0.348']);
  // LINKTYPE_RAW over IPv6
  assert.deepEqual(events('dns/ech.pcap'), [
    '2a02:6bf:8080:165::1:12#55941>2620:fe::fe defo.ie HTTPS +E(0)K NOERROR 1 HTTPS 48/277 21.938',
    '2a02:6bf:8080:165::1:12#39419>2620:fe::fe cloudflare-ech.com HTTPS +E(0)K NOERROR 1 HTTPS 59/195 77.175',
  ]);
  // 802.1Q-tagged Ethernet, DNSSEC OK and checking disabled
  assert.deepEqual(events('dns/sshfp-trunc.pcap'), [
    '128.3.121.180#54109>192.188.22.52 mon.lbl.gov SSHFP -E(0)DC NOERROR 9 SSHFP,RRSIG 40/527 0.2',
    '128.3.121.180#54109>192.188.22.52 n0019.savio1.lbl.gov A -E(0)D NXDOMAIN 0  49/750 0.225',
  ]);
  // Eleven queries and answers on one TCP connection
  const long = decode(zeekTrace('dns/long-connection.pcap'));
  assert.equal(long.events.length, 11);
  assert.deepEqual(long.skipped, { response_paired: 11 });
  assert.equal(line(long.events[10]!), '192.168.170.8#32795>192.168.170.20 www.isc.org ANY + NOERROR 2 AAAA,A 29/73 72.604');
  // A query in three TCP segments (TKEY, 3,245 bytes)
  const tkey = decode(zeekTrace('dns/tkey.pcap'));
  assert.deepEqual(tkey.events.map(line), ['192.168.1.106#50138>192.168.1.108 1068-ms-7.309-2c6e448.7a9463b8-b109-11ed-26a3-080027f220e5 TKEY -T NOERROR 1 TKEY 3245/481 1.401']);
  assert.equal(tkey.skipped.tcp_partial_message, 2);
  // EDNS cookies over TCP
  assert.deepEqual(events('dns-edns-cookie.pcap').map((l) => l.split(' ').slice(1, 4).join(' ')), ['wikipedia.org A +E(0)TK', 'wikipedia.org A +E(0)TK']);
  // A response in IPv6 fragments: skipped, so its query (sent twice) is given up without one
  const fragmented = decode(zeekTrace('ipv6-fragmented-dns.pcap'));
  assert.deepEqual(fragmented.skipped, { response_paired: 1, ip_fragment: 4 });
  assert.deepEqual(fragmented.events.map((e) => [e.position.line, e.qname, e.rcode ?? null]), [
    [1, 'txtpadding_323.n1.netalyzr.icsi.berkeley.edu', 'NOERROR'],
    [3, 'txtpadding_3230.n1.netalyzr.icsi.berkeley.edu', null],
    [5, 'txtpadding_3230.n1.netalyzr.icsi.berkeley.edu', null],
  ]);
  // A response whose query is not in the capture is still an event, from its question
  const orphan = decode(zeekTrace('dns/max-compression-depth.pcap')).events;
  assert.deepEqual(orphan.map((e) => [e.clientIp, e.clientPort, e.serverIp, e.qname, e.flags, e.rcode, e.answerCount, e.queryBytes, e.responseBytes, e.latencyMs]), [
    ['5.6.7.8', 53, '1.2.3.4', 'a', '', 'NOERROR', 7, undefined, 132, undefined],
  ]);
  // Names with compression loops are quarantined; NOTIFY and UPDATE are not queries; FDDI is not read
  assert.deepEqual(decode(zeekTrace('dns/dns-invalid-names.pcap')).quarantined, { dns_bad_question: 3 });
  assert.deepEqual(decode(zeekTrace('dns/dynamic-update.pcap')).skipped, { dns_not_query_opcode: 4 });
  assert.deepEqual(decode(zeekTrace('dns-inverse-query.pcap')).skipped, { link_unsupported: 11 });
  // A pcapng with two interfaces of its own
  assert.deepEqual(events('pcapng-multi-interface.pcapng').map((l) => l.split(' ').slice(1, 3).join(' ')), ['www.apple.com A', 'google.com A', 'google.com AAAA']);
});

// ---------------------------------------------------------------------------
// Names from the wire

test('wire names in BIND presentation form: specials escaped, other bytes as \\DDD, compression backwards only', () => {
  const wire = (...labels: number[][]): Buffer => Buffer.from([...labels.flatMap((l) => [l.length, ...l]), 0]);
  const ascii = (s: string): number[] => [...Buffer.from(s, 'latin1')];
  assert.equal(readName(wire(ascii('www'), ascii('Example'), ascii('com')), 0), 'www.Example.com');
  assert.equal(readName(Buffer.from([0]), 0), '.');
  assert.equal(readName(wire(ascii('a.b"c(d)e;f\\g@h$i'), ascii('x')), 0), 'a\\.b\\"c\\(d\\)e\\;f\\\\g\\@h\\$i.x');
  assert.equal(readName(wire([0, 9, 32, 127, 128, 255, 0x41]), 0), '\\000\\009\\032\\127\\128\\255A');
  // A pointer back to an earlier name, and the name it points into.
  const message = Buffer.concat([wire(ascii('example'), ascii('com')), Buffer.from([3, ...ascii('www'), 0xc0, 0])]);
  assert.equal(readName(message, 13), 'www.example.com');
  assert.equal(readName(Buffer.from([3, ...ascii('abc'), 0xc0, 0]), 0), null, 'a pointer to itself');
  assert.equal(readName(Buffer.from([0xc0, 2, 1, 0x61, 0]), 0), null, 'a forward pointer');
  assert.equal(readName(Buffer.from([5, 0x61]), 0), null, 'a label past the end');
  assert.equal(readName(Buffer.from([0x41, 0]), 0), null, 'an extended label type');
  const long = wire(...Array.from({ length: 4 }, () => Array(63).fill(0x61) as number[]));
  assert.equal(readName(long, 0), null, '4 × 63-byte labels are 257 bytes on the wire');
  assert.equal(readName(long.subarray(64), 0)?.length, 3 * 63 + 2);
});

// ---------------------------------------------------------------------------
// Bounds

/** The first UDP query frame of the tunnel-like capture (Ethernet, IPv4 without options), and the file header. */
function tunnelQueryFrame(): { header: Buffer; frame: Buffer } {
  const data = fixture('tunnel-like.pcap');
  const length = data.readUInt32LE(24 + 8);
  return { header: data.subarray(0, 24), frame: data.subarray(40, 40 + length) };
}

function pcapOf(header: Buffer, records: Array<{ frame: Buffer; microseconds: number }>): Buffer {
  const parts: Buffer[] = [header];
  for (const r of records) {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(Math.floor(r.microseconds / 1e6), 0);
    h.writeUInt32LE(r.microseconds % 1e6, 4);
    h.writeUInt32LE(r.frame.length, 8);
    h.writeUInt32LE(r.frame.length, 12);
    parts.push(h, r.frame);
  }
  return Buffer.concat(parts);
}

test('a flood of unanswered queries: the pairing table stays bounded and every query is still one event', () => {
  const { header, frame } = tunnelQueryFrame();
  assert.equal(frame.readUInt16BE(12), 0x0800);
  const records: Array<{ frame: Buffer; microseconds: number }> = [];
  const N = 120_000;
  for (let i = 0; i < N; i++) {
    const f = Buffer.from(frame);
    f.writeUInt16BE(1024 + (i >> 16), 34); // UDP source port
    f.writeUInt16BE(i & 0xffff, 42); // DNS id
    records.push({ frame: f, microseconds: 1_700_000_000_000_000 + i }); // all within 0.12 s
  }
  const decoder = new PcapDecoder();
  const out = new Collected();
  decoder.push(pcapOf(header, records), 0, 'flood', out);
  assert.deepEqual(decoder.state, { waitingQueries: 50_000, evictedQueries: 70_000, tcpFlows: 0, tcpBufferedBytes: 0 });
  assert.equal(out.parsed, 70_000);
  decoder.end('flood', out);
  assert.equal(out.parsed, N);
  assert.equal(new Set(out.events.map((e) => e.position.line)).size, N);
  assert.equal(decoder.state.waitingQueries, 0);

  // Spread over time instead, the timeout gives queries up long before the table fills.
  const slow = new PcapDecoder();
  const spread = records.slice(0, 5000).map((r, i) => ({ frame: r.frame, microseconds: 1_700_000_000_000_000 + i * 100_000 }));
  const out2 = new Collected();
  slow.push(pcapOf(header, spread), 0, 'slow', out2);
  assert.ok(slow.state.waitingQueries <= 101, String(slow.state.waitingQueries));
  assert.equal(slow.state.evictedQueries, 0);
  slow.end('slow', out2);
  assert.equal(out2.parsed, 5000);
});

test('a flood of TCP flows that never finish a message: the flow table and its buffers stay bounded', () => {
  const data = fixture('dns-ethernet.pcap');
  // Record 32 is the TCP query for www.example.com: [length 2][message 56] after a 32-byte TCP header.
  let p = 24;
  for (let n = 1; n < 32; n++) p += 16 + data.readUInt32LE(p + 8);
  const frame = data.subarray(p + 16, p + 16 + data.readUInt32LE(p + 8));
  const tcpAt = 14 + 20;
  assert.equal(frame.readUInt16BE(tcpAt + 2), 53);
  const dataAt = tcpAt + (frame[tcpAt + 12]! >> 4) * 4;
  assert.equal(frame.readUInt16BE(dataAt), 56);
  const records: Array<{ frame: Buffer; microseconds: number }> = [];
  for (let i = 0; i < 20_000; i++) {
    const f = Buffer.from(frame);
    f.writeUInt16BE(1024 + (i % 60_000), tcpAt); // source port: a new flow each
    f.writeUInt8(10 + Math.floor(i / 60_000), 14 + 12 + 3); // source address
    f.writeUInt16BE(4000, dataAt); // a message longer than what follows: never complete
    records.push({ frame: f, microseconds: 1_700_000_000_000_000 + i });
  }
  const decoder = new PcapDecoder({ maxTcpFlows: 1000, maxTcpBytes: 40_000 });
  const out = decode(pcapOf(tunnelQueryFrame().header, records), undefined, undefined, decoder);
  assert.deepEqual(out.skipped, { tcp_partial_message: 20_000 });
  const bounded = new PcapDecoder({ maxTcpFlows: 1000, maxTcpBytes: 40_000 });
  bounded.push(pcapOf(tunnelQueryFrame().header, records), 0, 'tcp', new Collected());
  assert.ok(bounded.state.tcpFlows <= 1000, String(bounded.state.tcpFlows));
  assert.ok(bounded.state.tcpBufferedBytes <= 40_000, String(bounded.state.tcpBufferedBytes));
  assert.ok(bounded.state.tcpFlows > 600, 'the bound on bytes, 40,000 / 58, is what limits here');
});

// ---------------------------------------------------------------------------
// Hostile input

test('seeded mutation fuzz: 100,000 damaged captures never throw, and every record keeps one outcome', () => {
  const random = seededRandom(0x9ca9);
  const seeds = [
    fixture('dns-ethernet-nano.pcap'),
    fixture('dns-sll2.pcap'),
    fixture('dns-raw.pcap'),
    fixture('dns-multi-interface.pcapng'),
    fixture('dns-qinq.pcap'),
    swapPcap(fixture('dns-sll.pcap')),
    swapPcapng(fixture('dns-multi-interface.pcapng')),
    zeekTrace('dns-svcb.pcap'),
    zeekTrace('dns/dns_extended_rcode.pcap'),
    zeekTrace('dns/tkey.pcap'),
    zeekTrace('dns-edns-cookie.pcap'),
    zeekTrace('pcapng-multi-interface.pcapng'),
  ];
  const extremes = [0, 1, 0xff, 0xffff, 0x7fffffff, 0xffffffff, 12, 16, 28, 0xc0c0c0c0];
  const mutate = (input: Buffer): Buffer => {
    let b = Buffer.from(input);
    for (let k = 1 + randomInt(random, 4); k > 0; k--) {
      // Half the edits land in the first 128 bytes: file, block and packet headers live there.
      const at = random() < 0.5 ? randomInt(random, Math.min(b.length, 128)) : randomInt(random, b.length);
      switch (randomInt(random, 7)) {
        case 0:
          b[at] = randomInt(random, 256);
          break;
        case 1:
          b = b.subarray(0, at);
          break;
        case 2:
          b = Buffer.concat([b.subarray(0, at), Buffer.from(Array.from({ length: 1 + randomInt(random, 8) }, () => randomInt(random, 256))), b.subarray(at)]);
          break;
        case 3:
          b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + randomInt(random, 16))]);
          break;
        case 4:
          if (at + 4 <= b.length) b.writeUInt32LE(extremes[randomInt(random, extremes.length)]!, at - (at % 4));
          break;
        case 5: {
          // A DNS-ish spot: the low bits of a length or count.
          if (at + 2 <= b.length) b.writeUInt16BE(randomInt(random, 0x10000), at);
          break;
        }
        default: {
          const from = randomInt(random, b.length);
          b = Buffer.concat([b.subarray(0, at), b.subarray(from, from + 1 + randomInt(random, 64)), b.subarray(at)]);
        }
      }
      if (b.length === 0) break;
    }
    return b;
  };
  let events = 0;
  let quarantined = 0;
  for (let i = 0; i < 100_000; i++) {
    const input = mutate(seeds[i % seeds.length]!);
    let c: Collected;
    try {
      c = decode(input);
    } catch (error) {
      assert.fail(`input ${i} (${input.toString('hex')}) threw: ${(error as Error).stack}`);
    }
    assert.equal(c.read, c.parsed + c.skippedTotal + c.quarantinedTotal);
    // Records are numbered 1..n with none missing; each outcome is for a record that was read.
    const lines = new Set(c.outcomes.map((o) => o.line));
    for (let n = 1; n <= lines.size; n++) if (!lines.has(n)) assert.fail(`input ${i}: record ${n} has no outcome (${input.toString('hex')})`);
    for (const e of c.events) {
      if (!Number.isFinite(e.time) || e.qname.length === 0 || e.clientPort < 0 || e.clientPort > 65535 || e.qnameBytes > 255) {
        assert.fail(`input ${i}: bad event ${JSON.stringify(e)}`);
      }
    }
    if (i % 50 === 0) assert.deepEqual(decode(input, randomPieces(input, random, 64)).outcomes, c.outcomes, `input ${i} in pieces`);
    events += c.parsed;
    quarantined += c.quarantinedTotal;
  }
  // The damage reached every layer: some inputs still give events, many are quarantined.
  assert.ok(events > 50_000 && quarantined > 20_000, `${events} events, ${quarantined} quarantined`);
});

// ---------------------------------------------------------------------------
// The command line

test('tunnelwatch detect on a capture of tunnel-like traffic: --format pcap, auto, and --workers 2 all alert', () =>
  withTmpDir((cwd) => {
    const capture = fixturePath('pcap/tunnel-like.pcap');
    for (const extra of [['--format', 'pcap'], [], ['--workers', '2']]) {
      const r = spawnSync(process.execPath, [repoPath('dist/src/cli.js'), 'detect', capture, ...extra], { cwd, encoding: 'utf8', timeout: 60_000 });
      const what = `detect ${extra.join(' ')}:\n${r.stdout}\n${r.stderr}`;
      assert.equal(r.status, 0, what);
      const alerts = r.stdout.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as { dns: { question: { registered_domain: string; type: string } }; tunnelwatch: { clients: Array<{ ip: string }> } });
      assert.equal(alerts.length, 1, what);
      assert.equal(alerts[0]!.dns.question.registered_domain, 'example.net');
      assert.equal(alerts[0]!.dns.question.type, 'TXT');
      assert.deepEqual(alerts[0]!.tunnelwatch.clients.map((c) => c.ip), ['10.77.0.2']);
      assert.match(r.stderr, /parsed\s+197\b/, what);
      assert.match(r.stderr, /skipped\s+195 \(response_paired=195\)/, what);
      assert.match(r.stderr, /lines read\s+392\b/, what);
    }
  }));
