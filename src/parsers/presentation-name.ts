/**
 * Scans a DNS name in presentation form (RFC 1035 §5.1 master-file escapes, as
 * BIND writes names in its logs): `\DDD` is one byte given in decimal, `\X` is
 * the character X taken literally (so `\.` is a dot inside a label).
 *
 * Every byte of a query name is attacker-controlled, so this is a single
 * forward pass over character codes: no regex, no allocation, bounded work.
 * The result object is reused by the caller (hot path, one call per line).
 */

export interface NameScan {
  /** False when the name is not valid presentation form (bad escape, raw byte outside 0x21–0x7e). */
  ok: boolean;
  /** Why not, when !ok. */
  error: 'bad_escape' | 'raw_byte' | 'empty_label' | '';
  /** Wire length of the name without the root label: labels' bytes plus one length byte per label, minus one. */
  bytes: number;
  labels: number;
  longestLabel: number;
  /** Whether any escape occurs (fast paths may skip escape-aware work otherwise). */
  escaped: boolean;
  hasUpper: boolean;
}

export function newNameScan(): NameScan {
  return { ok: true, error: '', bytes: 0, labels: 0, longestLabel: 0, escaped: false, hasUpper: false };
}

const BACKSLASH = 0x5c;
const DOT = 0x2e;

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/**
 * Scans `text[start, end)`. A single trailing dot (fully-qualified form) is
 * accepted and not counted; `.` alone is the root (0 labels, 0 bytes).
 */
export function scanPresentationName(text: string, start: number, end: number, out: NameScan): NameScan {
  out.ok = true;
  out.error = '';
  out.bytes = 0;
  out.labels = 0;
  out.longestLabel = 0;
  out.escaped = false;
  out.hasUpper = false;
  if (end - start === 1 && text.charCodeAt(start) === DOT) return out;
  let labelBytes = 0;
  let total = 0;
  let labels = 0;
  let longest = 0;
  let i = start;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) {
      out.escaped = true;
      if (i + 1 >= end) return fail(out, 'bad_escape');
      const d1 = text.charCodeAt(i + 1);
      if (isDigit(d1)) {
        const d2 = text.charCodeAt(i + 2);
        const d3 = text.charCodeAt(i + 3);
        if (i + 3 >= end || !isDigit(d2) || !isDigit(d3)) return fail(out, 'bad_escape');
        const value = (d1 - 0x30) * 100 + (d2 - 0x30) * 10 + (d3 - 0x30);
        if (value > 255) return fail(out, 'bad_escape');
        i += 4;
      } else {
        if (d1 < 0x20 || d1 > 0x7e) return fail(out, 'raw_byte');
        // `\A` is the letter A: DNS compares it case-insensitively like any other.
        if (d1 >= 0x41 && d1 <= 0x5a) out.hasUpper = true;
        i += 2;
      }
      labelBytes++;
      continue;
    }
    if (c === DOT) {
      if (labelBytes === 0) return fail(out, 'empty_label');
      labels++;
      total += labelBytes + 1;
      if (labelBytes > longest) longest = labelBytes;
      labelBytes = 0;
      i++;
      // A dot that ends the text is the fully-qualified form's root, not an empty label.
      if (i === end) {
        out.bytes = total - 1;
        out.labels = labels;
        out.longestLabel = longest;
        return out;
      }
      continue;
    }
    if (c <= 0x20 || c > 0x7e) return fail(out, 'raw_byte');
    if (c >= 0x41 && c <= 0x5a) out.hasUpper = true;
    labelBytes++;
    i++;
  }
  if (labelBytes === 0) return fail(out, 'empty_label');
  labels++;
  total += labelBytes;
  if (labelBytes > longest) longest = labelBytes;
  out.bytes = total;
  out.labels = labels;
  out.longestLabel = longest;
  return out;
}

function fail(out: NameScan, error: NameScan['error']): NameScan {
  out.ok = false;
  out.error = error;
  return out;
}

/** Un-escaped byte length of `text[start, end)`, dots included; assumes `scanPresentationName` accepted it. */
export function presentationBytes(text: string, start: number, end: number): number {
  let n = 0;
  let i = start;
  while (i < end) {
    if (text.charCodeAt(i) === BACKSLASH) i += isDigit(text.charCodeAt(i + 1)) ? 4 : 2;
    else i++;
    n++;
  }
  return n;
}

/** Decodes presentation form into bytes (dots between labels kept as 0x2e; an escaped dot is also 0x2e). For detectors and display, not the hot path. */
export function decodePresentation(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  let n = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH && i + 1 < text.length) {
      const d1 = text.charCodeAt(i + 1);
      if (isDigit(d1) && i + 3 < text.length) {
        out[n++] = ((d1 - 0x30) * 100 + (text.charCodeAt(i + 2) - 0x30) * 10 + (text.charCodeAt(i + 3) - 0x30)) & 0xff;
        i += 4;
      } else {
        out[n++] = d1 & 0xff;
        i += 2;
      }
    } else {
      out[n++] = c & 0xff;
      i++;
    }
  }
  return out.subarray(0, n);
}
