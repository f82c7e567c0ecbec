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

/** A pure line parser: one text record in, one event or one rejection out. */
export interface LineParser {
  readonly format: string;
  parse(line: string, source: string, lineNo: number, offset: number): DnsEvent | Rejection;
}

/** Longest line any parser accepts; longer lines are quarantined, not scanned. */
export const MAX_LINE_CHARS = 8192;
