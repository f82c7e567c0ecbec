/**
 * Queries waiting for their response, for decoders that see both (pcap, dnstap). Bounded twice:
 * by count (the oldest is given up when full, so a flood of unanswered queries costs a fixed
 * amount of memory) and by age in capture time (a query unanswered for `timeoutMs` is emitted
 * without response facts). A Map keeps insertion order, which is capture order, so both bounds
 * are checked from the front in O(1) per entry given up.
 */
export interface PendingQuery<T> {
  readonly value: T;
  /** Capture time of the query, epoch ms. */
  readonly time: number;
}

export class PendingQueries<T> {
  private readonly waiting = new Map<string, PendingQuery<T>>();
  /** Queries given up because the table was full (their events are emitted without a response). */
  evicted = 0;
  /** Queries given up because no response came within the timeout. */
  timedOut = 0;

  constructor(private readonly maxEntries: number, private readonly timeoutMs: number) {
    if (maxEntries < 1) throw new RangeError('PendingQueries: maxEntries must be at least 1');
  }

  get size(): number {
    return this.waiting.size;
  }

  /**
   * Remembers a query. A retransmission under the same key gives up the earlier copy first, so
   * every query added is handed back exactly once: by `take`, or to `giveUp`.
   */
  add(key: string, value: T, time: number, giveUp: (value: T) => void): void {
    const earlier = this.waiting.get(key);
    if (earlier !== undefined) {
      this.waiting.delete(key);
      giveUp(earlier.value);
    }
    if (this.waiting.size >= this.maxEntries) {
      const oldest = this.waiting.entries().next().value;
      if (oldest !== undefined) {
        this.waiting.delete(oldest[0]);
        this.evicted++;
        giveUp(oldest[1].value);
      }
    }
    this.waiting.set(key, { value, time });
  }

  /** The query a response answers, removed from the table; undefined when it was not seen. */
  take(key: string): PendingQuery<T> | undefined {
    const found = this.waiting.get(key);
    if (found !== undefined) this.waiting.delete(key);
    return found;
  }

  /** Gives up every query older than the timeout at capture time `now`. */
  expire(now: number, giveUp: (value: T) => void): void {
    for (const [key, pending] of this.waiting) {
      if (pending.time + this.timeoutMs > now) break;
      this.waiting.delete(key);
      this.timedOut++;
      giveUp(pending.value);
    }
  }

  /** End of input: every query still waiting, oldest first. */
  drain(giveUp: (value: T) => void): void {
    for (const pending of this.waiting.values()) giveUp(pending.value);
    this.waiting.clear();
  }
}
