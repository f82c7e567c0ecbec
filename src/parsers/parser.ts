import type { DnsEvent } from '../event.js';

/**
 * Why a record did not become an event. `skip` marks records that are valid
 * but not queries (other log categories, headers); the rest are malformed.
 * Both are counted by reason and written to quarantine: never silently lost.
 */
export class Rejection {
  private static readonly registry = new Map<string, Rejection>();
  private constructor(readonly reason: string, readonly skip: boolean) {}

  /** Interned: parsers return shared instances, so rejecting allocates nothing. */
  static of(reason: string, skip = false): Rejection {
    let r = Rejection.registry.get(reason);
    if (r === undefined) {
      r = new Rejection(reason, skip);
      Rejection.registry.set(reason, r);
    }
    return r;
  }
}

/**
 * The skip reason of a line that configures the parser for the lines after it (Zeek's `#fields`,
 * `#separator`): parallel runs give such lines to every worker's parser.
 */
export const HEADER_REASON = 'header';

/**
 * A line parser: one text record in, one event or one rejection out. Pure apart from what header
 * lines configure (see HEADER_REASON).
 */
export interface LineParser {
  readonly format: string;
  parse(line: string, source: string, lineNo: number, offset: number): DnsEvent | Rejection;
  /**
   * Event time of the last record given to `parse`, NaN when it had none. A record rejected after
   * its time was read still moves event time on (the watermark), so every partition of a parallel
   * run sees the same clock.
   */
  readonly lastTime: number;
  /**
   * The cheap first stage of `parse`: event time (`lastTime`) and the query name's span
   * (`nameStart`, `nameEnd`), or the rejection. Parallel workers run it on every line to keep one
   * clock and to find the line's partition, and `parse` only on their own lines.
   */
  locate(line: string): Rejection | null;
  readonly nameStart: number;
  readonly nameEnd: number;
  /**
   * Optional, for parallel runs: writes what the last successful `locate` found (LOCATED_FIELDS
   * numbers) so the thread that owns the line can `parse` it without locating it again.
   */
  saveLocated?(into: Int32Array, at: number): void;
  /** Takes back what `saveLocated` wrote for `line`, with its time: the next `parse(line)` skips `locate`. */
  restoreLocated?(line: string, time: number, from: Int32Array, at: number): void;
}

/** Numbers a parser's `saveLocated` writes per line. */
export const LOCATED_FIELDS = 5;

const NAME_REJECTIONS = {
  bad_escape: Rejection.of('bad_name_escape'),
  raw_byte: Rejection.of('bad_name_raw_byte'),
  empty_label: Rejection.of('bad_name_empty_label'),
} as const;

/** The quarantine reason for a `fillNameFacts` error code, the same for every format; null for ''. */
export function nameRejection(error: '' | keyof typeof NAME_REJECTIONS): Rejection | null {
  return error === '' ? null : NAME_REJECTIONS[error];
}

/** Longest line any parser accepts; longer lines are quarantined, not scanned. */
export const MAX_LINE_CHARS = 8192;
