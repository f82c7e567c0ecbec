/**
 * Queries waiting for their response, for decoders that see both (pcap, dnstap). Bounded twice:
 * by count (the oldest is given up when full, so a flood of unanswered queries costs a fixed
 * amount of memory) and by age in capture time (a query unanswered for `timeoutMs` is emitted
 * without response facts). A FIFO beside the lookup Map keeps capture order, so both bounds are
 * checked from the front in O(1) amortised per entry given up.
 */
export interface PendingQuery<T> {
  readonly value: T;
  /** Capture time of the query, epoch ms. */
  readonly time: number;
}

/** A waiting query; `live` turns false when it leaves the table (the FIFO drops it lazily). */
interface Entry<T> extends PendingQuery<T> {
  readonly key: string;
  live: boolean;
}

export class PendingQueries<T> {
  private readonly waiting = new Map<string, Entry<T>>();
  /**
   * Entries in capture order, oldest from `head`. Not the Map's own order: V8 leaves a deleted
   * Map entry in place until the table is rehashed and iteration walks over every one of them, so
   * looking at the oldest entry of a Map that deletes at the front costs O(table) (measured:
   * 120,000 unanswered queries through a full 50,000 table, 1.1 s of 3 s in that walk). Entries
   * that left through `take` stay here until they reach the front or the array is compacted.
   */
  private order: Array<Entry<T>> = [];
  private head = 0;
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
      this.remove(earlier);
      giveUp(earlier.value);
    }
    if (this.waiting.size >= this.maxEntries) {
      const oldest = this.oldest();
      if (oldest !== undefined) {
        this.remove(oldest);
        this.evicted++;
        giveUp(oldest.value);
      }
    }
    const entry: Entry<T> = { key, value, time, live: true };
    this.waiting.set(key, entry);
    this.order.push(entry);
    // Answered queries leave dead entries behind: compact once they are the majority.
    if (this.order.length - this.head > 2 * this.waiting.size + 1024) this.compact();
  }

  /** The query a response answers, removed from the table; undefined when it was not seen. */
  take(key: string): PendingQuery<T> | undefined {
    const found = this.waiting.get(key);
    if (found !== undefined) this.remove(found);
    return found;
  }

  /** Gives up every query older than the timeout at capture time `now`. */
  expire(now: number, giveUp: (value: T) => void): void {
    for (let oldest = this.oldest(); oldest !== undefined && oldest.time + this.timeoutMs <= now; oldest = this.oldest()) {
      this.remove(oldest);
      this.timedOut++;
      giveUp(oldest.value);
    }
  }

  /** End of input: every query still waiting, oldest first. */
  drain(giveUp: (value: T) => void): void {
    const order = this.order;
    const head = this.head;
    this.waiting.clear();
    this.order = [];
    this.head = 0;
    for (let i = head; i < order.length; i++) {
      const entry = order[i]!;
      if (entry.live) {
        entry.live = false;
        giveUp(entry.value);
      }
    }
  }

  /** The oldest live entry, dropping dead ones from the front. */
  private oldest(): Entry<T> | undefined {
    const order = this.order;
    while (this.head < order.length && !order[this.head]!.live) this.head++;
    if (this.head > 1024 && this.head * 2 > order.length) this.compact();
    return this.order[this.head];
  }

  private remove(entry: Entry<T>): void {
    entry.live = false;
    this.waiting.delete(entry.key);
  }

  private compact(): void {
    this.order = this.order.filter((e, i) => i >= this.head && e.live);
    this.head = 0;
  }
}
