import type { Alert } from '../alerts/alert.js';
import { toEcsLine } from '../alerts/ecs.js';
import { newSinkCounters, type SinkCounters } from '../counters.js';
import { LineFileWriter, type RotationOptions } from './line-writer.js';

export interface AlertSink {
  readonly name: string;
  readonly counters: SinkCounters;
  write(alert: Alert): void;
  close(): Promise<void>;
}

/** ECS JSON lines appended to a file, each written through before the next event is processed; optionally rotated by size. */
export class JsonlFileAlertSink implements AlertSink {
  readonly name: string;
  private readonly writer: LineFileWriter;

  constructor(path: string, rotation?: RotationOptions) {
    this.name = `file:${path}`;
    this.writer = new LineFileWriter(path, 0, rotation);
  }

  get counters(): SinkCounters {
    return this.writer.counters;
  }

  write(alert: Alert): void {
    this.writer.write(toEcsLine(alert));
  }

  /** Durable size of the file, for a checkpoint (see LineFileWriter.commit). */
  commit(): number {
    return this.writer.commit();
  }

  get path(): string {
    return this.writer.path;
  }

  async close(): Promise<void> {
    this.writer.close();
  }
}

/** ECS JSON lines on stdout; waits for the pipe to drain on close so no alert is cut off at exit. */
export class StdoutAlertSink implements AlertSink {
  readonly name = 'stdout';
  readonly counters: SinkCounters = newSinkCounters();

  write(alert: Alert): void {
    this.counters.received++;
    process.stdout.write(toEcsLine(alert) + '\n');
    this.counters.written++;
  }

  async close(): Promise<void> {
    if (process.stdout.writableNeedDrain) await new Promise<void>((resolve) => process.stdout.once('drain', resolve));
  }
}
