/**
 * `tail -F` for one path: reads what is there, then keeps polling.
 *
 *   rotation by rename  → the path's inode changes: drain the old file to its end, then open the new one from 0
 *   copy-truncate       → the file shrinks below our position: start again from 0
 *   path missing        → wait for it to appear
 *
 * Polling (not fs.watch) because inotify misses events on some file systems
 * and rename/truncate detection needs a stat anyway.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SourceCounters } from '../counters.js';
import type { LineSource } from './source.js';
import { LineChunker, type ResumePoint, type TextChunk } from './text-chunk.js';

const READ_SIZE = 1 << 20;

export interface FollowCounters extends SourceCounters {
  rotations: number;
  truncations: number;
}

export class FollowSource implements LineSource {
  readonly counters: FollowCounters = { read: 0, bytes: 0, errors: 0, rotations: 0, truncations: 0 };
  private stopped = false;
  private wake: (() => void) | null = null;

  /** With a resume point (a checkpoint's), the same file is read on from there; a file rotated meanwhile is read from its start. */
  constructor(readonly name: string, private readonly pollMs = 250, private readonly resume?: ResumePoint, private readonly warn: (text: string) => void = () => {}) {}

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  async *chunks(): AsyncGenerator<TextChunk> {
    let handle: FileHandle | null = null;
    let ino = -1;
    let position = 0;
    // One source name spans rotations, so offsets keep growing across files: positions stay unique.
    let base = this.resume?.base ?? 0;
    let resume = this.resume;
    let chunker = new LineChunker(base);
    try {
      while (!this.stopped) {
        if (handle === null) {
          handle = await this.tryOpen();
          if (handle === null) {
            await this.pause();
            continue;
          }
          const { dev, ino: fileIno } = await handle.stat();
          ino = fileIno;
          position = 0;
          if (resume !== undefined) {
            if (resume.dev === dev && resume.ino === ino) position = resume.fileOffset;
            else {
              this.warn(`tunnelwatch: ${this.name} was rotated while tunnelwatch was stopped: reading the new file from its start`);
              base += resume.fileOffset;
            }
            resume = undefined;
            this.counters.bytes = position;
          }
          chunker = new LineChunker(base + position, undefined, { dev, ino, base });
        }
        // Read everything currently available.
        let readAny = false;
        for (;;) {
          const buf = Buffer.allocUnsafe(READ_SIZE);
          const { bytesRead } = await handle.read(buf, 0, READ_SIZE, position);
          if (bytesRead === 0) break;
          readAny = true;
          position += bytesRead;
          this.counters.bytes += bytesRead;
          const chunk = chunker.push(buf.subarray(0, bytesRead));
          if (chunk !== null) yield chunk;
          if (this.stopped) return;
        }
        if (readAny) continue;

        const now = await stat(this.name).catch(() => null);
        if (now !== null && now.ino !== ino) {
          // Rotated: the old handle was drained above; its unterminated last line is complete now.
          const last = chunker.end();
          if (last !== null) yield last;
          base += position;
          await handle.close();
          handle = null;
          this.counters.rotations++;
          continue;
        }
        if (now !== null && now.size < position) {
          const last = chunker.end();
          if (last !== null) yield last;
          base += position;
          position = 0;
          chunker = new LineChunker(base, undefined, { dev: (await handle.stat()).dev, ino, base });
          this.counters.truncations++;
          continue;
        }
        await this.pause();
      }
    } finally {
      await handle?.close();
    }
    // Only a stop ends a followed file: an unterminated tail is a line the writer has not finished
    // (a resumed run reads it whole from the checkpoint's position).
  }

  private async tryOpen(): Promise<FileHandle | null> {
    try {
      return await open(this.name, 'r');
    } catch {
      return null;
    }
  }

  private async pause(): Promise<void> {
    const ac = new AbortController();
    this.wake = () => ac.abort();
    await sleep(this.pollMs, undefined, { signal: ac.signal }).catch(() => {});
    this.wake = null;
  }
}
