/**
 * POSTs alerts (ECS documents) to an HTTP endpoint in batches, as a JSON array.
 *
 * Delivery: at least once per alert *attempt*, never twice after a 2xx. Every
 * document carries its deterministic `event.id`, so a receiver can de-duplicate
 * the rare re-send (a request that timed out or was cut off at close after the
 * server had already taken it).
 *
 * While the endpoint is down (network error, timeout, non-2xx) the batch is
 * retried with exponential backoff and jitter. The in-memory queue holds at
 * most `maxQueued` alerts (plus the one batch in flight); past that the oldest
 * spill to a JSONL file in `spillDir`, which is bounded by `spillMaxBytes`.
 * Alerts that fit nowhere (no spillDir, spill file full, write after close)
 * are counted `dropped`; spill-file I/O errors count `failed`. Nothing is lost
 * silently:
 *
 *   received = written + failed + dropped + queued + inFlight + spilled
 *
 * (`stats` exposes the last three). Spilled alerts are sent first once the
 * endpoint answers again, and the spill file is truncated when all of it has
 * been delivered. A spill file left by an earlier run is picked up (and
 * counted as received) at construction.
 *
 * `close()` keeps sending for up to `closeTimeoutMs`, then aborts the request
 * in flight and spills whatever is left.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Alert } from '../alerts/alert.js';
import { toEcsLine } from '../alerts/ecs.js';
import { newSinkCounters, type SinkCounters } from '../counters.js';
import { TunnelwatchError } from '../errors.js';
import type { AlertSink } from './alert-sink.js';

export interface RetryOptions {
  /** First backoff delay (ms). Default 200. */
  initialMs?: number;
  /** Backoff cap (ms). Default 30 000. */
  maxMs?: number;
}

export interface WebhookSinkOptions {
  url: string;
  /** Alerts per POST. Default 100. */
  batchSize?: number;
  /** Longest time an alert waits for its batch to fill (ms). Default 1000. */
  flushMs?: number;
  /** In-memory queue bound; past it the oldest spill (or drop). Default 10 000. */
  maxQueued?: number;
  retry?: RetryOptions;
  /** Per-request timeout (ms). Default 10 000. */
  requestTimeoutMs?: number;
  /** How long close() keeps trying to deliver before spilling (ms). Default 5000. */
  closeTimeoutMs?: number;
  /** Directory of the spill file; without it, overflow is dropped (counted). */
  spillDir?: string;
  /** Spill-file size bound (bytes). Default 64 MiB. */
  spillMaxBytes?: number;
  /** Extra request headers (e.g. authorization). */
  headers?: Record<string, string>;
}

export interface WebhookSinkStats {
  /** Alerts waiting in memory. */
  queued: number;
  /** Alerts in the request now in flight (from memory). */
  inFlight: number;
  /** Alerts in the spill file not yet delivered. */
  spilled: number;
  /** Size of the spill file (bytes, including delivered lines not yet truncated). */
  spillBytes: number;
  /** Alerts ever written to the spill file (this run). */
  spilledTotal: number;
  /** Alerts delivered from the spill file. */
  resentFromSpill: number;
  requests: number;
  requestFailures: number;
  /** Last request or spill error, for diagnostics. */
  lastError: string | undefined;
}

type Wake = 'write' | 'close';

export class WebhookAlertSink implements AlertSink {
  readonly name: string;
  readonly counters: SinkCounters = newSinkCounters();
  /** Path of the spill file, when a spillDir is configured. */
  readonly spillPath: string | undefined;

  private readonly url: string;
  private readonly batchSize: number;
  private readonly flushMs: number;
  private readonly maxQueued: number;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly requestTimeoutMs: number;
  private readonly closeTimeoutMs: number;
  private readonly spillMaxBytes: number;
  private readonly headers: Record<string, string>;

  private queue: string[] = [];
  private inFlight: string[] = [];
  /** When the oldest alert of a not-yet-full batch arrived; 0: send at once. */
  private oldestAt = 0;
  private spilled = 0;
  private spillBytes = 0;
  private spillReadOffset = 0;
  private spilledTotal = 0;
  private resentFromSpill = 0;
  private requests = 0;
  private requestFailures = 0;
  private lastError: string | undefined;

  private closing = false;
  private stopping = false;
  private closed = false;
  private closePromise: Promise<void> | undefined;
  private readonly stopAbort = new AbortController();
  private idleResolve: ((by: Wake | 'timer') => void) | undefined;
  private idleWakesOnWrite = false;
  private readonly pumpPromise: Promise<void>;

  constructor(options: WebhookSinkOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch (error) {
      throw new TunnelwatchError('TW_CONFIG', `webhook url is not a URL: ${options.url}`, { cause: error });
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new TunnelwatchError('TW_CONFIG', `webhook url must be http(s): ${options.url}`);
    }
    this.url = parsed.href;
    // Never put credentials of the URL in the sink name (it is printed in summaries).
    this.name = `webhook:${parsed.protocol}//${parsed.host}${parsed.pathname}`;
    this.batchSize = positive(options.batchSize, 100, 'batchSize');
    this.flushMs = nonNegative(options.flushMs, 1000, 'flushMs');
    this.maxQueued = positive(options.maxQueued, 10_000, 'maxQueued');
    this.initialMs = positive(options.retry?.initialMs, 200, 'retry.initialMs');
    this.maxMs = Math.max(this.initialMs, positive(options.retry?.maxMs, 30_000, 'retry.maxMs'));
    this.requestTimeoutMs = positive(options.requestTimeoutMs, 10_000, 'requestTimeoutMs');
    this.closeTimeoutMs = nonNegative(options.closeTimeoutMs, 5000, 'closeTimeoutMs');
    this.spillMaxBytes = positive(options.spillMaxBytes, 64 * 1024 * 1024, 'spillMaxBytes');
    this.headers = { ...options.headers, 'content-type': 'application/json' };

    if (options.spillDir !== undefined) {
      const id = createHash('sha256').update(this.url).digest('hex').slice(0, 12);
      this.spillPath = join(options.spillDir, `tunnelwatch-webhook-${id}.jsonl`);
      try {
        mkdirSync(options.spillDir, { recursive: true });
        if (existsSync(this.spillPath)) {
          // Left by an earlier run: deliver it first (counted as received now).
          const size = statSync(this.spillPath).size;
          const text = readFileSync(this.spillPath, 'utf8');
          const lines = text.split('\n').filter((l) => l.length > 0).length;
          this.spillBytes = size;
          this.spilled = lines;
          this.counters.received += lines;
        }
      } catch (error) {
        throw new TunnelwatchError('TW_OUTPUT', `cannot use webhook spill directory ${options.spillDir}: ${(error as Error).message}`, { cause: error });
      }
    }
    this.pumpPromise = this.pump().catch((error: unknown) => {
      this.lastError = `internal: ${(error as Error).message}`;
    });
  }

  get stats(): WebhookSinkStats {
    return {
      queued: this.queue.length,
      inFlight: this.inFlight.length,
      spilled: this.spilled,
      spillBytes: this.spillBytes,
      spilledTotal: this.spilledTotal,
      resentFromSpill: this.resentFromSpill,
      requests: this.requests,
      requestFailures: this.requestFailures,
      lastError: this.lastError,
    };
  }

  write(alert: Alert): void {
    this.counters.received++;
    if (this.closing) {
      this.counters.dropped++;
      return;
    }
    const line = toEcsLine(alert);
    if (this.queue.length === 0) this.oldestAt = Date.now();
    this.queue.push(line);
    this.enforceBound();
    this.wake('write');
  }

  close(): Promise<void> {
    this.closePromise ??= this.doClose();
    return this.closePromise;
  }

  private async doClose(): Promise<void> {
    this.closing = true;
    this.oldestAt = 0;
    const deadline = setTimeout(() => {
      this.stopping = true;
      this.stopAbort.abort();
      this.wake('close');
    }, this.closeTimeoutMs);
    this.wake('close');
    await this.pumpPromise;
    clearTimeout(deadline);
    const rest = [...this.inFlight, ...this.queue];
    this.inFlight = [];
    this.queue = [];
    this.spill(rest);
    this.closed = true;
  }

  // ---- sending ----

  private async pump(): Promise<void> {
    let attempt = 0;
    for (;;) {
      if (this.stopping) return;
      const fromSpill = this.spilled > 0;
      if (!fromSpill && this.queue.length === 0) {
        if (this.closing) return;
        await this.idle(undefined, true);
        continue;
      }
      if (!fromSpill && !this.closing && attempt === 0 && this.queue.length < this.batchSize && this.oldestAt > 0) {
        const wait = this.oldestAt + this.flushMs - Date.now();
        if (wait > 0) {
          await this.idle(wait, true);
          continue;
        }
      }

      let batch: string[];
      let spillChunkBytes = 0;
      if (fromSpill) {
        const chunk = await this.readSpill();
        if (chunk === undefined) continue; // spill state was reset (file vanished)
        batch = chunk.lines;
        spillChunkBytes = chunk.bytes;
      } else {
        batch = this.queue.splice(0, this.batchSize);
        this.inFlight = batch;
        this.oldestAt = 0;
      }

      const ok = await this.post(batch);
      if (ok) {
        attempt = 0;
        this.counters.written += batch.length;
        if (fromSpill) {
          this.resentFromSpill += batch.length;
          this.spilled -= batch.length;
          this.spillReadOffset += spillChunkBytes;
          if (this.spilled <= 0 || this.spillReadOffset >= this.spillBytes) this.resetSpillFile();
        } else {
          this.inFlight = [];
        }
        continue;
      }

      if (!fromSpill) {
        // Back to the front of the queue; if that overflows, the oldest (these) spill.
        this.queue.unshift(...batch);
        this.inFlight = [];
        this.enforceBound();
      }
      if (this.stopping) return;
      const base = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(attempt, 30));
      attempt++;
      // "Equal jitter": half fixed, half random, so many sinks do not retry in step.
      await this.idle(base / 2 + Math.random() * (base / 2), false);
    }
  }

  private async post(batch: string[]): Promise<boolean> {
    this.requests++;
    const signal = AbortSignal.any([AbortSignal.timeout(this.requestTimeoutMs), this.stopAbort.signal]);
    try {
      const res = await fetch(this.url, { method: 'POST', headers: this.headers, body: `[${batch.join(',')}]`, signal });
      try {
        await res.arrayBuffer();
      } catch {
        // the status is what counts
      }
      if (res.status >= 200 && res.status < 300) return true;
      this.requestFailures++;
      this.lastError = `HTTP ${res.status}`;
      return false;
    } catch (error) {
      this.requestFailures++;
      const cause = (error as { cause?: { code?: string } }).cause;
      this.lastError = `${(error as Error).name}: ${(error as Error).message}${cause?.code ? ` (${cause.code})` : ''}`;
      return false;
    }
  }

  // ---- waiting ----

  private idle(ms: number | undefined, wakesOnWrite: boolean): Promise<Wake | 'timer'> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (by: Wake | 'timer'): void => {
        if (timer !== undefined) clearTimeout(timer);
        this.idleResolve = undefined;
        resolve(by);
      };
      if (ms !== undefined) timer = setTimeout(() => done('timer'), ms);
      this.idleResolve = done;
      this.idleWakesOnWrite = wakesOnWrite;
    });
  }

  private wake(by: Wake): void {
    if (this.idleResolve === undefined) return;
    if (by === 'write') {
      if (!this.idleWakesOnWrite) return;
      // An idle pump starts its flush timer; a waiting one goes when the batch is full.
      if (this.queue.length < this.batchSize && this.oldestAt > 0 && this.queue.length > 1) return;
    }
    this.idleResolve(by);
  }

  // ---- spilling ----

  private enforceBound(): void {
    const excess = this.queue.length - this.maxQueued;
    if (excess > 0) this.spill(this.queue.splice(0, excess));
  }

  private spill(lines: string[]): void {
    if (lines.length === 0) return;
    if (this.spillPath === undefined) {
      this.counters.dropped += lines.length;
      return;
    }
    const parts: string[] = [];
    let bytes = 0;
    for (const line of lines) {
      const b = Buffer.byteLength(line) + 1;
      if (this.spillBytes + bytes + b > this.spillMaxBytes) break;
      parts.push(line, '\n');
      bytes += b;
    }
    const fitted = parts.length / 2;
    this.counters.dropped += lines.length - fitted;
    if (fitted === 0) return;
    try {
      appendFileSync(this.spillPath, parts.join(''));
      this.spillBytes += bytes;
      this.spilled += fitted;
      this.spilledTotal += fitted;
    } catch (error) {
      this.counters.failed += fitted;
      this.lastError = `spill: ${(error as Error).message}`;
    }
  }

  /** Up to batchSize lines from the spill file's unsent part, and their size in bytes. */
  private async readSpill(): Promise<{ lines: string[]; bytes: number } | undefined> {
    const path = this.spillPath as string;
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      // The file vanished under us: what it held cannot be delivered.
      this.counters.failed += this.spilled;
      this.lastError = `spill: ${(error as Error).message}`;
      this.spilled = 0;
      this.spillBytes = 0;
      this.spillReadOffset = 0;
      return undefined;
    }
    try {
      let size = 256 * 1024;
      for (;;) {
        const want = Math.min(size, this.spillBytes - this.spillReadOffset);
        const buf = Buffer.alloc(want);
        const { bytesRead } = await handle.read(buf, 0, want, this.spillReadOffset);
        const lines: string[] = [];
        let start = 0;
        while (lines.length < this.batchSize) {
          const nl = buf.indexOf(0x0a, start);
          if (nl < 0 || nl >= bytesRead) break;
          if (nl > start) lines.push(buf.toString('utf8', start, nl));
          start = nl + 1;
        }
        if (lines.length > 0 || bytesRead < want || want === this.spillBytes - this.spillReadOffset) {
          if (lines.length === 0) {
            // Nothing complete left (cannot happen with our own appends): treat as delivered.
            this.resetSpillFile();
            return undefined;
          }
          return { lines, bytes: start };
        }
        size *= 2; // a line longer than the chunk
      }
    } finally {
      await handle.close();
    }
  }

  private resetSpillFile(): void {
    if (this.spillPath !== undefined) {
      try {
        truncateSync(this.spillPath, 0);
      } catch (error) {
        this.lastError = `spill: ${(error as Error).message}`;
      }
    }
    this.spilled = 0;
    this.spillBytes = 0;
    this.spillReadOffset = 0;
  }
}

function positive(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new TunnelwatchError('TW_CONFIG', `webhook ${what} must be a positive number, got ${value}`);
  return value;
}

function nonNegative(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw new TunnelwatchError('TW_CONFIG', `webhook ${what} must be a non-negative number, got ${value}`);
  return value;
}
