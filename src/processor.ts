/**
 * What `detect` drives with chunks: the pipeline and engine in this thread,
 * or the same in N worker threads each owning a partition of registered
 * domains (src/parallel/). Both report the same counters.
 */
import type { Alert } from './alerts/alert.js';
import type { Config } from './config/schema.js';
import { DetectionEngine, type EngineCounters, type EngineState } from './engine.js';
import type { DnsEvent } from './event.js';
import { createParser } from './parsers/create.js';
import { createDecoder } from './parsers/decoders.js';
import { isRecordFormat } from './parsers/formats.js';
import { RecordPipeline } from './record-pipeline.js';
import type { RoutedView } from './parallel/routing.js';
import { Pipeline, type LineSink, type PipelineState, type SourceCursor } from './pipeline.js';
import type { TextChunk } from './sources/text-chunk.js';
import type { WindowAggregate } from './windows/aggregate.js';

export interface ProcessorOutputs {
  alert(alert: Alert): void;
  aggregate?(row: WindowAggregate): void;
  late?(event: DnsEvent): void;
  quarantine: LineSink | null;
}

export interface ProcessorCounters extends EngineCounters {
  read: number;
  parsed: number;
  skipped: number;
  skippedBy: Record<string, number>;
  quarantined: Record<string, number>;
}

export interface ProcessorState {
  engine: EngineState;
  pipeline: PipelineState;
}

export interface Processor {
  consume(cursor: SourceCursor, chunk: TextChunk): void | Promise<void>;
  /** The source behind `cursor` is exhausted, or was `stopped` before its end (binary decoders flush records they still hold). */
  endSource(cursor: SourceCursor, stopped: boolean): void;
  /** End of input (or interruption): close windows unless interrupted, and report. */
  finish(interrupted: boolean): Promise<ProcessorCounters>;
  /**
   * The state for a checkpoint, one per partition: after every chunk consumed so far, or after
   * `finish`. Serialise it at once (live Maps). Line formats only.
   */
  checkpointState(): Promise<ProcessorState[]>;
}

/** The pipeline and engine in this thread: the whole run, or one partition of a parallel run (`consumeRouted`). */
export class InProcessProcessor implements Processor {
  private readonly engine: DetectionEngine;
  private readonly pipeline: Pipeline | RecordPipeline;

  constructor(config: Config, outputs: ProcessorOutputs) {
    this.engine = new DetectionEngine(config, outputs);
    const format = config.input.format;
    const { quarantine } = outputs;
    const { quarantineSkipped } = config.output;
    this.pipeline = isRecordFormat(format)
      ? new RecordPipeline(createDecoder(format, config), this.engine, quarantine)
      : new Pipeline(createParser(config), this.engine, quarantine, quarantineSkipped);
  }

  consume(cursor: SourceCursor, chunk: TextChunk): void {
    this.pipeline.consume(cursor, chunk);
  }

  endSource(cursor: SourceCursor, stopped: boolean): void {
    if (this.pipeline instanceof RecordPipeline) this.pipeline.endSource(cursor, stopped);
  }

  /** A parallel worker's share of a routed chunk (see src/parallel/routing.ts); line formats only. */
  consumeRouted(cursor: SourceCursor, routed: RoutedView, offset: number, partition: number): void {
    if (!(this.pipeline instanceof Pipeline)) throw new Error('consumeRouted: parallel runs take line formats only');
    this.pipeline.consumeRouted(cursor, routed, offset, partition);
  }

  /** Engine and pipeline state for a checkpoint (line formats only: record decoders hold partial records). */
  snapshot(): ProcessorState {
    if (!(this.pipeline instanceof Pipeline)) throw new Error('snapshot: checkpoints take line formats only');
    return { engine: this.engine.snapshot(), pipeline: this.pipeline.snapshot() };
  }

  checkpointState(): Promise<ProcessorState[]> {
    return Promise.resolve([this.snapshot()]);
  }

  restore(state: ProcessorState): void {
    if (!(this.pipeline instanceof Pipeline)) throw new Error('restore: checkpoints take line formats only');
    this.engine.restore(state.engine);
    this.pipeline.restore(state.pipeline);
  }

  async finish(interrupted: boolean): Promise<ProcessorCounters> {
    if (!interrupted) this.engine.finish();
    return { ...this.engine.counters, ...this.pipeline.counters };
  }
}
