/**
 * dnscat2's queries (doc/protocol.md in iagox86/dnscat2): the packet is
 * hex-encoded, dots may fall anywhere, and the name is either
 * `dnscat.<hex>` (tag mode) or `<hex>.<domain>`. Every packet starts with
 *
 *   packet_id (2 bytes) · message_type (1: 00 SYN, 01 MSG, 02 FIN, 03 ENC, ff PING) · session_id (2)
 *
 * and the shortest of each type is SYN/MSG/ENC 9 bytes, FIN/PING 6. ENC
 * packets carry a 2-byte subtype next, 0 (INIT) or 1 (AUTH). After encryption
 * is negotiated the body is ciphertext, so nothing past the header can be
 * checked in general.
 */
import { HEX, decodeBits } from '../decode.js';
import { labelEquals, type NameView } from '../name-view.js';
import { CHARSET_TABLES, spanFits } from '../charsets.js';

const scratch = new Uint8Array(160);
const MIN_FIRST_LABEL = 6;

/** The header of a dnscat2 packet in the leading hex labels (after a `dnscat` tag label when there is one). */
export function dnscat2Header(v: NameView): boolean {
  // Reverse names are all hex nibbles; they are PTR lookups, not dnscat2.
  if (v.event.nameKind === 'reverse') return false;
  const spans = v.labels;
  const tagged = labelEquals(v, 0, 'dnscat');
  const first = tagged ? 1 : 0;
  if (first >= spans.count) return false;
  // Without the tag, the data labels must look filled: dnscat2 cuts at about 62 characters,
  // and names of one- or two-character hex labels are something else.
  if (!tagged && spans.bytes[0]! < MIN_FIRST_LABEL) return false;
  // Tag mode: every label after the tag is data. Domain mode: data labels lie within the subdomain.
  const limit = tagged ? spans.count : v.subLabels;
  let last = first - 1;
  let hexChars = 0;
  let bestLast = -1;
  let bestChars = 0;
  for (let k = first; k < limit; k++) {
    if (!spanFits(v.name, spans.start[k]!, spans.end[k]!, CHARSET_TABLES.hex)) break;
    last = k;
    hexChars += spans.end[k]! - spans.start[k]!;
    if ((hexChars & 1) === 0) {
      bestLast = last;
      bestChars = hexChars;
    }
  }
  if (bestLast < first || bestChars < 12) return false;
  const n = decodeBits(v.name, spans, first, bestLast, HEX, 4, scratch);
  if (n < 6) return false;
  const type = scratch[2]!;
  switch (type) {
    case 0x00: // SYN
    case 0x01: // MSG
      return n >= 9;
    case 0x02: // FIN
    case 0xff: // PING
      return true;
    case 0x03: // ENC: subtype 0 or 1
      return n >= 9 && scratch[5] === 0 && scratch[6]! <= 1;
    default:
      return false;
  }
}
