/**
 * The name facts of recently seen name texts, so a repeated name is scanned and split against the
 * public suffix list once, not on every line. DNS traffic repeats itself: in the bench's simulated
 * log 93% of lines carry a name already seen, and the scan plus the public-suffix split were the
 * largest share of parsing in CPU profiles. A hit also hands out the same string objects for the
 * name, its registered domain and subdomain every time, and the engine's tables find a stored key
 * object several times faster than a freshly cut copy (bench/map-lookup.bench.ts).
 *
 * Hand-written open addressing instead of a Map, because a Map needs the name cut out of the line
 * first and, measured in CPU profiles of the parse stage, a Map.get by such a fresh string cost
 * about what the scan and split it replaced (~0.9 µs on the bench machine): this table hashes the
 * name where it lies in the line and compares it there, touching the slot, the entry and its key.
 *
 * Bounded whatever the input: two generations of at most `capacity` entries and `maxChars`
 * characters of name text each. When the current one fills, it becomes the previous one and the
 * old previous one is dropped; a hit in the previous generation moves the entry forward. A flood
 * of unique names only churns it, and one of long names turns it over sooner.
 */
import type { NameKind } from '../event.js';

/** What `fillNameFacts` derives from a name text: the event's name fields, or the scan's error code. */
export interface KnownName {
  /** The name text as it was looked up (its own copy, not a slice of a line). */
  readonly text: string;
  readonly hash: number;
  qname: string;
  qnameLower: string;
  qnameBytes: number;
  labels: number;
  longestLabel: number;
  registeredDomain: string;
  subdomain: string;
  subdomainBytes: number;
  nameKind: NameKind;
  error: '' | 'bad_escape' | 'raw_byte' | 'empty_label';
}

/** FNV-1a over the char codes of `text[start, end)`. */
export function hashText(text: string, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h | 0;
}

/** One generation: linear probing over a power-of-two slot array, filled to at most half. */
class Generation {
  readonly hashes: Int32Array;
  readonly entries: Array<KnownName | undefined>;
  readonly mask: number;
  size = 0;

  constructor(slots: number) {
    this.hashes = new Int32Array(slots);
    this.entries = new Array<KnownName | undefined>(slots).fill(undefined);
    this.mask = slots - 1;
  }

  find(text: string, start: number, end: number, hash: number): KnownName | undefined {
    const { hashes, entries, mask } = this;
    const length = end - start;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const e = entries[i];
      if (e === undefined) return undefined;
      if (hashes[i] === hash && e.text.length === length && text.startsWith(e.text, start)) return e;
    }
  }

  insert(e: KnownName): void {
    const { hashes, entries, mask } = this;
    let i = e.hash & mask;
    while (entries[i] !== undefined) i = (i + 1) & mask;
    hashes[i] = e.hash;
    entries[i] = e;
    this.size++;
  }
}

export class NameCache {
  private current: Generation;
  private previous: Generation;
  private readonly slots: number;
  /** Name text held by the current generation, in characters. */
  private chars = 0;

  constructor(
    private readonly capacity: number,
    private readonly maxChars = Infinity,
  ) {
    let slots = 2;
    while (slots < capacity * 2) slots *= 2;
    this.slots = slots;
    this.current = new Generation(slots);
    this.previous = new Generation(2);
  }

  /** The entry for `text[start, end)` whose hash (`hashText`) is `hash`. */
  get(text: string, start: number, end: number, hash: number): KnownName | undefined {
    const hit = this.current.find(text, start, end, hash);
    if (hit !== undefined) return hit;
    const old = this.previous.find(text, start, end, hash);
    if (old !== undefined) this.add(old);
    return old;
  }

  add(name: KnownName): void {
    if (this.current.size >= this.capacity || this.chars >= this.maxChars) {
      this.previous = this.current;
      this.current = new Generation(this.slots);
      this.chars = 0;
    }
    this.current.insert(name);
    this.chars += name.text.length;
  }

  /** Entries held now (at most twice the capacity). */
  get size(): number {
    return this.current.size + this.previous.size;
  }

  /** Drops every entry (the memory goes back at once: a flood's names are worth nothing). */
  clear(): void {
    this.current = new Generation(this.slots);
    this.previous = new Generation(2);
    this.chars = 0;
  }
}

/** Hands out one stored object per string content, bounded by two generations like `NameCache`. */
export class StringPool {
  private current = new Map<string, string>();
  private previous = new Map<string, string>();

  constructor(private readonly capacity: number) {}

  intern(text: string): string {
    const hit = this.current.get(text);
    if (hit !== undefined) return hit;
    const stored = this.previous.get(text) ?? text;
    if (this.current.size >= this.capacity) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(stored, stored);
    return stored;
  }
}
