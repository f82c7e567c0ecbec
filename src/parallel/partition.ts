/**
 * Which worker owns a query name. The key is the name's last two
 * dot-separated pieces (three when the last two are a common multi-part
 * public suffix such as co.uk), ASCII case folded. Every registered domain
 * the domain split can give (eTLD+1, reverse zone, suffix, literal, invalid)
 * is a string suffix of the name containing at least that key, so all names
 * of one registered domain land in one partition and no window's counts are
 * ever split; the three-piece rule only keeps a country's .co.uk names from
 * all landing on one worker.
 */
import { getDomain } from 'tldts';

/** Second-level public suffixes under country codes; each is verified against the public suffix list below. */
const COMMON_SECOND_LEVEL = [
  'co.uk', 'org.uk', 'ac.uk', 'gov.uk', 'me.uk', 'ltd.uk', 'plc.uk', 'net.uk',
  'com.au', 'net.au', 'org.au', 'edu.au', 'gov.au',
  'co.jp', 'ne.jp', 'or.jp', 'ac.jp', 'go.jp',
  'co.nz', 'org.nz', 'net.nz', 'co.za', 'org.za', 'co.in', 'net.in', 'org.in',
  'com.br', 'net.br', 'org.br', 'com.cn', 'net.cn', 'org.cn', 'com.tw', 'com.hk', 'com.sg', 'com.my',
  'com.mx', 'com.ar', 'com.tr', 'co.kr', 'or.kr', 'co.il', 'co.id', 'or.id', 'com.ua', 'com.pl', 'com.vn', 'co.th',
];

/**
 * Only true public suffixes may be keyed on three pieces (a name under one is never its own
 * registered domain's last two labels), so the list is checked against tldts once.
 */
const SECOND_LEVEL = new Set(
  COMMON_SECOND_LEVEL.filter((suffix) => getDomain(`probe.${suffix}`, { allowPrivateDomains: true }) === `probe.${suffix}`),
);

export function partitionOfName(text: string, start: number, end: number, partitions: number): number {
  if (partitions <= 1) return 0;
  // A trailing dot (fully-qualified form) is not part of the key.
  if (end - start > 1 && text.charCodeAt(end - 1) === 0x2e) end--;
  const last = text.lastIndexOf('.', end - 1);
  let keyStart = start;
  if (last > start) {
    const second = text.lastIndexOf('.', last - 1);
    keyStart = second >= start ? second + 1 : start;
    // Country-code TLDs are two letters: only then can the last two pieces be a listed suffix.
    if (second > start && end - last === 3 && SECOND_LEVEL.has(text.slice(keyStart, end).toLowerCase())) {
      const third = text.lastIndexOf('.', second - 1);
      keyStart = third >= start ? third + 1 : start;
    }
  }
  let h = 0x811c9dc5;
  for (let i = keyStart; i < end; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    h = Math.imul(h ^ c, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return (h >>> 0) % partitions;
}
