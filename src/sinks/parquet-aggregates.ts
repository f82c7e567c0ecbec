/**
 * ParquetAggregateSink: buffers closed-window aggregates and writes them, on
 * demand, to immutable zstd-compressed Parquet files through an in-memory
 * DuckDB instance.
 *
 * Safety notes:
 * - Every string in a row can come from attacker-controlled DNS traffic. No
 *   row value ever reaches SQL text: rows go into a temp table through the
 *   DuckDB appender (data chunks), and only the file path, which this sink
 *   builds itself, is put into a SQL literal, with single quotes doubled.
 * - Files are written under a dot-prefixed temporary name, fsynced, then
 *   hard-linked (or renamed) to their final name, so a reader listing
 *   `${prefix}-*.parquet` never sees a partial file, and an existing file is
 *   never overwritten.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, link, rename, stat, unlink } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import {
  BIGINT,
  BOOLEAN,
  DuckDBAppender,
  DuckDBBigIntVector,
  DuckDBBooleanVector,
  DuckDBConnection,
  DuckDBDataChunk,
  DuckDBInstance,
  DuckDBTimestampTZValue,
  DuckDBTimestampTZVector,
  DuckDBVarCharVector,
  TIMESTAMPTZ,
  VARCHAR,
} from '@duckdb/node-api';
import { newSinkCounters, type SinkCounters } from '../counters.js';
import type { WindowAggregate } from '../windows/aggregate.js';

export interface ParquetAggregateSinkOptions {
  /** Output directory; created (recursively) by `open`. */
  dir: string;
  /** Most rows one file holds; default 500_000. */
  maxRowsPerFile?: number;
  /** File name prefix; default `windows`. Letters, digits, `_`, `-`, `.`; must not start with `.`. */
  filePrefix?: string;
  /**
   * The detect run writing the rows (column `run_id`; default: a random id) and the number of the
   * first row `add` receives (column `seq`, counted on by every row received; default 0). A run
   * resumed from a checkpoint may write rows again: (run_id, seq) tells the copies apart.
   */
  run?: string;
  firstSeq?: number;
}

/** Thrown (rejected) by `flush`/`flushAll`/`close` when a file could not be written; its rows are counted `failed`. */
export class ParquetWriteError extends Error {
  readonly code = 'TW_PARQUET_WRITE' as const;
  /** Rows that were in the failed file (already added to `counters.failed`). */
  readonly rows: number;
  constructor(message: string, rows: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ParquetWriteError';
    this.rows = rows;
  }
}

/** Why rows were counted `dropped` (never buffered). */
export type ParquetDropReason =
  | 'closed'
  | 'invalid_string'
  | 'invalid_timestamp'
  | 'invalid_count'
  | 'invalid_boolean';

export const DEFAULT_MAX_ROWS_PER_FILE = 500_000;
export const DEFAULT_FILE_PREFIX = 'windows';

const TABLE = 'tw_window_aggregates_buf';

/**
 * Column order of the temp table and of the Parquet files. `window` is a
 * reserved word in DuckDB's SQL, hence the quotes.
 */
const CREATE_TABLE_SQL = `CREATE OR REPLACE TEMP TABLE ${TABLE} (
  "window" VARCHAR NOT NULL,
  window_start TIMESTAMPTZ NOT NULL,
  window_end TIMESTAMPTZ NOT NULL,
  registered_domain VARCHAR NOT NULL,
  queries BIGINT NOT NULL,
  distinct_subdomains BIGINT NOT NULL,
  distinct_clients BIGINT NOT NULL,
  max_client_distinct_subdomains BIGINT NOT NULL,
  top_client VARCHAR NOT NULL,
  alerted BOOLEAN NOT NULL,
  run_id VARCHAR NOT NULL,
  seq BIGINT NOT NULL
)`;
const COLUMN_TYPES = [VARCHAR, TIMESTAMPTZ, TIMESTAMPTZ, VARCHAR, BIGINT, BIGINT, BIGINT, BIGINT, VARCHAR, BOOLEAN, VARCHAR, BIGINT];

/** A buffered row and its number in the run. */
interface NumberedRow {
  row: WindowAggregate;
  seq: number;
}

/** Rows per DuckDB data chunk (DuckDB's standard vector size). */
const CHUNK_ROWS = 2048;
/** Chunks appended between yields to the event loop (~16k rows, a few tens of ms). */
const CHUNKS_PER_YIELD = 8;
/** JS Date's range, in ms either side of the epoch. */
const MAX_ABS_EPOCH_MS = 8.64e15;
const PREFIX_RE = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;

/** Put a string into a single-quoted SQL literal. */
export function sqlStringLiteral(s: string): string {
  if (s.includes('\u0000')) throw new Error('NUL byte in SQL string literal');
  return `'${s.replaceAll("'", "''")}'`;
}

/** `2023-11-14T22:13:20.000Z` -> `20231114T221320.000Z` (sorts lexically, no `:`). */
function isoSafe(epochMs: number): string {
  return new Date(epochMs).toISOString().replaceAll('-', '').replaceAll(':', '');
}

// ES2024 String well-formedness methods, available since Node 20 but not in the ES2022 lib.
interface WellFormedString {
  isWellFormed(): boolean;
  toWellFormed(): string;
}
/** Lone UTF-16 surrogates cannot be encoded as UTF-8: replace each with U+FFFD (what Node's encoders do anyway), explicitly. */
function wellFormed(s: string): string {
  const w = s as unknown as WellFormedString;
  return w.isWellFormed() ? s : w.toWellFormed();
}

function isCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}
function isEpochMs(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && Math.abs(n) <= MAX_ABS_EPOCH_MS;
}

function invalidReason(r: WindowAggregate): ParquetDropReason | null {
  if (typeof r.window !== 'string' || typeof r.registeredDomain !== 'string' || typeof r.topClient !== 'string') {
    return 'invalid_string';
  }
  if (!isEpochMs(r.windowStart) || !isEpochMs(r.windowEnd)) return 'invalid_timestamp';
  if (
    !isCount(r.queries) ||
    !isCount(r.distinctSubdomains) ||
    !isCount(r.distinctClients) ||
    !isCount(r.maxClientDistinctSubdomains)
  ) {
    return 'invalid_count';
  }
  if (typeof r.alerted !== 'boolean') return 'invalid_boolean';
  return null;
}

function errCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}

export class ParquetAggregateSink {
  readonly counters: SinkCounters = newSinkCounters();
  /** Breakdown of `counters.dropped` by reason. */
  readonly dropReasons: Partial<Record<ParquetDropReason, number>> = {};
  /** Absolute output directory. */
  readonly dir: string;
  readonly maxRowsPerFile: number;
  readonly filePrefix: string;

  private buffer: NumberedRow[] = [];
  /** Number of the next file name. */
  private seq = 0;
  /** Number (`seq` column) of the next row received. */
  private nextRow: number;
  /** Serializes flushes: each waits for the previous one. */
  private tail: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | null = null;
  private closed = false;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    dir: string,
    maxRowsPerFile: number,
    filePrefix: string,
    readonly run: string,
    firstSeq: number,
  ) {
    this.nextRow = firstSeq;
    this.dir = dir;
    this.maxRowsPerFile = maxRowsPerFile;
    this.filePrefix = filePrefix;
  }

  static async open(opts: ParquetAggregateSinkOptions): Promise<ParquetAggregateSink> {
    const maxRowsPerFile = opts.maxRowsPerFile ?? DEFAULT_MAX_ROWS_PER_FILE;
    if (!Number.isSafeInteger(maxRowsPerFile) || maxRowsPerFile < 1) {
      throw new RangeError(`maxRowsPerFile must be a positive integer, got ${String(maxRowsPerFile)}`);
    }
    const filePrefix = opts.filePrefix ?? DEFAULT_FILE_PREFIX;
    if (!PREFIX_RE.test(filePrefix)) {
      throw new RangeError(`filePrefix must match ${String(PREFIX_RE)}, got ${JSON.stringify(filePrefix)}`);
    }
    if (typeof opts.dir !== 'string' || opts.dir === '') throw new RangeError('dir must be a non-empty path');
    const firstSeq = opts.firstSeq ?? 0;
    if (!Number.isSafeInteger(firstSeq) || firstSeq < 0) throw new RangeError(`firstSeq must be a non-negative integer, got ${String(firstSeq)}`);
    const run = wellFormed(opts.run ?? randomBytes(8).toString('hex'));
    // Absolute, so DuckDB never sees a relative path, a leading `~` or a `scheme://`.
    const dir = resolve(opts.dir);
    await mkdir(dir, { recursive: true });

    const instance = await DuckDBInstance.create(':memory:', {
      // Parquet is built into the Node binding; never try to fetch anything.
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    });
    let connection: DuckDBConnection | undefined;
    try {
      connection = await instance.connect();
      await connection.run(CREATE_TABLE_SQL);
    } catch (e) {
      connection?.closeSync();
      instance.closeSync();
      throw e;
    }
    return new ParquetAggregateSink(instance, connection, dir, maxRowsPerFile, filePrefix, run, firstSeq);
  }

  /** Rows waiting for a flush. */
  get buffered(): number {
    return this.buffer.length;
  }

  /** True once at least `maxRowsPerFile` rows are waiting: the caller should flush soon. */
  get full(): boolean {
    return this.buffer.length >= this.maxRowsPerFile;
  }

  /**
   * Buffers rows (synchronous, cheap: called from the hot path when windows
   * close). Never writes and never throws for bad rows: rows that cannot be
   * represented (non-string text, non-integer or out-of-range numbers) and
   * rows added after `close` are counted `dropped`, by reason in `dropReasons`.
   * Buffered rows are kept by reference: do not mutate them afterwards.
   */
  add(rows: readonly WindowAggregate[]): void {
    this.counters.received += rows.length;
    const first = this.nextRow;
    this.nextRow += rows.length;
    if (this.closing !== null) {
      this.drop('closed', rows.length);
      return;
    }
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      const reason = invalidReason(r);
      if (reason === null) this.buffer.push({ row: r, seq: first + i });
      else this.drop(reason, 1);
    }
  }

  /**
   * Writes up to `maxRowsPerFile` buffered rows to a NEW Parquet file and
   * returns its path, or null when nothing was buffered. Rows beyond
   * `maxRowsPerFile` stay buffered for the next call (see `flushAll`).
   * On failure the file's rows are counted `failed` (not kept) and the
   * promise rejects with a `ParquetWriteError` (`code: 'TW_PARQUET_WRITE'`).
   * Calls are serialized; `add` may be called while a flush runs.
   */
  flush(): Promise<string | null> {
    const run = this.tail.then(() => this.writeOneFile());
    this.tail = run.catch(() => undefined);
    return run;
  }

  /**
   * Flushes until the buffer is empty, returning every file written. If a file
   * fails, the remaining rows are still attempted, then the first error is thrown.
   */
  async flushAll(): Promise<string[]> {
    const paths: string[] = [];
    let firstError: unknown;
    for (;;) {
      try {
        const p = await this.flush();
        if (p === null) break;
        paths.push(p);
      } catch (e) {
        firstError ??= e;
        // writeOneFile always consumes its batch, so this loop terminates.
      }
    }
    if (firstError !== undefined) throw firstError;
    return paths;
  }

  /**
   * Flushes everything buffered, then closes DuckDB. Idempotent: concurrent
   * calls share one close; calls after it finished resolve at once. Rows added
   * once close has begun are dropped (reason `closed`). If the final flush
   * fails, DuckDB is still closed and the `ParquetWriteError` is thrown.
   */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    try {
      await this.flushAll();
    } finally {
      // flushAll awaited every queued flush, so nothing else uses the connection.
      this.closed = true;
      try {
        this.connection.closeSync();
      } finally {
        this.instance.closeSync();
      }
    }
  }

  private drop(reason: ParquetDropReason, n: number): void {
    this.counters.dropped += n;
    this.dropReasons[reason] = (this.dropReasons[reason] ?? 0) + n;
  }

  private takeBatch(): NumberedRow[] {
    if (this.buffer.length <= this.maxRowsPerFile) {
      const batch = this.buffer;
      this.buffer = [];
      return batch;
    }
    const batch = this.buffer.slice(0, this.maxRowsPerFile);
    this.buffer = this.buffer.slice(this.maxRowsPerFile);
    return batch;
  }

  private async writeOneFile(): Promise<string | null> {
    if (this.closed || this.buffer.length === 0) return null;
    const batch = this.takeBatch();
    let minStart = Infinity;
    for (const { row } of batch) if (row.windowStart < minStart) minStart = row.windowStart;
    const stamp = isoSafe(minStart);
    const tmpPath = join(
      this.dir,
      `.${this.filePrefix}-${stamp}.${process.pid}.${randomBytes(6).toString('hex')}.parquet.tmp`,
    );
    try {
      await this.connection.run(CREATE_TABLE_SQL);
      try {
        await this.appendRows(batch);
        await this.connection.run(
          `COPY ${TABLE} TO ${sqlStringLiteral(tmpPath)} (FORMAT parquet, COMPRESSION zstd)`,
        );
      } finally {
        // Free the rows whether or not the file was written.
        await this.connection.run(`TRUNCATE ${TABLE}`).catch(() => undefined);
      }
      await fsyncFile(tmpPath);
      const finalPath = await this.publish(tmpPath, stamp);
      this.counters.written += batch.length;
      return finalPath;
    } catch (e) {
      this.counters.failed += batch.length;
      await unlink(tmpPath).catch(() => undefined);
      const msg = e instanceof Error ? e.message : String(e);
      throw new ParquetWriteError(`writing ${batch.length} window aggregates to Parquet failed: ${msg}`, batch.length, {
        cause: e,
      });
    }
  }

  /** Appends the batch through data chunks (about 3x faster than value-at-a-time appending). */
  private async appendRows(batch: readonly NumberedRow[]): Promise<void> {
    const appender: DuckDBAppender = await this.connection.createAppender(TABLE);
    let ok = false;
    try {
      for (let off = 0, chunkNo = 1; off < batch.length; off += CHUNK_ROWS, chunkNo++) {
        const n = Math.min(CHUNK_ROWS, batch.length - off);
        const chunk = DuckDBDataChunk.create(COLUMN_TYPES, n);
        const window = vectorOf(chunk, 0, DuckDBVarCharVector);
        const start = vectorOf(chunk, 1, DuckDBTimestampTZVector);
        const end = vectorOf(chunk, 2, DuckDBTimestampTZVector);
        const domain = vectorOf(chunk, 3, DuckDBVarCharVector);
        const queries = vectorOf(chunk, 4, DuckDBBigIntVector);
        const subdomains = vectorOf(chunk, 5, DuckDBBigIntVector);
        const clients = vectorOf(chunk, 6, DuckDBBigIntVector);
        const maxClientSub = vectorOf(chunk, 7, DuckDBBigIntVector);
        const topClient = vectorOf(chunk, 8, DuckDBVarCharVector);
        const alerted = vectorOf(chunk, 9, DuckDBBooleanVector);
        const run = vectorOf(chunk, 10, DuckDBVarCharVector);
        const seq = vectorOf(chunk, 11, DuckDBBigIntVector);
        for (let i = 0; i < n; i++) {
          const { row: r, seq: number } = batch[off + i]!;
          window.setItem(i, wellFormed(r.window));
          start.setItem(i, new DuckDBTimestampTZValue(BigInt(r.windowStart) * 1000n));
          end.setItem(i, new DuckDBTimestampTZValue(BigInt(r.windowEnd) * 1000n));
          domain.setItem(i, wellFormed(r.registeredDomain));
          queries.setItem(i, BigInt(r.queries));
          subdomains.setItem(i, BigInt(r.distinctSubdomains));
          clients.setItem(i, BigInt(r.distinctClients));
          maxClientSub.setItem(i, BigInt(r.maxClientDistinctSubdomains));
          topClient.setItem(i, wellFormed(r.topClient));
          alerted.setItem(i, r.alerted);
          run.setItem(i, this.run);
          seq.setItem(i, BigInt(number));
        }
        window.flush();
        start.flush();
        end.flush();
        domain.flush();
        queries.flush();
        subdomains.flush();
        clients.flush();
        maxClientSub.flush();
        topClient.flush();
        alerted.flush();
        run.flush();
        seq.flush();
        appender.appendDataChunk(chunk);
        // Appending is synchronous native work: let the event loop breathe.
        if (chunkNo % CHUNKS_PER_YIELD === 0) await yieldToEventLoop();
      }
      ok = true;
    } finally {
      try {
        appender.closeSync(); // flushes the appender into the table
      } catch (e) {
        if (ok) throw e;
        // Already failing: keep the original error.
      }
    }
  }

  /**
   * Gives the temp file its final name without ever replacing an existing
   * file: hard link (fails with EEXIST atomically) then unlink; where hard
   * links are unsupported, check-then-rename. Bumps `seq` past taken names.
   */
  private async publish(tmpPath: string, stamp: string): Promise<string> {
    for (let attempt = 0; attempt < 10_000; attempt++) {
      const finalPath = join(this.dir, `${this.filePrefix}-${stamp}-${String(this.seq++).padStart(6, '0')}.parquet`);
      try {
        await link(tmpPath, finalPath);
        await unlink(tmpPath);
      } catch (e) {
        const code = errCode(e);
        if (code === 'EEXIST') continue;
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e;
        if (await exists(finalPath)) continue;
        await rename(tmpPath, finalPath);
      }
      await fsyncDir(this.dir);
      return finalPath;
    }
    throw new Error(`no free file name for ${basename(tmpPath)}`);
  }
}

function vectorOf<V>(chunk: DuckDBDataChunk, column: number, cls: abstract new (...args: never[]) => V): V {
  const v: unknown = chunk.getColumnVector(column);
  if (!(v instanceof cls)) throw new Error(`column ${column}: unexpected DuckDB vector type`);
  return v;
}

async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Best effort: makes the new directory entry durable where the platform allows it. */
async function fsyncDir(dir: string): Promise<void> {
  try {
    await fsyncFile(dir);
  } catch {
    // Not supported everywhere (e.g. Windows); the file itself is already synced.
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if (errCode(e) === 'ENOENT') return false;
    throw e;
  }
}
