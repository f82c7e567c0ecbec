/**
 * Splits a lower-cased presentation-form name into registered domain and
 * subdomain. The rules, in order (documented in docs/ARCHITECTURE.md):
 *
 *   "." or ""                    → root     registered ".", no subdomain
 *   label > 63 or name > 253 B   → invalid  registered = last two labels
 *   …in-addr.arpa                → reverse  registered = the /24 zone (3 octet labels + in-addr.arpa)
 *   …ip6.arpa                    → reverse  registered = the /48 zone (12 nibble labels + ip6.arpa)
 *   a.b.c.d (all numeric)        → ip       registered = the whole literal
 *   public suffix / single label → suffix   registered = the name itself
 *   escapes in the domain part   → invalid  registered = last two labels
 *   otherwise                    → normal   registered = eTLD+1 from the public suffix list (tldts, private section on)
 *
 * Reverse zones are cut at the usual delegation points so that one busy
 * resolver's PTR lookups do not pile up as "distinct subdomains" of a single
 * `in-addr.arpa`, while a tunnel through a delegated reverse zone still groups
 * under that zone.
 */
import { getDomain } from 'tldts';
import type { NameKind } from '../event.js';
import { presentationBytes } from '../parsers/presentation-name.js';

export interface DomainSplit {
  registeredDomain: string;
  subdomain: string;
  subdomainBytes: number;
  nameKind: NameKind;
}

const TLDTS_OPTIONS = {
  allowPrivateDomains: true,
  // The input is already a bare hostname: skip URL extraction and validation
  // (validation would reject underscores in `_dmarc`, `_domainkey`, SRV names).
  extractHostname: false,
  validateHostname: false,
  detectIp: false,
  mixedInputs: false,
} as const;

const IN_ADDR = '.in-addr.arpa';
const IP6 = '.ip6.arpa';

/**
 * `nameLower`: lower-cased presentation form without trailing dot.
 * `wireBytes`/`longestLabel`: from the name scan (escape-aware).
 * `escaped`: whether the name contains backslash escapes.
 */
export function splitDomain(nameLower: string, wireBytes: number, longestLabel: number, escaped: boolean, out: DomainSplit): DomainSplit {
  if (nameLower.length === 0 || nameLower === '.') return set(out, '.', '', 0, 'root');
  if (longestLabel > 63 || wireBytes > 253) return lastTwoLabels(nameLower, escaped, out, 'invalid');

  if (nameLower.endsWith('.arpa')) {
    if (nameLower.endsWith(IN_ADDR)) return reverseZone(nameLower, nameLower.length - IN_ADDR.length, 3, escaped, out);
    if (nameLower.endsWith(IP6)) return reverseZone(nameLower, nameLower.length - IP6.length, 12, escaped, out);
  }
  if (!escaped && isIpv4Literal(nameLower)) return set(out, nameLower, '', 0, 'ip');

  if (escaped) return splitEscaped(nameLower, out);

  const domain = getDomain(nameLower, TLDTS_OPTIONS);
  if (domain === null || domain.length === 0) return set(out, nameLower, '', 0, 'suffix');
  if (domain.length === nameLower.length) return set(out, domain, '', 0, 'normal');
  const sub = nameLower.slice(0, nameLower.length - domain.length - 1);
  return set(out, domain, sub, sub.length, 'normal');
}

/**
 * Names with escapes: the public suffix list only knows plain labels, so look
 * the suffix up on the plain tail after the last escaped label. If the
 * registered domain would include an escaped label the name cannot belong to a
 * registrable domain, and is grouped by its last two labels as invalid.
 */
function splitEscaped(nameLower: string, out: DomainSplit): DomainSplit {
  const tailStart = plainTailStart(nameLower);
  if (tailStart < 0) return lastTwoLabels(nameLower, true, out, 'invalid');
  const tail = nameLower.slice(tailStart);
  const domain = getDomain(tail, TLDTS_OPTIONS);
  if (domain === null || domain.length === 0) return lastTwoLabels(nameLower, true, out, 'invalid');
  const sub = nameLower.slice(0, nameLower.length - domain.length - 1);
  return set(out, domain, sub, presentationBytes(sub, 0, sub.length), 'normal');
}

/** Index where the labels after the last escaped label begin, or -1 when the last label is escaped. */
function plainTailStart(name: string): number {
  let labelStart = 0;
  let labelEscaped = false;
  let tailStart = -1;
  let i = 0;
  while (i < name.length) {
    const c = name.charCodeAt(i);
    if (c === 0x5c) {
      labelEscaped = true;
      const d = name.charCodeAt(i + 1);
      i += d >= 0x30 && d <= 0x39 ? 4 : 2;
      continue;
    }
    if (c === 0x2e) {
      if (labelEscaped) tailStart = -1;
      else if (tailStart < 0) tailStart = labelStart;
      labelStart = i + 1;
      labelEscaped = false;
    }
    i++;
  }
  if (labelEscaped) return -1;
  return tailStart < 0 ? labelStart : tailStart;
}

function reverseZone(nameLower: string, suffixStart: number, zoneLabels: number, escaped: boolean, out: DomainSplit): DomainSplit {
  // Walk left from the arpa suffix over `zoneLabels` labels.
  let cut = suffixStart;
  let taken = 0;
  while (taken < zoneLabels && cut > 0) {
    const dot = labelDotBefore(nameLower, cut, escaped);
    cut = dot < 0 ? 0 : dot;
    taken++;
  }
  if (cut === 0) return set(out, nameLower, '', 0, 'reverse');
  const sub = nameLower.slice(0, cut);
  return set(out, nameLower.slice(cut + 1), sub, escaped ? presentationBytes(sub, 0, sub.length) : sub.length, 'reverse');
}

function lastTwoLabels(nameLower: string, escaped: boolean, out: DomainSplit, kind: NameKind): DomainSplit {
  const last = labelDotBefore(nameLower, nameLower.length, escaped);
  const prev = last <= 0 ? -1 : labelDotBefore(nameLower, last, escaped);
  if (prev < 0) return set(out, nameLower, '', 0, kind);
  const sub = nameLower.slice(0, prev);
  return set(out, nameLower.slice(prev + 1), sub, escaped ? presentationBytes(sub, 0, sub.length) : sub.length, kind);
}

/** The last label-separating dot before index `before` (a dot after an odd run of backslashes is escaped), or -1. */
function labelDotBefore(name: string, before: number, escaped: boolean): number {
  let dot = name.lastIndexOf('.', before - 1);
  if (!escaped) return dot;
  while (dot > 0) {
    let slashes = 0;
    for (let i = dot - 1; i >= 0 && name.charCodeAt(i) === 0x5c; i--) slashes++;
    if (slashes % 2 === 0) return dot;
    dot = name.lastIndexOf('.', dot - 1);
  }
  return dot;
}

function isIpv4Literal(name: string): boolean {
  let dots = 0;
  let digitsInPart = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x2e) {
      if (digitsInPart === 0) return false;
      dots++;
      digitsInPart = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (++digitsInPart > 3) return false;
    } else return false;
  }
  return dots === 3 && digitsInPart > 0;
}

function set(out: DomainSplit, registeredDomain: string, subdomain: string, subdomainBytes: number, nameKind: NameKind): DomainSplit {
  out.registeredDomain = registeredDomain;
  out.subdomain = subdomain;
  out.subdomainBytes = subdomainBytes;
  out.nameKind = nameKind;
  return out;
}
