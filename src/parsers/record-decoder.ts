/**
 * Binary record formats (pcap/pcapng, dnstap Frame Streams): bytes in, events and rejections out.
 * Line formats have `LineParser`; these formats have no lines, a record may span reads, and one
 * DNS event may need two records (a query and its response), so a decoder is fed the source's
 * bytes in order and reports each record it finishes through `DecodedRecords`.
 *
 * Accounting: every record (packet, frame) read ends in exactly one call to `out.event` or
 * `out.reject` — a response folded into its query's event is a skipped record with its own
 * reason — so read = parsed + skipped + quarantined holds as for lines.
 */
import type { DnsEvent, SourcePosition } from '../event.js';
import type { Rejection } from './parser.js';

export interface DecodedRecords {
  /** A query event (with response facts when the decoder saw the response). */
  event(event: DnsEvent): void;
  /**
   * A record that did not become an event: skipped (not DNS, a response already folded into its
   * query, a header) or malformed (quarantined). `raw` is what quarantine shows, hex-encoded and
   * capped; `time` is the record's capture time (NaN when unknown), which still moves the watermark.
   */
  reject(rejection: Rejection, raw: Uint8Array, position: SourcePosition, time: number): void;
}

export interface RecordDecoder {
  readonly format: string;
  /** The next bytes of `source`, in order; `offset` is the source offset of `data[0]`. */
  push(data: Buffer, offset: number, source: string, out: DecodedRecords): void;
  /**
   * End of `source`: a truncated trailing record is quarantined, and queries still waiting for a
   * response are emitted without one. The decoder is then ready for the next source. `stopped`:
   * the source was stopped before its end (SIGTERM, SIGINT), so the bytes of a record it had not
   * finished reading are the start of a record, not a truncated one, and are let go unreported.
   */
  end(source: string, out: DecodedRecords, stopped?: boolean): void;
}

/** The skip reason of a response whose facts went into its query's event. */
export const RESPONSE_PAIRED = 'response_paired';

/** Most bytes of a rejected record that quarantine keeps (as hex). */
export const MAX_QUARANTINE_RECORD_BYTES = 4096;
