/**
 * What a network listener has received and the pipeline has not yet pulled, bounded: the syslog
 * listener queues one line per message, the dnstap listener each connection's bytes as they come.
 *
 * At the bound every socket that delivers more is paused, so the kernel buffers fill and the
 * senders are slowed by flow control; they resume once the pipeline has pulled the queue below the
 * bound. The queue can overshoot by one socket read per connection. (UDP cannot be paused: the
 * syslog listener drops and counts a datagram that would not fit.)
 *
 * A pull never waits for more than is there: it merges the queued chunks of one stream that follow
 * each other, up to 1 MiB, so data reaches the detector as soon as the pipeline asks.
 */
import type { Socket } from 'node:net';
import type { TextChunk } from './text-chunk.js';

const MAX_CHUNK = 1 << 20;
/** Pulled entries are dropped from the front of the array in batches of this many. */
const COMPACT_AFTER = 4096;

export class BoundedChunkQueue {
  /** Largest number of queued bytes seen (for tests and metrics: shows the bound held). */
  peakBytes = 0;
  private entries: TextChunk[] = [];
  private head = 0;
  private queued = 0;
  private closed = false;
  private wake: (() => void) | null = null;
  private readonly paused = new Set<Socket>();

  constructor(readonly maxBytes: number) {}

  /** Bytes received and not yet pulled. */
  get bytes(): number {
    return this.queued;
  }

  push(chunk: TextChunk): void {
    this.entries.push(chunk);
    this.queued += chunk.data.length;
    if (this.queued > this.peakBytes) this.peakBytes = this.queued;
    this.wake?.();
  }

  /** After a socket's data was pushed: pauses it while the queue is at its bound. */
  throttle(socket: Socket): void {
    if (this.queued >= this.maxBytes && !this.paused.has(socket)) {
      socket.pause();
      this.paused.add(socket);
    }
  }

  /** A socket that closed is no longer resumed. */
  forget(socket: Socket): void {
    this.paused.delete(socket);
  }

  /** No more pushes: pulls drain what is queued, then end. */
  close(): void {
    this.closed = true;
    this.paused.clear();
    this.wake?.();
  }

  /** The next chunk, waiting until there is one; null once closed and drained. */
  async pull(): Promise<TextChunk | null> {
    while (this.head === this.entries.length) {
      if (this.closed) return null;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
    const chunk = this.take();
    if (this.queued < this.maxBytes && this.paused.size > 0) {
      for (const socket of this.paused) socket.resume();
      this.paused.clear();
    }
    return chunk;
  }

  /** The next queued chunk with the chunks of the same stream right behind it merged in (up to MAX_CHUNK bytes, ending at an end of stream). */
  private take(): TextChunk {
    const first = this.entries[this.head++]!;
    let parts: Buffer[] | null = null;
    let size = first.data.length;
    let endOfStream = first.endOfStream === true;
    while (!endOfStream && this.head < this.entries.length) {
      const next = this.entries[this.head]!;
      if (next.stream !== first.stream || size + next.data.length > MAX_CHUNK) break;
      (parts ??= [first.data]).push(next.data);
      size += next.data.length;
      endOfStream = next.endOfStream === true;
      this.head++;
    }
    if (this.head === this.entries.length) {
      this.entries = [];
      this.head = 0;
    } else if (this.head > COMPACT_AFTER) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    this.queued -= size;
    const chunk: TextChunk = { data: parts === null ? first.data : Buffer.concat(parts, size), offset: first.offset };
    if (first.stream !== undefined) chunk.stream = first.stream;
    if (endOfStream) chunk.endOfStream = true;
    return chunk;
  }
}
