/**
 * Label boundaries of a presentation-form name, for the structural checks
 * (src/signatures/, src/benign/) that look at one label at a time.
 *
 *   "ab\.c.d\065f.example.com"
 *    └──┬─┘ └─┬──┘ └──┬──┘ └┬┘
 *    label 0  1       2     3      start/end: character offsets into the name,
 *                                  bytes: un-escaped length (`\.` and `\065` are one byte each)
 *
 * One forward pass over character codes into a caller-owned object: no
 * allocation, no regex. An escaped dot (`\.`) does not end a label. At most
 * `MAX_LABELS` labels are recorded (a valid name has at most 127); the rest of a
 * longer, invalid name is left out and `truncated` says so.
 */

/** More than any valid name has (253 bytes hold at most 127 one-byte labels). */
export const MAX_LABELS = 128;

export interface LabelSpans {
  /** Labels recorded (≤ MAX_LABELS). */
  count: number;
  /** Character offset of each label's first character in the scanned name. */
  start: Int32Array;
  /** Offset just past each label's last character. */
  end: Int32Array;
  /** Un-escaped length of each label in bytes. */
  bytes: Int32Array;
  /** 1 when the label holds a backslash escape. */
  escaped: Uint8Array;
  /** The name had more than MAX_LABELS labels. */
  truncated: boolean;
}

export function newLabelSpans(): LabelSpans {
  return {
    count: 0,
    start: new Int32Array(MAX_LABELS),
    end: new Int32Array(MAX_LABELS),
    bytes: new Int32Array(MAX_LABELS),
    escaped: new Uint8Array(MAX_LABELS),
    truncated: false,
  };
}

const DOT = 0x2e;
const BACKSLASH = 0x5c;

/**
 * Records the labels of `name` (presentation form, no trailing dot; "" and "."
 * have no labels). Empty labels (`a..b`) are recorded with zero length: the
 * checks treat them as not matching anything. Never throws.
 */
export function scanLabels(name: string, out: LabelSpans): LabelSpans {
  out.count = 0;
  out.truncated = false;
  const n = name.length;
  if (n === 0 || (n === 1 && name.charCodeAt(0) === DOT)) return out;
  let count = 0;
  let labelStart = 0;
  let bytes = 0;
  let escaped = 0;
  let i = 0;
  while (i < n) {
    const c = name.charCodeAt(i);
    if (c === BACKSLASH && i + 1 < n) {
      escaped = 1;
      const d1 = name.charCodeAt(i + 1) - 0x30;
      const isDecimal = d1 >= 0 && d1 <= 9 && i + 3 < n && isDigit(name.charCodeAt(i + 2)) && isDigit(name.charCodeAt(i + 3));
      i += isDecimal ? 4 : 2;
      bytes++;
      continue;
    }
    if (c === DOT) {
      if (count === MAX_LABELS) {
        out.truncated = true;
        out.count = count;
        return out;
      }
      out.start[count] = labelStart;
      out.end[count] = i;
      out.bytes[count] = bytes;
      out.escaped[count] = escaped;
      count++;
      labelStart = i + 1;
      bytes = 0;
      escaped = 0;
      i++;
      continue;
    }
    bytes++;
    i++;
  }
  if (count === MAX_LABELS) {
    out.truncated = true;
  } else {
    out.start[count] = labelStart;
    out.end[count] = n;
    out.bytes[count] = bytes;
    out.escaped[count] = escaped;
    count++;
  }
  out.count = count;
  return out;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/**
 * Labels of `subdomain` when it is the start of the scanned name (as
 * `DnsEvent.subdomain` is of `qnameLower`): the labels that end at or before its
 * length. 0 for an empty subdomain.
 */
export function subdomainLabelCount(spans: LabelSpans, subdomainLength: number): number {
  if (subdomainLength === 0) return 0;
  let k = 0;
  while (k < spans.count && spans.end[k]! <= subdomainLength) k++;
  return k;
}
