/**
 * Network addresses carried as bytes (dnstap's query_address / response_address) as text, the
 * way inet_ntop writes them — which is what BIND's own logs and dnstap-read print, so the same
 * client reads the same from a dnstap stream and from a query log: IPv4 dotted decimal; IPv6 in
 * lower-case hex with the longest run of two or more zero groups (the first, on a tie) as `::`,
 * and IPv4-mapped (`::ffff:a.b.c.d`) and IPv4-compatible (`::a.b.c.d`) addresses with a dotted tail.
 */

/** The address in `bytes` (4 or 16 of them), or null for any other length. */
export function addressText(bytes: Uint8Array): string | null {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  if (bytes.length !== 16) return null;
  const groups = new Array<number>(8);
  for (let g = 0; g < 8; g++) groups[g] = (bytes[2 * g]! << 8) | bytes[2 * g + 1]!;

  let bestStart = -1;
  let bestLength = 0;
  for (let g = 0; g < 8; ) {
    if (groups[g] !== 0) {
      g++;
      continue;
    }
    let end = g;
    while (end < 8 && groups[end] === 0) end++;
    if (end - g > bestLength) {
      bestStart = g;
      bestLength = end - g;
    }
    g = end;
  }
  if (bestLength < 2) bestStart = -1;

  // inet_ntop's embedded-IPv4 forms: six zero groups (not :: or ::1), or five and then ffff.
  const dottedTail = bestStart === 0 && (bestLength === 6 || (bestLength === 5 && groups[5] === 0xffff));
  const hexGroups = dottedTail ? 6 : 8;
  let out = '';
  for (let g = 0; g < hexGroups; g++) {
    if (g === bestStart) {
      out += '::';
      g += bestLength - 1;
      continue;
    }
    if (out !== '' && !out.endsWith(':')) out += ':';
    out += groups[g]!.toString(16);
  }
  if (dottedTail) {
    if (!out.endsWith(':')) out += ':';
    out += `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  }
  return out;
}
