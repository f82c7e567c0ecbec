/**
 * iodine's upstream queries, from its protocol document (doc/proto_00000502.txt)
 * and checked against real iodine 0.7.0 captures (test/fixtures/tools/). The first
 * character of the first label is a command, either case:
 *
 *   v  version      v + base32(4-byte version, 2-byte counter)         11 chars
 *   l  login        l + base32(userid, 16-byte MD5, counter)           32 chars
 *   z  codec check  z + 3-char counter + a fixed test pattern "aA…"
 *   y  downcodec    y + codec (t s u v r) + variant + 3-char counter    6 chars
 *   s  switch codec s + userid + bits (5 6 26 7) + 3-char counter       6 chars
 *   o  option       o + userid + option (t s u v r l i) + counter       6 chars
 *   i  IP request   i + userid + 3-char counter                          5 chars
 *   n  fragsize     n + base32(userid, 2-byte size, counter)             9 chars
 *   r  frag probe   r + 3 chars (userid, size) + 'd' + filler, long
 *   p  ping         p + base32(userid, seq/frag, counter)                8 chars
 *   0-9 a-f data    hex userid + 3-char header + counter char + payload
 *
 * "base32" is iodine's own alphabet (a-z 0-5). A user id is 0–15, which pins the
 * first base32 character of a byte-aligned user id to `a` or `b`, and the unused
 * trailing bits of a base32 string are zero: both are checked.
 *
 * Short words still fit the short commands (`online` is a well-formed option
 * command, `inbox` an IP request), so those also need the subdomain to read
 * unlike ordinary names (English-likeness under SHORT_COMMAND_MAX_LIKENESS; the
 * captured commands score at most 0.69, most popular names 0.9–1), and data,
 * the fragment probe and the like need Base128 bytes, a `+`/`_`, or a random-
 * looking payload (likeness under PAYLOAD_MAX_LIKENESS; captured data scores at
 * most 0.26, hostnames that fit the alphabet mostly 0.8–1).
 */
import { viewFeatures, type NameView } from '../name-view.js';
import { BASE32_IODINE, HEX, decodeBits, leftover } from '../decode.js';

/** Protocol versions iodine has shipped (doc/proto_*.txt): 0.4.x, 0.5.x, 0.6/0.7 (0x502), 0.8 development (0x800). */
const KNOWN_VERSIONS: ReadonlySet<number> = new Set([0x402, 0x403, 0x500, 0x501, 0x502, 0x800]);

const scratch = new Uint8Array(64);

/** See the module comment; likeness is src/features/query-features.ts' englishLikeness of the subdomain. */
const SHORT_COMMAND_MAX_LIKENESS = 0.75;
const PAYLOAD_MAX_LIKENESS = 0.5;

function firstLabelLength(v: NameView): number {
  return v.labels.count === 0 ? 0 : v.labels.bytes[0]!;
}

function b32(c: number): number {
  return c > 0xff ? -1 : BASE32_IODINE[c]!;
}

/** Characters `from..to` (exclusive) of label 0 are all iodine base32. */
function b32Run(v: NameView, from: number, to: number): boolean {
  const s = v.name;
  const base = v.labels.start[0]!;
  for (let i = from; i < to; i++) if (b32(s.charCodeAt(base + i)) < 0) return false;
  return true;
}

/** Value of the base32 character at position `i` of label 0, or -1. */
function b32At(v: NameView, i: number): number {
  return b32(v.name.charCodeAt(v.labels.start[0]! + i));
}

/** Decodes label 0 after its command character; -1 unless every symbol is base32 and the trailing bits are zero. */
function decodeAfterCommand(v: NameView): number {
  const spans = v.labels;
  const saved = spans.start[0]!;
  spans.start[0] = saved + 1; // skip the command character (restored below)
  const n = decodeBits(v.name, spans, 0, 0, BASE32_IODINE, 5, scratch);
  spans.start[0] = saved;
  if (n < 0 || leftover.value !== 0) return -1;
  return n;
}

/** `v` + base32 of a known 4-byte protocol version and a 2-byte counter. */
export function iodineHandshake(v: NameView): boolean {
  if (firstLabelLength(v) !== 11 || v.labels.escaped[0] !== 0) return false;
  if (v.lower.charCodeAt(0) !== 0x76) return false; // v
  if (decodeAfterCommand(v) !== 6) return false;
  const version = ((scratch[0]! << 24) | (scratch[1]! << 16) | (scratch[2]! << 8) | scratch[3]!) >>> 0;
  return KNOWN_VERSIONS.has(version);
}

/** `l` + base32 of user id (0–15), a 16-byte hash and a 2-byte counter. */
export function iodineLogin(v: NameView): boolean {
  if (firstLabelLength(v) !== 32 || v.labels.escaped[0] !== 0) return false;
  if (v.lower.charCodeAt(0) !== 0x6c) return false; // l
  return decodeAfterCommand(v) === 19 && scratch[0]! < 16;
}

/**
 * The starts of iodine's fixed upstream-codec test patterns that follow `z` + counter
 * (TEST_PAT* in client.c), lower-cased presentation form: a resolver that changes
 * case breaks the test but still forwards the query.
 */
const CODEC_TEST_PATTERNS = ['aa-aaahhh-drink-mal-ein-j', 'aa-la-fl', 'aabbccddeeffgg', 'aa0123456789', 'aa\\208\\209\\210'];

/** `z` + 3-character counter + one of iodine's fixed codec test patterns. */
export function iodineCodecCheck(v: NameView): boolean {
  if (firstLabelLength(v) < 12 || v.lower.charCodeAt(0) !== 0x7a) return false; // z
  if (!b32Run(v, 1, 4)) return false;
  const at = v.labels.start[0]! + 4;
  for (const p of CODEC_TEST_PATTERNS) if (v.lower.startsWith(p, at)) return true;
  return false;
}

/** y s o i n r p: the short control commands (see the module comment). */
export function iodineControl(v: NameView): boolean {
  if (!controlShape(v)) return false;
  if (v.lower.charCodeAt(0) === 0x72) return v.labels.escaped[0] !== 0 || viewFeatures(v).englishLikeness < PAYLOAD_MAX_LIKENESS;
  return viewFeatures(v).englishLikeness < SHORT_COMMAND_MAX_LIKENESS;
}

function controlShape(v: NameView): boolean {
  const len = firstLabelLength(v);
  if (len === 0 || (v.labels.escaped[0] !== 0 && v.lower.charCodeAt(0) !== 0x72)) return false;
  switch (v.lower.charCodeAt(0)) {
    case 0x79: // y: codec t s u v r, variant, counter
      return len === 6 && isOneOf(v.lower.charCodeAt(v.labels.start[0]! + 1), 'tsuvr') && b32Run(v, 2, 6);
    case 0x73: // s: userid, bits 5 6 26 7 (f g 0 h), counter
      return len === 6 && b32At(v, 1) < 16 && b32At(v, 1) >= 0 && isOneOf(v.lower.charCodeAt(v.labels.start[0]! + 2), 'fg0h') && b32Run(v, 3, 6);
    case 0x6f: // o: userid, option, counter
      return len === 6 && b32At(v, 1) < 16 && b32At(v, 1) >= 0 && isOneOf(v.lower.charCodeAt(v.labels.start[0]! + 2), 'tsuvrli') && b32Run(v, 3, 6);
    case 0x69: // i: userid, counter
      return len === 5 && b32At(v, 1) < 16 && b32At(v, 1) >= 0 && b32Run(v, 2, 5);
    case 0x6e: // n: base32(userid, fragsize 2 bytes, counter 2 bytes)
      return len === 9 && decodeAfterCommand(v) === 5 && scratch[0]! < 16;
    case 0x70: // p: base32(userid, seq/frag (7 bits), counter 2 bytes)
      return len === 8 && decodeAfterCommand(v) === 4 && scratch[0]! < 16 && scratch[1]! < 0x80;
    case 0x72: // r: 3 chars of userid and fragment size, a dummy 'd', then filler up to the requested length
      return len >= 8 && b32Run(v, 1, 4) && v.lower.charCodeAt(v.labels.start[0]! + 4) === 0x64 && v.event.qnameBytes >= 40;
    default:
      return false;
  }
}

function isOneOf(c: number, chars: string): boolean {
  for (let i = 0; i < chars.length; i++) if (chars.charCodeAt(i) === c) return true;
  return false;
}

/**
 * An upstream data packet: hex user id, 3 base32 header characters, a counter
 * character (a-z 0-9), then payload in one of iodine's codecs, which must be
 * used consistently:
 *
 *   Base128  a-z A-Z 0-9 and bytes 0xbc–0xfd (logged `\188`–`\253`), nothing else
 *   Base64   a-z A-Z 0-9 - +        Base64u  a-z A-Z 0-9 - _   (mixed case: binary data)
 *   Base32   a-z 0-5, no hyphen, no 6–9 (a resolver may change its case)
 *
 * Payload is the rest of the first label and every later subdomain label of 16
 * bytes or more or with escapes (iodine fills labels; the short labels after the
 * data are the tunnel's own zone, e.g. `t1`, which may hold anything).
 */
export function iodineData(v: NameView): boolean {
  const len = firstLabelLength(v);
  if (len < 6) return false;
  const s = v.name;
  const base = v.labels.start[0]!;
  const c0 = s.charCodeAt(base);
  if (c0 > 0xff || HEX[c0]! < 0) return false;
  if (!b32Run(v, 1, 4)) return false;
  const cmc = v.lower.charCodeAt(base + 4);
  if (!((cmc >= 0x61 && cmc <= 0x7a) || (cmc >= 0x30 && cmc <= 0x39))) return false;
  let seen = 0;
  const last = Math.max(0, v.subLabels - 1);
  for (let k = 0; k <= last && k < v.labels.count; k++) {
    if (k > 0 && v.labels.bytes[k]! < 16 && v.labels.escaped[k] === 0) continue;
    const end = v.labels.end[k]!;
    let i = k === 0 ? base + 5 : v.labels.start[k]!;
    while (i < end) {
      const c = s.charCodeAt(i);
      if (c === 0x5c) {
        if (!isDigits3(s, i + 1)) return false;
        const b = (s.charCodeAt(i + 1) - 0x30) * 100 + (s.charCodeAt(i + 2) - 0x30) * 10 + (s.charCodeAt(i + 3) - 0x30);
        if (b < 0xbc || b > 0xfd) return false;
        seen |= SEEN_BASE128;
        i += 4;
        continue;
      }
      const cls = c > 0x7f ? 0 : PAYLOAD_CLASS[c]!;
      if (cls === 0) return false;
      seen |= cls;
      i++;
    }
  }
  // The header and counter are written in lower case; only a case-preserving path carries
  // the Base64/Base128 codecs, so with those the header must still be lower case.
  if ((seen & (SEEN_UPPER | SEEN_BASE128 | SEEN_PLUS_UNDERSCORE)) !== 0 && !lowerCaseHeader(s, base)) return false;
  if ((seen & SEEN_BASE128) !== 0) return (seen & (SEEN_HYPHEN | SEEN_PLUS_UNDERSCORE)) === 0;
  if ((seen & SEEN_PLUS_UNDERSCORE) !== 0) return true;
  if ((seen & SEEN_UPPER) === 0 && (seen & (SEEN_HYPHEN | SEEN_DIGIT_6_9)) !== 0) return false; // neither base32 nor base64
  return viewFeatures(v).englishLikeness < PAYLOAD_MAX_LIKENESS;
}

function lowerCaseHeader(s: string, base: number): boolean {
  for (let i = base; i < base + 5; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return false;
  }
  return true;
}

const SEEN_LOWER = 1;
const SEEN_UPPER = 2;
const SEEN_DIGIT_0_5 = 4;
const SEEN_DIGIT_6_9 = 8;
const SEEN_HYPHEN = 16;
const SEEN_PLUS_UNDERSCORE = 32;
const SEEN_BASE128 = 64;

/** Class bit of each ASCII payload character; 0 for characters no iodine codec uses. */
const PAYLOAD_CLASS: Uint8Array = (() => {
  const t = new Uint8Array(128);
  for (let c = 0x61; c <= 0x7a; c++) t[c] = SEEN_LOWER;
  for (let c = 0x41; c <= 0x5a; c++) t[c] = SEEN_UPPER;
  for (let c = 0x30; c <= 0x35; c++) t[c] = SEEN_DIGIT_0_5;
  for (let c = 0x36; c <= 0x39; c++) t[c] = SEEN_DIGIT_6_9;
  t[0x2d] = SEEN_HYPHEN;
  t[0x2b] = SEEN_PLUS_UNDERSCORE;
  t[0x5f] = SEEN_PLUS_UNDERSCORE;
  return t;
})();

function isDigits3(s: string, at: number): boolean {
  for (let i = at; i < at + 3; i++) {
    const c = s.charCodeAt(i);
    if (!(c >= 0x30 && c <= 0x39)) return false;
  }
  return true;
}
