/**
 * Per-client traffic profiles: query and NXDOMAIN counts per client in tumbling buckets of event
 * time, each closed bucket compared with the population (median and MAD over the clients active
 * in it) and with the client's own history (an exponentially weighted mean and deviation of its
 * earlier buckets). A client far above both is an outlier until the next bucket closes; the score
 * rule counts how many of a domain's names outliers asked (a tunnel makes its client one: an
 * interactive session sends hundreds of queries where a workstation sends dozens).
 *
 * Robust statistics because busy clients are few and real: a mean and standard deviation would be
 * dragged by the mail gateway; the median and MAD are not. Own history because some clients are
 * always busy (resolvers, gateways): they are outliers against the population, never against
 * themselves. Bounded: clients idle for `forgetAfterBuckets` are dropped, the history is capped,
 * and so is the current bucket's table (its quietest clients go first).
 */

export interface ClientProfileOptions {
  bucketMs: number;
  /** Robust z-score (x − median) / (1.4826 · MAD) a bucket count must reach against the population. */
  populationZ: number;
  /** Deviations above its own mean a bucket count must reach against the client's history. */
  historyZ: number;
  /** Bucket counts below these are never outliers, whatever the statistics say. */
  minQueries: number;
  minNxdomain: number;
  /** Buckets of history before the own-history test applies (until then the population test alone). */
  warmupBuckets: number;
  maxClients: number;
  forgetAfterBuckets: number;
}

interface History {
  mean: number;
  /** Exponentially weighted mean absolute deviation. */
  dev: number;
  nxMean: number;
  nxDev: number;
  buckets: number;
  lastBucket: number;
}

/** Weight of the newest bucket in the history means. */
const ALPHA = 0.2;

export interface ClientProfileState {
  bucket: number;
  queries: Map<string, number>;
  nxdomain: Map<string, number>;
  history: Map<string, History>;
  outliers: Map<string, string>;
}

/**
 * One client's counts in the current bucket and its outlier verdict, held by whoever interns the
 * client's address (the engine's client table), so an event costs one lookup by address for both
 * the window state and the profile: lookups by a freshly parsed string were most of the engine's
 * per-event cost.
 */
export class ClientActivity {
  /** The bucket `queries` and `nxdomain` count; -Infinity when not counted in the current one. */
  bucket = -Infinity;
  queries = 0;
  nxdomain = 0;
  /** Why the client was an outlier in the last closed bucket, or null. */
  outlier: string | null = null;

  constructor(readonly address: string) {}

  /** Whether the profiles still need this record (counted in the current bucket, or an outlier). */
  get held(): boolean {
    return this.bucket !== -Infinity || this.outlier !== null;
  }
}

export class ClientProfiles {
  private bucket = -Infinity;
  /** Clients counted in the current bucket. */
  private active: ClientActivity[] = [];
  private history = new Map<string, History>();
  /** Outliers of the last closed bucket (their `outlier` says why). */
  private outliers: ClientActivity[] = [];
  bucketsClosed = 0;
  /** Times a bucket's table was full and its quietest clients were dropped. */
  pruned = 0;

  constructor(private readonly o: ClientProfileOptions) {}

  observe(client: ClientActivity, time: number, rcode: string | undefined): void {
    const b = Math.floor(time / this.o.bucketMs);
    if (b > this.bucket) {
      if (this.bucket !== -Infinity && this.active.length > 0) this.close();
      this.bucket = b;
    } else if (b < this.bucket) {
      return; // a late event: its bucket is closed
    }
    if (client.bucket !== b) {
      if (this.active.length >= this.o.maxClients) this.prune();
      client.bucket = b;
      client.queries = 0;
      client.nxdomain = 0;
      this.active.push(client);
    }
    client.queries++;
    if (rcode === 'NXDOMAIN') client.nxdomain++;
  }

  /**
   * A bucket with more clients than the table holds (a flood from ever-new addresses): the
   * quietest go, in rounds of rising count, until a quarter of the room is free. Outliers are by
   * definition among the busiest, so they stay; the population's median then comes from busier
   * clients than it should, which only makes outliers rarer.
   */
  private prune(): void {
    const target = Math.floor(this.o.maxClients * 0.75);
    let kept = this.active;
    for (let ceiling = 1; kept.length > target; ceiling *= 2) {
      let excess = kept.length - target;
      kept = kept.filter((c) => {
        if (excess === 0 || c.queries > ceiling) return true;
        excess--;
        c.bucket = -Infinity;
        return false;
      });
    }
    this.active = kept;
    this.pruned++;
  }

  /** Client histories held, for the engine's state estimate (the current bucket's clients are the engine's records). */
  get historyEntries(): number {
    return this.history.size;
  }

  /** Why `client` is an outlier (of the last closed bucket), or null. */
  outlier(client: ClientActivity): string | null {
    return client.outlier;
  }

  snapshot(): ClientProfileState {
    const queries = new Map<string, number>();
    const nxdomain = new Map<string, number>();
    for (const c of this.active) {
      queries.set(c.address, c.queries);
      if (c.nxdomain > 0) nxdomain.set(c.address, c.nxdomain);
    }
    const outliers = new Map<string, string>();
    for (const c of this.outliers) if (c.outlier !== null) outliers.set(c.address, c.outlier);
    return { bucket: this.bucket, queries, nxdomain, history: this.history, outliers };
  }

  /** `client` gives the record of an address (the engine's, interned). */
  restore(s: ClientProfileState, client: (address: string) => ClientActivity): void {
    this.bucket = s.bucket;
    this.active = [];
    for (const [address, q] of s.queries) {
      const c = client(address);
      c.bucket = s.bucket;
      c.queries = q;
      c.nxdomain = s.nxdomain.get(address) ?? 0;
      this.active.push(c);
    }
    this.history = s.history;
    this.outliers = [];
    for (const [address, why] of s.outliers) {
      const c = client(address);
      c.outlier = why;
      this.outliers.push(c);
    }
  }

  private close(): void {
    this.bucketsClosed++;
    const o = this.o;
    const active = this.active;
    const [qMedian, qMad] = medianMad(active.map((c) => c.queries));
    const [nxMedian, nxMad] = medianMad(active.map((c) => c.nxdomain));
    for (const c of this.outliers) c.outlier = null;
    const outliers: ClientActivity[] = [];
    for (const c of active) {
      const q = c.queries;
      const nx = c.nxdomain;
      const h = this.history.get(c.address);
      const warm = h !== undefined && h.buckets >= o.warmupBuckets;
      const qPop = (q - qMedian) / (1.4826 * qMad + 1);
      const nxPop = (nx - nxMedian) / (1.4826 * nxMad + 1);
      const qOwn = warm ? (q - h.mean) / (h.dev + 1) : Infinity;
      const nxOwn = warm ? (nx - h.nxMean) / (h.nxDev + 1) : Infinity;
      if (q >= o.minQueries && qPop >= o.populationZ && qOwn >= o.historyZ) {
        c.outlier = `${q} queries in ${o.bucketMs / 60_000} min: ${qPop.toFixed(1)} robust deviations above the population's median of ${qMedian}${warm ? `, ${qOwn.toFixed(1)} above its own mean of ${h.mean.toFixed(0)}` : ''}`;
        outliers.push(c);
      } else if (nx >= o.minNxdomain && nxPop >= o.populationZ && nxOwn >= o.historyZ) {
        c.outlier = `${nx} NXDOMAIN answers in ${o.bucketMs / 60_000} min: ${nxPop.toFixed(1)} robust deviations above the population's median of ${nxMedian}${warm ? `, ${nxOwn.toFixed(1)} above its own mean of ${h.nxMean.toFixed(0)}` : ''}`;
        outliers.push(c);
      }
      this.learn(c.address, q, nx);
      c.bucket = -Infinity;
    }
    this.outliers = outliers;
    this.forget();
    this.active = [];
  }

  private learn(client: string, q: number, nx: number): void {
    const h = this.history.get(client);
    if (h === undefined) {
      this.history.set(client, { mean: q, dev: 0, nxMean: nx, nxDev: 0, buckets: 1, lastBucket: this.bucket });
      return;
    }
    h.dev = (1 - ALPHA) * h.dev + ALPHA * Math.abs(q - h.mean);
    h.mean = (1 - ALPHA) * h.mean + ALPHA * q;
    h.nxDev = (1 - ALPHA) * h.nxDev + ALPHA * Math.abs(nx - h.nxMean);
    h.nxMean = (1 - ALPHA) * h.nxMean + ALPHA * nx;
    h.buckets++;
    h.lastBucket = this.bucket;
  }

  /** Drops clients idle too long, then the least recently active past the cap. */
  private forget(): void {
    const oldest = this.bucket - this.o.forgetAfterBuckets;
    for (const [client, h] of this.history) if (h.lastBucket < oldest) this.history.delete(client);
    if (this.history.size <= this.o.maxClients) return;
    const byAge = [...this.history].sort((a, b) => a[1].lastBucket - b[1].lastBucket);
    for (const [client] of byAge.slice(0, this.history.size - this.o.maxClients)) this.history.delete(client);
  }
}

/** Median and median absolute deviation. */
export function medianMad(values: number[]): [number, number] {
  if (values.length === 0) return [0, 0];
  const median = middle(Float64Array.from(values).sort());
  const mad = middle(Float64Array.from(values, (v) => Math.abs(v - median)).sort());
  return [median, mad];
}

function middle(sorted: Float64Array): number {
  const n = sorted.length;
  return n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
}
