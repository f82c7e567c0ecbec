/**
 * The per-line loop: split a chunk into lines, parse each, hand events to the
 * engine and rejections to quarantine. Everything here runs once per log line,
 * so it is a plain index loop over the chunk.
 */
import type { ParserCounters } from './counters.js';
import type { DetectionEngine } from './engine.js';
import { partitionOfName } from './parallel/partition.js';
import { MAX_LINE_CHARS, Rejection, type LineParser, type Partition } from './parsers/parser.js';
import type { TextChunk } from './sources/text-chunk.js';

/** Where quarantined lines go: a file in a single process, the coordinator in a worker. */
export interface LineSink {
  write(line: string): void;
}

/** Per-source read state: the pipeline numbers lines as it splits them. */
export interface SourceCursor {
  readonly name: string;
  /** Lines read so far (the next line's number is `lines + 1`). */
  lines: number;
}

export class Pipeline {
  readonly counters: ParserCounters & { read: number; skippedBy: Record<string, number> } = {
    read: 0,
    parsed: 0,
    skipped: 0,
    skippedBy: {},
    quarantined: {},
  };

  constructor(
    private readonly parser: LineParser,
    private readonly engine: DetectionEngine,
    private readonly quarantine: LineSink | null,
    private readonly quarantineSkipped: boolean,
    /** In a parallel run: only this partition's lines are parsed here; the others only move event time. */
    private readonly partition: Partition | null = null,
  ) {}

  consume(cursor: SourceCursor, chunk: TextChunk): void {
    const data = chunk.data;
    const parser = this.parser;
    const engine = this.engine;
    const source = cursor.name;
    let start = 0;
    let lineNo = cursor.lines;
    while (start < data.length) {
      let nl = data.indexOf(0x0a, start);
      if (nl < 0) nl = data.length;
      lineNo++;
      const line = data.toString('latin1', start, nl);
      if (this.partition !== null && !this.owns(line)) {
        start = nl + 1;
        continue;
      }
      const result = parser.parse(line, source, lineNo, chunk.offset + start);
      if (result instanceof Rejection) {
        const time = parser.lastTime;
        if (time === time) engine.observeTime(time); // not NaN
        this.reject(result, line, source, lineNo, chunk.offset + start);
      } else {
        this.counters.parsed++;
        engine.process(result);
      }
      start = nl + 1;
    }
    this.counters.read += lineNo - cursor.lines;
    cursor.lines = lineNo;
  }

  /**
   * Whether this worker handles the line: lines rejected before their name is found go to
   * partition 0, the others to their name's partition. A line another worker handles still
   * moves this worker's event time, so every worker keeps the same watermark.
   */
  private owns(line: string): boolean {
    const { index, count } = this.partition!;
    const parser = this.parser;
    const owner = parser.locate(line) === null ? partitionOfName(line, parser.nameStart, parser.nameEnd, count) : 0;
    if (owner === index) return true;
    const time = parser.lastTime;
    if (time === time) this.engine.observeTime(time); // not NaN
    return false;
  }

  private reject(r: Rejection, line: string, source: string, lineNo: number, offset: number): void {
    if (r.skip) {
      this.counters.skipped++;
      this.counters.skippedBy[r.reason] = (this.counters.skippedBy[r.reason] ?? 0) + 1;
      if (!this.quarantineSkipped || r.reason === 'empty') return;
    } else {
      this.counters.quarantined[r.reason] = (this.counters.quarantined[r.reason] ?? 0) + 1;
    }
    if (this.quarantine === null) return;
    const truncated = line.length > MAX_LINE_CHARS;
    this.quarantine.write(
      JSON.stringify({
        reason: r.reason,
        source,
        line: lineNo,
        offset,
        text: truncated ? line.slice(0, MAX_LINE_CHARS) : line,
        ...(truncated ? { truncated: true, length: line.length } : {}),
      }),
    );
  }
}
