/**
 * A detection worker: sees every routed chunk (from shared memory, no copy),
 * parses and detects only its partition's lines, and sends its outputs back
 * with each chunk's acknowledgement.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Alert } from '../alerts/alert.js';
import { InProcessProcessor } from '../processor.js';
import type { WindowAggregate } from '../windows/aggregate.js';
import type { FromWorker, ToWorker, WorkerInit } from './messages.js';
import { viewOf } from './routing.js';

const init = workerData as WorkerInit;
const port = parentPort!;

let alerts: Alert[] = [];
let aggregates: WindowAggregate[] = [];
let quarantine: string[] = [];
let late: string[] = [];

const processor = new InProcessProcessor(
  init.config,
  {
    alert: (a) => alerts.push(a),
    aggregate: init.config.output.aggregates === undefined ? undefined : (row) => aggregates.push(row),
    late: init.config.output.late === undefined ? undefined : (event) => late.push(JSON.stringify(event)),
    quarantine: { write: (line) => quarantine.push(line) },
  },
);
if (init.state !== null) processor.restore(init.state);
const cursors = new Map<string, { name: string; lines: number }>();

function take(): Pick<Extract<FromWorker, { type: 'done' }>, 'alerts' | 'aggregates' | 'quarantine' | 'late'> {
  const out = { alerts, aggregates, quarantine, late };
  alerts = [];
  aggregates = [];
  quarantine = [];
  late = [];
  return out;
}

port.on('message', (message: ToWorker) => {
  try {
    if (message.type === 'chunk') {
      let cursor = cursors.get(message.source);
      if (cursor === undefined) {
        cursor = { name: message.source, lines: 0 };
        cursors.set(message.source, cursor);
      }
      processor.consumeRouted(cursor, viewOf(message.routed), message.offset, init.partition);
      port.postMessage({ type: 'done', seq: message.seq, ...take() } satisfies FromWorker);
    } else if (message.type === 'snapshot') {
      port.postMessage({ type: 'snapshot', state: processor.snapshot() } satisfies FromWorker);
    } else {
      void processor.finish(message.interrupted).then((counters) => {
        const state = init.checkpointing ? processor.snapshot() : null;
        port.postMessage({ type: 'finished', counters, state, ...take() } satisfies FromWorker);
      });
    }
  } catch (error) {
    port.postMessage({ type: 'failed', message: (error as Error).stack ?? String(error) } satisfies FromWorker);
  }
});
