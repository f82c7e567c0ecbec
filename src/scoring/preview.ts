/**
 * A decoded preview of what a tunnel carries: the encoded subdomains' labels joined (tunnels split
 * one message across labels) and decoded with the alphabet the features recognised. Tool headers,
 * sequence numbers and compression make it imperfect; it is shown to help an analyst recognise
 * plain-text payloads (file names, commands, hostnames), not as a reconstruction.
 */
import type { Charset } from '../features/query-features.js';
import { decodePresentation } from '../parsers/presentation-name.js';

const MAX_PREVIEW_BYTES = 96;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

export interface DecodedPreview {
  encoding: 'hex' | 'base32' | 'base64' | 'raw';
  /** Printable ASCII as is, every other byte as `.`. */
  text: string;
  bytes: number;
}

/**
 * The smallest alphabet the joined labels fit, read off the text itself rather than one query's
 * features: tools put a header in front of each query's data, so one label may look different
 * from the whole. A backslash (BIND's escapes) means raw bytes. The labels should keep their
 * original case, or base64 cannot be told from base32.
 */
function alphabetOf(joined: string): Charset {
  let hex = true;
  let b32 = true;
  let b64 = true;
  let upper = false;
  let lower = false;
  for (let i = 0; i < joined.length; i++) {
    const raw = joined.charCodeAt(i);
    if (raw === 0x5c) return 'binary';
    if (raw >= 0x41 && raw <= 0x5a) upper = true;
    if (raw >= 0x61 && raw <= 0x7a) lower = true;
    const c = raw >= 0x41 && raw <= 0x5a ? raw | 0x20 : raw;
    const digit = c >= 0x30 && c <= 0x39;
    const letter = c >= 0x61 && c <= 0x7a;
    if (!(digit || (c >= 0x61 && c <= 0x66))) hex = false;
    if (!((c >= 0x32 && c <= 0x37) || letter)) b32 = false;
    if (!(digit || letter || c === 0x2b || c === 0x2f || c === 0x3d || c === 0x2d || c === 0x5f)) b64 = false;
  }
  // Both cases: base64 (case carries data there); one case: hex or base32 first.
  if (upper && lower && b64) return 'base64';
  return hex ? 'hex' : b32 ? 'base32' : b64 ? 'base64' : 'mixed';
}

export function decodedPreview(subdomains: readonly string[]): DecodedPreview | null {
  const joined = subdomains.map((s) => s.split('.').join('')).join('');
  if (joined.length === 0) return null;
  const charset = alphabetOf(joined);
  let bytes: Uint8Array;
  let encoding: DecodedPreview['encoding'];
  switch (charset) {
    case 'hex':
      encoding = 'hex';
      bytes = decodeHex(joined);
      break;
    case 'base32':
      encoding = 'base32';
      bytes = decodeBase32(joined);
      break;
    case 'base64':
    case 'base64url':
      encoding = 'base64';
      bytes = Buffer.from(joined.slice(0, (MAX_PREVIEW_BYTES * 4) / 3 + 4), 'base64');
      break;
    case 'binary':
      encoding = 'raw';
      bytes = decodeRaw(subdomains);
      break;
    default:
      return null;
  }
  const shown = bytes.subarray(0, MAX_PREVIEW_BYTES);
  let text = '';
  for (const b of shown) text += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
  return { encoding, text, bytes: shown.length };
}

function decodeHex(s: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i + 1 < s.length && out.length < MAX_PREVIEW_BYTES; i += 2) {
    const v = parseInt(s.slice(i, i + 2), 16);
    if (Number.isNaN(v)) break;
    out.push(v);
  }
  return Uint8Array.from(out);
}

/** RFC 4648 base32 without padding, case-insensitive; stops at the first character outside the alphabet. */
function decodeBase32(s: string): Uint8Array {
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (let i = 0; i < s.length && out.length < MAX_PREVIEW_BYTES; i++) {
    const v = BASE32.indexOf(s[i]!.toLowerCase());
    if (v < 0) break;
    buffer = ((buffer << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((buffer >> bits) & 0xff);
    }
  }
  return Uint8Array.from(out);
}

/** Raw-byte names (BIND's `\DDD`): un-escaped; label dots and escaped dots both become 0x2e, and the preview drops both. */
function decodeRaw(subdomains: readonly string[]): Uint8Array {
  const out: number[] = [];
  for (const s of subdomains) {
    for (const b of decodePresentation(s)) {
      if (out.length >= MAX_PREVIEW_BYTES) return Uint8Array.from(out);
      if (b !== 0x2e) out.push(b);
    }
  }
  return Uint8Array.from(out);
}
