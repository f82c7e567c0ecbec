import type { SourceCounters } from '../counters.js';
import type { TextChunk } from './text-chunk.js';

/**
 * A source of log text. `chunks()` yields whole-line chunks until the input
 * ends (or, in follow mode, until `stop()`); the pipeline pulls, so a slow
 * detector slows reading instead of growing a buffer.
 */
export interface LineSource {
  /** Stable name used in positions: the path, `-` for stdin. */
  readonly name: string;
  readonly counters: SourceCounters;
  chunks(): AsyncIterable<TextChunk>;
  stop(): void;
}
