/**
 * Label shapes the benign classes are recognised by: reversed addresses,
 * hashes of known lengths, list keys, and "word-like" host labels. Each is a
 * check over a run of labels of a presentation-form name (src/domain/labels.ts
 * spans), by character codes: no regex, no allocation, never throws.
 */
import type { LabelSpans } from '../domain/labels.js';

/** A run of labels: `first..last` inclusive, of `name` (lower-cased) as scanned into `spans`. */
export interface LabelRun {
  name: string;
  spans: LabelSpans;
  first: number;
  last: number;
}

function labelLength(r: LabelRun, k: number): number {
  return r.spans.end[k]! - r.spans.start[k]!;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x66);
}

/** A decimal octet 0–255 without leading zeros ("0" itself is fine). */
export function isOctetLabel(name: string, start: number, end: number): boolean {
  const n = end - start;
  if (n < 1 || n > 3) return false;
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = name.charCodeAt(i);
    if (!isDigit(c)) return false;
    v = v * 10 + (c - 0x30);
  }
  if (n > 1 && name.charCodeAt(start) === 0x30) return false;
  return v <= 255;
}

/** Exactly four octet labels: a reversed IPv4 address (`4.3.2.1` for 1.2.3.4). */
export function isReversedIpv4(r: LabelRun): boolean {
  if (r.last - r.first + 1 !== 4) return false;
  for (let k = r.first; k <= r.last; k++) if (!isOctetLabel(r.name, r.spans.start[k]!, r.spans.end[k]!)) return false;
  return true;
}

/** `min..max` labels of one hex digit each: reversed IPv6 nibbles (32 for a full address). */
export function isNibbleRun(r: LabelRun, min: number, max: number): boolean {
  const n = r.last - r.first + 1;
  if (n < min || n > max) return false;
  for (let k = r.first; k <= r.last; k++) {
    if (labelLength(r, k) !== 1 || !isHexDigit(r.name.charCodeAt(r.spans.start[k]!))) return false;
  }
  return true;
}

/** `min..max` octet labels (in-addr.arpa names below a zone cut). */
export function isOctetRun(r: LabelRun, min: number, max: number): boolean {
  const n = r.last - r.first + 1;
  if (n < min || n > max) return false;
  for (let k = r.first; k <= r.last; k++) if (!isOctetLabel(r.name, r.spans.start[k]!, r.spans.end[k]!)) return false;
  return true;
}

export const HASH_SHAPES = ['md5-hex', 'sha1-hex', 'sha256-hex', 'md5-base32', 'sha1-base32', 'sha256-base32'] as const;
export type HashShape = (typeof HASH_SHAPES)[number];

/** Hex digits or RFC 4648 base32 (a-z 2-7) over a whole label. */
function labelIs(name: string, start: number, end: number, hex: boolean): boolean {
  for (let i = start; i < end; i++) {
    const c = name.charCodeAt(i);
    if (hex ? !isHexDigit(c) : !((c >= 0x61 && c <= 0x7a) || (c >= 0x32 && c <= 0x37))) return false;
  }
  return true;
}

/**
 * How many labels from `k` form a hash of one of `shapes` (lengths: md5 32 hex /
 * 26 base32, sha1 40 / 32, sha256 64 hex as two 32-digit labels / 52 base32); 0
 * when none. A base32 hash must hold a digit 2–7 (a 26-letter word is not a hash).
 */
export function hashAt(r: LabelRun, k: number, shapes: readonly HashShape[]): number {
  if (k > r.last) return 0;
  const start = r.spans.start[k]!;
  const end = r.spans.end[k]!;
  const n = end - start;
  // A sha256 in two 32-digit labels before a one-label md5, which the first half would also fit.
  if (n === 32 && shapes.includes('sha256-hex') && k + 1 <= r.last && labelLength(r, k + 1) === 32 && labelIs(r.name, start, end, true) && labelIs(r.name, r.spans.start[k + 1]!, r.spans.end[k + 1]!, true)) return 2;
  for (const shape of shapes) {
    switch (shape) {
      case 'md5-hex':
        if (n === 32 && labelIs(r.name, start, end, true)) return 1;
        break;
      case 'sha1-hex':
        if (n === 40 && labelIs(r.name, start, end, true)) return 1;
        break;
      case 'sha256-hex': // checked above
        break;
      case 'md5-base32':
        if (n === 26 && labelIs(r.name, start, end, false) && hasBase32Digit(r.name, start, end)) return 1;
        break;
      case 'sha1-base32':
        if (n === 32 && labelIs(r.name, start, end, false) && hasBase32Digit(r.name, start, end)) return 1;
        break;
      case 'sha256-base32':
        if (n === 52 && labelIs(r.name, start, end, false) && hasBase32Digit(r.name, start, end)) return 1;
        break;
    }
  }
  return 0;
}

function hasBase32Digit(name: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x32 && c <= 0x37) return true;
  }
  return false;
}

/** A short token beside a hash in a reputation lookup (version, product, flags): 1–8 of a-z 0-9 -. */
export function isShortToken(name: string, start: number, end: number): boolean {
  const n = end - start;
  if (n < 1 || n > 8) return false;
  for (let i = start; i < end; i++) {
    const c = name.charCodeAt(i);
    if (!((c >= 0x61 && c <= 0x7a) || isDigit(c) || c === 0x2d)) return false;
  }
  return true;
}

/** A Spamhaus Data Query Service key label: 26 characters of a-z 0-9. */
export function isDqsKey(name: string, start: number, end: number): boolean {
  if (end - start !== 26) return false;
  for (let i = start; i < end; i++) {
    const c = name.charCodeAt(i);
    if (!((c >= 0x61 && c <= 0x7a) || isDigit(c))) return false;
  }
  return true;
}

/** Longest hyphen-separated segment accepted at all (base32 of 15 bytes is 24 characters). */
export const MAX_SEGMENT = 24;
/** Longest segment that may switch between letters and digits MAX_SWITCHES times or more. */
export const MAX_MIXED_SEGMENT = 16;
const MAX_SWITCHES = 4;

/**
 * A host label as people and provisioning systems name hosts: letters, digits
 * and hyphens (1–63, no leading or trailing hyphen) in hyphen-separated
 * segments of at most MAX_SEGMENT characters, none longer than
 * MAX_MIXED_SEGMENT switching between letters and digits MAX_SWITCHES times or
 * more. Encoders (base32, base64, hex) produce long runs that switch often
 * (`0a549670c3664ad7a7612cf8e7`); names made of words, numbers and short ids
 * (`sharedpremium250904`, `aadmsodsxstore01prod`) do not.
 */
export function isWordLikeLabel(name: string, start: number, end: number): boolean {
  const n = end - start;
  if (n < 1 || n > 63) return false;
  if (name.charCodeAt(start) === 0x2d || name.charCodeAt(end - 1) === 0x2d) return false;
  let segment = 0;
  let switches = 0;
  let previous = 0; // 1 letter, 2 digit
  for (let i = start; i <= end; i++) {
    const c = i < end ? name.charCodeAt(i) : 0x2d;
    if (c === 0x2d) {
      if (segment > MAX_SEGMENT || (segment > MAX_MIXED_SEGMENT && switches >= MAX_SWITCHES)) return false;
      segment = 0;
      switches = 0;
      previous = 0;
      continue;
    }
    let cls: number;
    if (c >= 0x61 && c <= 0x7a) cls = 1;
    else if (isDigit(c)) cls = 2;
    else return false;
    if (previous !== 0 && cls !== previous) switches++;
    previous = cls;
    segment++;
  }
  return true;
}

/** Every label of the run is word-like. */
export function isWordLikeRun(r: LabelRun): boolean {
  if (r.last < r.first) return false;
  for (let k = r.first; k <= r.last; k++) if (!isWordLikeLabel(r.name, r.spans.start[k]!, r.spans.end[k]!)) return false;
  return true;
}
