/**
 * dns2tcp 0.5.2's queries (client/requests.c, common/includes/packet.h), checked
 * against real captures: `<base64>.<domain>`, or `<base64>.=auth.<domain>`,
 * `=connect`, `=resource` for the control requests (those literal labels are a
 * plain declarative rule). The base64 (standard alphabet, no padding) encodes a
 * 7-byte header, then data; long data is cut into 63-character labels:
 *
 *   session_id (2) · ack_seq (2) · seq (2) · type (1)
 *   type: low 3 bits OK 0, DESAUTH 1, ERR 2, NOP 4, CHECK_MTU 6; flags DATA 0x08,
 *         ACK 0x10, NACK 0x20, USE_COMPRESS 0x40; the top bit is never set
 *
 * A header-only packet (NOP, ACK, DESAUTH) is exactly 10 characters whose last 4
 * bits are zero padding.
 */
import { BASE64_STD, decodeBits, leftover } from '../decode.js';
import type { NameView } from '../name-view.js';

const scratch = new Uint8Array(64);

export function dns2tcpHeader(v: NameView): boolean {
  const spans = v.labels;
  if (spans.count < 2) return false;
  const len = spans.bytes[0]!;
  if (len < 10 || spans.escaped[0] !== 0) return false;
  // Binary data in base64 has upper-case letters: a lower-case word (a DKIM selector, a hostname) is not this.
  const s = v.name;
  let upper = false;
  for (let i = spans.start[0]!; i < spans.end[0]!; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) {
      upper = true;
      break;
    }
  }
  if (!upper) return false;
  const n = decodeBits(s, spans, 0, 0, BASE64_STD, 6, scratch);
  if (n < 7) return false;
  if (len === 10 && leftover.value !== 0) return false;
  const type = scratch[6]!;
  if ((type & 0x80) !== 0) return false;
  const kind = type & 0x07;
  return kind === 0 || kind === 1 || kind === 2 || kind === 4 || kind === 6;
}
