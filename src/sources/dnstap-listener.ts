/**
 * A live dnstap receiver: Frame Streams over Unix sockets and/or TCP, as BIND (`dnstap-output
 * unix`), Unbound, Knot Resolver, dnsdist and fstrm senders speak it.
 *
 *   sender                                 receiver (this)
 *   READY  "protobuf:dnstap.Dnstap" ─────▶
 *                                   ◀───── ACCEPT "protobuf:dnstap.Dnstap"
 *   START  "protobuf:dnstap.Dnstap" ─────▶
 *   data frames …                   ─────▶  queued, in order, per connection
 *   STOP                            ─────▶
 *                                   ◀───── FINISH, then the connection is closed
 *
 * A sender that starts with START (unidirectional) is accepted too. A sender offering no dnstap
 * content type is refused (connection closed, counted as an error).
 *
 * Every connection is a stream of its own: its bytes are queued unchanged as chunks named
 * `<endpoint>#<n>` (n counts the endpoint's connections from 1), and the record decoder keeps a reader and a pairing table per stream name; the
 * chunk that ends a connection carries `endOfStream`, so the decoder flushes it (a frame cut short
 * is quarantined as truncated, waiting queries are emitted). Offsets are byte offsets in the
 * connection. The receiver reads the framing itself (data frames only measured, never copied) to
 * answer the control frames and to count frames.
 *
 * Bounded memory: frames longer than `maxFrameBytes` are never held (the decoder quarantines them
 * and passes over them); received-but-unpulled bytes are bounded by `maxQueuedBytes`
 * (chunk-queue.ts): at the bound connections are paused and the senders slowed by flow control
 * (fstrm senders then drop on their side, and count it) until the pipeline has pulled the queue
 * below it.
 *
 * `stop()` (SIGTERM, SIGINT): stop accepting, close the connections, and let `chunks()` hand out
 * what was received — the end of every connection included — before it finishes.
 *
 * Counters: `read` = data frames received, `bytes` = bytes received, `errors` = socket errors and
 * protocol violations; per connection (`connectionStats()`) the same three and its state.
 */
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { SourceCounters } from '../counters.js';
import { TunnelwatchError } from '../errors.js';
import {
  CONTENT_TYPE_DNSTAP,
  CONTROL,
  DEFAULT_MAX_FRAME_BYTES,
  encodeControl,
  FrameStreamReader,
  type ControlFrame,
  type FrameHandler,
} from '../parsers/dnstap/frame-stream.js';
import { BoundedChunkQueue } from './chunk-queue.js';
import type { LineSource } from './source.js';
import type { TextChunk } from './text-chunk.js';

export type DnstapEndpoint = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

export interface DnstapListenerOptions {
  endpoints: DnstapEndpoint[];
  /** Longest frame read (must match the decoder's). Default 256 KiB. */
  maxFrameBytes?: number;
  /** Bound on received bytes not yet pulled by the pipeline. Default 16 MiB. */
  maxQueuedBytes?: number;
  /** Further connections are refused beyond this many open ones (per endpoint). Default 64. */
  maxConnections?: number;
  /** Unix sockets: file mode set after binding (the sender's user must be able to write to it). Default: as the umask leaves it. */
  socketMode?: number;
  /** Told each connection's counters when it closes (detect logs them). */
  onConnectionClosed?: (stats: ConnectionStats) => void;
}

export interface DnstapListenerCounters extends SourceCounters {
  connections: number;
}

/** Where the Frame Streams exchange got to: `stopped` is a clean end (STOP received, FINISH sent). */
export type ConnectionState = 'handshake' | 'accepted' | 'started' | 'stopped';

export interface ConnectionStats {
  /** The stream name of the connection's records (`dnstap:unix:/run/dnstap.sock#3`). */
  stream: string;
  bytes: number;
  /** Frames of every kind (control, data, unreadable). */
  frames: number;
  dataFrames: number;
  errors: number;
  state: ConnectionState;
  open: boolean;
}

const DEFAULT_MAX_QUEUED = 16 * 1024 * 1024;
const DEFAULT_MAX_CONNECTIONS = 64;
/** Closed connections whose stats are kept for `connectionStats()`. */
const KEEP_CLOSED = 64;
const EMPTY = Buffer.alloc(0);

/** `unix:/path` or `tcp:HOST:PORT` (IPv6 hosts in brackets). */
export function parseDnstapEndpoint(text: string): DnstapEndpoint {
  if (text.startsWith('unix:')) {
    const path = text.slice(5);
    if (path === '') throw new TunnelwatchError('TW_USAGE', `--listen-dnstap: no socket path in ${text}`);
    return { kind: 'unix', path };
  }
  if (text.startsWith('tcp:')) {
    const rest = text.slice(4);
    const colon = rest.lastIndexOf(':');
    const host = colon > 0 ? rest.slice(0, colon).replace(/^\[(.*)\]$/, '$1') : '';
    const portText = colon > 0 ? rest.slice(colon + 1) : '';
    const port = Number(portText);
    if (host === '' || portText === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
      throw new TunnelwatchError('TW_USAGE', `--listen-dnstap: expected tcp:HOST:PORT, got ${text}`);
    }
    return { kind: 'tcp', host, port };
  }
  throw new TunnelwatchError('TW_USAGE', `--listen-dnstap: expected unix:/path/to/socket or tcp:HOST:PORT, got ${text}`);
}

function endpointName(e: DnstapEndpoint): string {
  return e.kind === 'unix' ? `dnstap:unix:${e.path}` : `dnstap:tcp:${e.host.includes(':') ? `[${e.host}]` : e.host}:${e.port}`;
}

export class DnstapListener implements LineSource {
  readonly name: string;
  readonly counters: DnstapListenerCounters = { read: 0, bytes: 0, errors: 0, connections: 0 };

  private readonly endpoints: DnstapEndpoint[];
  private readonly maxFrameBytes: number;
  private readonly maxConnections: number;
  private readonly socketMode: number | undefined;
  private readonly onConnectionClosed: ((stats: ConnectionStats) => void) | undefined;

  private readonly queue: BoundedChunkQueue;
  private stopped = false;
  private started: Promise<Array<{ endpoint: string; port?: number }>> | null = null;
  private readonly servers: Array<{ server: Server; endpoint: DnstapEndpoint }> = [];
  private readonly open = new Map<Socket, Connection>();
  private readonly closed: ConnectionStats[] = [];

  constructor(options: DnstapListenerOptions) {
    if (options.endpoints.length === 0) throw new TunnelwatchError('TW_USAGE', 'dnstap listener: no endpoint');
    this.endpoints = options.endpoints;
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.queue = new BoundedChunkQueue(Math.max(1, options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED));
    this.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    this.socketMode = options.socketMode;
    this.onConnectionClosed = options.onConnectionClosed;
    this.name = this.endpoints.map(endpointName).join(',');
  }

  get queuedBytes(): number {
    return this.queue.bytes;
  }

  /** Largest number of queued bytes seen (shows the bound held). */
  get peakQueuedBytes(): number {
    return this.queue.peakBytes;
  }

  /** Open connections and the most recently closed ones. */
  connectionStats(): ConnectionStats[] {
    return [...this.closed, ...[...this.open.values()].map((c) => c.stats)];
  }

  /** Binds every endpoint (once); resolves with each one's name and, for TCP, the bound port. */
  listening(): Promise<Array<{ endpoint: string; port?: number }>> {
    this.started ??= Promise.all(this.endpoints.map((e) => this.bind(e)));
    return this.started;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const { server, endpoint } of this.servers) {
      server.close();
      if (endpoint.kind === 'unix') removeSocketFile(endpoint.path);
    }
    // Everything received is queued already; each connection's end follows its last bytes.
    for (const [socket, conn] of this.open) {
      this.endConnection(conn);
      socket.destroy();
    }
    this.open.clear();
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

  private bind(endpoint: DnstapEndpoint): Promise<{ endpoint: string; port?: number }> {
    const name = endpointName(endpoint);
    // Connections are named after the bound address (the real port when 0 was asked for).
    let boundName = name;
    let serial = 0;
    const server = createServer((socket) => this.accept(socket, `${boundName}#${++serial}`));
    server.maxConnections = this.maxConnections;
    this.servers.push({ server, endpoint });
    if (endpoint.kind === 'unix') removeSocketFile(endpoint.path);
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => {
        this.counters.errors++;
        server.close();
        reject(new TunnelwatchError('TW_INPUT', `cannot listen on ${name}: ${error.message}`, { cause: error }));
      };
      server.once('error', onError);
      const ready = (): void => {
        server.off('error', onError);
        server.on('error', () => this.counters.errors++);
        if (endpoint.kind === 'unix') {
          if (this.socketMode !== undefined) chmodSync(endpoint.path, this.socketMode);
          resolve({ endpoint: name });
        } else {
          const address = server.address();
          const port = typeof address === 'object' && address !== null ? address.port : endpoint.port;
          boundName = endpointName({ ...endpoint, port });
          resolve({ endpoint: boundName, port });
        }
        if (this.stopped) server.close();
      };
      if (endpoint.kind === 'unix') server.listen(endpoint.path, ready);
      else server.listen({ host: endpoint.host, port: endpoint.port }, ready);
    });
  }

  private accept(socket: Socket, stream: string): void {
    if (this.stopped) {
      socket.destroy();
      return;
    }
    this.counters.connections++;
    const conn = new Connection(stream, socket, this.maxFrameBytes, this.counters);
    this.open.set(socket, conn);
    socket.on('data', (data: Buffer) => {
      if (this.stopped || !conn.stats.open) return;
      this.queue.push({ data, offset: conn.stats.bytes, stream: conn.stats.stream });
      conn.receive(data);
      if (conn.refused) {
        this.counters.errors++;
        socket.destroy();
        return;
      }
      this.queue.throttle(socket);
    });
    socket.on('error', () => {
      conn.stats.errors++;
      this.counters.errors++;
    });
    socket.on('close', () => {
      this.queue.forget(socket);
      if (this.open.delete(socket)) this.endConnection(conn);
    });
  }

  /** Queues the end of the connection's stream and keeps its stats among the closed ones. */
  private endConnection(conn: Connection): void {
    if (!conn.stats.open) return;
    conn.stats.open = false;
    this.queue.push({ data: EMPTY, offset: conn.stats.bytes, stream: conn.stats.stream, endOfStream: true });
    this.closed.push(conn.stats);
    if (this.closed.length > KEEP_CLOSED) this.closed.shift();
    this.onConnectionClosed?.(conn.stats);
  }
}

/** One connection's Frame Streams handshake and counters; its bytes go to the queue unchanged. */
class Connection implements FrameHandler {
  readonly stats: ConnectionStats;
  /** The sender broke the protocol in a way that ends the connection. */
  refused = false;
  private readonly reader: FrameStreamReader;
  private bidirectional = false;

  constructor(
    stream: string,
    private readonly socket: Socket,
    maxFrameBytes: number,
    private readonly totals: DnstapListenerCounters,
  ) {
    this.stats = { stream, bytes: 0, frames: 0, dataFrames: 0, errors: 0, state: 'handshake', open: true };
    this.reader = new FrameStreamReader({ maxFrameBytes, keepData: false });
  }

  receive(data: Buffer): void {
    this.stats.bytes += data.length;
    this.totals.bytes += data.length;
    this.reader.push(data, this);
  }

  dataFrame(): void {
    this.stats.frames++;
    this.stats.dataFrames++;
    this.totals.read++;
  }

  badFrame(): void {
    // The decoder quarantines the frame itself (it reads the same bytes); here it is a protocol error.
    this.stats.frames++;
    this.stats.errors++;
    this.totals.errors++;
  }

  controlFrame(frame: ControlFrame): void {
    this.stats.frames++;
    const offersDnstap = frame.contentTypes.length === 0 || frame.contentTypes.includes(CONTENT_TYPE_DNSTAP);
    switch (frame.type) {
      case CONTROL.READY:
        if (!frame.contentTypes.includes(CONTENT_TYPE_DNSTAP)) {
          this.refused = true;
          return;
        }
        this.bidirectional = true;
        this.stats.state = 'accepted';
        this.socket.write(encodeControl(CONTROL.ACCEPT, [CONTENT_TYPE_DNSTAP]));
        return;
      case CONTROL.START:
        if (!offersDnstap) {
          this.refused = true;
          return;
        }
        this.stats.state = 'started';
        return;
      case CONTROL.STOP:
        this.stats.state = 'stopped';
        // fstrm's sender waits for FINISH before it closes; a unidirectional one just closes.
        if (this.bidirectional) this.socket.end(encodeControl(CONTROL.FINISH));
        return;
      default:
        // ACCEPT and FINISH are the receiver's to send.
        this.stats.errors++;
        this.totals.errors++;
    }
  }
}

/**
 * Removes a socket file (one left by an earlier run before binding, ours after closing); any other
 * kind of file at the path is left alone, so binding there fails instead of deleting it.
 */
function removeSocketFile(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // nothing there
  }
}
