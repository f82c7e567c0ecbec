import type { Alert } from '../alerts/alert.js';
import type { Config } from '../config/schema.js';
import type { ProcessorCounters, ProcessorState } from '../processor.js';
import type { WindowAggregate } from '../windows/aggregate.js';
import type { RoutedChunk } from './routing.js';

/** Coordinator → worker. */
export type ToWorker =
  | { type: 'chunk'; seq: number; source: string; offset: number; routed: RoutedChunk }
  /** For a checkpoint: the state after every chunk sent before it. */
  | { type: 'snapshot' }
  | { type: 'finish'; interrupted: boolean };

/** Worker → coordinator. Outputs ride with the chunk acknowledgement, so they arrive in input order per worker. */
export type FromWorker =
  | { type: 'done'; seq: number; alerts: Alert[]; aggregates: WindowAggregate[]; quarantine: string[]; late: string[] }
  | { type: 'snapshot'; state: ProcessorState }
  /** `state` (for the last checkpoint) when the run checkpoints. */
  | { type: 'finished'; counters: ProcessorCounters; state: ProcessorState | null; alerts: Alert[]; aggregates: WindowAggregate[]; quarantine: string[]; late: string[] }
  | { type: 'failed'; message: string };

export interface WorkerInit {
  config: Config;
  partition: number;
  partitions: number;
  /** The partition's state from a checkpoint, to resume from. */
  state: ProcessorState | null;
  /** Whether the run checkpoints (the worker then sends its state when it finishes). */
  checkpointing: boolean;
}
