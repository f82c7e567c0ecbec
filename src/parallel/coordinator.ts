/**
 * Scale-out across cores: N partitions of registered domains
 * (src/parallel/partition.ts); partition 0 runs here, in the thread that reads
 * and routes, with a smaller share; the others in worker threads.
 *
 *   source ─▶ chunk ─▶ route (time, owner of each line) into shared memory ─┬─▶ this thread: partition 0 ─┐
 *                                                                         ├─▶ worker 1: partition 1     ├─▶ alerts, aggregates,
 *                                                                         └─▶ worker N-1                ┘   quarantine ─▶ sinks
 *
 * Every worker moves its clock with every line's time, so all keep the same watermark and
 * the alerts equal a single-threaded run's (only their interleaving across
 * partitions differs). At most `maxInFlight` chunks are outstanding, so a slow
 * worker slows the reader instead of growing a queue.
 *
 * Checkpoints (`checkpointState`): each worker is asked for its state behind the chunks already
 * sent, and answers after their outputs; the reader waits for every answer, so the partitions'
 * states, the source positions and the output files all describe the same moment.
 */
import { Worker } from 'node:worker_threads';
import type { Config } from '../config/schema.js';
import type { DnsEvent } from '../event.js';
import type { SourceCursor } from '../pipeline.js';
import type { Processor, ProcessorCounters, ProcessorOutputs, ProcessorState } from '../processor.js';
import type { TextChunk } from '../sources/text-chunk.js';
import { createParser } from '../parsers/create.js';
import type { LineParser } from '../parsers/parser.js';
import type { FromWorker, ToWorker, WorkerInit } from './messages.js';
import { InProcessProcessor } from '../processor.js';
import { ownerTable, routeChunk, viewOf } from './routing.js';

export class ParallelProcessor implements Processor {
  private readonly workers: Worker[] = [];
  private seq = 0;
  /** Per chunk: how many workers have not acknowledged it yet. */
  private readonly pending = new Map<number, number>();
  private waiting: (() => void) | null = null;
  private failure: Error | null = null;
  private finished: ProcessorCounters[] = [];
  private onFinished: (() => void) | null = null;
  /** Workers' answers to a checkpoint's snapshot request, by worker, and who waits for them. */
  private snapshots: Array<ProcessorState | null> = [];
  private onSnapshots: (() => void) | null = null;
  /** Every partition's state once finished, when the run checkpoints. */
  private finalStates: ProcessorState[] | null = null;
  private readonly checkpointing: boolean;

  /** Reads each line's time and name once, here, for every worker. */
  private readonly router: LineParser;
  private readonly owners: Uint8Array;
  /** Partition 0, in this thread. */
  private readonly local: InProcessProcessor;

  /**
   * `resume`: one state per partition from a checkpoint taken with as many partitions. `checkpointing`: the
   * run will ask for `checkpointState`, also after `finish`.
   */
  constructor(
    config: Config,
    private readonly outputs: ProcessorOutputs,
    count: number,
    options: { resume?: ProcessorState[] | null; checkpointing?: boolean } = {},
    private readonly maxInFlight = 4,
  ) {
    // Each partition's engine keeps its share of the state budget (runtime.workers partitions).
    this.router = createParser(config);
    this.owners = ownerTable(count);
    this.checkpointing = options.checkpointing === true;
    const resume = options.resume ?? null;
    if (resume !== null && resume.length !== count) throw new Error(`ParallelProcessor: ${resume.length} partition states for ${count} partitions`);
    this.local = new InProcessProcessor(config, outputs);
    if (resume !== null) this.local.restore(resume[0]!);
    for (let partition = 1; partition < count; partition++) {
      const init: WorkerInit = { config, partition, partitions: count, state: resume?.[partition] ?? null, checkpointing: this.checkpointing };
      const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: init });
      const index = this.workers.length;
      worker.on('message', (m: FromWorker) => this.receive(m, index));
      worker.on('error', (error) => this.fail(error));
      this.workers.push(worker);
    }
  }

  async consume(cursor: SourceCursor, chunk: TextChunk): Promise<void> {
    while (this.pending.size >= this.maxInFlight && this.failure === null) await new Promise<void>((resolve) => (this.waiting = resolve));
    if (this.failure !== null) throw this.failure;
    const decoded: Array<string | undefined> = [];
    const routed = routeChunk(chunk.data, this.router, this.owners, decoded);
    const seq = this.seq++;
    this.pending.set(seq, this.workers.length);
    const message: ToWorker = { type: 'chunk', seq, source: cursor.name, offset: chunk.offset, routed };
    for (const w of this.workers) w.postMessage(message);
    // The workers start on it; this thread does its own share meanwhile.
    this.local.consumeRouted(cursor, { ...viewOf(routed), decoded }, chunk.offset, 0);
  }

  endSource(): void {
    // Line formats only: nothing is held across the end of a source.
  }

  async finish(interrupted: boolean): Promise<ProcessorCounters> {
    const done = this.workers.length === 0 ? Promise.resolve() : new Promise<void>((resolve) => (this.onFinished = resolve));
    this.snapshots = this.workers.map(() => null);
    for (const w of this.workers) w.postMessage({ type: 'finish', interrupted } satisfies ToWorker);
    const local = await this.local.finish(interrupted);
    await done;
    await Promise.all(this.workers.map((w) => w.terminate()));
    if (this.failure !== null) throw this.failure;
    if (this.checkpointing) this.finalStates = [this.local.snapshot(), ...this.snapshots.map((s) => s!)];
    return merge([local, ...this.finished]);
  }

  /**
   * Every partition's state after the chunks consumed so far: workers answer in order, after those
   * chunks (and with their outputs before the answer), so the states and the outputs agree.
   */
  async checkpointState(): Promise<ProcessorState[]> {
    if (this.finalStates !== null) return this.finalStates;
    if (this.failure !== null) throw this.failure;
    this.snapshots = this.workers.map(() => null);
    const answered = new Promise<void>((resolve) => (this.onSnapshots = resolve));
    for (const w of this.workers) w.postMessage({ type: 'snapshot' } satisfies ToWorker);
    const local = this.local.snapshot();
    if (this.workers.length > 0) await answered;
    if (this.failure !== null) throw this.failure;
    return [local, ...this.snapshots.map((s) => s!)];
  }

  private receive(m: FromWorker, worker: number): void {
    if (m.type === 'failed') {
      this.fail(new Error(`detection worker failed: ${m.message}`));
      return;
    }
    if (m.type === 'snapshot') {
      this.snapshots[worker] = m.state;
      if (this.snapshots.every((s) => s !== null)) this.onSnapshots?.();
      return;
    }
    for (const a of m.alerts) this.outputs.alert(a);
    if (this.outputs.aggregate !== undefined) for (const row of m.aggregates) this.outputs.aggregate(row);
    if (this.outputs.quarantine !== null) for (const line of m.quarantine) this.outputs.quarantine.write(line);
    if (this.outputs.late !== undefined) for (const line of m.late) this.outputs.late(JSON.parse(line) as DnsEvent);
    if (m.type === 'done') {
      const left = this.pending.get(m.seq)! - 1;
      if (left === 0) this.pending.delete(m.seq);
      else this.pending.set(m.seq, left);
      this.wake();
    } else {
      this.finished.push(m.counters);
      this.snapshots[worker] = m.state;
      if (this.finished.length === this.workers.length) this.onFinished?.();
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.wake();
    this.onFinished?.();
    this.onSnapshots?.();
  }

  private wake(): void {
    const w = this.waiting;
    this.waiting = null;
    w?.();
  }
}

/** Sums the partitions' counters; lines and closed windows are seen by every worker, so those are taken once. */
function merge(all: ProcessorCounters[]): ProcessorCounters {
  const sum = (f: (c: ProcessorCounters) => number): number => all.reduce((n, c) => n + f(c), 0);
  const byReason = (f: (c: ProcessorCounters) => Record<string, number>): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const c of all) for (const [k, v] of Object.entries(f(c))) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  return {
    read: all[0]?.read ?? 0,
    parsed: sum((c) => c.parsed),
    skipped: sum((c) => c.skipped),
    skippedBy: byReason((c) => c.skippedBy),
    quarantined: byReason((c) => c.quarantined),
    eventsIn: sum((c) => c.eventsIn),
    alerts: sum((c) => c.alerts),
    suppressed: sum((c) => c.suppressed),
    muted: sum((c) => c.muted),
    evictedWindows: sum((c) => c.evictedWindows),
    late: sum((c) => c.late),
    lateUnapplied: sum((c) => c.lateUnapplied),
    windowsClosed: Math.max(0, ...all.map((c) => c.windowsClosed)),
  };
}
