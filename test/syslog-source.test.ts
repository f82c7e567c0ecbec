/**
 * SyslogSource: real UDP and TCP sockets on 127.0.0.1 (port 0), real dgram/net
 * clients. Waits are bounded polls (waitFor); the one fixed pause in the
 * backpressure test only gives a broken implementation time to misbehave.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { TunnelwatchError } from '../src/errors.js';
import { BindQueryParser } from '../src/parsers/bind.js';
import { Rejection } from '../src/parsers/parser.js';
import { SyslogSource, type SyslogSourceOptions } from '../src/sources/syslog.js';
import type { TextChunk } from '../src/sources/text-chunk.js';
import { fixtureLines, waitFor as waitWithin } from './helpers.js';

/** Generous deadlines: these tests share two cores with the rest of the suite, and a slow machine is not a failure. */
const waitFor = (condition: () => boolean, what: string): Promise<void> => waitWithin(condition, what, 30_000);
/** A failing test must not leave a listener open (the file's process would never exit): every test has a deadline. */
const LIMIT = { timeout: 90_000 };

const HOST = '127.0.0.1';
const b = (s: string): Buffer => Buffer.from(s, 'latin1');

interface Collected {
  lines: string[];
  chunks: TextChunk[];
  done: Promise<void>;
}

/** Pulls `src.chunks()` in the background, splitting chunks into lines (without their `\n`). */
function collect(src: SyslogSource): Collected {
  const lines: string[] = [];
  const chunks: TextChunk[] = [];
  const done = (async () => {
    for await (const chunk of src.chunks()) {
      chunks.push(chunk);
      const text = chunk.data.toString('latin1');
      assert.ok(text.endsWith('\n'), 'every chunk is whole lines');
      lines.push(...text.slice(0, -1).split('\n'));
    }
  })();
  return { lines, chunks, done };
}

function assertContiguous(chunks: TextChunk[]): void {
  let offset = 0;
  for (const c of chunks) {
    assert.equal(c.offset, offset, 'offsets are byte offsets in the produced line stream');
    offset += c.data.length;
  }
}

async function start(options: Partial<SyslogSourceOptions> & { protocol: 'udp' | 'tcp' }): Promise<{ src: SyslogSource; port: number }> {
  const src = new SyslogSource({ host: HOST, port: 0, ...options });
  const { port } = await src.listening();
  assert.ok(port > 0);
  return { src, port };
}

function udpClient(): UdpSocket {
  return createSocket('udp4');
}

function sendUdp(client: UdpSocket, port: number, msg: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => client.send(typeof msg === 'string' ? b(msg) : msg, port, HOST, (e) => (e ? reject(e) : resolve())));
}

async function tcpClient(port: number): Promise<Socket> {
  const socket = connect({ host: HOST, port });
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

function closeUdp(client: UdpSocket): Promise<void> {
  return new Promise((resolve) => client.close(() => resolve()));
}

function octet(msg: string): string {
  return `${Buffer.byteLength(msg, 'latin1')} ${msg}`;
}

test('UDP: each datagram is one line, in order; CR/LF inside become spaces, trailing ones go', LIMIT, async () => {
  const { src, port } = await start({ protocol: 'udp' });
  assert.equal(src.name, 'syslog:udp:127.0.0.1:0');
  const got = collect(src);
  const client = udpClient();
  const sent: string[] = [];
  try {
    for (let i = 0; i < 50; i++) {
      const msg = `<30>Nov 23 13:45:41 ns1 named[123]: message ${i}`;
      sent.push(msg);
      await sendUdp(client, port, msg);
    }
    await sendUdp(client, port, '<30>Nov 23 13:45:41 ns1 x: a\nb\r\nc\r\n');
    await sendUdp(client, port, ''); // empty datagram: no line
    await sendUdp(client, port, '<30>last\n');
    await waitFor(() => got.lines.length >= 52, '52 lines');
    assert.deepEqual(got.lines, [...sent, '<30>Nov 23 13:45:41 ns1 x: a b  c', '<30>last']);
    assert.equal(src.counters.read, 52);
    assert.equal(src.counters.dropped, 0);
    assertContiguous(got.chunks);
  } finally {
    await closeUdp(client);
    src.stop();
    await got.done;
  }
});

test('TCP: octet-counted and newline-framed messages split at awkward boundaries, from two connections, arrive exactly once', LIMIT, async () => {
  const { src, port } = await start({ protocol: 'tcp' });
  const got = collect(src);
  const a = await tcpClient(port);
  const c = await tcpClient(port);
  try {
    await waitFor(() => src.counters.connections === 2, 'two connections');
    const aMsgs: string[] = [];
    const cMsgs: string[] = [];
    let aStream = '';
    let cStream = '';
    for (let i = 0; i < 40; i++) {
      // Lengths cross digit-count boundaries (9 → 10, 99 → 100 bytes) so prefixes have 1 to 3 digits.
      const body = `<34>1 2026-11-23T13:45:41Z h app - - a${i}${'x'.repeat((i * 7) % 120)}`;
      const aMsg = i % 5 === 0 ? `${body}\nsecond line` : body;
      aMsgs.push(aMsg.replace('\n', ' '));
      aStream += i % 3 === 0 ? octet(aMsg) + '\n' : octet(aMsg); // some senders add an LF after a counted frame
      const cMsg = `<13>Nov 23 13:45:41 h app: c${i} ${'y'.repeat(i)}`;
      cMsgs.push(cMsg);
      cStream += cMsg + (i % 2 === 0 ? '\r\n' : '\n');
    }
    aStream += octet('<1>nine!!'); // a one-digit count
    aMsgs.push('<1>nine!!');
    const aBuf = b(aStream);
    const cBuf = b(cStream);
    const sizes = [1, 2, 3, 5, 7, 11, 13, 64];
    let ai = 0;
    let ci = 0;
    let k = 0;
    let total = 0;
    // Each piece is seen by the server before the next is written, so the splits really happen.
    while (ai < aBuf.length || ci < cBuf.length) {
      const size = sizes[k++ % sizes.length]!;
      if (ai < aBuf.length) {
        const piece = aBuf.subarray(ai, ai + size);
        ai += piece.length;
        total += piece.length;
        a.write(piece);
        await waitWithin(() => src.counters.bytes >= total, `server saw ${total} bytes`, 30_000, 1);
      }
      if (ci < cBuf.length) {
        const piece = cBuf.subarray(ci, ci + size + 1);
        ci += piece.length;
        total += piece.length;
        c.write(piece);
        await waitWithin(() => src.counters.bytes >= total, `server saw ${total} bytes`, 30_000, 1);
      }
    }
    const expected = aMsgs.length + cMsgs.length;
    await waitFor(() => got.lines.length >= expected, `${expected} lines`);
    assert.equal(got.lines.length, expected);
    assert.deepEqual(
      got.lines.filter((l) => !l.startsWith('<13>')),
      aMsgs,
      'connection A: every message once, in order',
    );
    assert.deepEqual(
      got.lines.filter((l) => l.startsWith('<13>')),
      cMsgs,
      'connection C: every message once, in order',
    );
    assert.equal(src.counters.read, expected);
    assert.equal(src.counters.truncated, 0);
    assert.equal(src.counters.errors, 0);
    assertContiguous(got.chunks);
  } finally {
    a.destroy();
    c.destroy();
    src.stop();
    await got.done;
  }
});

test('TCP: an embedded newline inside an octet-counted message stays one line', LIMIT, async () => {
  const { src, port } = await start({ protocol: 'tcp' });
  const got = collect(src);
  const s = await tcpClient(port);
  try {
    s.write(octet('<34>1 - h app - - first\nstill first\r\nand still') + octet('<34>1 - h app - - second'));
    await waitFor(() => got.lines.length >= 2, 'two lines');
    assert.deepEqual(got.lines, ['<34>1 - h app - - first still first  and still', '<34>1 - h app - - second']);
  } finally {
    s.destroy();
    src.stop();
    await got.done;
  }
});

test('over-long messages are cut at maxMessageBytes and counted, and the next message is intact', LIMIT, async () => {
  const max = 100;
  const tcp = await start({ protocol: 'tcp', maxMessageBytes: max });
  const udp = await start({ protocol: 'udp', maxMessageBytes: max });
  const tGot = collect(tcp.src);
  const uGot = collect(udp.src);
  const s = await tcpClient(tcp.port);
  const client = udpClient();
  try {
    const longOctet = '<34>1 ' + 'o'.repeat(300);
    const longLine = '<13>' + 'n'.repeat(250);
    s.write(octet(longOctet) + octet('<34>1 next') + longLine + '\n' + '<13>after\n');
    // A newline-free flood in many writes: the server must not keep it (the cut happens as it arrives).
    for (let i = 0; i < 50; i++) s.write('f'.repeat(1000));
    s.write('\n<13>end\n');
    await waitFor(() => tGot.lines.length >= 6, 'six TCP lines');
    assert.deepEqual(tGot.lines, [longOctet.slice(0, max), '<34>1 next', longLine.slice(0, max), '<13>after', 'f'.repeat(max), '<13>end']);
    assert.equal(tcp.src.counters.truncated, 3);
    assert.equal(tcp.src.counters.read, 6);

    await sendUdp(client, udp.port, '<30>' + 'u'.repeat(300));
    await sendUdp(client, udp.port, '<30>ok');
    await waitFor(() => uGot.lines.length >= 2, 'two UDP lines');
    assert.deepEqual(uGot.lines, ['<30>' + 'u'.repeat(max - 4), '<30>ok']);
    assert.equal(udp.src.counters.truncated, 1);
  } finally {
    s.destroy();
    await closeUdp(client);
    tcp.src.stop();
    udp.src.stop();
    await Promise.all([tGot.done, uGot.done]);
  }
});

test('TCP backpressure: a full queue pauses the socket, the sender stalls, and everything arrives once pulled', LIMIT, async () => {
  const bound = 4096;
  const maxMessageBytes = 2048;
  const { src, port } = await start({ protocol: 'tcp', maxQueuedBytes: bound, maxMessageBytes });
  const s = await tcpClient(port);
  const perPiece = 64;
  const lineOf = (i: number): string => {
    const head = `<13>Nov 23 13:45:41 h app: m${String(i).padStart(8, '0')} `;
    return head + 'x'.repeat(1023 - head.length);
  };
  const piece = (p: number): Buffer => b(Array.from({ length: perPiece }, (_, j) => lineOf(p * perPiece + j) + '\n').join(''));
  let drained = false;
  s.on('drain', () => (drained = true));
  try {
    // Phase 1: nobody pulls. Write 64 KiB at a time, letting the event loop (and the server) run between writes.
    let pieces = 0;
    let sawFalse = false;
    while (pieces < 1024) {
      const ok = s.write(piece(pieces++));
      if (!ok) {
        sawFalse = true;
        break;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.ok(sawFalse, 'write() returned false: the kernel buffers filled because the server stopped reading');
    await waitFor(() => src.queuedBytes >= bound, 'the queue reached its bound');
    drained = false;
    // Give a server that ignored the bound the chance to read on (and so to let the sender drain).
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(drained, false, 'the sender stays stalled while nobody pulls');
    assert.ok(s.writableLength > 0, 'data waits in the sender, not in the server');
    assert.ok(src.peakQueuedBytes <= bound + 65536 + maxMessageBytes, `server buffered ${src.peakQueuedBytes} bytes`);
    assert.ok(src.counters.read < pieces * perPiece, 'not everything has been read yet');

    // Phase 2: pull; the sender drains and finishes.
    const got = collect(src);
    const extra = 16;
    for (let i = 0; i < extra; i++) {
      if (!s.write(piece(pieces++))) await new Promise((resolve) => s.once('drain', resolve));
    }
    s.end();
    const total = pieces * perPiece;
    await waitWithin(() => got.lines.length >= total, `${total} lines`, 30_000);
    assert.equal(got.lines.length, total);
    for (let i = 0; i < total; i++) {
      if (got.lines[i] !== lineOf(i)) assert.fail(`line ${i} differs: ${got.lines[i]?.slice(0, 60)}`);
    }
    assert.ok(src.peakQueuedBytes <= bound + 65536 + maxMessageBytes, `server buffered ${src.peakQueuedBytes} bytes`);
    assertContiguous(got.chunks);
    src.stop();
    await got.done;
  } finally {
    s.destroy();
    src.stop();
  }
});

test('UDP overflow: datagrams arriving while the queue is full are dropped and counted (read + dropped = sent)', LIMIT, async () => {
  const { src, port } = await start({ protocol: 'udp', maxQueuedBytes: 2000 });
  const client = udpClient();
  try {
    const msg = (i: number): string => `<30>m${String(i).padStart(5, '0')} ${'d'.repeat(89)}`; // 100 bytes
    let sent = 0;
    for (let batch = 0; batch < 20; batch++) {
      for (let j = 0; j < 10; j++) await sendUdp(client, port, msg(sent++));
      // Batches keep the kernel's own receive buffer from overflowing (those drops no one could count).
      await waitFor(() => src.counters.read + src.counters.dropped === sent, `${sent} datagrams accounted for`);
    }
    assert.equal(src.counters.read, 19, '19 lines of 101 bytes fit in 2000');
    assert.equal(src.counters.dropped, 200 - 19);
    const got = collect(src);
    await waitFor(() => got.lines.length >= 19, '19 lines');
    assert.deepEqual(got.lines, Array.from({ length: 19 }, (_, i) => msg(i)), 'the first ones were kept, in order');
    // Pulled: there is room again.
    await sendUdp(client, port, msg(sent++));
    await waitFor(() => got.lines.length >= 20, 'one more line');
    assert.equal(got.lines[19], msg(200));
    assert.equal(src.counters.read + src.counters.dropped, sent);
    src.stop();
    await got.done;
  } finally {
    await closeUdp(client);
    src.stop();
  }
});

test('stop(): closes the listener and connections, drains what is queued, ends chunks()', LIMIT, async () => {
  const { src, port } = await start({ protocol: 'tcp' });
  const s = await tcpClient(port);
  const closed = new Promise<void>((resolve) => s.once('close', () => resolve()));
  s.on('error', () => {});
  const data = '<13>one\n<13>two\n<13>unterminated';
  s.write(data);
  try {
    await waitFor(() => src.counters.read === 2 && src.counters.bytes === data.length, 'two lines queued');
  } catch (error) {
    src.stop();
    s.destroy();
    throw error;
  }
  src.stop(); // nobody has pulled yet
  await closed;
  const got = collect(src);
  await got.done;
  assert.deepEqual(got.lines, ['<13>one', '<13>two', '<13>unterminated'], 'queued lines drained; the open message flushed');
  // The port is closed now.
  const refused = connect({ host: HOST, port });
  const outcome = await new Promise<string>((resolve) => {
    refused.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    refused.once('connect', () => resolve('connected'));
  });
  refused.destroy();
  assert.equal(outcome, 'ECONNREFUSED');

  // stop() while a consumer is waiting ends its iteration.
  const udp = await start({ protocol: 'udp' });
  const waiting = collect(udp.src);
  await new Promise((resolve) => setImmediate(resolve));
  udp.src.stop();
  await waiting.done;
  assert.deepEqual(waiting.lines, []);
});

test('listening() rejects with TW_INPUT when the address is taken', LIMIT, async () => {
  const { src, port } = await start({ protocol: 'tcp' });
  const second = new SyslogSource({ protocol: 'tcp', host: HOST, port });
  assert.equal(second.name, `syslog:tcp:127.0.0.1:${port}`);
  await assert.rejects(second.listening(), (e: unknown) => e instanceof TunnelwatchError && e.code === 'TW_INPUT');
  assert.equal(second.counters.errors, 1);
  src.stop();
});

test('end to end: BIND query-log lines with an RFC 3164 header over UDP parse into the right events', LIMIT, async () => {
  const { src, port } = await start({ protocol: 'udp' });
  const got = collect(src);
  const client = udpClient();
  try {
    const fixture = fixtureLines('bind/named-9.18-category-severity.log').slice(0, 3);
    const header = '<30>Nov 23 13:45:41 ns1 named[123]: ';
    for (const line of fixture) await sendUdp(client, port, header + line);
    await waitFor(() => got.lines.length >= 3, 'three lines');
    const parser = new BindQueryParser({ syslogYear: 2026 });
    let offset = 0;
    const events = got.lines.map((line, i) => {
      const result = parser.parse(line, src.name, i + 1, offset);
      offset += line.length + 1;
      assert.ok(!(result instanceof Rejection), `line ${i + 1} parsed: ${line}`);
      return result;
    });
    assert.deepEqual(
      events.map((e) => [e.qname, e.qtype, e.clientIp]),
      [
        ['www.example.com', 'A', '127.0.0.1'],
        ['www.example.com', 'AAAA', '::1'],
        ['example.com', 'MX', '127.0.0.1'],
      ],
    );
  } finally {
    await closeUdp(client);
    src.stop();
    await got.done;
  }
});
