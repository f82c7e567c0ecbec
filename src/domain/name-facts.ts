import type { DnsEvent } from '../event.js';
import { newNameScan, scanPresentationName, type NameScan } from '../parsers/presentation-name.js';
import { hashText, NameCache, StringPool, type KnownName } from './name-cache.js';
import { splitDomain, type DomainSplit } from './split.js';

/** The name-derived fields of an event; every parser fills them through `nameFacts`. */
export type NameFields = Pick<
  DnsEvent,
  'qname' | 'qnameLower' | 'qnameBytes' | 'labels' | 'longestLabel' | 'registeredDomain' | 'subdomain' | 'subdomainBytes' | 'nameKind'
>;

const scan: NameScan = newNameScan();
const split: DomainSplit = { registeredDomain: '', subdomain: '', subdomainBytes: 0, nameKind: 'normal' };

/**
 * 2 × 32,768 names: the bench log's 50-minute head has 35,572 distinct names. An entry of a typical
 * name (its strings included) is about 250 B, so the cache holds ~16 MiB. Longer names turn a
 * generation over at 1,000,000 characters of text, and names longer than any valid one written
 * with escapes (4 × 253 characters) are not kept at all, so hostile long names cannot grow it
 * past ~25 MiB (each text is held at most twice: as written and lower-cased; the subdomain and
 * domain are slices of those).
 */
const NAME_CACHE_ENTRIES = 32_768;
const NAME_CACHE_CHARS = 1_000_000;
const MAX_CACHED_NAME = 4 * 253;
const cache = new NameCache(NAME_CACHE_ENTRIES, NAME_CACHE_CHARS);
/**
 * One string object per registered domain across its names' entries, so the engine's per-domain
 * table is always asked with the object it stored (bounded the same way: a stale copy is only slower).
 */
const domains = new StringPool(NAME_CACHE_ENTRIES);
/** A registered domain is at most 253 bytes; the longer groups of invalid names are not pooled. */
const MAX_POOLED_DOMAIN = 253;

/**
 * Scans a presentation-form name and writes the grouping fields into `target`;
 * returns '' or the scan error code (`bad_escape`, `raw_byte`, `empty_label`) for quarantine.
 * Module-level scratch objects are safe: JavaScript runs this synchronously.
 */
export function fillNameFacts(target: NameFields, qname: string, start: number, end: number): NameScan['error'] {
  if (bypassFor > 0) {
    bypassFor--;
    return fillFresh(target, qname, start, end);
  }
  const hash = hashText(qname, start, end);
  let known = cache.get(qname, start, end, hash);
  if (known === undefined) {
    known = nameFacts(start === 0 && end === qname.length ? qname : qname.slice(start, end), hash);
    if (end - start <= MAX_CACHED_NAME) cache.add(known);
  } else hits++;
  if (++lookups === SAMPLE_LOOKUPS) {
    if (hits < SAMPLE_LOOKUPS * MIN_HIT_SHARE) {
      bypassFor = BYPASS_LOOKUPS;
      cache.clear();
    }
    lookups = 0;
    hits = 0;
  }
  if (known.error !== '') return known.error;
  copyNameFields(target, known);
  return '';
}

/**
 * A flood of names never seen again (random subdomains or domains) makes every lookup a miss that
 * also copies and stores the name: `bench:flood` ran 2–2.3× slower with the cache than without.
 * So the hit rate is sampled over SAMPLE_LOOKUPS names, and below MIN_HIT_SHARE the next
 * BYPASS_LOOKUPS names are split without the cache, as before it, and what it held is dropped;
 * then it is tried again.
 */
const SAMPLE_LOOKUPS = 4096;
const MIN_HIT_SHARE = 0.3;
const BYPASS_LOOKUPS = 8 * SAMPLE_LOOKUPS;
let lookups = 0;
let hits = 0;
let bypassFor = 0;

/** Names the recent-names cache holds now (for tests and diagnostics). */
export function recentNamesHeld(): number {
  return cache.size;
}

/** The scan and split without the cache: slices of the line itself. */
function fillFresh(target: NameFields, qname: string, start: number, end: number): NameScan['error'] {
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

/**
 * The facts of a name for the cache, on its own copy of the text: the name, lower-cased form,
 * subdomain and domain are then that copy or slices of it, never of the log line.
 */
function nameFacts(line: string, hash: number): KnownName {
  const text = ownCopy(line);
  const known: KnownName = { ...emptyNameFields(), text, hash, error: '' };
  known.error = fillFresh(known, text, 0, text.length);
  const domain = known.registeredDomain;
  if (known.error === '' && domain.length <= MAX_POOLED_DOMAIN) known.registeredDomain = domains.intern(domain);
  return known;
}

/** A blank target for `fillNameFacts`. */
export function emptyNameFields(): NameFields {
  return { qname: '', qnameLower: '', qnameBytes: 0, labels: 0, longestLabel: 0, registeredDomain: '', subdomain: '', subdomainBytes: 0, nameKind: 'normal' };
}

function copyNameFields(target: NameFields, from: NameFields): void {
  target.qname = from.qname;
  target.qnameLower = from.qnameLower;
  target.qnameBytes = from.qnameBytes;
  target.labels = from.labels;
  target.longestLabel = from.longestLabel;
  target.registeredDomain = from.registeredDomain;
  target.subdomain = from.subdomain;
  target.subdomainBytes = from.subdomainBytes;
  target.nameKind = from.nameKind;
}

/**
 * A copy of `text` in its own memory. A slice of a log line points into the whole line: kept in a
 * table it would hold the line alive, and every comparison with it would read through to the line.
 * Any name that is cached was cut from latin1 text or is ASCII, so latin1 copies it exactly (a
 * name with other characters fails the scan, and its copy is only compared, never shown). Short
 * slices are copies already.
 */
function ownCopy(text: string): string {
  return text.length < 13 ? text : Buffer.from(text, 'latin1').toString('latin1');
}

function endsWithEscapedDot(name: string): boolean {
  // Count the backslashes before the final dot: an odd number escapes it.
  let n = 0;
  for (let i = name.length - 2; i >= 0 && name.charCodeAt(i) === 0x5c; i--) n++;
  return n % 2 === 1;
}
