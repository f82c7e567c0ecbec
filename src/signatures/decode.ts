/**
 * Decoders for the named structural checks: the encodings tunnel tools put in
 * labels (hex, base32 variants, base64, base58), read straight from character
 * spans of the name into a caller-owned byte buffer. Bounded (a name is at most
 * a few hundred characters; output stops at the buffer's end), no allocation,
 * no exceptions: invalid input returns -1.
 */
import type { LabelSpans } from '../domain/labels.js';
import { BASE58_ALPHABET, IODINE_BASE32_ALPHABET, SLIVER_BASE32_ALPHABET } from './charsets.js';

/** Symbol value per byte, -1 when the byte is not a symbol. */
export type ReverseTable = Int8Array;

function reverse(alphabet: string, caseInsensitive: boolean): ReverseTable {
  const t = new Int8Array(256).fill(-1);
  for (let i = 0; i < alphabet.length; i++) {
    const c = alphabet.charCodeAt(i);
    t[c] = i;
    if (caseInsensitive && c >= 0x61 && c <= 0x7a) t[c - 0x20] = i;
  }
  return t;
}

export const HEX = reverse('0123456789abcdef', true);
export const BASE32_IODINE = reverse(IODINE_BASE32_ALPHABET, true);
export const BASE32_SLIVER = reverse(SLIVER_BASE32_ALPHABET, true);
export const BASE64_STD = reverse('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', false);
const BASE58 = reverse(BASE58_ALPHABET, false);

/** Bits left over after the last whole byte of the most recent `decodeBits` call, and their value. */
export const leftover = { bits: 0, value: 0 };

/**
 * Decodes the symbols of labels `first..last` (inclusive) of `s`, dots skipped,
 * as a big-endian bit string of `bitsPerSymbol` bits per symbol (4 hex, 5
 * base32, 6 base64) into `out`. `=` ends base64 input only at the very end.
 * Returns the bytes written, or -1 on a character outside the alphabet or when
 * `out` is too small. `leftover` holds the trailing bits that did not make a byte.
 */
export function decodeBits(
  s: string,
  spans: LabelSpans,
  first: number,
  last: number,
  table: ReverseTable,
  bitsPerSymbol: number,
  out: Uint8Array,
): number {
  let acc = 0;
  let bits = 0;
  let n = 0;
  for (let k = first; k <= last; k++) {
    const end = spans.end[k]!;
    for (let i = spans.start[k]!; i < end; i++) {
      const c = s.charCodeAt(i);
      const v = c > 0xff ? -1 : table[c]!;
      if (v < 0) return -1;
      acc = ((acc << bitsPerSymbol) | v) & 0xffff;
      bits += bitsPerSymbol;
      if (bits >= 8) {
        bits -= 8;
        if (n >= out.length) return -1;
        out[n++] = (acc >>> bits) & 0xff;
      }
    }
  }
  leftover.bits = bits;
  leftover.value = acc & ((1 << bits) - 1);
  return n;
}

/**
 * Decodes `s[start, end)` as base58 (Bitcoin alphabet: leading '1's are zero
 * bytes) into `out`. Quadratic in the length, which callers bound (a label is at
 * most 63 characters, a name 253). Returns the bytes written or -1.
 */
export function decodeBase58(s: string, spans: LabelSpans, first: number, last: number, out: Uint8Array, scratch: Uint8Array): number {
  // scratch holds the big-endian number being built, right-aligned.
  scratch.fill(0);
  let size = 0; // significant bytes in scratch (from the end)
  let zeros = 0;
  let leading = true;
  const cap = scratch.length;
  for (let k = first; k <= last; k++) {
    const end = spans.end[k]!;
    for (let i = spans.start[k]!; i < end; i++) {
      const c = s.charCodeAt(i);
      const v = c > 0xff ? -1 : BASE58[c]!;
      if (v < 0) return -1;
      if (leading && v === 0) {
        zeros++;
        continue;
      }
      leading = false;
      let carry = v;
      let j = 0;
      for (; j < size; j++) {
        const idx = cap - 1 - j;
        carry += scratch[idx]! * 58;
        scratch[idx] = carry & 0xff;
        carry >>>= 8;
      }
      while (carry > 0) {
        if (size >= cap) return -1;
        scratch[cap - 1 - size] = carry & 0xff;
        size++;
        carry >>>= 8;
      }
    }
  }
  const total = zeros + size;
  if (total > out.length) return -1;
  out.fill(0, 0, zeros);
  for (let j = 0; j < size; j++) out[zeros + j] = scratch[cap - size + j]!;
  return total;
}
