/**
 * Recognises the benign classes of queries that look odd to a tunnel detector
 * (long, random-looking, many distinct names) but are what mail servers,
 * antivirus, CDNs, resolvers and browsers do all day. Structure AND zone,
 * never zone alone:
 *
 *   name ─▶ under a listed zone? ──▶ the labels below it have that zone's lookup shape?  (dnsbl, reputation, cdn)
 *        ─▶ .local ─────────────────▶ mdns
 *        ─▶ has "_" ────────────────▶ one of the known service-name forms?                (dkim, dmarc, acme, srv, dns-sd…)
 *        ─▶ nameKind reverse ───────▶ well-formed octets / nibbles?                       (reverse)
 *        ─▶ TXT at a registered domain ─▶ spf (SPF and domain-verification records live there)
 *        ─▶ single label of 7–15 letters, NXDOMAIN if known ─▶ chrome-probe
 *        ─▶ NXDOMAIN, a full host name with a search domain appended ─▶ search-suffix
 *
 * A match explains a query; it does not allow-list a domain: volume detectors
 * still count what a tunnel could hide in the few structured labels these
 * shapes leave (docs/SIGNATURES.md).
 *
 * The common case (an ordinary name) costs one short substring and one map
 * lookup plus a few character checks; label spans are scanned only when a class
 * needs them. Never throws.
 */
import { parse as parseDomain } from 'tldts';
import { newLabelSpans, scanLabels, type LabelSpans } from '../domain/labels.js';
import type { DnsEvent } from '../event.js';
import { canonicalQtype } from '../signatures/qtype.js';
import { cdnHostFits } from './cdn-hosts.js';
import { hashAt, isDqsKey, isNibbleRun, isOctetRun, isReversedIpv4, isShortToken, isWordLikeLabel, isWordLikeRun, type LabelRun } from './shapes.js';
import { loadBenignZones, type BenignZones, type CdnZone, type DnsblZone, type ReputationZone } from './zones.js';

export interface BenignMatch {
  benignClass: string;
  why: string;
}

type ZoneEntry =
  | { kind: 'dnsbl'; zone: string; zoneLabels: number; entry: DnsblZone; why: Record<'ipv4' | 'ipv6' | 'domain' | 'hash', BenignMatch> }
  | { kind: 'reputation'; zone: string; zoneLabels: number; entry: ReputationZone; why: BenignMatch }
  | { kind: 'cdn'; zone: string; zoneLabels: number; entry: CdnZone; why: BenignMatch };

function match(benignClass: string, why: string): BenignMatch {
  return Object.freeze({ benignClass, why });
}

const WHY = {
  mdns: match('mdns', 'A .local name: multicast DNS / DNS-SD on the local link; no authoritative server outside the network ever receives it.'),
  dnsSd: match('dns-sd', 'DNS-SD service discovery (RFC 6763): _services._dns-sd._udp or a browse-domain query (b, db, r, dr, lb ._dns-sd._udp).'),
  dkim: match('dkim', 'A DKIM public-key lookup (<selector>._domainkey.<domain>, TXT), made by mail servers verifying signatures.'),
  dmarc: match('dmarc', 'A DMARC policy lookup (_dmarc.<domain>, TXT) or a DMARC report-destination check (<domain>._report._dmarc.<domain>).'),
  acme: match('acme', 'An ACME DNS-01 challenge name (_acme-challenge.<host>), looked up while a certificate is issued.'),
  mailPolicy: match('mail-policy', 'A mail transport policy lookup: MTA-STS (_mta-sts), SMTP TLS reporting (_smtp._tls) or BIMI (<selector>._bimi).'),
  spfInclude: match('spf', 'An SPF include record (_spf.<domain>, TXT) fetched while a mail server evaluates SPF.'),
  srv: match('srv', 'A service-location name _<service>._<proto>.<domain> (RFC 2782 SRV, RFC 6763 DNS-SD, TLSA _<port>._tcp): clients finding LDAP, Kerberos, SIP, XMPP, printers…'),
  ddr: match('ddr', 'Discovery of Designated Resolvers (_dns.resolver.arpa or _dns.<resolver>, SVCB; RFC 9462).'),
  reverseV4: match('reverse', 'A reverse (PTR) lookup of an IPv4 address: well-formed decimal octets under in-addr.arpa.'),
  reverseV6: match('reverse', 'A reverse (PTR) lookup of an IPv6 address: well-formed nibbles under ip6.arpa.'),
  apexTxt: match('spf', 'TXT at a registered domain itself: where SPF policies and domain-verification records live; mail servers fetch them constantly.'),
  chromeProbe: match('chrome-probe', "A single label of 7-15 random lower-case letters answered NXDOMAIN (or unanswered): Chrome's intranet-redirect probe, three per network change."),
  searchSuffix: match('search-suffix', 'NXDOMAIN for a complete host name with a search domain appended (a resolver search list tried the name in a local domain first).'),
};

const SERVICE_PROTOCOLS = new Set(['_tcp', '_udp', '_tls', '_sctp', '_quic']);
const DNS_SD_BROWSE = new Set(['b', 'db', 'r', 'dr', 'lb']);
/** Types the service-name classes are asked with; '' is a log that does not say. */
const SERVICE_QTYPES = new Set(['SRV', 'PTR', 'TXT', 'TLSA', 'ANY', 'SVCB', 'HTTPS', 'CNAME', '']);
const TXT_QTYPES = new Set(['TXT', 'ANY', '']);

const TLDTS_OPTIONS = { allowPrivateDomains: false, extractHostname: false, validateHostname: false, detectIp: false, mixedInputs: false } as const;

export class BenignClassifier {
  /** Zones by their last two labels, longest zone first. */
  private readonly zones = new Map<string, ZoneEntry[]>();
  private readonly spans: LabelSpans = newLabelSpans();
  private readonly run: LabelRun = { name: '', spans: this.spans, first: 0, last: -1 };
  private readonly tlds = new Map<string, boolean>();

  constructor(zones: BenignZones) {
    for (const e of zones.dnsbl) {
      const why = (what: string): BenignMatch => match('dnsbl', `${what} looked up in the DNS list ${e.list} (${e.zone}): a mail or security system checking reputation.`);
      this.add({ kind: 'dnsbl', zone: e.zone, zoneLabels: labelCount(e.zone), entry: e, why: { ipv4: why('A reversed IPv4 address'), ipv6: why('A reversed IPv6 address (32 nibbles)'), domain: why('A domain name'), hash: why('A hash') } });
    }
    for (const e of zones.reputation) {
      this.add({ kind: 'reputation', zone: e.zone, zoneLabels: labelCount(e.zone), entry: e, why: match('av-reputation', `A file hash of a known length looked up with ${e.vendor} (${e.zone}): antivirus or reputation checking a file.`) });
    }
    for (const e of zones.cdn) {
      this.add({ kind: 'cdn', zone: e.zone, zoneLabels: labelCount(e.zone), entry: e, why: match('cdn', `A host under ${e.zone} named the way ${e.provider} names its hosts (${e.hosts}): content delivery or cloud load balancing.`) });
    }
    for (const list of this.zones.values()) list.sort((a, b) => b.zone.length - a.zone.length);
  }

  private add(z: ZoneEntry): void {
    const key = lastTwoLabels(z.zone);
    const list = this.zones.get(key);
    if (list === undefined) this.zones.set(key, [z]);
    else list.push(z);
  }

  /** The benign class `event` belongs to by its structure, or null. */
  classify(event: DnsEvent): BenignMatch | null {
    const kind = event.nameKind;
    if (kind === 'invalid' || kind === 'root' || kind === 'ip') return null;
    const lower = event.qnameLower;
    if (lower.length === 0 || lower.length > 253) return null;

    const zoned = this.zones.get(lastTwoLabels(lower));
    if (zoned !== undefined) {
      for (const z of zoned) {
        if (!(lower.length > z.zone.length + 1 && lower.endsWith(z.zone) && lower.charCodeAt(lower.length - z.zone.length - 1) === 0x2e)) continue;
        const found = this.classifyZoned(z, lower);
        if (found !== null) return found;
        break; // the longest listed zone decides; its shape did not fit
      }
    }
    if (lower === 'local' || lower.endsWith('.local')) return WHY.mdns;
    const qtype = canonicalQtype(event.qtype);
    if (lower.indexOf('_') >= 0) return this.classifyServiceName(lower, qtype);
    if (kind === 'reverse') return this.classifyReverse(lower);
    if (kind === 'normal' && event.subdomain.length === 0 && qtype === 'TXT' && isInternetClass(event.qclass) && isIcannDomain(lower)) return WHY.apexTxt;
    const nx = isNxdomain(event.rcode);
    if (event.labels === 1 && (nx || event.rcode === undefined) && isChromeProbe(event, qtype)) return WHY.chromeProbe;
    if (event.labels >= 3 && (nx || (event.rcode === undefined && !this.endsInKnownTld(lower)))) return this.classifySearchSuffix(lower, nx);
    return null;
  }

  /** Whether the name's last label is an ICANN top-level domain (cached per label; bounded). */
  private endsInKnownTld(lower: string): boolean {
    const tld = lower.slice(lower.lastIndexOf('.') + 1);
    let known = this.tlds.get(tld);
    if (known === undefined) {
      known = parseDomain(tld, TLDTS_OPTIONS).isIcann === true;
      if (this.tlds.size >= 4096) this.tlds.clear();
      this.tlds.set(tld, known);
    }
    return known;
  }

  private scan(lower: string): LabelSpans {
    this.run.name = lower;
    return scanLabels(lower, this.spans);
  }

  private classifyZoned(z: ZoneEntry, lower: string): BenignMatch | null {
    const spans = this.scan(lower);
    if (spans.truncated) return null;
    const run = this.run;
    run.first = 0;
    run.last = spans.count - z.zoneLabels - 1; // host labels left of the zone
    if (run.last < 0) return null;
    switch (z.kind) {
      case 'dnsbl':
        return dnsblLookup(z.entry, run, z.why);
      case 'reputation':
        return reputationLookup(z.entry, run) ? z.why : null;
      case 'cdn':
        return cdnHostFits(z.entry.hosts, run) ? z.why : null;
    }
  }

  private classifyServiceName(lower: string, qtype: string): BenignMatch | null {
    const spans = this.scan(lower);
    if (spans.truncated || spans.count < 2) return null;
    const is = (k: number, literal: string): boolean => k < spans.count && spans.end[k]! - spans.start[k]! === literal.length && lower.startsWith(literal, spans.start[k]!);
    const underscored = (k: number): boolean => k < spans.count && lower.charCodeAt(spans.start[k]!) === 0x5f;
    // Underscore labels may only appear in the leftmost part of a service name.
    if (is(0, '_dmarc')) return TXT_QTYPES.has(qtype) && spans.count >= 3 && noUnderscoreFrom(lower, spans, 1) ? WHY.dmarc : null;
    if (is(0, '_acme-challenge')) return noUnderscoreFrom(lower, spans, 1) && spans.count >= 3 ? WHY.acme : null;
    if (is(0, '_mta-sts')) return TXT_QTYPES.has(qtype) && noUnderscoreFrom(lower, spans, 1) ? WHY.mailPolicy : null;
    if (is(0, '_smtp') && is(1, '_tls')) return TXT_QTYPES.has(qtype) && noUnderscoreFrom(lower, spans, 2) ? WHY.mailPolicy : null;
    if (is(0, '_spf')) return TXT_QTYPES.has(qtype) && noUnderscoreFrom(lower, spans, 1) ? WHY.spfInclude : null;
    if (is(0, '_dns')) return (qtype === 'SVCB' || qtype === '') && noUnderscoreFrom(lower, spans, 1) ? WHY.ddr : null;
    if (is(0, '_services') && is(1, '_dns-sd') && is(2, '_udp')) return noUnderscoreFrom(lower, spans, 3) ? WHY.dnsSd : null;
    if (is(1, '_dns-sd') && is(2, '_udp') && DNS_SD_BROWSE.has(labelText(lower, spans, 0))) return noUnderscoreFrom(lower, spans, 3) ? WHY.dnsSd : null;
    // <selector>[.<selector>]._domainkey.<domain>, <selector>._bimi.<domain>, <domain>._report._dmarc.<domain>
    for (let k = 1; k <= 2 && k < spans.count - 1; k++) {
      if (!TXT_QTYPES.has(qtype) || !hostLabelsBefore(lower, spans, k)) continue;
      if (is(k, '_domainkey')) return noUnderscoreFrom(lower, spans, k + 1) ? WHY.dkim : null;
      if (is(k, '_bimi')) return noUnderscoreFrom(lower, spans, k + 1) ? WHY.mailPolicy : null;
    }
    const report = findLabel(lower, spans, '_report');
    if (report >= 1 && is(report + 1, '_dmarc') && hostLabelsBefore(lower, spans, report) && TXT_QTYPES.has(qtype)) return noUnderscoreFrom(lower, spans, report + 2) ? WHY.dmarc : null;
    // [<instance>.]_<service>._<proto>[.<labels>…].<domain>
    const svc = underscored(0) ? 0 : underscored(1) ? 1 : -1;
    if (svc >= 0 && isServiceLabel(lower, spans.start[svc]! + 1, spans.end[svc]!) && SERVICE_PROTOCOLS.has(labelText(lower, spans, svc + 1)) && SERVICE_QTYPES.has(qtype)) {
      if (svc === 1 && !isInstanceLabel(lower, spans.start[0]!, spans.end[0]!)) return null;
      return srvTail(lower, spans, svc + 2) ? WHY.srv : null;
    }
    return null;
  }

  private classifyReverse(lower: string): BenignMatch | null {
    const spans = this.scan(lower);
    if (spans.truncated) return null;
    const run = this.run;
    run.first = 0;
    if (lower.endsWith('.in-addr.arpa')) {
      run.last = spans.count - 3;
      return isOctetRun(run, 1, 4) ? WHY.reverseV4 : null;
    }
    run.last = spans.count - 3; // …ip6.arpa
    return isNibbleRun(run, 1, 32) ? WHY.reverseV6 : null;
  }

  /**
   * `<host>.<known TLD>.<search domain>`: an inner name that ends in an ICANN
   * top-level domain and has a registrable domain, then a search domain that is
   * not itself a public suffix (`teredo.ipv6.microsoft.com` is a real name, not
   * `teredo.ipv6.microsoft` + `com`). Needs NXDOMAIN, except when the search
   * domain is under no known top-level domain (`localdomain`, `corp`, `lan`):
   * such a name has no delegation, so it cannot reach an outside server.
   */
  private classifySearchSuffix(lower: string, nxdomain: boolean): BenignMatch | null {
    const spans = this.scan(lower);
    if (spans.truncated) return null;
    // Under a known suffix, the appended search domain holds the name's registered domain,
    // so the inner name must end left of it (google.co.za is one name, not google.co + za).
    const whole = parseDomain(lower, TLDTS_OPTIONS);
    if (!nxdomain && whole.isIcann === true) return null; // unanswered, and may well exist
    const limit = whole.isIcann === true && whole.domain !== null ? spans.count - labelCount(whole.domain) : spans.count - 1;
    for (let i = 1; i < limit; i++) {
      if (!isLetters(lower, spans.start[i]!, spans.end[i]!)) continue;
      const inner = lower.slice(0, spans.end[i]!);
      const parsed = parseDomain(inner, TLDTS_OPTIONS);
      if (parsed.isIcann !== true || parsed.domain === null || parsed.publicSuffix === null || !inner.endsWith(parsed.publicSuffix)) continue;
      const search = parseDomain(lower.slice(spans.start[i + 1]!), TLDTS_OPTIONS);
      if (search.isIcann === true && search.domain === null) continue; // the rest is a public suffix: a real name
      if (!nxdomain && search.isIcann === true) return null;
      this.run.first = 0;
      this.run.last = i;
      return isWordLikeRun(this.run) && isWordLikeRun({ name: lower, spans, first: i + 1, last: spans.count - 1 }) ? WHY.searchSuffix : null;
    }
    return null;
  }
}

function dnsblLookup(e: DnsblZone, run: LabelRun, why: Record<'ipv4' | 'ipv6' | 'domain' | 'hash', BenignMatch>): BenignMatch | null {
  const lookup: LabelRun = { name: run.name, spans: run.spans, first: run.first, last: run.last };
  if (e.key === 'dqs') {
    if (!isDqsKey(run.name, run.spans.start[run.last]!, run.spans.end[run.last]!)) return null;
    lookup.last--;
    if (lookup.last < lookup.first) return null;
  }
  for (const kind of e.lookups) {
    switch (kind) {
      case 'ipv4':
        if (isReversedIpv4(lookup)) return why.ipv4;
        break;
      case 'ipv6':
        if (isNibbleRun(lookup, 32, 32)) return why.ipv6;
        break;
      case 'domain':
        if (isLookupDomain(lookup)) return why.domain;
        break;
      case 'hash': {
        let last = lookup.last;
        if (e.markers.length > 0 && e.markers.includes(labelText(run.name, run.spans, last))) last--;
        const n = hashAt(lookup, lookup.first, e.hashes);
        if (n > 0 && lookup.first + n - 1 === last) return why.hash;
        break;
      }
    }
  }
  return null;
}

function reputationLookup(e: ReputationZone, run: LabelRun): boolean {
  let hashes = 0;
  let extras = 0;
  let k = run.first;
  while (k <= run.last) {
    const n = hashes === 0 ? hashAt(run, k, e.hashes) : 0;
    if (n > 0) {
      hashes++;
      k += n;
      continue;
    }
    if (!isShortToken(run.name, run.spans.start[k]!, run.spans.end[k]!) || ++extras > e.extraLabels) return false;
    k++;
  }
  return hashes === 1;
}

/**
 * A domain or host name as URIBL/DBL lookups carry: 2–10 word-like labels whose
 * last labels are an ICANN public suffix (a tunnel's encoded labels are not
 * word-like; a made-up top-level domain is not a public suffix).
 */
function isLookupDomain(r: LabelRun): boolean {
  const n = r.last - r.first + 1;
  if (n < 2 || n > 10 || !isWordLikeRun(r)) return false;
  const host = r.name.slice(r.spans.start[r.first]!, r.spans.end[r.last]!);
  const parsed = parseDomain(host, TLDTS_OPTIONS);
  return parsed.isIcann === true && parsed.domain !== null;
}

function isInternetClass(qclass: string): boolean {
  return qclass === 'IN' || qclass === 'in' || qclass === '' || qclass === '-' || qclass === 'C_INTERNET';
}

function isIcannDomain(lower: string): boolean {
  return parseDomain(lower, TLDTS_OPTIONS).isIcann === true;
}

function isChromeProbe(event: DnsEvent, qtype: string): boolean {
  if (qtype !== 'A' && qtype !== 'AAAA' && qtype !== '') return false;
  const name = event.qname;
  if (name.length < 7 || name.length > 15) return false;
  // Chrome draws lower-case letters; the name as logged keeps that.
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x61 || c > 0x7a) return false;
  }
  return true;
}

function isNxdomain(rcode: string | undefined): boolean {
  if (rcode === undefined) return false;
  return rcode === 'NXDOMAIN' || rcode === 'nxdomain' || rcode === 'NXDomain' || rcode === 'RCODE3' || rcode === '3';
}

function labelCount(zone: string): number {
  let n = 1;
  for (let i = 0; i < zone.length; i++) if (zone.charCodeAt(i) === 0x2e) n++;
  return n;
}

function lastTwoLabels(name: string): string {
  const last = name.lastIndexOf('.');
  if (last <= 0) return name;
  const prev = name.lastIndexOf('.', last - 1);
  return prev < 0 ? name : name.slice(prev + 1);
}

function labelText(lower: string, spans: LabelSpans, k: number): string {
  return k < spans.count ? lower.slice(spans.start[k]!, spans.end[k]!) : '';
}

function findLabel(lower: string, spans: LabelSpans, literal: string): number {
  for (let k = 0; k < spans.count; k++) if (spans.end[k]! - spans.start[k]! === literal.length && lower.startsWith(literal, spans.start[k]!)) return k;
  return -1;
}

/** No label from `k` on starts with `_` (the domain part of a service name is a plain domain). */
function noUnderscoreFrom(lower: string, spans: LabelSpans, k: number): boolean {
  for (let j = k; j < spans.count; j++) if (lower.charCodeAt(spans.start[j]!) === 0x5f || spans.escaped[j] !== 0) return false;
  return k < spans.count;
}

/** Labels 0..k-1 are host-name labels (letters, digits, hyphens; DKIM selectors and domains). */
function hostLabelsBefore(lower: string, spans: LabelSpans, k: number): boolean {
  for (let j = 0; j < k; j++) {
    const start = spans.start[j]!;
    const end = spans.end[j]!;
    if (end - start < 1 || end - start > 63 || spans.escaped[j] !== 0) return false;
    for (let i = start; i < end; i++) {
      const c = lower.charCodeAt(i);
      if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d)) return false;
    }
  }
  return true;
}

/** An RFC 6335 service name (1–15 of a-z 0-9 -, at least one letter) or a port number (TLSA). */
function isServiceLabel(lower: string, start: number, end: number): boolean {
  const n = end - start;
  if (n < 1 || n > 15) return false;
  let letter = false;
  let port = 0;
  for (let i = start; i < end; i++) {
    const c = lower.charCodeAt(i);
    if (c >= 0x61 && c <= 0x7a) letter = true;
    else if (c >= 0x30 && c <= 0x39) port = port * 10 + (c - 0x30);
    else if (c !== 0x2d) return false;
  }
  return letter || (port >= 1 && port <= 65535 && n <= 5);
}

/** A DNS-SD instance name: printable, spaces and dots escaped (`My\032Printer`), at most 63 bytes. */
function isInstanceLabel(lower: string, start: number, end: number): boolean {
  if (end - start < 1 || end - start > 4 * 63) return false;
  for (let i = start; i < end; i++) {
    const c = lower.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

/**
 * After `_service._proto`: Active Directory's site/msdcs labels or plain domain
 * labels, no other underscores; or nothing (`_vlmcs._tcp` asked before a search
 * domain is appended).
 */
function srvTail(lower: string, spans: LabelSpans, k: number): boolean {
  for (let j = k; j < spans.count; j++) {
    const start = spans.start[j]!;
    if (lower.charCodeAt(start) !== 0x5f) {
      if (spans.escaped[j] !== 0 || !isWordLikeLabel(lower, start, spans.end[j]!)) return false;
      continue;
    }
    const text = lower.slice(start, spans.end[j]!);
    if (text !== '_sites' && text !== '_msdcs') return false;
  }
  return true;
}

function isLetters(lower: string, start: number, end: number): boolean {
  if (end - start < 2) return false;
  for (let i = start; i < end; i++) {
    const c = lower.charCodeAt(i);
    if (c < 0x61 || c > 0x7a) return false;
  }
  return true;
}

let defaultClassifier: BenignClassifier | undefined;

/**
 * The benign class of `event` under the packaged zone list (loaded on first
 * use), or null. For extra zone files, build a `BenignClassifier` from
 * `loadBenignZones(files)`.
 */
export function classifyBenign(event: DnsEvent): BenignMatch | null {
  defaultClassifier ??= new BenignClassifier(loadBenignZones());
  return defaultClassifier.classify(event);
}
