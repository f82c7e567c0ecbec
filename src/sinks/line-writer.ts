import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { newSinkCounters, type SinkCounters } from '../counters.js';
import { TunnelwatchError } from '../errors.js';

/**
 * Appends lines to a file, opened on first use (so an unused quarantine file
 * is never created). Buffers up to `bufferBytes`, or writes through at once
 * when `bufferBytes` is 0 (alerts: each must be on disk when it is raised).
 */
export class LineFileWriter {
  readonly counters: SinkCounters = newSinkCounters();
  private fd = -1;
  private buffer: string[] = [];
  private buffered = 0;

  constructor(readonly path: string, private readonly bufferBytes = 64 * 1024) {}

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
      if (this.fd < 0) {
        mkdirSync(dirname(this.path), { recursive: true });
        this.fd = openSync(this.path, 'a');
      }
      writeSync(this.fd, text);
      this.counters.written += lines;
    } catch (error) {
      this.counters.failed += lines;
      throw new TunnelwatchError('TW_OUTPUT', `cannot write ${this.path}: ${(error as Error).message}`, { cause: error });
    }
  }

  close(): void {
    this.flush();
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
