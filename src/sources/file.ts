import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import type { SourceCounters } from '../counters.js';
import { TunnelwatchError } from '../errors.js';
import type { LineSource } from './source.js';
import { LineChunker, type FileOrigin, type ResumePoint, type TextChunk } from './text-chunk.js';

const READ_SIZE = 1 << 20;

/**
 * A whole file, read once from start to end; gzip is recognised by its magic bytes. With a resume
 * point (a checkpoint's) it starts after the bytes already processed — when the file is still the
 * same one (device and inode); otherwise it reads the new file from its start and says so.
 *
 * Stopped (SIGTERM, SIGINT), a source hands out no more than its complete lines: the unterminated
 * tail of its last read is the start of a line whose end it has not read, and a resumed run reads
 * that line whole. Only at the end of the input is an unterminated last line a line.
 */
export class FileSource implements LineSource {
  readonly counters: SourceCounters = { read: 0, bytes: 0, errors: 0 };
  private stopped = false;

  constructor(readonly name: string, private readonly resume?: ResumePoint, private readonly warn: (text: string) => void = () => {}) {}

  stop(): void {
    this.stopped = true;
  }

  async *chunks(): AsyncGenerator<TextChunk> {
    let handle;
    try {
      handle = await open(this.name, 'r');
    } catch (error) {
      this.counters.errors++;
      throw new TunnelwatchError('TW_INPUT', `cannot open ${this.name}: ${(error as Error).message}`, { cause: error });
    }
    try {
      const { dev, ino } = await handle.stat();
      let start = 0;
      if (this.resume !== undefined) {
        if (this.resume.dev === dev && this.resume.ino === ino) start = this.resume.fileOffset;
        else this.warn(`tunnelwatch: ${this.name} is not the file the checkpoint read (device/inode changed): reading it from the start`);
      }
      const origin: FileOrigin = { dev, ino, base: 0 };
      this.counters.bytes = start;
      const magic = Buffer.alloc(2);
      const { bytesRead } = await handle.read(magic, 0, 2, 0);
      if (bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b) {
        await handle.close();
        handle = undefined;
        yield* this.gzipChunks(origin, start);
        return;
      }
      const chunker = new LineChunker(start, undefined, origin);
      let position = start;
      while (!this.stopped) {
        const buf = Buffer.allocUnsafe(READ_SIZE);
        const { bytesRead: n } = await handle.read(buf, 0, READ_SIZE, position);
        if (n === 0) {
          const last = chunker.end();
          if (last !== null) yield last;
          break;
        }
        position += n;
        this.counters.bytes += n;
        const chunk = chunker.push(n === READ_SIZE ? buf : buf.subarray(0, n));
        if (chunk !== null) yield chunk;
      }
    } finally {
      await handle?.close();
    }
  }

  /** Offsets in a gzip source are offsets in the decompressed text; resuming decompresses and skips to `start`. */
  private async *gzipChunks(origin: FileOrigin, start: number): AsyncGenerator<TextChunk> {
    const chunker = new LineChunker(start, undefined, origin);
    const stream = createReadStream(this.name, { highWaterMark: READ_SIZE }).pipe(createGunzip());
    let skip = start;
    try {
      for await (const whole of stream as AsyncIterable<Buffer>) {
        if (this.stopped) break;
        let data = whole;
        if (skip > 0) {
          const n = Math.min(skip, data.length);
          skip -= n;
          data = data.subarray(n);
          if (data.length === 0) continue;
        }
        this.counters.bytes += data.length;
        const chunk = chunker.push(data);
        if (chunk !== null) yield chunk;
      }
    } catch (error) {
      this.counters.errors++;
      throw new TunnelwatchError('TW_INPUT', `cannot decompress ${this.name}: ${(error as Error).message}`, { cause: error });
    } finally {
      stream.destroy();
    }
    if (this.stopped) return;
    const last = chunker.end();
    if (last !== null) yield last;
  }
}

/** Standard input, read until it closes. */
export class StdinSource implements LineSource {
  readonly name = '-';
  readonly counters: SourceCounters = { read: 0, bytes: 0, errors: 0 };
  private stopped = false;

  stop(): void {
    this.stopped = true;
    process.stdin.pause();
  }

  async *chunks(): AsyncGenerator<TextChunk> {
    const chunker = new LineChunker();
    for await (const data of process.stdin as AsyncIterable<Buffer>) {
      if (this.stopped) break;
      this.counters.bytes += data.length;
      const chunk = chunker.push(data);
      if (chunk !== null) yield chunk;
    }
    // Stopped, the unterminated tail is part of a line not read to its end.
    if (this.stopped) return;
    const last = chunker.end();
    if (last !== null) yield last;
  }
}
