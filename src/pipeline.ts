/**
 * The per-line loop: split a chunk into lines, parse each, hand events to the
 * engine and rejections to quarantine. Everything here runs once per log line,
 * so it is a plain index loop over the chunk.
 */
import type { ParserCounters } from './counters.js';
import type { DetectionEngine } from './engine.js';
import { MAX_LINE_CHARS, Rejection, type LineParser } from './parsers/parser.js';
import type { LineFileWriter } from './sinks/line-writer.js';
import type { TextChunk } from './sources/text-chunk.js';

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
    private readonly quarantine: LineFileWriter | null,
    private readonly quarantineSkipped: boolean,
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
      const result = parser.parse(line, source, lineNo, chunk.offset + start);
      if (result instanceof Rejection) this.reject(result, line, source, lineNo, chunk.offset + start);
      else {
        this.counters.parsed++;
        engine.process(result);
      }
      start = nl + 1;
    }
    this.counters.read += lineNo - cursor.lines;
    cursor.lines = lineNo;
  }

  /** read = parsed + skipped + quarantined: every line is accounted for. */
  get quarantinedTotal(): number {
    let n = 0;
    for (const v of Object.values(this.counters.quarantined)) n += v;
    return n;
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
