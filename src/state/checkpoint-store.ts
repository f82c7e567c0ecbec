/**
 * Checkpoint files in a state directory, written so that a crash at any instant leaves either the
 * previous checkpoint or the new one, never half of one:
 *
 *   write checkpoint-<seq>.bin.tmp ─▶ fsync ─▶ rename to checkpoint-<seq>.bin ─▶ fsync the directory
 *
 * Each file is `TWCKPT01`, the payload length (8 bytes, little-endian), the payload's SHA-256, then
 * the payload: the state as v8 serialisation (Maps, Sets and typed arrays survive it as they are).
 * Loading takes the newest file whose length and hash check out; newer ones that do not (a torn
 * write on a file system that reordered it, a disk error, someone's editor) are reported by name
 * and reason and left for inspection. The newest `KEEP` good files are kept.
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { TunnelwatchError } from '../errors.js';

const MAGIC = Buffer.from('TWCKPT01', 'latin1');
const HEADER_BYTES = MAGIC.length + 8 + 32;
const KEEP = 3;
const NAME = /^checkpoint-(\d{12})\.bin$/;

export interface LoadedCheckpoint<T> {
  seq: number;
  file: string;
  state: T;
  /** Newer checkpoint files that failed their checks, newest first. */
  rejected: Array<{ file: string; reason: string }>;
}

export class CheckpointStore {
  private seq = 0;

  constructor(readonly dir: string) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (error) {
      throw new TunnelwatchError('TW_OUTPUT', `cannot create state directory ${dir}: ${(error as Error).message}`, { cause: error });
    }
  }

  /** The newest good checkpoint, or null when there is none; later writes number on from it. */
  load<T>(): LoadedCheckpoint<T> | null {
    const rejected: Array<{ file: string; reason: string }> = [];
    const files = this.list();
    if (files.length > 0) this.seq = files[0]!.seq;
    for (const { seq, file } of files) {
      const reason = this.check(file);
      if (typeof reason === 'string') {
        rejected.push({ file, reason });
        continue;
      }
      return { seq, file, state: reason.state as T, rejected };
    }
    if (rejected.length > 0) {
      const list = rejected.map((r) => `${r.file} (${r.reason})`).join(', ');
      throw new TunnelwatchError('TW_INPUT', `no usable checkpoint in ${this.dir}: ${list}; move the state directory away to start afresh`);
    }
    return null;
  }

  /** Writes the next checkpoint durably and drops all but the newest few. */
  save(state: unknown): string {
    const payload = serialize(state);
    const header = Buffer.alloc(HEADER_BYTES);
    MAGIC.copy(header, 0);
    header.writeBigUInt64LE(BigInt(payload.length), MAGIC.length);
    createHash('sha256').update(payload).digest().copy(header, MAGIC.length + 8);
    this.seq++;
    const name = `checkpoint-${String(this.seq).padStart(12, '0')}.bin`;
    const final = join(this.dir, name);
    const tmp = `${final}.tmp`;
    try {
      const fd = openSync(tmp, 'w');
      try {
        writeSync(fd, header);
        writeSync(fd, payload);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, final);
      syncDirectory(this.dir);
    } catch (error) {
      throw new TunnelwatchError('TW_OUTPUT', `cannot write checkpoint ${final}: ${(error as Error).message}`, { cause: error });
    }
    for (const old of this.list().slice(KEEP)) rmSync(join(this.dir, old.file), { force: true });
    return final;
  }

  /** Newest first; stray `.tmp` files (a crash mid-write) are removed. */
  private list(): Array<{ seq: number; file: string }> {
    const out: Array<{ seq: number; file: string }> = [];
    for (const file of readdirSync(this.dir)) {
      const m = NAME.exec(file);
      if (m !== null) out.push({ seq: Number(m[1]), file });
      else if (file.startsWith('checkpoint-') && file.endsWith('.bin.tmp')) rmSync(join(this.dir, file), { force: true });
    }
    return out.sort((a, b) => b.seq - a.seq);
  }

  private check(file: string): { state: unknown } | string {
    let bytes: Buffer;
    try {
      bytes = readFileSync(join(this.dir, file));
    } catch (error) {
      return `unreadable: ${(error as Error).message}`;
    }
    if (bytes.length < HEADER_BYTES || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) return 'not a tunnelwatch checkpoint (bad header)';
    const length = bytes.readBigUInt64LE(MAGIC.length);
    if (BigInt(bytes.length - HEADER_BYTES) !== length) return `truncated or padded: ${bytes.length - HEADER_BYTES} payload bytes, header says ${length}`;
    const payload = bytes.subarray(HEADER_BYTES);
    const digest = createHash('sha256').update(payload).digest();
    if (!digest.equals(bytes.subarray(MAGIC.length + 8, HEADER_BYTES))) return 'checksum mismatch';
    try {
      return { state: deserialize(payload) };
    } catch (error) {
      return `undecodable: ${(error as Error).message}`;
    }
  }
}

/** A rename is durable once the directory entry is; not every platform can fsync a directory. */
function syncDirectory(dir: string): void {
  let fd = -1;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // EISDIR/EPERM on platforms without directory fsync: the rename is as durable as they allow.
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}
