/**
 * Small, fast, seeded randomness for the log simulator.
 *
 * `Rng` is sfc32 (Chris Doty-Humphrey's Small Fast Chaotic PRNG, 128-bit state,
 * 32-bit output): good statistical quality for simulation, a handful of integer
 * operations per draw, and fully deterministic across platforms because it only
 * uses 32-bit integer arithmetic. Independent streams are derived from one user
 * seed plus a stream name (`Rng.stream(seed, 'benign')`), so adding or changing
 * one traffic source never perturbs another.
 */

const TWO_POW_32 = 4294967296;

/** A 32-bit avalanche mix (the murmur3 finaliser). */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over the UTF-16 code units of `s`, then mixed: a 32-bit hash of a string. */
export function hashString(s: string, salt = 0): number {
  let h = (0x811c9dc5 ^ salt) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** Seeds from four 32-bit words; prefer `Rng.stream` or `Rng.fromSeed`. */
  constructor(a: number, b: number, c: number, d: number) {
    this.a = a | 0;
    this.b = b | 0;
    this.c = c | 0;
    this.d = d | 0;
    if ((this.a | this.b | this.c | this.d) === 0) this.d = 1;
    // Discard the first outputs, as recommended for sfc32, so similar seeds diverge.
    for (let i = 0; i < 15; i++) this.u32();
  }

  /** A generator for a numeric seed (any finite number; the integer part of it is used, all 53 bits). */
  static fromSeed(seed: number): Rng {
    return Rng.stream(seed, '');
  }

  /** An independent generator for (`seed`, `name`): same pair, same sequence. */
  static stream(seed: number, name: string): Rng {
    if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
    const s = Math.trunc(seed);
    const lo = s >>> 0; // low 32 bits (two's complement for negatives)
    const hi = Math.floor(s / TWO_POW_32) >>> 0;
    const n = hashString(name, 0x9e3779b9);
    return new Rng(
      fmix32(lo ^ 0x243f6a88),
      fmix32(hi ^ 0x85a308d3 ^ n),
      fmix32(n ^ 0x13198a2e ^ lo),
      fmix32((lo + hi + n + 0x03707344) >>> 0),
    );
  }

  /** Next unsigned 32-bit integer. */
  u32(): number {
    const a = this.a;
    const b = this.b;
    const c = this.c;
    const d = this.d;
    const t = (((a + b) | 0) + d) | 0;
    this.d = (d + 1) | 0;
    this.a = b ^ (b >>> 9);
    this.b = (c + (c << 3)) | 0;
    const r = (c << 21) | (c >>> 11);
    this.c = (r + t) | 0;
    return t >>> 0;
  }

  /** Uniform float in [0, 1) with 32 bits of resolution. */
  float(): number {
    return this.u32() / TWO_POW_32;
  }

  /** Uniform integer in [0, n) for 1 <= n <= 2^32 (multiply-shift; bias < n / 2^32, irrelevant here). */
  below(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Uniform integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** A uniformly chosen element; throws on an empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty array');
    return items[Math.floor(this.float() * items.length)] as T;
  }

  /** Exponentially distributed value with the given mean (inter-arrival time of a Poisson process). */
  exp(mean: number): number {
    // 1 - float() is in (0, 1], so the log is finite.
    return -Math.log(1 - this.float()) * mean;
  }

  /** `n` random lower-case hex digits. */
  hex(n: number): string {
    let s = '';
    while (n > 0) {
      const take = n >= 8 ? 8 : n;
      const v = this.u32() >>> (32 - 4 * take);
      s += v.toString(16).padStart(take, '0');
      n -= take;
    }
    return s;
  }

  /** Fills `out` with random bytes and returns it. */
  bytes(out: Uint8Array): Uint8Array {
    let i = 0;
    while (i + 4 <= out.length) {
      const v = this.u32();
      out[i++] = v & 0xff;
      out[i++] = (v >>> 8) & 0xff;
      out[i++] = (v >>> 16) & 0xff;
      out[i++] = v >>> 24;
    }
    if (i < out.length) {
      let v = this.u32();
      while (i < out.length) {
        out[i++] = v & 0xff;
        v >>>= 8;
      }
    }
    return out;
  }
}

/**
 * Samples an index in [0, n) with probability proportional to `weights[i]`,
 * by a cumulative table and binary search (O(log n) per draw).
 */
export class WeightedSampler {
  private readonly cumulative: Float64Array;
  private readonly total: number;

  constructor(weights: ArrayLike<number>) {
    if (weights.length === 0) throw new RangeError('WeightedSampler needs at least one weight');
    this.cumulative = new Float64Array(weights.length);
    let sum = 0;
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i] as number;
      if (!(w >= 0) || !Number.isFinite(w)) throw new RangeError(`weight ${i} is not a finite non-negative number`);
      sum += w;
      this.cumulative[i] = sum;
    }
    if (!(sum > 0)) throw new RangeError('WeightedSampler needs a positive total weight');
    this.total = sum;
  }

  get size(): number {
    return this.cumulative.length;
  }

  /** Index of the first cumulative weight strictly greater than a uniform draw in [0, total). */
  sample(rng: Rng): number {
    const u = rng.float() * this.total;
    const cum = this.cumulative;
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cum[mid] as number) > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/**
 * Zipf sampler over ranks 0..n-1: P(rank k) ∝ 1 / (k + 1)^exponent.
 * Built once (O(n)), then O(log n) per draw.
 */
export class ZipfSampler extends WeightedSampler {
  constructor(n: number, exponent = 1.0) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`Zipf population must be a positive integer, got ${n}`);
    const w = new Float64Array(n);
    for (let k = 0; k < n; k++) w[k] = 1 / Math.pow(k + 1, exponent);
    super(w);
  }
}

/**
 * A lookup table for picking among a few weighted values with one draw and no
 * search: `entries` is expanded to `resolution` slots in proportion to the weights.
 */
export class TablePicker<T> {
  private readonly table: T[];

  constructor(entries: ReadonlyArray<readonly [T, number]>, resolution = 1000) {
    const total = entries.reduce((s, [, w]) => s + w, 0);
    if (!(total > 0)) throw new RangeError('TablePicker needs a positive total weight');
    this.table = [];
    let acc = 0;
    for (const [value, w] of entries) {
      acc += w;
      const until = Math.round((acc / total) * resolution);
      while (this.table.length < until) this.table.push(value);
    }
  }

  pick(rng: Rng): T {
    return this.table[Math.floor(rng.float() * this.table.length)] as T;
  }
}
