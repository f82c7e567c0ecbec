/**
 * Distinct count that is exact while small and bounded when an attacker makes
 * it large: a Set of the first `exactLimit` values, then a HyperLogLog with
 * 2^14 registers (16 KiB, standard error 1.04/√16384 ≈ 0.81%). The first
 * values are kept as samples after the switch so alerts can still show
 * evidence. Register-wise max merges two counters, so state partitioned across
 * workers can be recombined.
 */

let lastValue: string | null = null;
let lastH1 = 0;
let lastH2 = 0;

const P = 14;
const M = 1 << P;
const ALPHA = 0.7213 / (1 + 1.079 / M);

/** A counter's state for a checkpoint (see src/state/). */
export interface DistinctCounterState {
  first: string | null;
  exact: Set<string> | null;
  registers: Uint8Array | null;
  samples: string[];
}

export class DistinctCounter {
  /**
   * Most counters in the state (one per client per domain per window) only
   * ever see one value, so the first value is held inline and the Set is
   * made for the second.
   */
  private first: string | null = null;
  private exact: Set<string> | null = null;
  private registers: Uint8Array | null = null;
  private estimateCache = -1;
  private samplesKept: string[] = [];

  /** `exactLimit` 0 starts as a sketch. */
  constructor(private readonly exactLimit: number) {
    if (exactLimit === 0) this.registers = new Uint8Array(M);
  }

  /** Adds a value; returns true when it was (or is estimated to be) new. */
  add(value: string): boolean {
    const exact = this.exact;
    if (exact !== null) {
      const before = exact.size;
      exact.add(value);
      if (exact.size === before) return false;
      if (exact.size > this.exactLimit) this.switchToSketch(exact);
      return true;
    }
    if (this.registers !== null) return this.addToSketch(value);
    if (this.first === null) {
      this.first = value;
      return true;
    }
    if (this.first === value) return false;
    this.exact = new Set([this.first, value]);
    return true;
  }

  /** The live state, for a checkpoint serialised at once (it is not copied). */
  snapshot(): DistinctCounterState {
    return { first: this.first, exact: this.exact, registers: this.registers, samples: this.samplesKept };
  }

  static restore(exactLimit: number, state: DistinctCounterState): DistinctCounter {
    const c = new DistinctCounter(Math.max(exactLimit, 1));
    c.first = state.first;
    c.exact = state.exact;
    c.registers = state.registers;
    c.samplesKept = state.samples;
    return c;
  }

  /**
   * Adds everything `other` counted: the union of two partitions' counts (register-wise max when
   * either is a sketch, so the estimate is that of one counter that saw both streams).
   */
  merge(other: DistinctCounter): void {
    if (other.registers === null) {
      if (other.first !== null) this.add(other.first);
      if (other.exact !== null) for (const v of other.exact) this.add(v);
      return;
    }
    if (this.registers === null) {
      const values = this.exact ?? (this.first === null ? [] : [this.first]);
      this.samplesKept = this.samples(16);
      this.registers = new Uint8Array(M);
      for (const v of values) this.addToSketch(v);
      this.exact = null;
      this.first = null;
    }
    const regs = this.registers;
    const theirs = other.registers;
    for (let i = 0; i < M; i++) if (theirs[i]! > regs[i]!) regs[i] = theirs[i]!;
    this.estimateCache = -1;
    for (const v of other.samplesKept) if (this.samplesKept.length < 16 && !this.samplesKept.includes(v)) this.samplesKept.push(v);
  }

  get size(): number {
    if (this.exact !== null) return this.exact.size;
    if (this.registers === null) return this.first === null ? 0 : 1;
    if (this.estimateCache < 0) this.estimateCache = estimate(this.registers);
    return this.estimateCache;
  }

  get isExact(): boolean {
    return this.registers === null;
  }

  /** Up to `n` values seen first (insertion order). */
  samples(n: number): string[] {
    if (this.registers !== null) return this.samplesKept.slice(0, n);
    if (this.exact === null) return this.first === null || n === 0 ? [] : [this.first];
    const out: string[] = [];
    for (const v of this.exact) {
      if (out.length >= n) break;
      out.push(v);
    }
    return out;
  }

  private switchToSketch(exact: Set<string>): void {
    this.samplesKept = this.samples(16);
    this.registers = new Uint8Array(M);
    for (const v of exact) this.addToSketch(v);
    this.exact = null;
    this.first = null;
  }

  private addToSketch(value: string): boolean {
    const regs = this.registers!;
    // One event's subdomain goes into every window containing it (up to 30 with the long
    // windows): hash it once.
    if (value !== lastValue) {
      lastValue = value;
      lastH1 = hash32(value, 0x811c9dc5, 0x01000193);
      lastH2 = hash32(value, 0x9747b28c, 0x9e3779b1);
    }
    const h1 = lastH1;
    const h2 = lastH2;
    const index = h1 >>> (32 - P);
    // Rank from an independent 32-bit hash: 64 bits in all, so no large-range correction is needed.
    const rank = Math.clz32(h2) + 1;
    if (rank > regs[index]!) {
      regs[index] = rank;
      this.estimateCache = -1;
      return true;
    }
    return false;
  }
}

/** FNV-1a-style over UTF-16 code units (seed and multiplier vary per hash) with a murmur3 finaliser for avalanche. */
function hash32(s: string, seed: number, multiplier: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, multiplier);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function estimate(regs: Uint8Array): number {
  let sum = 0;
  let zeros = 0;
  for (let i = 0; i < M; i++) {
    const r = regs[i]!;
    sum += 1 / 2 ** r;
    if (r === 0) zeros++;
  }
  const raw = (ALPHA * M * M) / sum;
  if (raw <= 2.5 * M && zeros > 0) return Math.round(M * Math.log(M / zeros));
  return Math.round(raw);
}
