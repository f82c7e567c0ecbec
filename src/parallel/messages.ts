import type { Alert } from '../alerts/alert.js';
import type { Config } from '../config/schema.js';
import type { ProcessorCounters } from '../processor.js';
import type { WindowAggregate } from '../windows/aggregate.js';
import type { RoutedChunk } from './routing.js';

/** Coordinator → worker. */
export type ToWorker =
  | { type: 'chunk'; seq: number; source: string; offset: number; routed: RoutedChunk }
  | { type: 'finish'; interrupted: boolean };

/** Worker → coordinator. Outputs ride with the chunk acknowledgement, so they arrive in input order per worker. */
export type FromWorker =
  | { type: 'done'; seq: number; alerts: Alert[]; aggregates: WindowAggregate[]; quarantine: string[]; late: string[] }
  | { type: 'finished'; counters: ProcessorCounters; alerts: Alert[]; aggregates: WindowAggregate[]; quarantine: string[]; late: string[] }
  | { type: 'failed'; message: string };

export interface WorkerInit {
  config: Config;
  partition: number;
  partitions: number;
}
