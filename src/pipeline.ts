/**
 * The per-line loop: split a chunk into lines, parse each, hand events to the
 * engine and rejections to quarantine. Everything here runs once per log line,
 * so it is a plain index loop over the chunk.
 */
import type { ParserCounters } from './counters.js';
import type { DetectionEngine } from './engine.js';
import { BROADCAST, type RoutedView } from './parallel/routing.js';
import { HEADER_REASON, LOCATED_FIELDS, MAX_LINE_CHARS, Rejection, type LineParser } from './parsers/parser.js';
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

export type PipelineCounters = ParserCounters & { read: number; skippedBy: Record<string, number> };

export interface PipelineState {
  counters: PipelineCounters;
  headers: string[];
}

/** Zeek writes 8 header lines; a log concatenated from several keeps each file's. */
const MAX_HEADERS_KEPT = 32;

export class Pipeline {
  readonly counters: PipelineCounters = {
    read: 0,
    parsed: 0,
    skipped: 0,
    skippedBy: {},
    quarantined: {},
  };

  /**
   * The latest header lines (Zeek's `#fields`, `#separator`…): a checkpoint keeps them so a resumed
   * run configures its parser the same way before reading on from the middle of a file.
   */
  private headers: string[] = [];

  constructor(
    private readonly parser: LineParser,
    private readonly engine: DetectionEngine,
    private readonly quarantine: LineSink | null,
    private readonly quarantineSkipped: boolean,
  ) {}

  consume(cursor: SourceCursor, chunk: TextChunk): void {
    const data = chunk.data;
    const parser = this.parser;
    const engine = this.engine;
    // A merged live source (several listeners) names each chunk's listener.
    const source = chunk.stream ?? cursor.name;
    let start = 0;
    let lineNo = cursor.lines;
    while (start < data.length) {
      let nl = data.indexOf(0x0a, start);
      if (nl < 0) nl = data.length;
      lineNo++;
      this.handle(data.toString('latin1', start, nl), source, lineNo, chunk.offset + start);
      start = nl + 1;
    }
    this.counters.read += lineNo - cursor.lines;
    cursor.lines = lineNo;
  }

  /**
   * A parallel worker's share of a chunk the coordinator has routed: its own lines are parsed and
   * detected; for the others it only moves event time to theirs, so every worker keeps one watermark.
   */
  consumeRouted(cursor: SourceCursor, routed: RoutedView, offset: number, partition: number): void {
    const { times, ends, located, owners, data, decoded } = routed;
    const engine = this.engine;
    const parser = this.parser;
    let start = 0;
    for (let i = 0; i < ends.length; i++) {
      const end = ends[i]!;
      const owner = owners[i];
      if (owner === partition || (owner === BROADCAST && partition === 0)) {
        const line = decoded?.[i] ?? data.toString('latin1', start, end);
        const at = i * LOCATED_FIELDS;
        if (parser.restoreLocated !== undefined && located[at] !== -1) parser.restoreLocated(line, times[i]!, located, at);
        this.handle(line, cursor.name, cursor.lines + i + 1, offset + start);
      } else if (owner === BROADCAST) {
        // A header: this worker's parser needs it too, but partition 0 accounts for the line.
        this.parser.parse(data.toString('latin1', start, end), cursor.name, cursor.lines + i + 1, offset + start);
      } else {
        const time = times[i]!;
        if (time === time) engine.observeTime(time); // not NaN
      }
      start = end + 1;
    }
    cursor.lines += ends.length;
    this.counters.read += ends.length;
  }

  private handle(line: string, source: string, lineNo: number, offset: number): void {
    const parser = this.parser;
    const result = parser.parse(line, source, lineNo, offset);
    if (result instanceof Rejection) {
      const time = parser.lastTime;
      if (time === time) this.engine.observeTime(time); // not NaN
      this.reject(result, line, source, lineNo, offset);
    } else {
      this.counters.parsed++;
      this.engine.process(result);
    }
  }

  /** Counters and header lines, for a checkpoint. */
  snapshot(): PipelineState {
    return { counters: this.counters, headers: this.headers };
  }

  restore(state: PipelineState): void {
    const c = state.counters;
    Object.assign(this.counters, { ...c, skippedBy: { ...c.skippedBy }, quarantined: { ...c.quarantined } });
    this.headers = [...state.headers];
    for (const line of this.headers) this.parser.parse(line, '(checkpoint)', 0, 0);
  }

  private reject(r: Rejection, line: string, source: string, lineNo: number, offset: number): void {
    if (r.reason === HEADER_REASON) {
      this.headers.push(line.length > MAX_LINE_CHARS ? line.slice(0, MAX_LINE_CHARS) : line);
      if (this.headers.length > MAX_HEADERS_KEPT) this.headers.shift();
    }
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
