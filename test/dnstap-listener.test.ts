/**
 * The dnstap receiver in-process, over real sockets (TCP on 127.0.0.1 port 0, Unix sockets in a
 * temp dir), with a Frame Streams sender written here: the bidirectional handshake, several
 * connections each decoded as its own stream, refusals, backpressure and shutdown. BIND itself
 * sends to the receiver in dnstap-live.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { TunnelwatchError } from '../src/errors.js';
import { DnstapDecoder } from '../src/parsers/dnstap/decoder.js';
import { CONTENT_TYPE_DNSTAP, CONTROL, encodeControl, encodeData, FrameStreamReader, type ControlFrame } from '../src/parsers/dnstap/frame-stream.js';
import { MESSAGE_TYPE } from '../src/parsers/dnstap/schema.js';
import { DnstapListener, parseDnstapEndpoint, type DnstapEndpoint } from '../src/sources/dnstap-listener.js';
import { Collected, dnsQuery, dnsResponse, dnstapPayload, IPV4_LOCAL } from './dnstap-support.js';
import { waitFor, withTmpDir } from './helpers.js';

const T0 = Date.UTC(2026, 10, 22, 3, 0, 0);

function queryFrame(id: number, name: string, port = 40000): Buffer {
  return encodeData(dnstapPayload({ type: MESSAGE_TYPE.CLIENT_QUERY, queryMs: T0 + id, client: IPV4_LOCAL, clientPort: port, server: IPV4_LOCAL, serverPort: 53, query: dnsQuery(id, name) }));
}

function responseFrame(id: number, name: string, port = 40000): Buffer {
  return encodeData(
    dnstapPayload({ type: MESSAGE_TYPE.CLIENT_RESPONSE, queryMs: T0 + id, responseMs: T0 + id + 2, client: IPV4_LOCAL, clientPort: port, server: IPV4_LOCAL, serverPort: 53, response: dnsResponse(id, name) }),
  );
}

/** A Frame Streams sender (what fstrm's writer does), recording the control frames it is sent. */
class Sender {
  readonly controls: ControlFrame[] = [];
  closed = false;
  private readonly reader = new FrameStreamReader();

  private constructor(readonly socket: Socket) {
    const handler = { dataFrame: () => undefined, badFrame: () => undefined, controlFrame: (f: ControlFrame) => void this.controls.push(f) };
    socket.on('data', (d: Buffer) => this.reader.push(d, handler));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => undefined);
  }

  static async connect(to: { port: number } | { path: string }): Promise<Sender> {
    const socket = 'port' in to ? connect(to.port, '127.0.0.1') : connect(to.path);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new Sender(socket);
  }

  /** READY offering `types`, then waits for the receiver's answer (ACCEPT) or for it to hang up. */
  async ready(types = [CONTENT_TYPE_DNSTAP]): Promise<ControlFrame | null> {
    this.socket.write(encodeControl(CONTROL.READY, types));
    await waitFor(() => this.controls.length > 0 || this.closed, 'ACCEPT or close');
    return this.controls[0] ?? null;
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** STOP, then waits for FINISH and for the receiver to close the connection. */
  async stop(): Promise<void> {
    this.socket.write(encodeControl(CONTROL.STOP));
    await waitFor(() => this.controls.some((c) => c.type === CONTROL.FINISH) && this.closed, 'FINISH and close');
  }
}

/** Drives the listener into a decoder the way RecordPipeline does: each chunk into its stream. */
function consume(listener: DnstapListener, out: Collected, options = {}): Promise<void> {
  const decoder = new DnstapDecoder(options);
  return (async () => {
    for await (const chunk of listener.chunks()) {
      const stream = chunk.stream ?? listener.name;
      if (chunk.data.length > 0) decoder.push(chunk.data, chunk.offset, stream, out);
      if (chunk.endOfStream === true) decoder.end(stream, out);
    }
  })();
}

async function tcpListener(options: Partial<ConstructorParameters<typeof DnstapListener>[0]> = {}): Promise<{ listener: DnstapListener; port: number }> {
  const listener = new DnstapListener({ endpoints: [{ kind: 'tcp', host: '127.0.0.1', port: 0 }], ...options });
  const [bound] = await listener.listening();
  return { listener, port: bound!.port! };
}

describe('dnstap receiver', () => {
  test('TCP: READY → ACCEPT, START, data frames in pieces, STOP → FINISH; events paired; connection counters', async () => {
    const { listener, port } = await tcpListener();
    const out = new Collected();
    const consuming = consume(listener, out);
    const sender = await Sender.connect({ port });
    const accept = await sender.ready();
    assert.deepEqual(accept, { type: CONTROL.ACCEPT, contentTypes: [CONTENT_TYPE_DNSTAP] });
    const body = Buffer.concat([encodeControl(CONTROL.START, [CONTENT_TYPE_DNSTAP]), queryFrame(1, 'a.example.com'), queryFrame(2, 'b.example.com'), responseFrame(1, 'a.example.com'), responseFrame(2, 'b.example.com')]);
    // Frames cut anywhere: the receiver must reassemble them.
    for (let at = 0; at < body.length; at += 7) {
      sender.write(body.subarray(at, at + 7));
      if (at % 70 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await sender.stop();
    await waitFor(() => out.events.length === 2, 'two events');
    listener.stop();
    await consuming;
    assert.deepEqual(out.events.map((e) => [e.qname, e.rcode, e.answerCount]), [['a.example.com', 'NOERROR', 1], ['b.example.com', 'NOERROR', 1]]);
    assert.deepEqual(out.byReason(), { response_paired: 2 });
    assert.equal(out.events[0]!.position.source, `dnstap:tcp:127.0.0.1:${port}#1`);
    const [stats] = listener.connectionStats();
    const sent = encodeControl(CONTROL.READY, [CONTENT_TYPE_DNSTAP]).length + body.length + encodeControl(CONTROL.STOP).length;
    assert.deepEqual(stats, { stream: `dnstap:tcp:127.0.0.1:${port}#1`, bytes: sent, frames: 7, dataFrames: 4, errors: 0, state: 'stopped', open: false });
    assert.equal(listener.counters.read, 4);
    assert.equal(listener.counters.connections, 1);
  });

  test('concurrent connections are separate streams: interleaved, each paired only within itself', async () => {
    const { listener, port } = await tcpListener();
    const out = new Collected();
    const consuming = consume(listener, out);
    const a = await Sender.connect({ port });
    const b = await Sender.connect({ port });
    await a.ready();
    await b.ready();
    const start = encodeControl(CONTROL.START, [CONTENT_TYPE_DNSTAP]);
    a.write(start);
    b.write(start);
    a.write(queryFrame(1, 'shared.example.com'));
    b.write(responseFrame(1, 'shared.example.com')); // same key, other connection: must not pair with a's query
    const aq = queryFrame(2, 'own.example.com');
    a.write(aq.subarray(0, 10));
    b.write(queryFrame(3, 'b-only.example.com'));
    a.write(aq.subarray(10));
    a.write(responseFrame(2, 'own.example.com'));
    await a.stop();
    await b.stop();
    await waitFor(() => out.read === 5, 'five records');
    listener.stop();
    await consuming;
    const summary = out.events.map((e) => `${e.position.source.slice(-2)} ${e.qname} ${e.rcode ?? '-'}`).sort();
    assert.deepEqual(summary, ['#1 own.example.com NOERROR', '#1 shared.example.com -', '#2 b-only.example.com -', '#2 shared.example.com NOERROR']);
    assert.deepEqual(out.byReason(), { response_paired: 1 });
    assert.deepEqual(listener.connectionStats().map((s) => [s.dataFrames, s.state]), [[3, 'stopped'], [2, 'stopped']]);
  });

  test('a sender offering no dnstap content type is refused; a unidirectional sender (no READY) is read', async () => {
    const { listener, port } = await tcpListener();
    const out = new Collected();
    const consuming = consume(listener, out);
    const refused = await Sender.connect({ port });
    assert.equal(await refused.ready(['protobuf:other.Type']), null, 'no ACCEPT');
    await waitFor(() => refused.closed, 'the refused connection to close');
    const plain = await Sender.connect({ port });
    plain.write(Buffer.concat([encodeControl(CONTROL.START, [CONTENT_TYPE_DNSTAP]), queryFrame(5, 'uni.example.com'), encodeControl(CONTROL.STOP)]));
    plain.socket.end();
    await waitFor(() => plain.closed && out.events.length === 1, 'the unidirectional sender\'s event');
    listener.stop();
    await consuming;
    assert.equal(plain.controls.length, 0, 'no FINISH for a sender that sent no READY');
    assert.equal(out.events[0]!.qname, 'uni.example.com');
    assert.equal(listener.counters.errors, 1);
    assert.deepEqual(listener.connectionStats().map((s) => s.state), ['handshake', 'stopped']);
  });

  test('backpressure: an unread queue pauses the senders at the bound, and nothing is lost once the pipeline reads', async () => {
    const maxQueuedBytes = 64 * 1024;
    const { listener, port } = await tcpListener({ maxQueuedBytes });
    await listener.listening();
    const sender = await Sender.connect({ port });
    await sender.ready();
    sender.write(encodeControl(CONTROL.START, [CONTENT_TYPE_DNSTAP]));
    const frames = 20_000;
    let sent = 0;
    for (let i = 0; i < frames; i++) {
      const frame = queryFrame(i % 65536, `q${i}.flood.example.com`, 1000 + (i % 60000));
      sender.write(frame);
      sent += frame.length;
    }
    // Nothing reads the listener yet: the queue stops near the bound and the rest waits in the sockets.
    await waitFor(() => listener.queuedBytes >= maxQueuedBytes, 'the queue to fill');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(listener.peakQueuedBytes <= maxQueuedBytes + 65536, `peak ${listener.peakQueuedBytes}`);
    const received = listener.connectionStats()[0]!.bytes;
    assert.ok(received < sent && received <= maxQueuedBytes + 65536 + 1024, `the paused connection read ${received} of ${sent} bytes`);
    const out = new Collected();
    const consuming = consume(listener, out);
    await sender.stop();
    await waitFor(() => out.events.length === frames, `${frames} events`, 30_000);
    listener.stop();
    await consuming;
    assert.equal(listener.counters.read, frames);
    assert.ok(listener.peakQueuedBytes <= maxQueuedBytes + 65536, `peak ${listener.peakQueuedBytes}`);
  });

  test('Unix socket: handshake, stale socket file replaced, shutdown mid-frame quarantines the cut frame and removes the socket', () =>
    withTmpDir(async (dir) => {
      const path = join(dir, 'dnstap.sock');
      // A socket file left behind by a run that was killed.
      spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`]);
      assert.ok(lstatSync(path).isSocket());
      const listener = new DnstapListener({ endpoints: [{ kind: 'unix', path }] });
      await listener.listening();
      const out = new Collected();
      const consuming = consume(listener, out);
      const sender = await Sender.connect({ path });
      assert.deepEqual(await sender.ready(), { type: CONTROL.ACCEPT, contentTypes: [CONTENT_TYPE_DNSTAP] });
      const frame = queryFrame(1, 'cut.example.com');
      sender.write(Buffer.concat([encodeControl(CONTROL.START, [CONTENT_TYPE_DNSTAP]), queryFrame(2, 'whole.example.com'), frame.subarray(0, 20)]));
      await waitFor(() => listener.connectionStats()[0]!.bytes > 60, 'bytes received');
      listener.stop();
      await consuming;
      assert.deepEqual(out.events.map((e) => e.qname), ['whole.example.com']);
      assert.deepEqual(out.byReason(), { truncated_frame: 1 });
      assert.ok(!existsSync(path), 'socket file removed');
      await waitFor(() => sender.closed, 'the sender to be disconnected');
    }));

  test('a Unix socket path holding another kind of file is not deleted: listening fails', () =>
    withTmpDir(async (dir) => {
      const path = join(dir, 'not-a-socket');
      writeFileSync(path, 'keep me');
      const listener = new DnstapListener({ endpoints: [{ kind: 'unix', path }] });
      await assert.rejects(listener.listening(), (e: unknown) => e instanceof TunnelwatchError && e.code === 'TW_INPUT');
      assert.ok(existsSync(path));
      listener.stop();
    }));

  test('endpoints: unix:PATH, tcp:HOST:PORT, tcp:[v6]:PORT; anything else is a usage error', () => {
    const cases: Array<[string, DnstapEndpoint]> = [
      ['unix:/run/named/dnstap.sock', { kind: 'unix', path: '/run/named/dnstap.sock' }],
      ['tcp:127.0.0.1:6000', { kind: 'tcp', host: '127.0.0.1', port: 6000 }],
      ['tcp:[::1]:6000', { kind: 'tcp', host: '::1', port: 6000 }],
      ['tcp:localhost:0', { kind: 'tcp', host: 'localhost', port: 0 }],
    ];
    for (const [text, endpoint] of cases) assert.deepEqual(parseDnstapEndpoint(text), endpoint);
    for (const bad of ['unix:', 'tcp:127.0.0.1', 'tcp::6000', 'tcp:host:port', 'tcp:host:70000', 'udp:127.0.0.1:6000', '/run/dnstap.sock']) {
      assert.throws(() => parseDnstapEndpoint(bad), (e: unknown) => e instanceof TunnelwatchError && e.code === 'TW_USAGE', bad);
    }
  });
});
