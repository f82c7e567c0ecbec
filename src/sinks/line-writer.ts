import { closeSync, existsSync, fstatSync, fsyncSync, mkdirSync, openSync, renameSync, statSync, truncateSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { newSinkCounters, type SinkCounters } from '../counters.js';
import { TunnelwatchError } from '../errors.js';

export interface RotationOptions {
  /** Start a new file once this one would grow past this many bytes; 0 never rotates. */
  maxBytes: number;
  /** Rotated files kept as PATH.1 (newest) … PATH.keep; older ones are removed by being renamed over. */
  keep: number;
  /**
   * Rotate only in `commit` (checkpointed runs): between two checkpoints the file then only grows,
   * so recovery can trim it back to the committed size.
   */
  onCommitOnly?: boolean;
}

/**
 * Appends lines to a file, opened on first use (so an unused quarantine file
 * is never created). Buffers up to `bufferBytes`, or writes through at once
 * when `bufferBytes` is 0 (alerts: each must be on disk when it is raised).
 * With rotation, a full file is renamed to PATH.1 (PATH.1 to PATH.2, …) and a
 * new one started, between whole writes: a line is never split across files.
 */
export class LineFileWriter {
  readonly counters: SinkCounters = newSinkCounters();
  private fd = -1;
  private size = 0;
  private buffer: string[] = [];
  private buffered = 0;
  rotations = 0;

  constructor(
    readonly path: string,
    private readonly bufferBytes = 64 * 1024,
    private readonly rotation: RotationOptions = { maxBytes: 0, keep: 0 },
  ) {}

  write(line: string): void {
    this.counters.received++;
    this.buffer.push(line, '\n');
    this.buffered += line.length + 1;
    if (this.buffered >= this.bufferBytes) this.flush();
  }

  flush(): void {
    if (this.buffer.length === 0) return;
    const text = this.buffer.join('');
    const lines = this.buffer.length / 2;
    this.buffer = [];
    this.buffered = 0;
    try {
      const bytes = Buffer.byteLength(text);
      if (this.fd < 0) this.open();
      if (this.rotation.maxBytes > 0 && this.rotation.onCommitOnly !== true && this.size > 0 && this.size + bytes > this.rotation.maxBytes) this.rotate();
      writeSync(this.fd, text);
      this.size += bytes;
      this.counters.written += lines;
    } catch (error) {
      this.counters.failed += lines;
      throw new TunnelwatchError('TW_OUTPUT', `cannot write ${this.path}: ${(error as Error).message}`, { cause: error });
    }
  }

  /**
   * Makes everything written so far durable (flush, fsync) and returns the file's size: what a
   * checkpoint records as committed. A deferred rotation happens here, before the size is taken.
   */
  commit(): number {
    this.flush();
    if (this.fd < 0) return existsSync(this.path) ? statSync(this.path).size : 0;
    if (this.rotation.maxBytes > 0 && this.size >= this.rotation.maxBytes) this.rotate();
    fsyncSync(this.fd);
    return this.size;
  }

  /** Recovery: cuts the file back to the size a checkpoint committed (what came after is replayed). */
  static trimTo(path: string, bytes: number): number {
    if (!existsSync(path)) return 0;
    const size = statSync(path).size;
    if (size > bytes) truncateSync(path, bytes);
    return Math.max(0, size - bytes);
  }

  private open(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    this.fd = openSync(this.path, 'a');
    this.size = fstatSync(this.fd).size;
  }

  private rotate(): void {
    closeSync(this.fd);
    this.fd = -1;
    for (let i = this.rotation.keep - 1; i >= 1; i--) {
      if (existsSync(`${this.path}.${i}`)) renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
    }
    renameSync(this.path, `${this.path}.1`);
    this.rotations++;
    this.open();
  }

  close(): void {
    this.flush();
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
