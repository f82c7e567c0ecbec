/**
 * Benign DNS traffic for the simulator: a population of registered domains and
 * clients, and the line sources that draw from it.
 *
 * The population is shaped so that a detector counting distinct subdomains per
 * registered domain in 10-minute windows (threshold 180) stays quiet on it at
 * up to ~10,000 queries/minute: every domain has a small fixed set of
 * hostnames, the CDN and PTR pools are bounded, and the only open-ended
 * classes (DNSBL and antivirus reputation lookups) run at their own, modest,
 * configurable rates.
 */

import { BindTimeFormatter, clientObjectFor } from './format.js';
import { Rng, TablePicker, WeightedSampler, ZipfSampler } from './random.js';

/** A line source: `t` is the time of the next line (Infinity when exhausted); `take()` formats it and advances. */
export interface LineSource {
  t: number;
  take(): string;
}

// ---------------------------------------------------------------------------
// Fixed vocabularies

const SUFFIXES: ReadonlyArray<readonly [string, number]> = [
  ['com', 40],
  ['net', 9],
  ['org', 8],
  ['de', 8],
  ['co.uk', 8],
  ['io', 5],
  ['com.au', 5],
  ['co.jp', 4],
  ['fr', 3],
  ['nl', 3],
  ['ca', 3],
  ['info', 2],
  ['org.uk', 1],
  ['com.br', 1],
];

const ONSETS = ['b', 'c', 'd', 'f', 'g', 'h', 'j', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'w', 'z', 'br', 'cl', 'st', 'tr', 'sh', 'ch', 'pl', 'gr', 'fl', 'qu'];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'a', 'e', 'o', 'ai', 'ea', 'oo', 'ou', 'y'];
const CODAS = ['n', 'r', 'x', 't', 's', 'l', 'm', 'ck', 'nd', 'st'];

/** Hostnames a domain may have besides `www` and the apex. */
const HOST_POOL = [
  'mail', 'api', 'cdn', 'static', 'img', 'login', 'm', 'app', 'auth', 'smtp', 'imap', 'ns1', 'ns2', 'assets',
  'video', 'news', 'shop', 'blog', 'docs', 'status', 'support', 'accounts', 'media', 'files', 'search', 'maps',
  'ws', 'push', 'update', 'telemetry', 'metrics', 'content', 'images', 'dl', 'portal', 'secure', 'my', 'id',
];

/** Mnemonic tables: how often each type is asked for a name of that kind. */
const QTYPES_WWW = new TablePicker<string>([['A', 55], ['AAAA', 30], ['HTTPS', 15]], 100);
const QTYPES_APEX = new TablePicker<string>([['A', 45], ['AAAA', 20], ['HTTPS', 15], ['MX', 12], ['TXT', 6], ['NS', 2]], 100);
const QTYPES_HOST = new TablePicker<string>([['A', 64], ['AAAA', 34], ['TXT', 1], ['CNAME', 1]], 100);
const QTYPES_CDN = new TablePicker<string>([['A', 65], ['AAAA', 35]], 100);

/** Query flags as BIND prints them: recursion `+`/`-`, `S`igned, `E(n)` EDNS, `T`CP, `D`O, `C`D, cookie `K`/`V`. */
const FLAGS = new TablePicker<string>(
  [
    ['+E(0)K', 35],
    ['+E(0)', 25],
    ['+', 15],
    ['+E(0)DK', 8],
    ['+E(0)D', 5],
    ['+E(0)DC', 3],
    ['-E(0)', 3],
    ['+E(0)V', 2],
    ['+T', 2],
    ['+E(0)TK', 2],
  ],
  100,
);

const CORP_NAMES: ReadonlyArray<readonly [string, string]> = [
  ['_ldap._tcp.dc._msdcs.corp.example', 'SRV'],
  ['_kerberos._tcp.dc._msdcs.corp.example', 'SRV'],
  ['_ldap._tcp.default-first-site-name._sites.dc._msdcs.corp.example', 'SRV'],
  ['_ldap._tcp.pdc._msdcs.corp.example', 'SRV'],
  ['_gc._tcp.corp.example', 'SRV'],
  ['_kerberos._udp.corp.example', 'SRV'],
  ['_kpasswd._tcp.corp.example', 'SRV'],
  ['_vlmcs._tcp.corp.example', 'SRV'],
  ['dc01.corp.example', 'A'],
  ['dc02.corp.example', 'A'],
  ['dc01.corp.example', 'AAAA'],
  ['wpad.corp.example', 'A'],
  ['fs01.corp.example', 'A'],
  ['print.corp.example', 'A'],
  ['intranet.corp.example', 'A'],
  ['intranet.corp.example', 'AAAA'],
  ['exchange.corp.example', 'A'],
  ['autodiscover.corp.example', 'A'],
  ['sccm.corp.example', 'A'],
  ['corp.example', 'SOA'],
];

const DKIM_PREFIXES = ['selector1._domainkey.', 'selector2._domainkey.', 'google._domainkey.', 'k1._domainkey.', '_dmarc.', ''];

/** First octets for the "large pool" of internet addresses that DNSBLs are asked about. */
const PUBLIC_FIRST_OCTETS = [23, 31, 37, 45, 46, 62, 77, 78, 81, 85, 89, 91, 93, 103, 109, 115, 176, 178, 185, 188, 193, 194, 195, 196, 200, 201, 212, 213, 217];

// Real list and vendor zones: mail gateways and AV appliances ask these, and the benign classes
// (src/benign/) recognise their lookups by zone and shape together.
export const DNSBL_ZONES = ['zen.spamhaus.org', 'b.barracudacentral.org'] as const;
export const AV_ZONE = 'avqs.mcafee.com';
export const CDN_DOMAINS = ['edgecache-cdn.net', 'cdnfront-assets.net', 'fastpath-static.com'] as const;

/** Fixed infrastructure addresses. */
export const MAIL_GATEWAY_IP = '10.0.5.25';
export const AV_APPLIANCE_IP = '10.0.5.31';
export const RESOLVERS_V4 = ['10.0.0.53', '10.0.0.54'] as const;
export const RESOLVERS_V6 = ['2001:db8::53', '2001:db8::54'] as const;

/** Registered domains the benign population never uses (infrastructure above). */
const INFRA_DOMAINS = ['spamhaus.org', 'barracudacentral.org', 'mcafee.com', 'corp.example', ...CDN_DOMAINS];

// ---------------------------------------------------------------------------
// Population

export interface ClientInfo {
  ip: string;
  /** `" queries: info: client @0x<object> <ip>#"`: everything between the timestamp and the port. */
  prefix: string;
  /** `" (<resolver>)"` suffixes: primary, secondary. */
  server0: string;
  server1: string;
}

export function makeClient(ip: string, salt: number): ClientInfo {
  const v6 = ip.includes(':');
  const resolvers = v6 ? RESOLVERS_V6 : RESOLVERS_V4;
  return {
    ip,
    prefix: ' queries: info: client @0x' + clientObjectFor(ip, salt) + ' ' + ip + '#',
    server0: ' (' + resolvers[0] + ')',
    server1: ' (' + resolvers[1] + ')',
  };
}

interface BenignDomain {
  /** The registered domain. */
  name: string;
  /** First label and the rest (`.co.uk`), for typos. */
  first: string;
  rest: string;
  /** Fully qualified names: [0] = www, [1] = apex, then other hosts. */
  names: string[];
}

/** True when `candidate` equals a reserved domain or is a parent or child of one. */
function collides(candidate: string, reserved: ReadonlySet<string>): boolean {
  if (reserved.has(candidate)) return true;
  for (const r of reserved) {
    if (r.endsWith('.' + candidate) || candidate.endsWith('.' + r)) return true;
  }
  return false;
}

function makeWord(rng: Rng): string {
  const syllables = rng.int(2, 3);
  let w = '';
  for (let i = 0; i < syllables; i++) w += rng.pick(ONSETS) + rng.pick(VOWELS);
  if (rng.chance(0.35)) w += rng.pick(CODAS);
  return w;
}

function makeDomainLabel(rng: Rng): string {
  const r = rng.float();
  if (r < 0.06) return makeWord(rng) + '-' + makeWord(rng);
  if (r < 0.09) return makeWord(rng) + rng.int(1, 99);
  if (r < 0.2) return makeWord(rng) + makeWord(rng).slice(0, 4);
  return makeWord(rng);
}

export interface Population {
  domains: BenignDomain[];
  domainZipf: ZipfSampler;
  clients: ClientInfo[];
  clientSampler: WeightedSampler;
  mailGateway: ClientInfo;
  cdnPools: string[][];
  cdnSamplers: ZipfSampler[];
  ptrNames: string[];
  ptrSampler: ZipfSampler;
  reserved: ReadonlySet<string>;
}

export function buildPopulation(
  seed: number,
  domainCount: number,
  clientCount: number,
  reservedDomains: readonly string[],
): Population {
  const rng = Rng.stream(seed, 'population');
  const reserved = new Set<string>([...INFRA_DOMAINS, ...reservedDomains.map((d) => d.toLowerCase())]);
  const suffixPicker = new TablePicker(SUFFIXES, 1000);

  // Registered domains, most popular first.
  const domains: BenignDomain[] = [];
  const seen = new Set<string>();
  let attempts = 0;
  while (domains.length < domainCount) {
    if (++attempts > domainCount * 50 + 1000) throw new RangeError(`could not generate ${domainCount} distinct benign domains`);
    const first = makeDomainLabel(rng);
    const rest = '.' + suffixPicker.pick(rng);
    const name = first + rest;
    if (seen.has(name) || collides(name, reserved)) continue;
    seen.add(name);
    const rank = domains.length;
    // Popular domains have more hostnames; all stay far below the 180 threshold.
    const extra = rank < 50 ? rng.int(8, 24) : rank < 500 ? rng.int(3, 10) : rng.int(1, 6);
    const hosts = new Set<string>();
    while (hosts.size < extra) {
      const h = rng.chance(0.12) ? rng.pick(['edge-', 'web-', 's', 'node', 'srv']) + rng.int(1, 40) : rng.pick(HOST_POOL);
      hosts.add(h);
    }
    const names = ['www.' + name, name];
    for (const h of hosts) names.push(h + '.' + name);
    domains.push({ name, first, rest, names });
  }

  // Clients: mostly IPv4 in 10/8, a few IPv6 in 2001:db8::/32; busier ones more often (Zipf 0.7).
  const clients: ClientInfo[] = [];
  const ips = new Set<string>([MAIL_GATEWAY_IP, AV_APPLIANCE_IP]);
  const v6Count = clientCount >= 10 ? Math.max(1, Math.round(clientCount * 0.05)) : 0;
  while (clients.length < clientCount) {
    const ip =
      clients.length % 20 === 7 && clients.length / 20 < v6Count
        ? '2001:db8:' + rng.int(1, 0x20).toString(16) + '::' + rng.int(0x10, 0xfff).toString(16)
        : '10.' + rng.int(1, 4) + '.' + rng.int(0, 63) + '.' + rng.int(2, 254);
    if (ips.has(ip)) continue;
    ips.add(ip);
    clients.push(makeClient(ip, seed));
  }

  // CDN hostname pools (fixed, < 180 names per CDN domain).
  const cdnPools: string[][] = [];
  const pool0 = new Set<string>();
  while (pool0.size < 150) pool0.add('e' + rng.int(1000, 99999) + '.' + rng.pick(['a', 'b', 'g', 'dsce', 'x']) + '.edgecache-cdn.net');
  cdnPools.push([...pool0]);
  const pool1 = new Set<string>();
  const alnum = 'abcdefghijklmnopqrstuvwxyz0123456789';
  while (pool1.size < 140) {
    let s = 'd';
    for (let i = 0; i < 13; i++) s += alnum[rng.below(alnum.length)];
    pool1.add(s + '.cdnfront-assets.net');
  }
  cdnPools.push([...pool1]);
  const pool2 = new Set<string>();
  while (pool2.size < 120) pool2.add('fp-' + rng.hex(8) + '.r' + rng.int(1, 9) + '.fastpath-static.com');
  cdnPools.push([...pool2]);

  // PTR targets: 40 hosts in each of four /24s (160 names in all, so < 180 however the reverse zone is cut).
  const ptrNames: string[] = [];
  for (const net of [[10, 20, 30], [10, 20, 31], [192, 0, 2], [198, 51, 100]] as const) {
    const hostsSeen = new Set<number>();
    while (hostsSeen.size < 40) hostsSeen.add(rng.int(1, 254));
    for (const h of hostsSeen) ptrNames.push(h + '.' + net[2] + '.' + net[1] + '.' + net[0] + '.in-addr.arpa');
  }

  return {
    domains,
    domainZipf: new ZipfSampler(domains.length, 1.0),
    clients,
    clientSampler: new ZipfSampler(clients.length, 0.7),
    mailGateway: makeClient(MAIL_GATEWAY_IP, seed),
    cdnPools,
    cdnSamplers: cdnPools.map((p) => new ZipfSampler(p.length, 0.8)),
    ptrNames,
    ptrSampler: new ZipfSampler(ptrNames.length, 0.6),
    reserved,
  };
}

// ---------------------------------------------------------------------------
// Sources

/** Cumulative class probabilities for one benign query. */
const P_NORMAL = 0.86;
const P_CDN = P_NORMAL + 0.06;
const P_PTR = P_CDN + 0.02;
const P_MAILAUTH = P_PTR + 0.02;
const P_CORP = P_MAILAUTH + 0.03;
// The remainder (1%) are typos of popular domains (NXDOMAIN-ish).

function randomPort(rng: Rng): number {
  return 1024 + Math.floor(rng.float() * 64512);
}

function typo(rng: Rng, d: BenignDomain, reserved: ReadonlySet<string>): string {
  const w = d.first;
  const i = rng.below(w.length);
  let out: string;
  switch (rng.below(4)) {
    case 0:
      out = w.length > 3 ? w.slice(0, i) + w.slice(i + 1) : w + w[i];
      break;
    case 1:
      out = w.slice(0, i + 1) + w.slice(i);
      break;
    case 2:
      out = i + 1 < w.length ? w.slice(0, i) + w[i + 1] + w[i] + w.slice(i + 2) : w + 'e';
      break;
    default:
      out = w.slice(0, i) + 'abcdefghijklmnopqrstuvwxyz'[rng.below(26)] + w.slice(i + 1);
  }
  if (out === w || out.startsWith('-') || out.endsWith('-')) out = w + 's';
  const name = out + d.rest;
  return collides(name, reserved) ? d.name : name;
}

/**
 * The main benign stream: a Poisson process at `perMinute`, each query drawn
 * from the population by class (ordinary hostnames, CDN, PTR, mail auth TXT,
 * corporate SRV/A, typos).
 */
export class BenignSource implements LineSource {
  t: number;
  private tf: number;
  private readonly mean: number;
  private readonly end: number;
  private readonly rng: Rng;

  constructor(
    private readonly pop: Population,
    seed: number,
    startMs: number,
    endMs: number,
    perMinute: number,
    private readonly fmt: BindTimeFormatter,
  ) {
    this.rng = Rng.stream(seed, 'benign');
    this.mean = 60_000 / perMinute;
    this.end = endMs;
    this.tf = startMs;
    this.t = startMs;
    this.advance();
  }

  private advance(): void {
    this.tf += this.rng.exp(this.mean);
    const t = Math.floor(this.tf);
    this.t = t < this.end ? t : Infinity;
  }

  take(): string {
    const rng = this.rng;
    const pop = this.pop;
    const ts = this.fmt.format(this.t);
    let client = pop.clients[pop.clientSampler.sample(rng)] as ClientInfo;
    let name: string;
    let qtype: string;
    const u = rng.float();
    if (u < P_NORMAL) {
      const d = pop.domains[pop.domainZipf.sample(rng)] as BenignDomain;
      const names = d.names;
      // Skewed towards the first names: www, then the apex, then the rest.
      const v = rng.float();
      const i = Math.floor(v * v * names.length);
      name = names[i] as string;
      qtype = i === 0 ? QTYPES_WWW.pick(rng) : i === 1 ? QTYPES_APEX.pick(rng) : QTYPES_HOST.pick(rng);
    } else if (u < P_CDN) {
      const k = rng.below(pop.cdnPools.length);
      const pool = pop.cdnPools[k] as string[];
      name = pool[(pop.cdnSamplers[k] as ZipfSampler).sample(rng)] as string;
      qtype = QTYPES_CDN.pick(rng);
    } else if (u < P_PTR) {
      name = pop.ptrNames[pop.ptrSampler.sample(rng)] as string;
      qtype = 'PTR';
    } else if (u < P_MAILAUTH) {
      const d = pop.domains[pop.domainZipf.sample(rng)] as BenignDomain;
      name = rng.pick(DKIM_PREFIXES) + d.name;
      qtype = 'TXT';
      client = pop.mailGateway;
    } else if (u < P_CORP) {
      const entry = CORP_NAMES[rng.below(CORP_NAMES.length)] as readonly [string, string];
      name = entry[0];
      qtype = entry[1];
    } else {
      const d = pop.domains[pop.domainZipf.sample(rng)] as BenignDomain;
      const t = typo(rng, d, pop.reserved);
      name = rng.chance(0.6) ? 'www.' + t : t;
      qtype = rng.chance(0.8) ? 'A' : 'AAAA';
    }
    const port = randomPort(rng);
    const flags = FLAGS.pick(rng);
    const server = rng.float() < 0.85 ? client.server0 : client.server1;
    const line = ts + client.prefix + port + ' (' + name + '): query: ' + name + ' IN ' + qtype + ' ' + flags + server;
    this.advance();
    return line;
  }
}

/**
 * DNSBL lookups from the mail gateway: each connecting address (from a large
 * pool, effectively never repeating) is looked up in both DNSBL zones a few
 * milliseconds apart. `perMinute` counts queries (two per address).
 */
export class DnsblSource implements LineSource {
  t: number;
  private tf: number;
  private readonly mean: number;
  private readonly rng: Rng;
  private readonly client: ClientInfo;
  private reversed = '';
  private zone = 0;

  constructor(
    seed: number,
    startMs: number,
    private readonly end: number,
    perMinute: number,
    private readonly fmt: BindTimeFormatter,
  ) {
    this.rng = Rng.stream(seed, 'dnsbl');
    this.client = makeClient(MAIL_GATEWAY_IP, seed);
    this.mean = (2 * 60_000) / perMinute;
    this.tf = startMs;
    this.t = startMs;
    this.zone = DNSBL_ZONES.length - 1;
    this.advance();
  }

  private advance(): void {
    const rng = this.rng;
    if (this.zone + 1 < DNSBL_ZONES.length) {
      this.zone++;
      this.tf += rng.int(1, 25);
    } else {
      this.zone = 0;
      this.tf += rng.exp(this.mean);
      this.reversed =
        rng.int(1, 254) + '.' + rng.int(0, 255) + '.' + rng.int(0, 255) + '.' + rng.pick(PUBLIC_FIRST_OCTETS);
    }
    const t = Math.floor(this.tf);
    this.t = t < this.end ? t : Infinity;
  }

  take(): string {
    const rng = this.rng;
    const name = this.reversed + '.' + DNSBL_ZONES[this.zone];
    const line =
      this.fmt.format(this.t) + this.client.prefix + randomPort(rng) + ' (' + name + '): query: ' + name + ' IN A +E(0)' + this.client.server0;
    this.advance();
    return line;
  }
}

/** Antivirus / file-reputation lookups from the AV appliance: `<32 hex>.<8 hex>.avqs.mcafee.com` TXT. */
export class AvSource implements LineSource {
  t: number;
  private tf: number;
  private readonly mean: number;
  private readonly rng: Rng;
  private readonly client: ClientInfo;

  constructor(
    seed: number,
    startMs: number,
    private readonly end: number,
    perMinute: number,
    private readonly fmt: BindTimeFormatter,
  ) {
    this.rng = Rng.stream(seed, 'av');
    this.client = makeClient(AV_APPLIANCE_IP, seed);
    this.mean = 60_000 / perMinute;
    this.tf = startMs;
    this.t = startMs;
    this.advance();
  }

  private advance(): void {
    this.tf += this.rng.exp(this.mean);
    const t = Math.floor(this.tf);
    this.t = t < this.end ? t : Infinity;
  }

  take(): string {
    const rng = this.rng;
    const name = rng.hex(32) + '.' + rng.hex(8) + '.' + AV_ZONE;
    const line =
      this.fmt.format(this.t) + this.client.prefix + randomPort(rng) + ' (' + name + '): query: ' + name + ' IN TXT +E(0)' + this.client.server0;
    this.advance();
    return line;
  }
}
