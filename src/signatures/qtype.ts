/**
 * One spelling per query type, so a rule's `qtypes` and an event's `qtype`
 * compare equal however a log wrote them: upper-case mnemonics, RFC 3597
 * `TYPEnnn` turned into the mnemonic when the number has one here, and iodine's
 * `PRIVATE` (its name for type 65399, which logs write as `TYPE65399`) kept as
 * `TYPE65399`.
 */

const MNEMONIC_OF_NUMBER: ReadonlyMap<number, string> = new Map([
  [1, 'A'],
  [2, 'NS'],
  [5, 'CNAME'],
  [6, 'SOA'],
  [10, 'NULL'],
  [12, 'PTR'],
  [13, 'HINFO'],
  [15, 'MX'],
  [16, 'TXT'],
  [25, 'KEY'],
  [28, 'AAAA'],
  [33, 'SRV'],
  [35, 'NAPTR'],
  [43, 'DS'],
  [48, 'DNSKEY'],
  [52, 'TLSA'],
  [64, 'SVCB'],
  [65, 'HTTPS'],
  [99, 'SPF'],
  [255, 'ANY'],
  [257, 'CAA'],
]);

const ALIASES: ReadonlyMap<string, string> = new Map([['PRIVATE', 'TYPE65399']]);

/** The canonical spelling of a query type ('' for an empty or `-` type). Never throws. */
export function canonicalQtype(qtype: string): string {
  if (qtype.length === 0 || qtype === '-') return '';
  // Fast path: already an upper-case mnemonic with no digits (A, AAAA, TXT…).
  let plain = true;
  for (let i = 0; i < qtype.length; i++) {
    const c = qtype.charCodeAt(i);
    if (c < 0x41 || c > 0x5a) {
      plain = false;
      break;
    }
  }
  const upper = plain ? qtype : qtype.toUpperCase();
  if (upper.length > 4 && upper.length <= 9 && upper.startsWith('TYPE')) {
    let n = 0;
    for (let i = 4; i < upper.length; i++) {
      const d = upper.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) return upper;
      n = n * 10 + d;
    }
    return MNEMONIC_OF_NUMBER.get(n) ?? `TYPE${n}`;
  }
  return ALIASES.get(upper) ?? upper;
}
