/**
 * BIND 9.18 query-log formatting: timestamps, presentation-form names, whole lines.
 *
 * A line, with `print-time yes; print-category yes; print-severity yes;`:
 *
 *   22-Nov-2026 23:40:10.045 queries: info: client @0x7fdbbdf5f098 10.53.1.10#34890 (vaaaakatefy.v.example.com): query: vaaaakatefy.v.example.com IN NULL +E(0) (10.53.1.1)
 *
 * Times are written in UTC (BIND writes local time; the simulator's machine is UTC by convention).
 */

import { hashString } from './random.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** '00'..'99' */
const D2: string[] = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
/** '000'..'999' */
const D3: string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

const MS_PER_DAY = 86_400_000;

/**
 * Formats epoch milliseconds as `DD-Mon-YYYY HH:MM:SS.mmm` (UTC), caching the
 * day prefix and the current second so consecutive calls cost a lookup and a
 * concatenation. One instance per stream of (mostly increasing) times.
 */
export class BindTimeFormatter {
  private day = Number.NaN;
  private dayPrefix = '';
  private sec = Number.NaN;
  private secPrefix = '';

  format(ms: number): string {
    const t = Math.floor(ms);
    const s = Math.floor(t / 1000);
    if (s !== this.sec) {
      const day = Math.floor(t / MS_PER_DAY);
      if (day !== this.day) {
        const d = new Date(day * MS_PER_DAY);
        const year = d.getUTCFullYear();
        const yearText = year >= 0 && year <= 9999 ? String(year).padStart(4, '0') : String(year);
        this.dayPrefix = D2[d.getUTCDate()] + '-' + MONTHS[d.getUTCMonth()] + '-' + yearText + ' ';
        this.day = day;
      }
      const secOfDay = s - day * 86_400;
      const h = Math.floor(secOfDay / 3600);
      const rem = secOfDay - h * 3600;
      const m = Math.floor(rem / 60);
      this.secPrefix = this.dayPrefix + D2[h] + ':' + D2[m] + ':' + D2[rem - m * 60] + '.';
      this.sec = s;
    }
    return this.secPrefix + D3[t - s * 1000];
  }
}

const sharedFormatter = new BindTimeFormatter();

/** `DD-Mon-YYYY HH:MM:SS.mmm` in UTC, e.g. `22-Nov-2026 23:40:10.045`. */
export function formatBindTime(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`time must be finite, got ${ms}`);
  return sharedFormatter.format(ms);
}

// ---------------------------------------------------------------------------
// Names in presentation form

/**
 * Byte → presentation text, as BIND's `dns_name_totext` writes a label byte:
 * printable ASCII (0x21-0x7e) as itself, the specials `" ( ) . ; \ @ $` with a
 * backslash in front, every other byte as `\DDD` (three decimal digits).
 */
const BYTE_TEXT: string[] = Array.from({ length: 256 }, (_, b) => {
  switch (b) {
    case 0x22: // "
    case 0x28: // (
    case 0x29: // )
    case 0x2e: // .
    case 0x3b: // ;
    case 0x5c: // \
    case 0x40: // @
    case 0x24: // $
      return '\\' + String.fromCharCode(b);
    default:
      return b >= 0x21 && b <= 0x7e ? String.fromCharCode(b) : '\\' + String(b).padStart(3, '0');
  }
});

function needsEscape(code: number): boolean {
  return (BYTE_TEXT[code] as string).length !== 1;
}

/**
 * One label in BIND presentation form. A string is taken as its UTF-8 bytes
 * (ASCII stays one byte per character); a `Uint8Array` as raw bytes.
 */
export function escapeLabel(label: string | Uint8Array): string {
  if (typeof label === 'string') {
    let plain = true;
    for (let i = 0; i < label.length; i++) {
      const c = label.charCodeAt(i);
      if (c > 0x7e || needsEscape(c)) {
        plain = false;
        break;
      }
    }
    if (plain) return label;
    return escapeBytes(Buffer.from(label, 'utf8'));
  }
  return escapeBytes(label);
}

function escapeBytes(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += BYTE_TEXT[bytes[i] as number];
  return out;
}

/** Labels (left to right, without the root) joined into a presentation-form name, no trailing dot. */
export function nameFromLabels(labels: ReadonlyArray<string | Uint8Array>): string {
  let out = '';
  for (let i = 0; i < labels.length; i++) {
    if (i > 0) out += '.';
    out += escapeLabel(labels[i] as string | Uint8Array);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Whole lines

/** The pseudo-random `@0x…` client object address BIND prints: 12 hex digits, stable per (client, salt). */
export function clientObjectFor(clientIp: string, salt = 0): string {
  const a = hashString(clientIp, salt ^ 0x51ed270b);
  const b = hashString(clientIp, salt ^ 0x2545f491);
  // 0x7f + 10 hex digits, 8-byte aligned like a real heap pointer.
  return '7f' + (a & 0xff).toString(16).padStart(2, '0') + ((b & 0xfffffff8) >>> 0).toString(16).padStart(8, '0');
}

export interface BindQueryFields {
  /** Epoch milliseconds. */
  timeMs: number;
  clientIp: string;
  clientPort: number;
  /** The query name in presentation form (already escaped, e.g. by `nameFromLabels`), no trailing dot. */
  qname: string;
  /** Type mnemonic, e.g. `A`, `NULL`, `TYPE65399`. */
  qtype: string;
  /** Default `IN`. */
  qclass?: string;
  /** Default `+E(0)`. */
  flags?: string;
  /** The resolver address the query was sent to (printed last, in parentheses). */
  serverIp: string;
  /** 12 hex digits without `0x`; default derived from `clientIp` with `clientObjectFor`. */
  clientObject?: string;
  /** Default `queries`. */
  category?: string;
  /** Default `info`. */
  severity?: string;
}

/** One BIND 9.18 query-log line (no trailing newline). */
export function formatBindQueryLine(f: BindQueryFields): string {
  return (
    formatBindTime(f.timeMs) +
    ' ' +
    (f.category ?? 'queries') +
    ': ' +
    (f.severity ?? 'info') +
    ': client @0x' +
    (f.clientObject ?? clientObjectFor(f.clientIp)) +
    ' ' +
    f.clientIp +
    '#' +
    f.clientPort +
    ' (' +
    f.qname +
    '): query: ' +
    f.qname +
    ' ' +
    (f.qclass ?? 'IN') +
    ' ' +
    f.qtype +
    ' ' +
    (f.flags ?? '+E(0)') +
    ' (' +
    f.serverIp +
    ')'
  );
}
