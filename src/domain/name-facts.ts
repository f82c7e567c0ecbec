import type { DnsEvent } from '../event.js';
import { newNameScan, scanPresentationName, type NameScan } from '../parsers/presentation-name.js';
import { splitDomain, type DomainSplit } from './split.js';

/** The name-derived fields of an event; every parser fills them through `nameFacts`. */
export type NameFields = Pick<
  DnsEvent,
  'qname' | 'qnameLower' | 'qnameBytes' | 'labels' | 'longestLabel' | 'registeredDomain' | 'subdomain' | 'subdomainBytes' | 'nameKind'
>;

const scan: NameScan = newNameScan();
const split: DomainSplit = { registeredDomain: '', subdomain: '', subdomainBytes: 0, nameKind: 'normal' };

/**
 * Scans a presentation-form name and writes the grouping fields into `target`;
 * returns '' or the scan error code (`bad_escape`, `raw_byte`, `empty_label`) for quarantine.
 * Module-level scratch objects are safe: JavaScript runs this synchronously.
 */
export function fillNameFacts(target: NameFields, qname: string, start: number, end: number): NameScan['error'] {
  scanPresentationName(qname, start, end, scan);
  if (!scan.ok) return scan.error;
  let name = start === 0 && end === qname.length ? qname : qname.slice(start, end);
  if (name.length > 1 && name.charCodeAt(name.length - 1) === 0x2e && scan.labels > 0 && !endsWithEscapedDot(name)) name = name.slice(0, -1);
  const lower = scan.hasUpper ? name.toLowerCase() : name;
  splitDomain(lower, scan.bytes, scan.longestLabel, scan.escaped, split);
  target.qname = name;
  target.qnameLower = lower;
  target.qnameBytes = scan.bytes;
  target.labels = scan.labels;
  target.longestLabel = scan.longestLabel;
  target.registeredDomain = split.registeredDomain;
  target.subdomain = split.subdomain;
  target.subdomainBytes = split.subdomainBytes;
  target.nameKind = split.nameKind;
  return '';
}

function endsWithEscapedDot(name: string): boolean {
  // Count the backslashes before the final dot: an odd number escapes it.
  let n = 0;
  for (let i = name.length - 2; i >= 0 && name.charCodeAt(i) === 0x5c; i--) n++;
  return n % 2 === 1;
}
