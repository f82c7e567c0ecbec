/**
 * Sliver's DNS C2 (implant/sliver/transports/dnsclient/dnsclient.go,
 * protobuf/dnspb/dns.proto in BishopFox/sliver): no fixed string at all. The
 * subdomain is one protobuf `DNSMessage`, encoded with Sliver's own base32
 * alphabet (`ab1c2d3e4f5g6h7j8k9m0npqrtuvwxyz`, no padding) or, when the resolver
 * keeps case, Bitcoin base58, cut into 63-character labels in front of the
 * parent domain:
 *
 *   DNSMessage { Type = 1 (enum 0–9, no 5); ID = 2; Start = 3; Stop = 4; Size = 5 (uint32); Data = 6 (bytes) }
 *
 * Go's proto3 marshalling writes the present fields once each, in field order,
 * and leaves out zero values. The check decodes the data labels and accepts
 * them only when they parse exactly as such a message: tags in increasing
 * order, varints of at most 5 bytes with non-zero values, Type a known value,
 * Data within bounds, nothing left over. Random or word-like labels almost
 * never survive that (and the base32 trailing bits must be zero).
 */
import { BASE32_SLIVER, decodeBase58, decodeBits, leftover } from '../decode.js';
import type { NameView } from '../name-view.js';

const bytes = new Uint8Array(200);
const MAX_BASE58_CHARS = 253;
const scratch58 = new Uint8Array(200);

/** Labels of the encoded message: a run of 63-character labels and the label after it, within the subdomain. */
function dataLabels(v: NameView): number {
  const spans = v.labels;
  let k = 0;
  while (k < v.subLabels && spans.bytes[k] === 63) k++;
  return k < v.subLabels ? k : k - 1; // index of the last data label
}

export function sliverBase32(v: NameView): boolean {
  if (v.subLabels === 0) return false;
  const last = dataLabels(v);
  if (last < 0) return false;
  const n = decodeBits(v.lower, v.labels, 0, last, BASE32_SLIVER, 5, bytes);
  if (n < 0 || leftover.value !== 0 || leftover.bits >= 5) return false;
  return isDnsMessage(bytes, n);
}

export function sliverBase58(v: NameView): boolean {
  if (v.subLabels === 0) return false;
  const last = dataLabels(v);
  if (last < 0) return false;
  // Base58 decoding is quadratic: nothing longer than a valid name's subdomain is tried.
  if (v.labels.end[last]! - v.labels.start[0]! > MAX_BASE58_CHARS) return false;
  // Base58 of binary data has both letter cases (a 12-character run without one is a 1-in-10^4 chance).
  if (!bothCases(v.name, v.labels.start[0]!, v.labels.end[last]!)) return false;
  const n = decodeBase58(v.name, v.labels, 0, last, bytes, scratch58);
  return n >= 0 && isDnsMessage(bytes, n);
}

function bothCases(s: string, start: number, end: number): boolean {
  let lower = false;
  let upper = false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x61 && c <= 0x7a) lower = true;
    else if (c >= 0x41 && c <= 0x5a) upper = true;
  }
  return lower && upper;
}

/** Whether `b[0, n)` is exactly one marshalled dnspb.DNSMessage (see the module comment). */
export function isDnsMessage(b: Uint8Array, n: number): boolean {
  if (n < 3) return false;
  let pos = 0;
  let lastField = 0;
  while (pos < n) {
    const key = b[pos++]!;
    const field = key >>> 3;
    const wire = key & 7;
    if (field <= lastField || field > 6) return false;
    lastField = field;
    if (field <= 5) {
      if (wire !== 0) return false;
      // uint32 varint: at most 5 bytes, never zero in proto3.
      let value = 0;
      let shift = 0;
      let len = 0;
      for (;;) {
        if (pos >= n || len === 5) return false;
        const x = b[pos++]!;
        value += (x & 0x7f) * 2 ** shift;
        shift += 7;
        len++;
        if ((x & 0x80) === 0) break;
      }
      if (value === 0 || value > 0xffffffff) return false;
      if (field === 1 && (value > 9 || value === 5)) return false;
    } else {
      if (wire !== 2 || pos >= n) return false;
      let size = 0;
      let shift = 0;
      let len = 0;
      for (;;) {
        if (pos >= n || len === 2) return false;
        const x = b[pos++]!;
        size += (x & 0x7f) << shift;
        shift += 7;
        len++;
        if ((x & 0x80) === 0) break;
      }
      if (size === 0 || pos + size !== n) return false;
      pos += size;
    }
  }
  return true;
}
