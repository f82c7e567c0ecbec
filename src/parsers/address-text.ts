/**
 * Network addresses carried as bytes (a packet's source and destination, dnstap's query_address
 * and response_address) as text, the way inet_ntop writes them — which is what BIND's own logs and
 * dnstap-read print, so a client reads the same from a capture, a dnstap stream and a query log:
 * IPv4 dotted decimal; IPv6 in lower-case hex with the longest run of two or more zero groups (the
 * first, on a tie) as `::`, and IPv4-mapped (`::ffff:a.b.c.d`) and IPv4-compatible (`::a.b.c.d`)
 * addresses with a dotted tail.
 */

/** The address in `bytes[at, at + length)` (`length` 4 or 16), or null for any other length. */
export function addressText(bytes: Uint8Array, at = 0, length = bytes.length - at): string | null {
  if (length === 4) return `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
  if (length !== 16) return null;
  const groups = new Array<number>(8);
  for (let g = 0; g < 8; g++) groups[g] = (bytes[at + 2 * g]! << 8) | bytes[at + 2 * g + 1]!;

  let bestStart = -1;
  let bestLength = 0;
  for (let g = 0; g < 8; ) {
    if (groups[g] !== 0) {
      g++;
      continue;
    }
    let end = g;
    while (end < 8 && groups[end] === 0) end++;
    if (end - g > bestLength && end - g >= 2) {
      bestStart = g;
      bestLength = end - g;
    }
    g = end;
  }

  // inet_ntop's embedded-IPv4 forms: six zero groups, or five and then ffff (seven give `::x`).
  const dottedTail = bestStart === 0 && (bestLength === 6 || (bestLength === 5 && groups[5] === 0xffff));
  let text = '';
  for (let g = 0; g < 8; g++) {
    if (g === bestStart) {
      text += g === 0 ? '::' : ':';
      g += bestLength - 1;
      continue;
    }
    if (dottedTail && g === 6) {
      text += `${bytes[at + 12]}.${bytes[at + 13]}.${bytes[at + 14]}.${bytes[at + 15]}`;
      break;
    }
    text += groups[g]!.toString(16);
    if (g < 7) text += ':';
  }
  return text;
}
