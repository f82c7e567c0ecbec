/**
 * Benign classes (src/benign/, rules/benign-zones.yaml): structure AND zone.
 * Real names from the WRCCDC 2018 Zeek log (parsed by tunnelwatch's own Zeek
 * parser, with its response codes) and the netrack plain-browsing capture;
 * hand-picked names in the documented lookup shapes; and tunnels that borrow a
 * benign zone's name without its structure, which must not be called benign.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { BenignClassifier, classifyBenign } from '../src/benign/classify.js';
import { loadBenignZones } from '../src/benign/zones.js';
import type { DnsEvent } from '../src/event.js';
import { TunnelwatchError } from '../src/errors.js';
import { Rejection } from '../src/parsers/parser.js';
import { ZeekTsvParser } from '../src/parsers/zeek.js';
import { loadSignatureRules } from '../src/signatures/load.js';
import { SignatureMatcher } from '../src/signatures/matcher.js';
import { randomInt, repoPath, seededRandom, withTmpDir } from './helpers.js';
import { capturedQueries, event, netrackQueries } from './signature-helpers.js';

function classOf(name: string, qtype = 'A', rcode?: string): string | null {
  return classifyBenign(event(name, qtype, rcode))?.benignClass ?? null;
}

// ─── each class on real-shaped names ─────────────────────────────────────────

test('DNSBL/URIBL lookups: reversed IPv4, IPv6 nibbles, domains, hashes, Spamhaus DQS keys', () => {
  assert.equal(classOf('2.0.0.127.zen.spamhaus.org'), 'dnsbl'); // the list's documented test address
  assert.equal(classOf('4.3.2.1.b.barracudacentral.org'), 'dnsbl');
  assert.equal(classOf('10.113.0.203.bl.spamcop.net', 'TXT'), 'dnsbl');
  assert.equal(classOf('1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.zen.spamhaus.org', 'A'), 'dnsbl');
  assert.equal(classOf('example.com.multi.uribl.com'), 'dnsbl');
  assert.equal(classOf('shop.example.co.uk.dbl.spamhaus.org'), 'dnsbl');
  assert.equal(classOf('2.0.0.127.aip7yig6sahg6ehsohn5shco3z.zen.dq.spamhaus.net'), 'dnsbl');
  assert.equal(classOf('example.com.aip7yig6sahg6ehsohn5shco3z.dbl.dq.spamhaus.net'), 'dnsbl');
  assert.equal(classOf('da39a3ee5e6b4b0d3255bfef95601890afd80709.ebl.msbl.org'), 'dnsbl');
  assert.equal(classOf('2.0.0.127.origin.asn.cymru.com', 'TXT'), 'dnsbl');
});

/** RFC 4648 base32, lower case, no padding. */
function base32(bytes: Buffer): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = ((acc << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += alphabet[(acc >>> bits) & 31];
    }
  }
  return bits > 0 ? out + alphabet[(acc << (5 - bits)) & 31] : out;
}

test('antivirus and reputation lookups: hashes of known lengths under vendor zones', () => {
  const file = Buffer.from('a file an antivirus engine asks about');
  const md5 = createHash('md5').update(file).digest();
  const sha1 = createHash('sha1').update(file).digest();
  const sha256 = createHash('sha256').update(file).digest();
  const sha256hex = sha256.toString('hex');
  assert.equal(classOf(`${md5.toString('hex')}.hash.cymru.com`, 'TXT'), 'av-reputation');
  assert.equal(classOf(`${sha1.toString('hex')}.malware.hash.cymru.com`, 'A'), 'av-reputation');
  assert.equal(classOf(`${sha256hex.slice(0, 32)}.${sha256hex.slice(32)}.3.sophosxl.net`), 'av-reputation'); // sha256 in two labels
  assert.equal(classOf(`0.0.0.0.1.0.0.4e.${md5.toString('hex')}.avqs.mcafee.com`), 'av-reputation');
  assert.equal(classOf(`${base32(sha256)}.v2.e5.sk`), 'av-reputation');
  assert.equal(classOf(`${base32(sha1)}.sophosxl.net`), 'av-reputation');
  assert.equal(classOf(`${base32(md5)}.avts.mcafee.com`), 'av-reputation');
});

test('CDN and cloud hosts: the zone and the provider’s naming', () => {
  for (const name of ['e6858.dsce9.akamaiedge.net', 'a1864.gi3.akamai.net', 'd32d2sytd7gh6k.cloudfront.net', 'moloco.map.fastly.net', 'j.sni.global.fastly.net', 'privacycollector-production-457481513.us-east-1.elb.amazonaws.com', 'dualstack.api-1234567890.eu-west-1.elb.amazonaws.com', 'iecvlistfd-g9adcnhhakgydwg8.b02.azurefd.net', 'aadcdn-msft.azureedge.net', 'alicdn.com.edgekey.net', 'microsoft.com.edgesuite.net', 'bing.com.trafficmanager.net', '00dd9f942231b2012112cd2f5aca3ee4.clo.footprintdns.com']) {
    assert.equal(classOf(name), 'cdn', name);
  }
});

test('reverse lookups: well-formed octets and nibbles only', () => {
  assert.equal(classOf('4.3.2.1.in-addr.arpa', 'PTR'), 'reverse');
  assert.equal(classOf('1.0.168.192.in-addr.arpa', 'PTR'), 'reverse');
  assert.equal(classOf('0.168.192.in-addr.arpa', 'SOA'), 'reverse');
  assert.equal(classOf('b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa', 'PTR'), 'reverse');
  assert.equal(classOf('256.3.2.1.in-addr.arpa', 'PTR'), null);
  assert.equal(classOf('04.3.2.1.in-addr.arpa', 'PTR'), null);
  assert.equal(classOf('mfrggzdf.3.2.1.in-addr.arpa', 'PTR'), null);
  assert.equal(classOf('5.4.3.2.1.in-addr.arpa', 'PTR'), null);
  assert.equal(classOf('ab.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa', 'PTR'), null);
});

test('underscore service names: DKIM, DMARC, SPF, ACME, MTA-STS, TLS-RPT, BIMI, SRV, TLSA, DNS-SD, DDR', () => {
  assert.equal(classOf('google._domainkey.example.com', 'TXT'), 'dkim');
  assert.equal(classOf('s1024-2013-q3._domainkey.yahoo.com', 'TXT'), 'dkim');
  assert.equal(classOf('224i4yxa5dv7c2xz3womw6peuasteono._domainkey.amazonses.com', 'TXT'), 'dkim'); // SES tokens are random
  assert.equal(classOf('_dmarc.example.com', 'TXT'), 'dmarc');
  assert.equal(classOf('example.com._report._dmarc.reports.example.net', 'TXT'), 'dmarc');
  assert.equal(classOf('_spf.google.com', 'TXT'), 'spf');
  assert.equal(classOf('example.com', 'TXT'), 'spf');
  assert.equal(classOf('_acme-challenge.www.example.org', 'TXT'), 'acme');
  assert.equal(classOf('_mta-sts.example.com', 'TXT'), 'mail-policy');
  assert.equal(classOf('_smtp._tls.example.com', 'TXT'), 'mail-policy');
  assert.equal(classOf('default._bimi.example.com', 'TXT'), 'mail-policy');
  assert.equal(classOf('_ldap._tcp.default-first-site-name._sites.dc._msdcs.corp.example.com', 'SRV'), 'srv');
  assert.equal(classOf('_kerberos._udp.corp.example.com', 'SRV'), 'srv');
  assert.equal(classOf('_xmpp-client._tcp.jabber.org', 'SRV'), 'srv');
  assert.equal(classOf('_443._tcp.mail.example.com', 'TLSA'), 'srv');
  assert.equal(classOf('_ipp._tcp.example.com', 'PTR'), 'srv');
  assert.equal(classOf('Office\\032Printer._ipp._tcp.example.com', 'SRV'), 'srv');
  assert.equal(classOf('_services._dns-sd._udp.example.com', 'PTR'), 'dns-sd');
  assert.equal(classOf('lb._dns-sd._udp.0.1.168.192.in-addr.arpa', 'PTR'), 'dns-sd');
  assert.equal(classOf('_dns.resolver.arpa', 'SVCB'), 'ddr');
  // Types these names are not asked with, and underscores in the wrong places.
  assert.equal(classOf('google._domainkey.example.com', 'A'), null);
  assert.equal(classOf('_dmarc.example.com', 'NULL'), null);
  assert.equal(classOf('_ldap._tcp.corp.example.com', 'NULL'), null);
  assert.equal(classOf('_mfrggzdfmztwq2lk.example.com', 'TXT'), null);
  assert.equal(classOf('_dmarc._dmarc.example.com', 'TXT'), null);
  assert.equal(classOf('_averyveryverylongservicename._tcp.example.com', 'SRV'), null);
});

test('mDNS/DNS-SD .local names, Chrome probes and search-suffix NXDOMAINs', () => {
  assert.equal(classOf('MacBook-Pro.local', 'A'), 'mdns');
  assert.equal(classOf('_googlecast._tcp.local', 'PTR'), 'mdns');
  assert.equal(classOf('Living\\032Room._airplay._tcp.local', 'SRV'), 'mdns');
  assert.equal(classOf('qwhxkzpt', 'A', 'NXDOMAIN'), 'chrome-probe');
  assert.equal(classOf('hdyqlbgsbwrmfqi', 'AAAA'), 'chrome-probe'); // response unknown
  assert.equal(classOf('qwhxkzpt', 'A', 'NOERROR'), null);
  assert.equal(classOf('qwhxkz', 'A', 'NXDOMAIN'), null, 'too short');
  assert.equal(classOf('qwhxkzpt4', 'A', 'NXDOMAIN'), null, 'a digit');
  assert.equal(classOf('www.google.com.corp.example.com', 'A', 'NXDOMAIN'), 'search-suffix');
  assert.equal(classOf('www.google.com.corp.example.com', 'A', 'NOERROR'), null);
  assert.equal(classOf('www.google.com.corp.example.com', 'A'), null, 'a registered search domain needs NXDOMAIN');
  assert.equal(classOf('mirror.centos.org.localdomain', 'A'), 'search-suffix', 'no delegation exists for localdomain');
  assert.equal(classOf('teredo.ipv6.microsoft.com', 'A', 'NXDOMAIN'), null, 'a real name that does not exist (microsoft is a TLD, com alone is no search domain)');
});

// ─── real logs ───────────────────────────────────────────────────────────────

function wrccdcEvents(): DnsEvent[] {
  const file = repoPath('../shared/data/zeek-wrccdc2018/dns.log.gz');
  assert.ok(existsSync(file), `missing ${file} (see ../shared/data/README.md)`);
  const parser = new ZeekTsvParser();
  const seen = new Set<string>();
  const out: DnsEvent[] = [];
  const lines = gunzipSync(readFileSync(file)).toString('latin1').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const e = parser.parse(lines[i]!, 'wrccdc', i + 1, 0);
    if (e instanceof Rejection) continue;
    const key = `${e.qtype} ${e.qnameLower} ${e.rcode}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(e);
  }
  return out;
}

test('WRCCDC 2018 Zeek log (real, with response codes): reverse, CDN, AD SRV, .local, search suffixes recognised; no tool signature fires', (t) => {
  const events = wrccdcEvents();
  assert.ok(events.length > 2000, `${events.length} distinct queries`);
  const counts = new Map<string, number>();
  const byName = new Map<string, string | null>();
  const matcher = new SignatureMatcher(loadSignatureRules());
  for (const e of events) {
    const b = classifyBenign(e);
    counts.set(b?.benignClass ?? 'none', (counts.get(b?.benignClass ?? 'none') ?? 0) + 1);
    byName.set(`${e.qtype} ${e.qnameLower}`, b?.benignClass ?? null);
    assert.equal(matcher.match(e), null, `tool signature on a real benign query: ${e.qtype} ${e.qname}`);
    if (e.qtype === 'PTR' && e.qnameLower.endsWith('.in-addr.arpa') && e.labels === 6) assert.equal(b?.benignClass, 'reverse', e.qname);
    if (e.qnameLower.endsWith('.local')) assert.equal(b?.benignClass, 'mdns', e.qname);
  }
  t.diagnostic(`${events.length} distinct queries: ${JSON.stringify(Object.fromEntries(counts))}`);
  const expect: [string, string][] = [
    ['SRV _ldap._tcp.dc._msdcs.factory.oompa.loompa', 'srv'],
    ['SRV _http._tcp.security.debian.org', 'srv'],
    ['A e8858.g.akamaiedge.net', 'cdn'],
    ['A d2wy8f7a9ursnm.cloudfront.net', 'cdn'],
    ['A a1961.g2.akamai.net', 'cdn'],
    ['A ssl.gstatic.com.factory.oompa.loompa', 'search-suffix'],
    ['A mirror.nodesdirect.com.localdomain', 'search-suffix'],
    ['PTR _ipp._tcp.local', 'mdns'],
  ];
  for (const [key, cls] of expect) assert.equal(byName.get(key), cls, key);
  assert.ok((counts.get('reverse') ?? 0) > 200);
  assert.ok((counts.get('cdn') ?? 0) > 100);
});

test('netrack plain browsing: reverse PTRs recognised, registered domains (google.co.za) not taken for search-suffix appends', (t) => {
  const queries = netrackQueries('plain');
  const counts = new Map<string, number>();
  for (const q of queries) {
    const b = classifyBenign(event(q.name, q.qtype));
    counts.set(b?.benignClass ?? 'none', (counts.get(b?.benignClass ?? 'none') ?? 0) + 1);
    if (q.qtype === 'PTR') assert.equal(b?.benignClass, 'reverse', q.name);
  }
  t.diagnostic(JSON.stringify(Object.fromEntries(counts)));
  assert.ok((counts.get('reverse') ?? 0) >= 5);
  // Registered domains browsed, no responses in the data set: none of them is a search-suffix append.
  assert.equal(counts.get('search-suffix'), undefined);
});

// ─── imitations: a benign zone's name without its structure ──────────────────

test('tunnels that borrow a benign zone’s name but not its structure are not benign', () => {
  const b32 = 'mfrggzdfmztwq2lknnwg23tpobyxe43uovxhmz3xpb4xuzlbojtgg43x';
  const imitations: [string, string, string?][] = [
    [`${b32.slice(0, 32)}.zen.spamhaus.org`, 'A'], // data where a reversed address belongs
    [`${b32.slice(0, 20)}.${b32.slice(20, 40)}.zen.spamhaus.org`, 'TXT'],
    ['4.3.2.1.0.zen.spamhaus.org', 'A'], // five octets
    ['4.3.2.999.zen.spamhaus.org', 'A'],
    [`4.3.2.1.${b32.slice(0, 40)}.zen.dq.spamhaus.net`, 'A'], // not a DQS key
    [`4.3.2.1.zen.dq.spamhaus.net`, 'A'], // DQS without a key
    [`${b32.slice(0, 48)}.com.multi.uribl.com`, 'A'], // an encoded "domain"
    ['example.zz9.multi.uribl.com', 'A'], // no such top-level domain
    [`${b32}.sophosxl.net`, 'A'], // 56-char base32: no hash has that length
    [`${b32.slice(0, 52)}q2.sophosxl.net`, 'A'],
    [`${'ab12'.repeat(15)}.sophosxl.net`, 'A'], // 60 hex digits
    [`${'0123456789abcdef'.repeat(3)}.hash.cymru.com`, 'TXT'], // 48 hex digits
    ['d41d8cd98f00b204e9800998ecf8427e.extra.hash.cymru.com', 'TXT'], // hash.cymru.com takes the hash alone
    [`d41d8cd98f00b204e9800998ecf8427e.${b32.slice(0, 20)}.avqs.mcafee.com`, 'A'], // a long token beside the hash
    [`${b32.slice(0, 32)}.cloudfront.net`, 'A'],
    [`e6858.${b32.slice(0, 24)}.akamaiedge.net`, 'A'],
    [`${b32.slice(0, 40)}.map.fastly.net`, 'A'],
    [`0a549670c3664ad7a7612cf8e7d9ab3c.edgekey.net`, 'A'],
    [`${b32.slice(0, 32)}.clo.footprintdns.com`, 'A'], // not hex
    ['00dd9f942231b2012112cd2f5aca3ee4ff.clo.footprintdns.com', 'A'], // 34 hex digits
    ['00dd9f942231b2012112cd2f5aca3ee4.clo.x.footprintdns.com', 'A'], // an extra label
    [`${b32.slice(0, 30)}.com.corp.example.com`, 'A', 'NXDOMAIN'],
    [`${b32.slice(0, 30)}`, 'A', 'NXDOMAIN'], // a single label, but not 7-15 letters
  ];
  for (const [name, qtype, rcode] of imitations) assert.equal(classOf(name, qtype, rcode), null, `${qtype} ${name}`);
});

test('a tunnel under a benign zone’s name is still caught by its own evidence (the tool signature)', () => {
  const matcher = new SignatureMatcher(loadSignatureRules());
  const data = capturedQueries('iodine-0.7.0-NULL').find((q) => q.name.startsWith('0'))!;
  const dataLabels = data.name.slice(0, data.name.indexOf('.t1.example.net'));
  const hidden = event(`${dataLabels}.zen.spamhaus.org`, 'NULL');
  assert.equal(classifyBenign(hidden), null);
  assert.equal(matcher.match(hidden)?.ruleId, 'iodine-data');
  const dns2tcp = capturedQueries('dns2tcp-0.5.2-TXT').find((q) => q.name.includes('=auth'))!;
  const borrowed = event(dns2tcp.name.replace('d2t.example.net', 'sophosxl.net'), 'TXT');
  assert.equal(classifyBenign(borrowed), null);
  assert.equal(matcher.match(borrowed)?.ruleId, 'dns2tcp-control');
});

// ─── the zone file ───────────────────────────────────────────────────────────

test('a bad zone file is a TW_CONFIG error naming the file, the entry and the field', async () => {
  await withTmpDir((dir) => {
    const file = join(dir, 'zones.yaml');
    writeFileSync(file, 'version: 1\ndnsbl:\n  - { zone: bl.example.net, list: Ours, lookups: [ipv5] }\n');
    assert.throws(
      () => loadBenignZones([file]),
      (e: unknown) => e instanceof TunnelwatchError && e.code === 'TW_CONFIG' && e.message.includes(file) && e.message.includes('dnsbl[0].lookups[0]') && e.message.includes('"bl.example.net"'),
    );
    writeFileSync(file, 'version: 1\ncdn:\n  - { zone: cdn.example.net, provider: Ours, hosts: anything-goes }\n');
    assert.throws(() => loadBenignZones([file]), (e: unknown) => e instanceof TunnelwatchError && e.message.includes('cdn[0].hosts'));
    writeFileSync(file, 'version: 1\nreputation:\n  - { zone: av.example.net, vendor: Ours, hashes: [] }\n');
    assert.throws(() => loadBenignZones([file]), (e: unknown) => e instanceof TunnelwatchError && e.message.includes('reputation[0].hashes'));
    writeFileSync(file, 'version: 1\ndnsbl:\n  - { zone: net, list: Ours, lookups: [ipv4] }\n');
    assert.throws(() => loadBenignZones([file]), (e: unknown) => e instanceof TunnelwatchError && e.message.includes('dnsbl[0].zone'));
    writeFileSync(file, 'version: 1\nunknown: []\n');
    assert.throws(() => loadBenignZones([file]), (e: unknown) => e instanceof TunnelwatchError && e.message.includes('"unknown"'));
  });
});

test('user zone files add zones and replace entries of the same zone', async () => {
  await withTmpDir((dir) => {
    const file = join(dir, 'zones.yaml');
    writeFileSync(
      file,
      [
        'version: 1',
        'dnsbl:',
        '  - { zone: rbl.corp.example, list: Corporate RBL, lookups: [ipv4] }',
        '  - { zone: zen.spamhaus.org, list: Spamhaus ZEN (IPv4 only here), lookups: [ipv4] }',
        'reputation:',
        '  - { zone: av.corp.example, vendor: In-house AV, hashes: [sha256-hex], extraLabels: 1 }',
      ].join('\n') + '\n',
    );
    const zones = loadBenignZones([file]);
    const classifier = new BenignClassifier(zones);
    assert.equal(classifier.classify(event('4.3.2.1.rbl.corp.example'))?.benignClass, 'dnsbl');
    assert.match(classifier.classify(event('4.3.2.1.zen.spamhaus.org'))!.why, /IPv4 only here/);
    assert.equal(classifier.classify(event('1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.zen.spamhaus.org')), null);
    assert.equal(classifier.classify(event('e3b0c44298fc1c149afbf4c8996fb924.27ae41e4649b934ca495991b7852b855.v1.av.corp.example'))?.benignClass, 'av-reputation');
    assert.equal(zones.dnsbl.filter((z) => z.zone === 'zen.spamhaus.org').length, 1);
  });
});

// ─── hostile input ───────────────────────────────────────────────────────────

test('hostile names never throw: random bytes, escapes, 253-byte names, inconsistent events', () => {
  const random = seededRandom(4242);
  const alphabet = 'abc019._-\\\\zenspamhaus.orgin-addr.arpaip6local';
  const kinds: DnsEvent['nameKind'][] = ['normal', 'reverse', 'suffix', 'invalid', 'ip', 'root'];
  const base = event('x.example.com');
  for (let i = 0; i < 20_000; i++) {
    const len = randomInt(random, 300);
    let s = '';
    for (let j = 0; j < len; j++) s += randomInt(random, 10) === 0 ? String.fromCharCode(randomInt(random, 256)) : alphabet[randomInt(random, alphabet.length)];
    const suffix = ['.zen.spamhaus.org', '.in-addr.arpa', '.ip6.arpa', '.local', '.cloudfront.net', '._domainkey.example.com', ''][randomInt(random, 7)]!;
    const e: DnsEvent = { ...base, qname: s + suffix, qnameLower: (s + suffix).toLowerCase(), subdomain: s, labels: randomInt(random, 130), nameKind: kinds[randomInt(random, kinds.length)]!, qtype: ['A', 'TXT', 'SRV', 'PTR', ''][randomInt(random, 5)]! };
    if (randomInt(random, 3) === 0) e.rcode = 'NXDOMAIN';
    classifyBenign(e);
  }
  const l63 = 'a'.repeat(63);
  for (const name of [`${l63}.${l63}.${l63}.${'b'.repeat(49)}.example.com`, `${'1.'.repeat(120)}in-addr.arpa`, `${'f.'.repeat(110)}ip6.arpa`, `${'\\255'.repeat(63)}.zen.spamhaus.org`, '\\.\\.\\._domainkey.example.com', `${'_a.'.repeat(60)}example.com`]) {
    for (const qtype of ['A', 'TXT', 'PTR', 'SRV']) classifyBenign(event(name, qtype, 'NXDOMAIN'));
  }
});
