/**
 * Per-query features of a DNS event's subdomain (the part an attacker
 * controls): computed once per event on the hot path, in one forward pass over
 * character codes, into a caller-owned result object. No regex, no allocation.
 *
 * All figures describe the SUBDOMAIN (the labels left of the registered
 * domain, src/domain/split.ts), not the whole name: `labels` and
 * `longestLabel` here are the subdomain's (the event's own `labels` and
 * `longestLabel` cover the whole name). The subdomain is read un-escaped
 * (presentation form, src/parsers/presentation-name.ts): `\DDD` is one byte,
 * `\X` is the byte X, and `\.` is a 0x2e byte inside a label. The "payload" is
 * the subdomain's bytes without the label-separating dots (escaped dots stay:
 * they are data). Every ratio is over payload bytes.
 *
 * Case: DNS names are case-insensitive and `event.subdomain` is lower-cased;
 * `entropy`, `digitRatio`, `nonAlnumRatio` and `englishLikeness` describe it
 * (so 0x20 case randomisation does not change them; an escaped `\065` stays
 * the byte A, as it does in `subdomain`). `upperRatio` and `charset` (base64
 * needs both cases) need the original case: they read the same span
 * of `event.qname` (original case). The subdomain is a prefix of `qnameLower`
 * and `qname` has the same length (ASCII lower-casing), so the span is
 * `qname[0, subdomain.length)`; when an event visibly breaks that contract
 * (O(1) checks: equal lengths, a dot after the span, the span's first and
 * last characters) the lower-cased subdomain is read instead (upperRatio 0).
 *
 * Hot path: one load of a packed per-byte table (class, trigram symbol,
 * lower-cased byte), one byte count, one trigram cost per character; digits,
 * letters and the entropy come from the byte counts afterwards. Strings are
 * assumed flat, as the pipeline's per-line latin1 decode makes them.
 *
 * charset: the smallest alphabet the subdomain's data fits. 'binary' when any
 * payload byte lies outside 0x21–0x7e; otherwise the LONGEST label (the first
 * of equals) is classified, `L` its bytes, checked in this order (ASCII
 * letters and digits):
 *
 *   text       L < 8 and only [A-Za-z0-9-_]   (too short to call an encoding)
 *   mixed      L < 8 otherwise
 *   hex        L ≥ 8, only [0-9a-fA-F], at least one digit and one letter
 *                (case-insensitive, as DNS; all-digit labels are numbers: text)
 *   base32     L ≥ 8, only RFC 4648 [a-z2-7] (case-insensitive), and a digit 2–7
 *                directly followed by a letter. Letters alone are words (`accounts`,
 *                `safebrowsing`) and digits only at the end are how people number hosts
 *                (`clients4`, `eastus2`, `office365`). Random base32 is still called base32
 *                76% of the time at 8 characters, 96% at 16, 99.8% at 32; of the 72,387
 *                Umbrella top-list subdomains 0.65% are called base32 (1.8% without the
 *                digit-then-letter condition).
 *   base64     L ≥ 8, only [A-Za-z0-9+/=_-], both cases, and a digit or one of `+/=`:
 *                any of `+/=` makes it base64 (also beside `-`/`_`: tunnels mix alphabets,
 *                iodine's is `-+`); neither `+/=` nor `-_`: base64 too
 *   base64url  as base64, with `-` or `_` and none of `+/=`
 *   text       only [A-Za-z0-9-_] (hostname letters, digits, hyphen, underscore)
 *   mixed      anything else printable (`*`, `!`, an escaped dot, `+` in a one-case label…)
 *
 * Why the longest label and not the whole payload: tunnels often sit below a
 * sub-zone (iodine's documentation suggests `t1.example.com`) or add counters
 * and flags in short labels (dnscapy `<data>.<data>.12.f.1.4445.tunnel`); over
 * the whole payload those labels would turn every hex or base32 payload into
 * 'text'. The data labels are the long ones. Benign hex IDs are then 'hex'
 * (`0f0b…13d8.clo.footprintdns.com`): 0.59% of the Umbrella subdomains.
 *
 * An empty subdomain is 'text' with every figure 0 and englishLikeness 1.
 *
 * englishLikeness: mean cost per predicted symbol under the character trigram
 * model trained on benign popular names (src/features/ngram-model.ts),
 * normalised so the median benign training name is 1 and the median random
 * 32-character base32 label 0, clamped to [0, 1]. Case-folded, so 0x20 case
 * randomisation does not change it.
 *
 * rareType: the query type is not one ordinary clients send all the time.
 * Common (false): A, AAAA, HTTPS, SVCB, PTR, NS, SOA, DS, DNSKEY, also in RFC 3597
 * form (TYPE1, TYPE28, TYPE65…: BIND before 9.16 logs HTTPS as TYPE65), and
 * an unknown type ('' or '-'). Everything else is rare (true): TXT (dns2tcp,
 * dnscat2, iodine), NULL (iodine's default), PRIVATE/TYPE65399 and every other
 * TYPEnnn (iodine, custom tools), KEY (dns2tcp), CNAME (tuns, dnscapy, dnscat2:
 * clients ask for A and get CNAMEs, they rarely ask for CNAME), MX (dnscat2,
 * iodine), SRV (iodine), ANY, NAPTR, CAA, AXFR… Benign TXT/MX/SRV exist (mail
 * servers' SPF/DKIM/MX lookups, Active Directory SRV discovery): rareType is
 * evidence to weigh per client and domain, not a verdict.
 */
import type { DnsEvent } from '../event.js';
import { BOUNDARY, SYMBOLS, SYMBOL_OF_BYTE } from './ngram-alphabet.js';
import { likenessFromCost, TRIGRAM_COSTS } from './ngram-model.js';

export type Charset = 'hex' | 'base32' | 'base64' | 'base64url' | 'binary' | 'text' | 'mixed';

export interface QueryFeatures {
  /** Un-escaped bytes of the subdomain, separating dots included (as `DnsEvent.subdomainBytes`). */
  subdomainBytes: number;
  /** Labels of the subdomain (0 when empty). */
  labels: number;
  /** Longest subdomain label, un-escaped bytes. */
  longestLabel: number;
  /** Shannon entropy, bits per byte, of the payload bytes as in the lower-cased `subdomain` (0 when empty). */
  entropy: number;
  /** Payload bytes that are ASCII digits / upper-case ASCII letters (original case) / neither letter nor digit, over payload bytes. */
  digitRatio: number;
  upperRatio: number;
  nonAlnumRatio: number;
  charset: Charset;
  /** 1 ≈ a typical benign name, 0 ≈ random base32; see the module comment. */
  englishLikeness: number;
  rareType: boolean;
}

/** A fresh result object; reuse it across calls. */
export function newQueryFeatures(): QueryFeatures {
  return {
    subdomainBytes: 0,
    labels: 0,
    longestLabel: 0,
    entropy: 0,
    digitRatio: 0,
    upperRatio: 0,
    nonAlnumRatio: 0,
    charset: 'text',
    englishLikeness: 1,
    rareType: false,
  };
}

/** Length of the longest label from which the encoded alphabets (hex, base32, base64, base64url) are considered. */
export const MIN_ENCODED_BYTES = 8;

// Byte classes, one bit each.
const LOWER = 1; // a–z
const UPPER = 2; // A–Z
const NON_HEX_LETTER = 4; // g–z, G–Z
const DIGIT_NOT_32 = 8; // 0 1 8 9: not in the base32 alphabet
const DIGIT_32 = 16; // 2–7
const HYPHEN_UNDERSCORE = 32;
const PLUS_SLASH_EQUALS = 64;
const OTHER_PRINTABLE = 128; // other bytes in 0x21–0x7e
const NON_PRINTABLE = 256; // outside 0x21–0x7e
const DIGIT_32_THEN_LETTER = 512; // not a byte class: a 2–7 digit directly followed by a letter within a label

const LETTER = LOWER | UPPER;
const DIGIT = DIGIT_NOT_32 | DIGIT_32;
const HEX_ALLOWED = LETTER | DIGIT | DIGIT_32_THEN_LETTER; // and no NON_HEX_LETTER
const BASE32_ALLOWED = LETTER | NON_HEX_LETTER | DIGIT_32 | DIGIT_32_THEN_LETTER;
const BASE64_ALLOWED = LETTER | NON_HEX_LETTER | DIGIT | HYPHEN_UNDERSCORE | PLUS_SLASH_EQUALS | DIGIT_32_THEN_LETTER;
const TEXT_ALLOWED = LETTER | NON_HEX_LETTER | DIGIT | HYPHEN_UNDERSCORE | DIGIT_32_THEN_LETTER;

const CLASS_BITS = 0x1ff; // the byte classes above

/**
 * Everything the loop needs about a byte, in one load:
 *   bits 0–8    class (LOWER … NON_PRINTABLE)
 *   bit 12      the byte is a 2–7 digit, bit 13: a letter — so that
 *               `(previous << 1) & current & BIT_LETTER` finds a digit followed by a letter
 *   bits 14–19  trigram symbol
 *   bits 20–27  the byte lower-cased (as in `subdomain`)
 */
const BIT_DIGIT_32 = 1 << 12;
const BIT_LETTER = 1 << 13;
const SYMBOL_SHIFT = 14;
const FOLDED_SHIFT = 20;
const DIGIT_32_THEN_LETTER_FROM = 13 - 9; // BIT_LETTER → DIGIT_32_THEN_LETTER (bit 9)

function byteClass(c: number): number {
  if (c >= 0x61 && c <= 0x7a) return c <= 0x66 ? LOWER : LOWER | NON_HEX_LETTER;
  if (c >= 0x41 && c <= 0x5a) return c <= 0x46 ? UPPER : UPPER | NON_HEX_LETTER;
  if (c >= 0x30 && c <= 0x39) return c >= 0x32 && c <= 0x37 ? DIGIT_32 : DIGIT_NOT_32;
  if (c === 0x2d || c === 0x5f) return HYPHEN_UNDERSCORE;
  if (c === 0x2b || c === 0x2f || c === 0x3d) return PLUS_SLASH_EQUALS;
  return c >= 0x21 && c <= 0x7e ? OTHER_PRINTABLE : NON_PRINTABLE;
}

const BYTE_INFO: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let c = 0; c < 256; c++) {
    const cls = byteClass(c);
    const folded = c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
    t[c] =
      cls |
      ((cls & DIGIT_32) !== 0 ? BIT_DIGIT_32 : 0) |
      ((cls & LETTER) !== 0 ? BIT_LETTER : 0) |
      (SYMBOL_OF_BYTE[c]! << SYMBOL_SHIFT) |
      (folded << FOLDED_SHIFT);
  }
  return t;
})();

/** c · log2 c for small counts (every valid name: ≤ 253 bytes); larger counts are computed. */
const XLOG2X_SIZE = 1024;
const XLOG2X: Float64Array = (() => {
  const t = new Float64Array(XLOG2X_SIZE);
  for (let c = 1; c < XLOG2X_SIZE; c++) t[c] = c * Math.log2(c);
  return t;
})();

// Scratch, reset before every return (JavaScript runs this synchronously).
const counts = new Uint32Array(256);
const distinctBytes = new Uint8Array(256);

const DOT = 0x2e;
const BACKSLASH = 0x5c;
const START_CONTEXT = BOUNDARY * SYMBOLS + BOUNDARY;

/**
 * Fills `out` with the features of `event` (every field written) and returns it.
 * One pass over the subdomain's characters, then one over its distinct bytes;
 * allocates nothing; never throws, whatever the strings hold.
 */
export function extractFeatures(event: DnsEvent, out: QueryFeatures): QueryFeatures {
  out.rareType = isRareQueryType(event.qtype);
  const sub = event.subdomain;
  const n = sub.length;
  if (n === 0) {
    out.subdomainBytes = 0;
    out.labels = 0;
    out.longestLabel = 0;
    out.entropy = 0;
    out.digitRatio = 0;
    out.upperRatio = 0;
    out.nonAlnumRatio = 0;
    out.charset = 'text';
    out.englishLikeness = 1;
    return out;
  }
  const qname = event.qname;
  const lower = event.qnameLower;
  // The original-case span of the subdomain (see the module comment). O(1) checks of the
  // contract (a full comparison would cost a quarter of the extraction time).
  const src =
    qname.length === lower.length &&
    (n === lower.length || (n < lower.length && lower.charCodeAt(n) === DOT)) &&
    lower.charCodeAt(0) === sub.charCodeAt(0) &&
    lower.charCodeAt(n - 1) === sub.charCodeAt(n - 1)
      ? qname
      : sub;

  const costs = TRIGRAM_COSTS;
  let payload = 0;
  let labels = 0;
  let longest = 0;
  let labelBytes = 0;
  let uppers = 0;
  let mask = 0; // classes of the current label's bytes
  let anyMask = 0; // of every label
  let longestMask = 0; // of the (first) longest label
  let prevInfo = 0; // BYTE_INFO of the previous byte in the label
  let distinct = 0;
  let cost = 0;
  let ctx = START_CONTEXT; // (s1 · SYMBOLS + s2): the two previous symbols
  let prev = BOUNDARY; // s2
  let i = 0;
  while (i < n) {
    const c = src.charCodeAt(i);
    if (c === DOT) {
      cost += costs[ctx * SYMBOLS + BOUNDARY]!;
      labels++;
      if (labelBytes > longest) {
        longest = labelBytes;
        longestMask = mask;
      }
      anyMask |= mask;
      mask = 0;
      labelBytes = 0;
      ctx = START_CONTEXT;
      prev = BOUNDARY;
      prevInfo = 0;
      i++;
      continue;
    }
    let info: number;
    let folded: number; // the byte as in the lower-cased subdomain
    if (c !== BACKSLASH || i + 1 >= n) {
      info = BYTE_INFO[c & 0xff]!;
      folded = info >>> FOLDED_SHIFT;
      i++;
    } else {
      const d1 = src.charCodeAt(i + 1) - 0x30;
      const d2 = i + 2 < n ? src.charCodeAt(i + 2) - 0x30 : -1;
      const d3 = i + 3 < n ? src.charCodeAt(i + 3) - 0x30 : -1;
      if (d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9 && d3 >= 0 && d3 <= 9) {
        const b = (d1 * 100 + d2 * 10 + d3) & 0xff;
        info = BYTE_INFO[b]!;
        folded = b; // lower-casing leaves `\DDD` alone
        i += 4;
      } else {
        info = BYTE_INFO[(d1 + 0x30) & 0xff]!;
        folded = info >>> FOLDED_SHIFT;
        i += 2;
      }
    }
    labelBytes++;
    const seen = counts[folded]!;
    counts[folded] = seen + 1;
    if (seen === 0) distinctBytes[distinct++] = folded;
    mask |= (info & CLASS_BITS) | (((prevInfo << 1) & info & BIT_LETTER) >>> DIGIT_32_THEN_LETTER_FROM);
    uppers += (info >>> 1) & 1; // UPPER
    prevInfo = info;
    const s = (info >>> SYMBOL_SHIFT) & 63;
    cost += costs[ctx * SYMBOLS + s]!;
    ctx = prev * SYMBOLS + s;
    prev = s;
  }
  // The last label ends with the subdomain.
  cost += costs[ctx * SYMBOLS + BOUNDARY]!;
  labels++;
  if (labelBytes > longest) {
    longest = labelBytes;
    longestMask = mask;
  }
  anyMask |= mask;

  // Entropy, digits and letters from the byte counts (digits and letters do not change with case).
  let sumXlog2x = 0;
  let digits = 0;
  let alnum = 0;
  for (let j = 0; j < distinct; j++) {
    const b = distinctBytes[j]!;
    const k = counts[b]!;
    payload += k;
    sumXlog2x += k < XLOG2X_SIZE ? XLOG2X[k]! : k * Math.log2(k);
    const cls = BYTE_INFO[b]! & CLASS_BITS;
    if ((cls & DIGIT) !== 0) {
      digits += k;
      alnum += k;
    } else if ((cls & LETTER) !== 0) alnum += k;
    counts[b] = 0;
  }

  out.subdomainBytes = payload + labels - 1;
  out.labels = labels;
  out.longestLabel = longest;
  if (payload === 0) {
    out.entropy = 0;
    out.digitRatio = 0;
    out.upperRatio = 0;
    out.nonAlnumRatio = 0;
  } else {
    const h = (payload < XLOG2X_SIZE ? XLOG2X[payload]! : payload * Math.log2(payload)) / payload - sumXlog2x / payload;
    out.entropy = h > 0 ? h : 0;
    out.digitRatio = digits / payload;
    out.upperRatio = uppers / payload;
    out.nonAlnumRatio = (payload - alnum) / payload;
  }
  out.charset = (anyMask & NON_PRINTABLE) !== 0 ? 'binary' : classify(longestMask, longest);
  out.englishLikeness = likenessFromCost(cost, payload + labels);
  return out;
}

/** The charset rules of the module comment, on the OR of the byte classes of a label of `bytes` bytes. */
function classify(mask: number, bytes: number): Charset {
  if (bytes >= MIN_ENCODED_BYTES) {
    const letters = (mask & LETTER) !== 0;
    if ((mask & ~HEX_ALLOWED) === 0 && letters && (mask & DIGIT) !== 0) return 'hex';
    if ((mask & ~BASE32_ALLOWED) === 0 && (mask & DIGIT_32_THEN_LETTER) !== 0) return 'base32';
    if ((mask & ~BASE64_ALLOWED) === 0 && (mask & LOWER) !== 0 && (mask & UPPER) !== 0 && (mask & (DIGIT | PLUS_SLASH_EQUALS)) !== 0) {
      if ((mask & PLUS_SLASH_EQUALS) !== 0) return 'base64';
      return (mask & HYPHEN_UNDERSCORE) !== 0 ? 'base64url' : 'base64';
    }
  }
  return (mask & ~TEXT_ALLOWED) === 0 ? 'text' : 'mixed';
}

/** RFC 3597 numbers of the common types: A 1, NS 2, SOA 6, PTR 12, AAAA 28, DS 43, DNSKEY 48, SVCB 64, HTTPS 65. */
function isCommonTypeNumber(n: number): boolean {
  return n === 1 || n === 28 || n === 65 || n === 12 || n === 64 || n === 2 || n === 6 || n === 43 || n === 48;
}

/** `rareType` (see the module comment). */
export function isRareQueryType(qtype: string): boolean {
  // Most queries are A: decide one-character types without a string comparison
  // (parsers hand over sliced, not interned, strings).
  if (qtype.length === 1) {
    const c = qtype.charCodeAt(0);
    return c !== 0x41 && c !== 0x61 && c !== 0x2d; // A, a, - (unknown)
  }
  switch (qtype) {
    case 'A':
    case 'AAAA':
    case 'HTTPS':
    case 'PTR':
    case 'SVCB':
    case 'NS':
    case 'SOA':
    case 'DS':
    case 'DNSKEY':
    case '':
    case '-':
      return false;
    case 'TXT':
    case 'NULL':
    case 'CNAME':
    case 'MX':
    case 'SRV':
    case 'KEY':
    case 'ANY':
      return true;
  }
  return rareSlowPath(qtype);
}

function rareSlowPath(qtype: string): boolean {
  const len = qtype.length;
  // RFC 3597 generic form TYPEnnn (any case): a common type written as its number is common.
  if (len > 4 && len <= 9 && (qtype.charCodeAt(0) | 0x20) === 0x74 && (qtype.charCodeAt(1) | 0x20) === 0x79 && (qtype.charCodeAt(2) | 0x20) === 0x70 && (qtype.charCodeAt(3) | 0x20) === 0x65) {
    let n = 0;
    for (let i = 4; i < len; i++) {
      const d = qtype.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) return true;
      n = n * 10 + d;
    }
    return !isCommonTypeNumber(n);
  }
  // A mnemonic logged in lower case: only then allocate its upper-case form.
  for (let i = 0; i < len; i++) {
    const c = qtype.charCodeAt(i);
    if (c >= 0x61 && c <= 0x7a) return isRareQueryType(qtype.toUpperCase());
  }
  return true;
}
