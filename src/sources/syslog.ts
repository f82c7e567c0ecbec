/**
 * A syslog listener (UDP or TCP) as a line source: every received syslog
 * MESSAGE becomes exactly one line, the message as received (its `<PRI>`
 * header included), trailing CR/LF removed, any CR or LF inside it replaced by
 * a space, and `\n` appended. The BIND parser accepts lines with an RFC 3164
 * or RFC 5424 header in front of the query-log text, so nothing else is done.
 *
 *   UDP  one datagram = one message (RFC 5426).
 *   TCP  RFC 6587 framing, decided per frame: a frame that starts with a digit
 *        run and a space is octet-counted (`123 <34>1 …`); any other frame is
 *        non-transparent, ended by LF (a CR before it is dropped). Any number
 *        of connections, each with its own framing state.
 *
 * Bounded memory, whatever the senders do:
 *   - a message longer than `maxMessageBytes` is cut there; the rest of the
 *     frame is read and thrown away (`counters.truncated`);
 *   - received-but-unpulled lines are bounded by `maxQueuedBytes`
 *     (chunk-queue.ts). TCP: at the bound connections are paused, so TCP flow
 *     control slows the senders until the pipeline has pulled the queue below
 *     it. UDP CANNOT PUSH BACK: a datagram that arrives while the queue is full is
 *     dropped and counted in `counters.dropped` (and the kernel itself drops
 *     datagrams when its receive buffer overflows, which no one can count
 *     here). Size `maxQueuedBytes`, or prefer TCP, accordingly.
 *
 * Offsets are byte offsets in the stream of lines this source has produced.
 *
 * Counters: `read` = lines produced (messages accepted), `bytes` = bytes
 * received from the network (framing and dropped datagrams included),
 * `errors` = socket errors and broken frames (a connection that ended inside an
 * octet-counted frame), `dropped` = UDP datagrams dropped for a full queue,
 * `truncated` = messages cut at `maxMessageBytes`, `connections` = TCP
 * connections accepted.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import type { SourceCounters } from '../counters.js';
import { TunnelwatchError } from '../errors.js';
import { BoundedChunkQueue } from './chunk-queue.js';
import type { LineSource } from './source.js';
import type { TextChunk } from './text-chunk.js';

export interface SyslogSourceOptions {
  protocol: 'udp' | 'tcp';
  host: string;
  /** 0 binds an ephemeral port; `listening()` tells which. */
  port: number;
  /** Longest message kept; longer ones are cut here and counted. Default 64 KiB. */
  maxMessageBytes?: number;
  /** Bound on received lines not yet pulled by the pipeline. Default 16 MiB. */
  maxQueuedBytes?: number;
  /** TCP: further connections are refused beyond this many open ones. Default 256. */
  maxConnections?: number;
}

export interface SyslogCounters extends SourceCounters {
  /** UDP datagrams dropped because the queue was full. */
  dropped: number;
  /** Messages cut at maxMessageBytes. */
  truncated: number;
  /** TCP connections accepted. */
  connections: number;
}

const DEFAULT_MAX_MESSAGE = 64 * 1024;
const DEFAULT_MAX_QUEUED = 16 * 1024 * 1024;
const DEFAULT_MAX_CONNECTIONS = 256;
/** Digits in an octet count: 10 is more than any sane message length, and keeps the count an exact integer. */
const MAX_LEN_DIGITS = 10;

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;

export class SyslogSource implements LineSource {
  readonly name: string;
  readonly counters: SyslogCounters = { read: 0, bytes: 0, errors: 0, dropped: 0, truncated: 0, connections: 0 };

  private readonly protocol: 'udp' | 'tcp';
  private readonly host: string;
  private readonly port: number;
  private readonly maxMessageBytes: number;
  private readonly maxConnections: number;

  private readonly queue: BoundedChunkQueue;
  private offset = 0;
  private stopped = false;
  private started: Promise<{ port: number }> | null = null;
  private udp: UdpSocket | null = null;
  private tcp: Server | null = null;
  private readonly conns = new Map<Socket, Framer>();

  constructor(options: SyslogSourceOptions) {
    this.protocol = options.protocol;
    this.host = options.host;
    this.port = options.port;
    this.maxMessageBytes = Math.max(1, options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE);
    this.queue = new BoundedChunkQueue(Math.max(1, options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED));
    this.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    this.name = `syslog:${this.protocol}:${host}:${this.port}`;
  }

  /** Bytes received and not yet pulled. */
  get queuedBytes(): number {
    return this.queue.bytes;
  }

  /** Largest number of queued bytes seen (for tests and metrics: shows the bound held). */
  get peakQueuedBytes(): number {
    return this.queue.peakBytes;
  }

  /** Binds (once) and resolves with the bound port; rejects with TW_INPUT if the address cannot be bound. */
  listening(): Promise<{ port: number }> {
    this.started ??= this.protocol === 'udp' ? this.bindUdp() : this.bindTcp();
    return this.started;
  }

  stop(): void {
    if (this.stopped) return;
    // Open messages of TCP connections are complete now: flush them before deliver() starts refusing.
    for (const framer of this.conns.values()) framer.end();
    this.stopped = true;
    if (this.udp !== null) {
      this.udp.close();
      this.udp = null;
    }
    if (this.tcp !== null) {
      this.tcp.close();
      this.tcp = null;
    }
    for (const socket of this.conns.keys()) socket.destroy();
    this.conns.clear();
    this.queue.close();
  }

  async *chunks(): AsyncGenerator<TextChunk> {
    await this.listening();
    try {
      for (let chunk = await this.queue.pull(); chunk !== null; chunk = await this.queue.pull()) yield chunk;
    } finally {
      this.stop();
    }
  }

  /** Turns one message into one line and queues it. `parts` hold at most maxMessageBytes. */
  private deliver(message: Buffer, truncated: boolean): void {
    if (this.stopped) return;
    let end = message.length;
    while (end > 0 && (message[end - 1] === LF || message[end - 1] === CR)) end--;
    if (truncated) this.counters.truncated++;
    if (end === 0) return;
    const line = Buffer.allocUnsafe(end + 1);
    message.copy(line, 0, 0, end);
    for (let i = 0; i < end; i++) {
      const c = line[i]!;
      if (c === LF || c === CR) line[i] = SP;
    }
    line[end] = LF;
    this.queue.push({ data: line, offset: this.offset });
    this.offset += line.length;
    this.counters.read++;
  }

  private bindUdp(): Promise<{ port: number }> {
    const socket = createSocket({ type: this.host.includes(':') ? 'udp6' : 'udp4' });
    this.udp = socket;
    socket.on('message', (msg: Buffer) => {
      this.counters.bytes += msg.length;
      if (this.stopped) return;
      const line = Math.min(msg.length, this.maxMessageBytes) + 1;
      const queued = this.queue.bytes;
      if (queued > 0 && queued + line > this.queue.maxBytes) {
        this.counters.dropped++;
        return;
      }
      const cut = msg.length > this.maxMessageBytes;
      this.deliver(cut ? msg.subarray(0, this.maxMessageBytes) : msg, cut);
    });
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => {
        this.counters.errors++;
        this.udp = null;
        socket.close();
        reject(new TunnelwatchError('TW_INPUT', `cannot listen on ${this.name}: ${error.message}`, { cause: error }));
      };
      socket.once('error', onError);
      socket.bind(this.port, this.host, () => {
        socket.off('error', onError);
        socket.on('error', () => this.counters.errors++);
        const { port } = socket.address();
        if (this.stopped) socket.close();
        resolve({ port });
      });
    });
  }

  private bindTcp(): Promise<{ port: number }> {
    const server = createServer((socket) => this.accept(socket));
    server.maxConnections = this.maxConnections;
    this.tcp = server;
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => {
        this.counters.errors++;
        this.tcp = null;
        server.close();
        reject(new TunnelwatchError('TW_INPUT', `cannot listen on ${this.name}: ${error.message}`, { cause: error }));
      };
      server.once('error', onError);
      server.listen({ host: this.host, port: this.port }, () => {
        server.off('error', onError);
        server.on('error', () => this.counters.errors++);
        const address = server.address();
        const port = typeof address === 'object' && address !== null ? address.port : this.port;
        if (this.stopped) server.close();
        resolve({ port });
      });
    });
  }

  private accept(socket: Socket): void {
    if (this.stopped) {
      socket.destroy();
      return;
    }
    this.counters.connections++;
    const framer = new Framer(this.maxMessageBytes, (message, truncated) => this.deliver(message, truncated), () => this.counters.errors++);
    this.conns.set(socket, framer);
    socket.on('data', (data: Buffer) => {
      this.counters.bytes += data.length;
      if (this.stopped) return;
      framer.push(data);
      this.queue.throttle(socket);
    });
    socket.on('error', () => this.counters.errors++);
    socket.on('close', () => {
      // A sender that closes its end has finished its last message (or broke an octet-counted frame).
      if (this.conns.delete(socket)) framer.end();
      this.queue.forget(socket);
    });
  }
}

/**
 * RFC 6587 framing for one TCP connection. The framing method is decided per
 * frame from its first byte: a non-zero digit starts an octet count; a count
 * not ended by a space (`2026-11-22…`) falls back to newline framing with its
 * digits kept as message text. Empty frames (a bare LF after an octet-counted
 * frame, say) are skipped. Never holds more than maxMessageBytes of a message.
 */
class Framer {
  private state: 'start' | 'len' | 'octet' | 'line' = 'start';
  private parts: Buffer[] = [];
  private size = 0;
  private cut = false;
  private remaining = 0;
  private digits = 0;

  constructor(
    private readonly max: number,
    private readonly emit: (message: Buffer, truncated: boolean) => void,
    private readonly broken: () => void,
  ) {}

  push(data: Buffer): void {
    let i = 0;
    const n = data.length;
    while (i < n) {
      switch (this.state) {
        case 'start': {
          const c = data[i]!;
          if (c >= 0x31 && c <= 0x39) {
            this.state = 'len';
            this.remaining = c - 0x30;
            this.digits = 1;
            i++;
          } else if (c === LF) {
            i++;
          } else {
            this.state = 'line';
          }
          break;
        }
        case 'len': {
          const c = data[i]!;
          if (c >= 0x30 && c <= 0x39 && this.digits < MAX_LEN_DIGITS) {
            this.remaining = this.remaining * 10 + (c - 0x30);
            this.digits++;
            i++;
          } else if (c === SP) {
            this.state = 'octet';
            i++;
          } else {
            // Not an octet count after all: the digits are the start of a newline-framed message.
            this.append(Buffer.from(String(this.remaining), 'latin1'));
            this.state = 'line';
          }
          break;
        }
        case 'octet': {
          const take = Math.min(this.remaining, n - i);
          this.append(data.subarray(i, i + take));
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) this.finish();
          break;
        }
        case 'line': {
          const nl = data.indexOf(LF, i);
          const end = nl < 0 ? n : nl;
          this.append(data.subarray(i, end));
          if (nl < 0) {
            i = n;
          } else {
            i = nl + 1;
            this.finish();
          }
          break;
        }
      }
    }
    // A message still open pins the socket's read buffer: keep a compact copy of its bytes instead.
    if (this.size > 0) this.parts = [Buffer.concat(this.parts, this.size)];
  }

  /** The connection closed: an unterminated last message still counts; a cut octet-counted frame is an error. */
  end(): void {
    if (this.state === 'octet' || this.state === 'len') {
      this.broken();
      if (this.state === 'len') this.append(Buffer.from(String(this.remaining), 'latin1'));
    }
    if (this.size > 0) this.finish();
    this.state = 'start';
  }

  private append(piece: Buffer): void {
    if (piece.length === 0) return;
    const room = this.max - this.size;
    if (piece.length > room) {
      this.cut = true;
      if (room <= 0) return;
      piece = piece.subarray(0, room);
    }
    this.parts.push(piece);
    this.size += piece.length;
  }

  private finish(): void {
    const message = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.size);
    const cut = this.cut;
    this.parts = [];
    this.size = 0;
    this.cut = false;
    this.state = 'start';
    this.emit(message, cut);
  }
}
