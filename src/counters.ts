/**
 * The component contract: every source, parser, detector and sink keeps these
 * counters so the run summary (and later metrics endpoints) can account for
 * every record. Invariant checked by tests:
 *   read = parsed + quarantined + skipped       (per source)
 *   received = written + failed + dropped       (per sink; dropped is only ever non-zero when counted and reported)
 */
export interface SourceCounters {
  /** Records (lines, packets, frames) read from the source. */
  read: number;
  bytes: number;
  errors: number;
}

export interface ParserCounters {
  parsed: number;
  /** Records that are not DNS queries (other log categories, headers): counted, not alerts-relevant, still written to quarantine. */
  skipped: number;
  /** Malformed records, by reason code. */
  quarantined: Record<string, number>;
}

export interface DetectorCounters {
  eventsIn: number;
  alerts: number;
  /** Crossings not emitted because the same rule and key alerted within its cool-down. */
  suppressed: number;
}

export interface SinkCounters {
  received: number;
  written: number;
  failed: number;
  dropped: number;
}

export function newSinkCounters(): SinkCounters {
  return { received: 0, written: 0, failed: 0, dropped: 0 };
}
