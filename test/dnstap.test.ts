/**
 * The dnstap decoder on files written by a real BIND 9.18 (test/fixtures/dnstap/, see its README),
 * checked field by field against what dnstap-read printed for the same files; on every chunking of
 * the bytes; on built frames for the cases BIND did not produce; and under a seeded mutation fuzz.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { sniffFormat } from '../src/parsers/create.js';
import { addressText } from '../src/parsers/address-text.js';
import { DnstapDecoder } from '../src/parsers/dnstap/decoder.js';
import { questionName } from '../src/parsers/dnstap/dns-message.js';
import { CONTENT_TYPE_DNSTAP, CONTROL, encodeControl, encodeData, looksLikeDnstap } from '../src/parsers/dnstap/frame-stream.js';
import { MESSAGE_TYPE } from '../src/parsers/dnstap/schema.js';
import { LineChunker } from '../src/sources/text-chunk.js';
import {
  Collected,
  dataFrames,
  decodeInPieces,
  decodeWhole,
  dnsQuery,
  dnsResponse,
  dnstapPayload,
  dnstapRead,
  frameStreamFile,
  IPV4_LOCAL,
  type ReadMessage,
} from './dnstap-support.js';
import { fixturePath, mutateLine, randomInt, seededRandom } from './helpers.js';

const RESOLVER = 'dnstap/bind-9.18-resolver.dnstap';
const AUTH = 'dnstap/bind-9.18-auth.dnstap';
const resolverFile = readFileSync(fixturePath(RESOLVER));
const authFile = readFileSync(fixturePath(AUTH));

/** The query's pair in dnstap-read's list: the response to the same client address, port, id and name. */
function responseTo(all: ReadMessage[], q: ReadMessage, type: string): ReadMessage | undefined {
  return all.find((r) => r.type === type && r.queryAddress === q.queryAddress && r.queryPort === q.queryPort && r.id === q.id && r.name.toLowerCase() === q.name.toLowerCase());
}

/** The BIND query-log flags dnstap-read's YAML implies for a query. */
function expectedFlags(q: ReadMessage): string {
  let flags = q.dnsFlags.split(' ').includes('rd') ? '+' : '-';
  if (q.edns !== null) flags += 'E(0)';
  if (q.protocol === 'TCP') flags += 'T';
  if (q.edns !== null && (q.edns.flags ?? '').split(' ').includes('do')) flags += 'D';
  if (q.dnsFlags.split(' ').includes('cd')) flags += 'C';
  if (q.edns?.COOKIE !== undefined) flags += 'K';
  return flags;
}

function checkAgainstDnstapRead(out: Collected, read: ReadMessage[], queryType: string, responseType: string): void {
  const queries = read.map((m, i) => ({ m, line: i + 1 })).filter(({ m }) => m.type === queryType);
  assert.equal(out.events.length, queries.length);
  const byLine = new Map(out.events.map((e) => [e.position.line, e]));
  for (const { m: q, line } of queries) {
    const e = byLine.get(line);
    assert.ok(e !== undefined, `an event for the ${queryType} at record ${line}`);
    const r = responseTo(read, q, responseType);
    assert.ok(r !== undefined, `dnstap-read shows the response to record ${line}`);
    const where = `record ${line} (${q.name})`;
    assert.equal(e.time, q.timeMs, where);
    assert.equal(e.clientIp, q.queryAddress, where);
    assert.equal(e.clientPort, q.queryPort, where);
    assert.equal(e.serverIp, q.responseAddress, where);
    assert.equal(e.qname, q.name, where);
    assert.equal(e.qclass, q.qclass, where);
    assert.equal(e.qtype, q.qtype, where);
    assert.equal(e.queryBytes, q.size, where);
    assert.equal(e.flags, expectedFlags(q), where);
    assert.equal(e.rcode, r.status, where);
    assert.equal(e.answerCount, r.answerCount, where);
    assert.deepEqual(e.answerTypes, r.answerTypes, where);
    assert.equal(e.responseBytes, r.size, where);
    // dnstap-read's one-line time of a response is its response_time only when the frame has no
    // query_time (BIND's CLIENT_RESPONSE); a RESOLVER_RESPONSE carries both and shows the query's.
    if (responseType === 'CLIENT_RESPONSE') assert.ok(e.latencyMs !== undefined && Math.abs(e.latencyMs - (r.timeMs - q.timeMs)) < 1, `${where}: latency ${e.latencyMs} vs ${r.timeMs - q.timeMs}`);
    else assert.ok(e.latencyMs !== undefined && e.latencyMs >= 0 && e.latencyMs < 5000, `${where}: latency ${e.latencyMs}`);
    assert.equal(e.position.source, 'test.dnstap');
  }
}

describe('dnstap files written by BIND 9.18', () => {
  const read = dnstapRead(RESOLVER);

  test('the fixture is what its README says: client, resolver and auth messages', () => {
    const counts: Record<string, number> = {};
    for (const m of read) counts[m.type] = (counts[m.type] ?? 0) + 1;
    assert.deepEqual(counts, { CLIENT_QUERY: 15, CLIENT_RESPONSE: 15, RESOLVER_QUERY: 17, RESOLVER_RESPONSE: 17, AUTH_QUERY: 1, AUTH_RESPONSE: 1 });
    assert.ok(read.some((m) => m.protocol === 'TCP' && m.queryAddress === '::1'), 'IPv6 over TCP');
    assert.ok(read.some((m) => m.status === 'NXDOMAIN'));
    assert.ok(read.some((m) => m.name === 'a\\.b\\200\\\\c.t.example.net'), 'a name with escaped bytes');
  });

  test('every client query is an event whose fields match dnstap-read, with its response facts', () => {
    const out = decodeWhole(resolverFile);
    checkAgainstDnstapRead(out, read, 'CLIENT_QUERY', 'CLIENT_RESPONSE');
    const escaped = out.events.find((e) => e.qname.startsWith('a\\.b'));
    assert.ok(escaped !== undefined);
    assert.equal(escaped.qnameBytes, 'a.b\x80\\c.t.example.net'.length, 'un-escaped length: \\200 and \\\\ are one byte each');
    assert.equal(escaped.registeredDomain, 'example.net');
    const mixed = out.events.find((e) => e.qname === 'WwW.ExAmPlE.cOm');
    assert.equal(mixed?.qnameLower, 'www.example.com');
  });

  test('accounting: read = parsed + skipped + quarantined, every record once, skips named after the message type', () => {
    const out = decodeWhole(resolverFile);
    assert.equal(out.read, read.length);
    assert.deepEqual(out.byReason(), { response_paired: 15, resolver_query: 17, resolver_response: 17, auth_query: 1, auth_response: 1 });
    assert.ok(out.rejected.every((r) => r.skip));
    const lines = [...out.events.map((e) => e.position.line), ...out.rejected.map((r) => r.position.line)].sort((a, b) => a - b);
    assert.deepEqual(lines, read.map((_, i) => i + 1));
    // Offsets: each record at the byte offset of its frame, the first after the START frame.
    const offsets = [...out.events.map((e) => e.position), ...out.rejected.map((r) => r.position)].sort((a, b) => a.line - b.line).map((p) => p.offset);
    assert.equal(offsets[0], 8 + resolverFile.readUInt32BE(4));
    for (let i = 1; i < offsets.length; i++) assert.equal(offsets[i], offsets[i - 1]! + 4 + resolverFile.readUInt32BE(offsets[i - 1]!));
    // Skipped records still move event time on.
    assert.ok(out.rejected.every((r) => Number.isFinite(r.time)));
  });

  test('input.dnstapResolverEvents: the resolver\'s own queries become events (resolver as client, authority as server)', () => {
    const out = decodeWhole(resolverFile, { resolverEvents: true });
    const resolverEvents = new Collected();
    for (const e of out.events) if (e.serverIp === '127.0.53.2') resolverEvents.event(e);
    checkAgainstDnstapRead(resolverEvents, read, 'RESOLVER_QUERY', 'RESOLVER_RESPONSE');
    assert.equal(out.events.length, 15 + 17);
    assert.deepEqual(out.byReason(), { response_paired: 32, auth_query: 1, auth_response: 1 });
  });

  test('an authoritative server\'s file: AUTH_* messages are skipped by type', () => {
    const out = decodeWhole(authFile);
    const authRead = dnstapRead(AUTH);
    assert.equal(out.events.length, 0);
    assert.equal(out.read, authRead.length);
    assert.deepEqual(out.byReason(), { auth_query: authRead.length / 2, auth_response: authRead.length / 2 });
  });

  test('1-byte, random and newline-cut chunks give exactly what one whole buffer gives', () => {
    for (const file of [resolverFile, authFile]) {
      const whole = JSON.stringify(decodeWhole(file, { resolverEvents: true }));
      assert.equal(JSON.stringify(decodeInPieces(file, new Array<number>(file.length).fill(1), { resolverEvents: true })), whole, '1-byte chunks');
      const random = seededRandom(7);
      for (let round = 0; round < 20; round++) {
        const sizes = Array.from({ length: 400 }, () => 1 + randomInt(random, round < 10 ? 64 : 4096));
        assert.equal(JSON.stringify(decodeInPieces(file, sizes, { resolverEvents: true })), whole, `random chunks, round ${round}`);
      }
      // What FileSource hands over: chunks that end at a newline byte.
      const chunker = new LineChunker(0, 64);
      const sizes: number[] = [];
      for (let at = 0; at < file.length; at += 97) {
        const chunk = chunker.push(file.subarray(at, at + 97));
        if (chunk !== null) sizes.push(chunk.data.length);
      }
      const last = chunker.end();
      if (last !== null) sizes.push(last.data.length);
      assert.equal(JSON.stringify(decodeInPieces(file, sizes, { resolverEvents: true })), whole, 'newline-cut chunks');
    }
  });

  test('format detection: a Frame Streams file with the dnstap content type is dnstap, other bytes are not', () => {
    assert.equal(sniffFormat(resolverFile.subarray(0, 4096)), 'dnstap');
    assert.equal(sniffFormat(authFile), 'dnstap');
    assert.ok(looksLikeDnstap(encodeControl(CONTROL.START, [CONTENT_TYPE_DNSTAP])));
    assert.ok(!looksLikeDnstap(encodeControl(CONTROL.START, ['protobuf:other.Type'])));
    assert.ok(!looksLikeDnstap(encodeControl(CONTROL.READY, [CONTENT_TYPE_DNSTAP])));
    assert.ok(!looksLikeDnstap(resolverFile.subarray(0, 20)));
    assert.ok(!looksLikeDnstap(Buffer.from('22-Nov-2026 03:00:00.000 queries: info: client @0x1 10.0.0.1#5353 (a.example): query: a.example IN A +E(0) (10.0.0.53)\n')));
  });
});

describe('frames BIND did not write', () => {
  const T0 = Date.UTC(2026, 10, 22, 3, 0, 0);
  const query = (id: number, name: string, port = 40000, ms = T0): Uint8Array =>
    dnstapPayload({ type: MESSAGE_TYPE.CLIENT_QUERY, queryMs: ms, client: IPV4_LOCAL, clientPort: port, server: IPV4_LOCAL, serverPort: 53, query: dnsQuery(id, name) });
  const response = (id: number, name: string, port = 40000, ms = T0 + 3, rcode: 'NOERROR' | 'NXDOMAIN' = 'NOERROR'): Uint8Array =>
    dnstapPayload({ type: MESSAGE_TYPE.CLIENT_RESPONSE, queryMs: T0, responseMs: ms, client: IPV4_LOCAL, clientPort: port, server: IPV4_LOCAL, serverPort: 53, response: dnsResponse(id, name, rcode, rcode === 'NXDOMAIN' ? 0 : 2) });

  test('a response whose query was not seen is an event of its own, with the response facts', () => {
    const out = decodeWhole(frameStreamFile([response(7, 'Lone.Example.org', 40000, T0 + 9, 'NXDOMAIN')]));
    assert.equal(out.events.length, 1);
    const e = out.events[0]!;
    assert.equal(e.qname, 'Lone.Example.org');
    assert.equal(e.time, T0, 'at query time when the frame carries it');
    assert.equal(e.rcode, 'NXDOMAIN');
    assert.equal(e.answerCount, 0);
    assert.equal(e.latencyMs, 9);
    assert.equal(e.queryBytes, undefined);
  });

  test('pairing is by client, port, DNS id and name (any case); a query without response is emitted at the end', () => {
    const out = decodeWhole(
      frameStreamFile([query(1, 'a.example.com'), query(2, 'b.example.com'), response(1, 'A.EXAMPLE.COM'), response(2, 'b.example.com', 40001), query(3, 'c.example.com')]),
    );
    assert.deepEqual(
      out.events.map((e) => [e.qname, e.position.line, e.rcode ?? null]),
      [
        ['a.example.com', 1, 'NOERROR'],
        ['b.example.com', 4, 'NOERROR'], // another port: not the query's response, an event of its own
        ['b.example.com', 2, null],
        ['c.example.com', 5, null],
      ],
    );
    assert.deepEqual(out.byReason(), { response_paired: 1 });
  });

  test('a query unanswered for 5 s of capture time is emitted without waiting for the end', () => {
    const out = decodeWhole(frameStreamFile([query(1, 'slow.example.com'), query(2, 'later.example.com', 40000, T0 + 6000), response(1, 'slow.example.com', 40000, T0 + 7000)]));
    assert.deepEqual(
      out.events.map((e) => [e.qname, e.rcode ?? null]),
      [
        ['slow.example.com', null],
        ['slow.example.com', 'NOERROR'], // the late response: unpaired now
        ['later.example.com', null],
      ],
    );
  });

  test('malformed frames are quarantined by reason, and the frames after them still decode', () => {
    const good = query(9, 'ok.example.com');
    const noQuestion = dnstapPayload({ type: MESSAGE_TYPE.CLIENT_QUERY, queryMs: T0, client: IPV4_LOCAL, clientPort: 1, query: Buffer.from('000100000000000000000000', 'hex') });
    const badDns = dnstapPayload({ type: MESSAGE_TYPE.CLIENT_QUERY, queryMs: T0, client: IPV4_LOCAL, clientPort: 1, query: Buffer.from('0001010000010000', 'hex') });
    const pointer = dnstapPayload({ type: MESSAGE_TYPE.CLIENT_QUERY, queryMs: T0, client: IPV4_LOCAL, clientPort: 1, query: Buffer.from('000101000001000000000000c00000010001', 'hex') });
    const badAddress = dnstapPayload({ type: MESSAGE_TYPE.CLIENT_QUERY, queryMs: T0, client: Uint8Array.from([1, 2, 3]), clientPort: 1, query: dnsQuery(1, 'x.example') });
    const noTime = dnstapPayload({ type: MESSAGE_TYPE.CLIENT_QUERY, client: IPV4_LOCAL, clientPort: 1, query: dnsQuery(1, 'x.example') });
    const noQuery = dnstapPayload({ type: MESSAGE_TYPE.CLIENT_QUERY, queryMs: T0, client: IPV4_LOCAL, clientPort: 1 });
    const unknownType = dnstapPayload({ type: 99, queryMs: T0, client: IPV4_LOCAL });
    const out = decodeWhole(frameStreamFile([Buffer.from('not protobuf at all'), noQuestion, badDns, pointer, badAddress, noTime, noQuery, unknownType, good]));
    assert.deepEqual(out.byReason(), {
      bad_protobuf: 1,
      no_question: 1,
      bad_dns_message: 2,
      bad_address: 1,
      no_time: 1,
      no_query_message: 1,
      unknown_message_type: 1,
    });
    assert.equal(out.events.length, 1);
    assert.equal(out.events[0]!.position.line, 9);
  });

  test('an over-large frame is quarantined and passed over without being held; the stream goes on after it', () => {
    const big = Buffer.alloc(300_000, 0x41);
    const file = frameStreamFile([query(1, 'before.example.com'), big, query(2, 'after.example.com')]);
    for (const sizes of [[], new Array<number>(400).fill(1000)]) {
      const out = decodeInPieces(file, sizes);
      assert.deepEqual(out.events.map((e) => e.qname), ['before.example.com', 'after.example.com']);
      assert.deepEqual(out.byReason(), { frame_too_large: 1 });
      const q = out.rejected[0]!;
      assert.equal(q.position.line, 2);
      assert.ok(q.raw.length <= 2 * 260, 'only a sample of the frame is kept');
      assert.ok(q.raw.startsWith('000493e0'), 'the sample starts with the length field');
    }
    // A corrupt length that claims the rest of the stream: one record for all of it.
    const corrupt = Buffer.concat([encodeControl(CONTROL.START, [CONTENT_TYPE_DNSTAP]), encodeData(query(1, 'x.example.com')), Buffer.from('ffffff00', 'hex'), Buffer.alloc(5000, 7)]);
    const out = decodeWhole(corrupt);
    assert.equal(out.events.length, 1);
    assert.deepEqual(out.byReason(), { frame_too_large: 1 });
  });

  test('a frame cut short by the end of the input is quarantined as truncated', () => {
    const file = frameStreamFile([query(1, 'whole.example.com'), query(2, 'cut.example.com')]);
    for (const cut of [1, 3, 10, 30]) {
      const out = decodeWhole(file.subarray(0, file.length - 12 - cut)); // STOP is 12 bytes
      assert.deepEqual(out.events.map((e) => e.qname), ['whole.example.com']);
      assert.deepEqual(out.byReason(), { truncated_frame: 1 });
    }
  });

  test('a source stopped in the middle of a frame (SIGTERM): the part read is not a truncated frame; the queries before it are still emitted', () => {
    const file = frameStreamFile([query(1, 'whole.example.com'), query(2, 'cut.example.com')]);
    const decoder = new DnstapDecoder();
    const out = new Collected();
    decoder.push(file.subarray(0, file.length - 12 - 10), 0, 'stream', out); // STOP is 12 bytes
    decoder.end('stream', out, true);
    assert.deepEqual(out.events.map((e) => e.qname), ['whole.example.com']);
    assert.deepEqual(out.byReason(), {});
  });

  test('control frames: a START of another content type makes its data frames skipped; a broken control frame is quarantined', () => {
    const other = Buffer.concat([encodeControl(CONTROL.START, ['protobuf:other.Type']), encodeData(query(1, 'x.example.com')), encodeControl(CONTROL.STOP)]);
    assert.deepEqual(decodeWhole(other).byReason(), { foreign_content_type: 1 });
    const badType = Buffer.from('00000000000000040000000a', 'hex');
    const tooLong = Buffer.concat([Buffer.from('0000000000000400', 'hex'), Buffer.alloc(1024)]);
    const fieldPastEnd = Buffer.from('000000000000000c00000002000000010000ffff', 'hex');
    const out = decodeWhole(Buffer.concat([encodeControl(CONTROL.START, [CONTENT_TYPE_DNSTAP]), badType, tooLong, fieldPastEnd, encodeData(query(1, 'y.example.com'))]));
    assert.deepEqual(out.byReason(), { bad_control_frame: 3 });
    assert.deepEqual(out.events.map((e) => e.qname), ['y.example.com']);
  });

  test('separate sources are separate streams: a response in one file does not pair with a query in another', () => {
    const decoderOut = new Collected();
    const files = { a: frameStreamFile([query(1, 'q.example.com')]), b: frameStreamFile([response(1, 'q.example.com')]) };
    const decoder = new DnstapDecoder();
    decoder.push(files.a.subarray(0, 20), 0, 'a', decoderOut);
    decoder.push(files.b, 0, 'b', decoderOut);
    decoder.push(files.a.subarray(20), 20, 'a', decoderOut);
    decoder.end('b', decoderOut);
    decoder.end('a', decoderOut);
    assert.deepEqual(decoderOut.events.map((e) => [e.position.source, e.rcode ?? null]), [['b', 'NOERROR'], ['a', null]]);
  });
});

describe('wire names and addresses', () => {
  test('question names in BIND presentation form', () => {
    const wire = (labels: number[][]): Buffer => Buffer.concat([Buffer.alloc(12), ...labels.map((l) => Buffer.from([l.length, ...l])), Buffer.from([0, 0, 1, 0, 1])]);
    const ascii = (s: string): number[] => [...Buffer.from(s, 'latin1')];
    assert.equal(questionName(wire([])), '.');
    assert.equal(questionName(wire([ascii('www'), ascii('example'), ascii('com')])), 'www.example.com');
    assert.equal(questionName(wire([ascii('a.b'), ascii('c\\d')])), 'a\\.b.c\\\\d');
    assert.equal(questionName(wire([ascii('"();@$'), [0, 32, 127, 128, 255]])), '\\"\\(\\)\\;\\@\\$.\\000\\032\\127\\128\\255');
    assert.equal(questionName(wire([ascii('-_!#%&*+,/:<=>?[]^`{|}~')])), '-_!#%&*+,/:<=>?[]^`{|}~');
    assert.equal(questionName(Buffer.from('000000000000000000000000c00c', 'hex')), null, 'compression pointer');
    assert.equal(questionName(Buffer.from('0000000000000000000000000561', 'hex')), null, 'label past the end');
    const long = wire(Array.from({ length: 5 }, () => new Array<number>(63).fill(0x61)));
    assert.equal(questionName(long), null, 'more than 255 bytes');
  });

  test('addresses as inet_ntop writes them (IPv6 checked against the WHATWG URL serialiser on random addresses)', () => {
    const v6 = (hex: string): Uint8Array => Buffer.from(hex.replaceAll(':', ''), 'hex');
    assert.equal(addressText(Uint8Array.from([10, 0, 0, 255])), '10.0.0.255');
    assert.equal(addressText(v6('0000:0000:0000:0000:0000:0000:0000:0001')), '::1');
    assert.equal(addressText(v6('0000:0000:0000:0000:0000:0000:0000:0000')), '::');
    assert.equal(addressText(v6('2001:0db8:0000:0000:0001:0000:0000:0001')), '2001:db8::1:0:0:1');
    assert.equal(addressText(v6('2001:0db8:0000:0001:0001:0001:0001:0001')), '2001:db8:0:1:1:1:1:1');
    assert.equal(addressText(v6('0000:0000:0000:0000:0000:ffff:c000:0280')), '::ffff:192.0.2.128');
    assert.equal(addressText(v6('0000:0000:0000:0000:0000:0000:c000:0280')), '::192.0.2.128');
    assert.equal(addressText(v6('0000:0000:0000:0000:0000:0000:0000:0002')), '::2', 'seven zero groups: no dotted tail');
    assert.equal(addressText(Buffer.from('ff0a00000102c0000280', 'hex'), 6, 4), '192.0.2.128', 'a span of a larger buffer');
    assert.equal(addressText(v6('fe80:0000:0000:0000:0000:0000:0000:0000')), 'fe80::');
    assert.equal(addressText(Uint8Array.from([1, 2, 3])), null);
    const random = seededRandom(3);
    for (let n = 0; n < 20_000; n++) {
      const bytes = Uint8Array.from({ length: 16 }, () => (random() < 0.5 ? 0 : randomInt(random, 256)));
      const text = addressText(bytes)!;
      if (text.includes('.')) continue; // the embedded-IPv4 forms are inet_ntop's, not URL's
      assert.equal(`[${text}]`, new URL(`http://[${text}]/`).hostname, text);
      const groups: string[] = [];
      for (let g = 0; g < 8; g++) groups.push(((bytes[2 * g]! << 8) | bytes[2 * g + 1]!).toString(16));
      assert.equal(new URL(`http://[${groups.join(':')}]/`).hostname, `[${text}]`);
    }
  });
});

describe('mutation fuzz', () => {
  test('100,000 mutated Frame Streams inputs: never throws, every record accounted for exactly once', () => {
    const frames = [...dataFrames(resolverFile), ...dataFrames(authFile)];
    const start = encodeControl(CONTROL.START, [CONTENT_TYPE_DNSTAP]).toString('latin1');
    const stop = encodeControl(CONTROL.STOP).toString('latin1');
    const inserts = [
      '\0\0\0\0', // the escape
      '\xff\xff\xff\xff', // a huge length
      '\0\0\0\x08',
      '\0\0\0\0\0\0\0\x04\0\0\0\x03', // STOP
      start,
      '\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01', // an over-long varint
      '\x0b\x0b\x0b\x0b', // start-group tags
      '\xc0\x0c', // a DNS compression pointer
      '\x08\x05', // Message.type = CLIENT_QUERY
      '\x08\x06',
      '\x08\x03',
      '\x22\x10', // query_address, 16 bytes
    ];
    const random = seededRandom(20261123);
    const outcomes: Record<string, number> = {};
    let events = 0;
    for (let n = 0; n < 100_000; n++) {
      let text = start;
      const count = 1 + randomInt(random, 3);
      for (let k = 0; k < count; k++) text += encodeData(frames[randomInt(random, frames.length)]!).toString('latin1');
      if (random() < 0.5) text += stop;
      const input = Buffer.from(mutateLine(text, random, inserts, 3), 'latin1');
      const decoder = new DnstapDecoder({ resolverEvents: random() < 0.5, maxFrameBytes: random() < 0.3 ? 512 : undefined });
      const out = new Collected();
      const source = `fuzz-${n}`;
      try {
        if (random() < 0.25) {
          let at = 0;
          while (at < input.length) {
            const size = 1 + randomInt(random, 64);
            decoder.push(input.subarray(at, at + size), at, source, out);
            at += size;
          }
        } else {
          decoder.push(input, 0, source, out);
        }
        decoder.end(source, out);
      } catch (error) {
        assert.fail(`input ${n} (${input.toString('hex')}) threw: ${(error as Error).stack}`);
      }
      const lines = [...out.events.map((e) => e.position.line), ...out.rejected.map((r) => r.position.line)].sort((a, b) => a - b);
      for (let i = 0; i < lines.length; i++) if (lines[i] !== i + 1) assert.fail(`input ${n}: record numbers ${lines.join(',')}`);
      for (const e of out.events) {
        if (!Number.isFinite(e.time) || e.clientIp === '' || e.qname === '' || e.position.source !== source || e.position.offset < 0 || e.position.offset >= input.length) {
          assert.fail(`input ${n}: odd event ${JSON.stringify(e)}`);
        }
      }
      for (const r of out.rejected) {
        outcomes[r.reason] = (outcomes[r.reason] ?? 0) + 1;
        if (r.raw.length > 2 * 256 * 1024) assert.fail(`input ${n}: quarantine sample of ${r.raw.length / 2} bytes`);
      }
      events += out.events.length;
    }
    // The fuzz reaches every layer: framing, protobuf, DNS and the mapping.
    for (const reason of ['frame_too_large', 'bad_control_frame', 'truncated_frame', 'bad_protobuf', 'bad_dns_message', 'response_paired', 'resolver_query']) {
      assert.ok((outcomes[reason] ?? 0) > 0, `no ${reason} among ${JSON.stringify(outcomes)}`);
    }
    assert.ok(events > 10_000, `${events} events`);
  });
});
