/**
 * The alphabets a rule can require of a label, as per-byte membership tables:
 * a label fits when every character of the span is in the table (one table load
 * per character, no regex). Tables are built once at module load.
 *
 * Case: DNS names are case-insensitive, so the alphabets that are
 * case-insensitive by nature (hex, the base32 variants, digits, hostname) accept
 * both cases; base64, base64url and base58 are case-significant alphabets and
 * are checked on the name as logged (original case). A backslash (an escaped
 * byte) is in no alphabet, so an escaped label never fits one.
 */

export const CHARSETS = [
  'hex', // 0-9 a-f
  'base32', // RFC 4648: a-z 2-7
  'base32-iodine', // iodine's base32: a-z 0-5
  'base32-sliver', // Sliver's base32: ab1c2d3e4f5g6h7j8k9m0npqrtuvwxyz (no i l o s)
  'base64', // A-Z a-z 0-9 + /  (= padding allowed)
  'base64url', // A-Z a-z 0-9 - _  (= padding allowed)
  'base58', // Bitcoin's: 1-9 A-Z a-z without 0 O I l
  'digits', // 0-9
  'letters', // a-z
  'alnum', // a-z 0-9
  'hostname', // a-z 0-9 -  (letters, digits, hyphen)
] as const;

export type CharsetName = (typeof CHARSETS)[number];

/** Membership table: 1 for a byte in the alphabet. */
export type CharsetTable = Uint8Array;

function table(chars: string, caseInsensitive: boolean): CharsetTable {
  const t = new Uint8Array(256);
  for (let i = 0; i < chars.length; i++) {
    const c = chars.charCodeAt(i);
    t[c] = 1;
    if (caseInsensitive && c >= 0x61 && c <= 0x7a) t[c - 0x20] = 1;
  }
  return t;
}

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';

/** Sliver's base32 alphabet (util/encoders/base32.go): RFC 4648 bit order, this symbol order. */
export const SLIVER_BASE32_ALPHABET = 'ab1c2d3e4f5g6h7j8k9m0npqrtuvwxyz';
/** Bitcoin's base58 alphabet, which Sliver uses when the resolver keeps case. */
export const BASE58_ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
/** iodine's base32 alphabet (src/base32.c). */
export const IODINE_BASE32_ALPHABET = 'abcdefghijklmnopqrstuvwxyz012345';

export const CHARSET_TABLES: Readonly<Record<CharsetName, CharsetTable>> = {
  hex: table('0123456789abcdef', true),
  base32: table('abcdefghijklmnopqrstuvwxyz234567', true),
  'base32-iodine': table(IODINE_BASE32_ALPHABET, true),
  'base32-sliver': table(SLIVER_BASE32_ALPHABET, true),
  base64: table(UPPER + LOWER + DIGITS + '+/=', false),
  base64url: table(UPPER + LOWER + DIGITS + '-_=', false),
  base58: table(BASE58_ALPHABET, false),
  digits: table(DIGITS, false),
  letters: table(LOWER, true),
  alnum: table(LOWER + DIGITS, true),
  hostname: table(LOWER + DIGITS + '-', true),
};

/** Whether every character of `s[start, end)` is in `t` (an empty span fits nothing). */
export function spanFits(s: string, start: number, end: number, t: CharsetTable): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff || t[c] === 0) return false;
  }
  return true;
}
