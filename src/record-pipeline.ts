/**
 * The record loop for binary formats (pcap, dnstap): the decoder turns a source's bytes into
 * events and rejections, this class counts them, hands events to the engine and writes
 * rejections to quarantine in the same JSON-lines form as rejected text lines (raw bytes as hex).
 */
import type { DetectionEngine } from './engine.js';
import type { DnsEvent, SourcePosition } from './event.js';
import type { Rejection } from './parsers/parser.js';
import { MAX_QUARANTINE_RECORD_BYTES, type DecodedRecords, type RecordDecoder } from './parsers/record-decoder.js';
import type { LineSink, PipelineCounters, SourceCursor } from './pipeline.js';
import type { TextChunk } from './sources/text-chunk.js';

export class RecordPipeline implements DecodedRecords {
  readonly counters: PipelineCounters = { read: 0, parsed: 0, skipped: 0, skippedBy: {}, quarantined: {} };
  private cursor: SourceCursor | null = null;

  constructor(
    private readonly decoder: RecordDecoder,
    private readonly engine: DetectionEngine,
    private readonly quarantine: LineSink | null,
  ) {}

  consume(cursor: SourceCursor, chunk: TextChunk): void {
    this.cursor = cursor;
    const stream = chunk.stream ?? cursor.name;
    if (chunk.data.length > 0) this.decoder.push(chunk.data, chunk.offset, stream, this);
    if (chunk.endOfStream === true) this.decoder.end(stream, this);
  }

  /** The source is exhausted, or `stopped` before its end: the decoder flushes what it still holds. */
  endSource(cursor: SourceCursor, stopped: boolean): void {
    this.cursor = cursor;
    this.decoder.end(cursor.name, this, stopped);
  }

  event(event: DnsEvent): void {
    this.counted();
    this.counters.parsed++;
    this.engine.process(event);
  }

  reject(rejection: Rejection, raw: Uint8Array, position: SourcePosition, time: number): void {
    this.counted();
    if (time === time) this.engine.observeTime(time); // not NaN
    const c = this.counters;
    if (rejection.skip) {
      c.skipped++;
      c.skippedBy[rejection.reason] = (c.skippedBy[rejection.reason] ?? 0) + 1;
      // Skipped records of a capture are routine and many (responses folded into their queries,
      // other traffic, resolver messages): counted by reason, not copied to quarantine as hex.
      return;
    }
    c.quarantined[rejection.reason] = (c.quarantined[rejection.reason] ?? 0) + 1;
    if (this.quarantine === null) return;
    const truncated = raw.length > MAX_QUARANTINE_RECORD_BYTES;
    const shown = truncated ? raw.subarray(0, MAX_QUARANTINE_RECORD_BYTES) : raw;
    this.quarantine.write(
      JSON.stringify({
        reason: rejection.reason,
        source: position.source,
        record: position.line,
        offset: position.offset,
        hex: Buffer.from(shown.buffer, shown.byteOffset, shown.byteLength).toString('hex'),
        ...(truncated ? { truncated: true, length: raw.length } : {}),
      }),
    );
  }

  /** Records are numbered by the decoder (position.line); the cursor counts them for progress. */
  private counted(): void {
    this.counters.read++;
    if (this.cursor !== null) this.cursor.lines++;
  }
}
