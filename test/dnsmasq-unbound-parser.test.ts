/**
 * DnsmasqQueryParser and UnboundQueryParser on the real captures in test/fixtures/dnsmasq/ and
 * test/fixtures/unbound/ (see the READMEs there for which files the daemons wrote and which are
 * hand-written), on hostile input, and under seeded random mutations.
 *
 * Both daemons were sent the same 46 queries (scripts/capture-dnsmasq-unbound-fixtures.sh); SENT
 * below is that list, and the expected names are derived from it independently of the parsers:
 * what BIND would log (dnsmasq prints the bytes raw, converted back to that form), or each byte
 * that is not a letter, digit, `-`, `_`, `*` as `?` (unbound).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { DnsEvent } from '../src/event.js';
import { partitionOfName } from '../src/parallel/partition.js';
import { ownerTable, routeChunk, viewOf } from '../src/parallel/routing.js';
import { DnsmasqQueryParser, sniffDnsmasq, type DnsmasqParserOptions } from '../src/parsers/dnsmasq.js';
import { Rejection, type LineParser } from '../src/parsers/parser.js';
import { decodePresentation } from '../src/parsers/presentation-name.js';
import { UnboundQueryParser, sniffUnbound, type UnboundParserOptions } from '../src/parsers/unbound.js';
import { asciiLower, fixtureLines, fixturePath, mutateLine, randomInt, seededRandom } from './helpers.js';

type Result = DnsEvent | Rejection;

const utc = (y: number, mo: number, d: number, h: number, mi: number, s: number, ms = 0): number => Date.UTC(y, mo - 1, d, h, mi, s, ms);
const KOLKATA_OFFSET_MS = (5 * 60 + 30) * 60_000;

function isEvent(r: Result | undefined): r is DnsEvent {
  return r !== undefined && !(r instanceof Rejection);
}

function parseAll(parser: LineParser, file: string): Result[] {
  return fixtureLines(file).map((line, i) => parser.parse(line, file, i + 1, 0));
}

function eventAt(results: Result[], lineNo: number, what: string): DnsEvent {
  const r = results[lineNo - 1];
  assert.ok(isEvent(r), `line ${lineNo} (${what}) should parse, got ${r instanceof Rejection ? r.reason : 'nothing'}`);
  return r;
}

function rejectionAt(results: Result[], lineNo: number, reason: string, skip: boolean): void {
  const r = results[lineNo - 1];
  assert.ok(r instanceof Rejection, `line ${lineNo} should be rejected (${reason}), got an event for ${isEvent(r) ? JSON.stringify(r.qname) : '?'}`);
  assert.equal(r.reason, reason, `line ${lineNo}`);
  assert.equal(r.skip, skip, `line ${lineNo}: skip`);
}

// ---------------------------------------------------------------------------------------------
// The query list of the capture script, and what each daemon should make of it
// ---------------------------------------------------------------------------------------------

const rep = (s: string, n: number): string => s.repeat(n);
const escRange = (from: number, to: number): string => {
  let s = '';
  for (let i = from; i <= to; i++) s += `\\${String(i).padStart(3, '0')}`;
  return s;
};
const LABEL63 = `${rep('a', 53)}0123456789`;
const NAME253 = `${rep('b', 63)}.${rep('c', 63)}.${rep('d', 63)}.${rep('e', 47)}.t.example.net`;

interface Sent {
  client: string;
  qtype: string;
  qclass?: string;
  /** As given to dig: `\DDD` a byte, `\X` the character X, `.` a separator. */
  name: string;
}

const V4 = '127.0.0.1';
const V6 = '::1';
const SENT: Sent[] = [
  { client: V4, qtype: 'A', name: 'www.example.com' },
  { client: V4, qtype: 'A', name: 'www.example.com' },
  { client: V6, qtype: 'AAAA', name: 'www.example.com' },
  { client: V4, qtype: 'MX', name: 'example.com' },
  { client: V4, qtype: 'TXT', name: 'x.t.example.net' },
  { client: V4, qtype: 'NULL', name: 'x.t.example.net' },
  { client: V4, qtype: 'ANY', name: 'example.com' },
  { client: V4, qtype: 'SRV', name: '_sip._udp.example.com' },
  { client: V4, qtype: 'CNAME', name: 'alias.example.com' },
  { client: V4, qtype: 'PTR', name: '80.2.0.192.in-addr.arpa' },
  { client: V6, qtype: 'PTR', name: `1.${rep('0.', 23)}8.b.d.0.1.0.0.2.ip6.arpa` },
  { client: V4, qtype: 'TYPE65399', name: 'blob.example.com' },
  { client: V4, qtype: 'A', name: 'nx.example.com' },
  { client: V4, qtype: 'A', name: 'nothere.example.org' },
  { client: V4, qtype: 'TXT', qclass: 'CH', name: 'version.bind' },
  { client: V4, qtype: 'NS', name: '.' },
  { client: V4, qtype: 'A', name: 'WwW.ExAmPlE.CoM' },
  { client: V6, qtype: 'NULL', name: 'VaAaAkAtEfY.T.eXaMpLe.NeT' },
  { client: V4, qtype: 'NULL', name: 'paaaabshd2mfqpnutsxzgqs3bmvz2c4tsmfzgk2ltnbxwmzlpmfzhg.t.example.net' },
  { client: V4, qtype: 'CNAME', name: 'dnscat.4a1b0100b3a0de1e00000000000000000000000000.t.example.net' },
  { client: V4, qtype: 'TXT', name: 'gzbbgojfhewxbhp6v7ezs2cmyrcyaayd.t.example.net' },
  { client: V6, qtype: 'MX', name: '4a1b0100b3a0de1e0000000000000000.t.example.net' },
  { client: V4, qtype: 'TXT', name: 'a\\000b.t.example.net' },
  { client: V4, qtype: 'TXT', name: '\\000.t.example.net' },
  { client: V4, qtype: 'TXT', name: 'a\\255b.t.example.net' },
  { client: V4, qtype: 'TXT', name: 'a\\.b.t.example.net' },
  { client: V4, qtype: 'TXT', name: 'spa\\032ce.t.example.net' },
  { client: V4, qtype: 'TXT', name: 'back\\\\slash.t.example.net' },
  { client: V4, qtype: 'TXT', name: 'quo\\"te.t.example.net' },
  { client: V4, qtype: 'TXT', name: 'pa\\(re\\)n.t.example.net' },
  { client: V4, qtype: 'TXT', name: 'semi\\;colon.t.example.net' },
  { client: V4, qtype: 'TXT', name: 'at\\@sign.t.example.net' },
  { client: V4, qtype: 'TXT', name: 'dol\\$lar.t.example.net' },
  { client: V4, qtype: 'TXT', name: 'punct!#%&*+,-/:<=>?[]^_`{|}~x.t.example.net' },
  { client: V4, qtype: 'TXT', name: 'uni\\195\\169.t.example.net' },
  { client: V4, qtype: 'NULL', name: `${escRange(1, 31)}.t.example.net` },
  { client: V4, qtype: 'NULL', name: `${escRange(127, 127)}${escRange(200, 230)}.t.example.net` },
  { client: V4, qtype: 'A', name: 'a\\032from\\032192.0.2.66.t.example.net' },
  { client: V4, qtype: 'A', name: 'x\\032query[A]\\032y.example.com\\032from\\032192.0.2.1.t.example.net' },
  { client: V4, qtype: 'A', name: 'z.example.com.\\032A\\032IN.t.example.net' },
  { client: V4, qtype: 'TXT', name: `${LABEL63}.t.example.net` },
  { client: V6, qtype: 'TXT', name: NAME253 },
  { client: V4, qtype: 'TXT', name: NAME253 },
  { client: V4, qtype: 'A', name: 'blocked.example' },
  { client: V4, qtype: 'A', name: 'host.lan' },
  { client: V6, qtype: 'AAAA', name: 'nothere.lan' },
];

/** The labels of a dig-syntax name, each as its bytes. */
function labelsOf(name: string): number[][] {
  if (name === '.') return [];
  const labels: number[][] = [[]];
  for (let i = 0; i < name.length; i++) {
    const c = name[i]!;
    if (c === '\\') {
      if (/^[0-9]{3}$/.test(name.slice(i + 1, i + 4))) {
        labels.at(-1)!.push(Number(name.slice(i + 1, i + 4)));
        i += 3;
      } else labels.at(-1)!.push(name.charCodeAt(++i));
    } else if (c === '.') labels.push([]);
    else labels.at(-1)!.push(name.charCodeAt(i));
  }
  return labels;
}

/** BIND's presentation form (what named 9.18 logs, see test/fixtures/bind/README.md). */
function bindForm(labels: number[][]): string {
  if (labels.length === 0) return '.';
  return labels
    .map((bytes) =>
      bytes
        .map((b) => {
          if (b <= 0x20 || b >= 0x7f) return `\\${String(b).padStart(3, '0')}`;
          const ch = String.fromCharCode(b);
          return '.\\"();@$'.includes(ch) ? `\\${ch}` : ch;
        })
        .join(''),
    )
    .join('.');
}

/** dnsmasq prints a name only when every byte is printable and no label holds a dot. */
function dnsmasqPrints(labels: number[][]): boolean {
  return labels.every((bytes) => bytes.every((b) => b >= 0x20 && b <= 0x7e && b !== 0x2e));
}

/** unbound's dname_str: letters, digits, `-`, `_`, `*` as they are, any other byte `?`; always a final dot. */
function unboundForm(labels: number[][]): string {
  if (labels.length === 0) return '.';
  const keep = (b: number): boolean => (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2d || b === 0x5f || b === 0x2a;
  return `${labels.map((bytes) => bytes.map((b) => (keep(b) ? String.fromCharCode(b) : '?')).join('')).join('.')}.`;
}

function wireFacts(labels: number[][]): { bytes: number; labels: number; longest: number } {
  const lengths = labels.map((l) => l.length);
  return {
    bytes: lengths.reduce((a, b) => a + b, 0) + Math.max(0, labels.length - 1),
    labels: labels.length,
    longest: Math.max(0, ...lengths),
  };
}

// ---------------------------------------------------------------------------------------------
// Oracles: which fixture lines are query/reply lines, written with regexes (not the parsers' way)
// ---------------------------------------------------------------------------------------------

const DNSMASQ_QUERY = /^(?:<\d+>)?[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d dnsmasq\[\d+\]: (?:\d+ [0-9a-f:.]+\/\d+ )?(?:query|auth)\[/;
const UNBOUND_MSG = /^(?:<\d+>)?(?:\[\d+\]|[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) unbound(?:\[\d+:[0-9a-f]+\]|: \[\d+:[0-9a-f]+\]) (?:info|query|reply): (.*)$/;

function unboundKind(line: string): 'query' | 'reply' | 'formerr' | 'other' {
  const m = UNBOUND_MSG.exec(line);
  if (m === null) return 'other';
  const words = m[1]!.split(' ');
  if (!/^[0-9a-f:.]+$/.test(words[0]!) || words[0]!.endsWith('.')) return 'other';
  if (words[1] === '-') return 'formerr';
  return words.length === 4 ? 'query' : 'reply';
}

// ---------------------------------------------------------------------------------------------
// dnsmasq
// ---------------------------------------------------------------------------------------------

const DM = 'dnsmasq/';
const DM_QUERIES = `${DM}dnsmasq-2.90-queries.log`;
const DM_EXTRA = `${DM}dnsmasq-2.90-extra.log`;
const DM_AUTH = `${DM}dnsmasq-2.90-auth-extra.log`;
const DM_SYSLOG = `${DM}dnsmasq-2.90-syslog.log`;
const DM_STDERR = `${DM}dnsmasq-2.90-stderr.log`;
const dnsmasq = (options: DnsmasqParserOptions = {}): DnsmasqQueryParser => new DnsmasqQueryParser({ syslogYear: 2026, ...options });

describe('captured dnsmasq 2.90 logs', () => {
  test('every query[…]/auth[…] line is an event (or name_unprintable), every other line a not_query skip', () => {
    for (const file of [DM_QUERIES, DM_EXTRA, DM_AUTH, DM_SYSLOG]) {
      const parser = dnsmasq();
      let queries = 0;
      let events = 0;
      fixtureLines(file).forEach((line, i) => {
        const r = parser.parse(line, file, i + 1, 0);
        if (DNSMASQ_QUERY.test(line)) {
          queries++;
          if (line.includes('] <name unprintable> from ')) {
            assert.ok(r instanceof Rejection && r.reason === 'name_unprintable' && !r.skip, `${file}:${i + 1}`);
          } else {
            assert.ok(isEvent(r), `${file}:${i + 1} is a query line but was rejected (${r instanceof Rejection ? r.reason : ''})`);
            events++;
            assert.equal(r.position.line, i + 1);
            assert.equal(r.position.source, file);
          }
        } else {
          assert.ok(r instanceof Rejection && r.reason === 'not_query' && r.skip, `${file}:${i + 1} is not a query line: a not_query skip, got ${isEvent(r) ? r.qname : r.reason}`);
        }
      });
      assert.ok(events > 0, file);
      if (file === DM_QUERIES || file === DM_EXTRA) {
        assert.equal(queries, SENT.length, `${file}: one query line per query sent`);
        assert.equal(events, 39, `${file}: 7 names dnsmasq cannot print`);
      }
    }
  });

  test('forwarded/reply lines whose name contains " query[A] " are not queries', () => {
    for (const file of [DM_QUERIES, DM_EXTRA]) {
      const lines = fixtureLines(file);
      const tricky = lines.map((l, i) => [l, i] as const).filter(([l]) => l.includes('query[A] y.example.com') && !DNSMASQ_QUERY.test(l));
      assert.equal(tricky.length, 2, `${file}: a forwarded and a reply line`);
      const r = parseAll(dnsmasq(), file);
      for (const [, i] of tricky) rejectionAt(r, i + 1, 'not_query', true);
    }
  });

  test('the k-th query line is the k-th query sent: client, type, name, byte counts', () => {
    for (const file of [DM_QUERIES, DM_EXTRA]) {
      const parser = dnsmasq();
      const queryLines = fixtureLines(file).filter((l) => DNSMASQ_QUERY.test(l));
      SENT.forEach((sent, k) => {
        const labels = labelsOf(sent.name);
        const r = parser.parse(queryLines[k]!, file, k + 1, 0);
        if (!dnsmasqPrints(labels)) {
          assert.ok(r instanceof Rejection && r.reason === 'name_unprintable', `${file} query ${k + 1} (${sent.name})`);
          return;
        }
        assert.ok(isEvent(r), `${file} query ${k + 1} (${sent.name}): ${r instanceof Rejection ? r.reason : ''}`);
        const facts = wireFacts(labels);
        assert.equal(r.qname, bindForm(labels), `query ${k + 1}`);
        assert.equal(r.qnameBytes, facts.bytes, `qnameBytes of ${sent.name}`);
        assert.equal(r.labels, facts.labels, `labels of ${sent.name}`);
        assert.equal(r.longestLabel, facts.longest, `longestLabel of ${sent.name}`);
        assert.equal(r.qtype, sent.qtype, `qtype of query ${k + 1}`);
        assert.equal(r.clientIp, sent.client, `client of query ${k + 1}`);
        assert.equal(r.qclass, '', 'dnsmasq does not log the class');
        assert.equal(r.flags, '');
        assert.equal(r.serverIp, '');
        assert.equal(r.rcode, undefined);
        if (file === DM_QUERIES) assert.equal(r.clientPort, -1, 'no port without extra');
        else assert.ok(r.clientPort > 1023 && r.clientPort <= 65535, `port ${r.clientPort}`);
      });
    }
  });

  test('times, ports and serial prefixes as captured (extra)', () => {
    const r = parseAll(dnsmasq(), DM_EXTRA);
    const first = eventAt(r, 7, 'first query');
    assert.equal(first.time, utc(2026, 11, 23, 14, 31, 39));
    assert.equal(first.clientIp, '127.0.0.1');
    assert.equal(first.clientPort, 33645);
    assert.equal(first.qname, 'www.example.com');
    assert.equal(first.registeredDomain, 'example.com');
    assert.equal(first.subdomain, 'www');
    const v6 = eventAt(r, 12, 'AAAA from ::1');
    assert.equal(v6.clientIp, '::1');
    assert.equal(v6.clientPort, 46755);
    // TCP queries are answered by a forked child (another pid) and its serials jump by 100.
    const tcp6 = eventAt(r, 70, 'MX over TCP from ::1, serial 220, pid 9361');
    assert.equal(tcp6.clientPort, 35463);
    assert.equal(tcp6.qtype, 'MX');
    assert.equal(eventAt(r, 124, 'serial 337').clientPort, 49385);
    assert.equal(eventAt(r, 136, 'blocked.example').time, utc(2026, 11, 23, 14, 31, 40));
    const root = eventAt(r, 53, 'root NS');
    assert.equal(root.qname, '.');
    assert.equal(root.nameKind, 'root');
    assert.equal(root.qnameBytes, 0);
    const ptr = eventAt(r, 36, 'PTR');
    assert.equal(ptr.nameKind, 'reverse');
    assert.equal(ptr.registeredDomain, '2.0.192.in-addr.arpa');
    assert.equal(eventAt(r, 42, 'type=65399').qtype, 'TYPE65399');
    const mixed = eventAt(r, 56, 'mixed case');
    assert.equal(mixed.qname, 'WwW.ExAmPlE.CoM');
    assert.equal(mixed.qnameLower, 'www.example.com');
  });

  test('names with spaces and specials: BIND form, byte counts, registered domain', () => {
    const r = parseAll(dnsmasq(), DM_QUERIES);
    const byName = (qname: string): DnsEvent => {
      const e = r.find((x): x is DnsEvent => isEvent(x) && x.qname === qname);
      assert.ok(e, `an event for ${qname}`);
      return e;
    };
    const space = byName('spa\\032ce.t.example.net');
    assert.equal(space.qnameBytes, 20);
    assert.equal(space.longestLabel, 7);
    assert.equal(space.subdomain, 'spa\\032ce.t');
    assert.equal(space.subdomainBytes, 8);
    assert.equal(space.registeredDomain, 'example.net');
    assert.equal(byName('back\\\\slash.t.example.net').longestLabel, 10);
    assert.equal(byName('pa\\(re\\)n.t.example.net').longestLabel, 7);
    // "a from 192" . 0 . 2 . 66 . t . example . net: the name ends at the LAST " from ".
    const from = byName('a\\032from\\032192.0.2.66.t.example.net');
    assert.equal(from.clientIp, '127.0.0.1');
    assert.equal(from.labels, 7);
    assert.equal(from.qnameBytes, 31);
    assert.equal(from.registeredDomain, 'example.net');
    const smuggle = byName('x\\032query[A]\\032y.example.com\\032from\\032192.0.2.1.t.example.net');
    assert.equal(smuggle.qtype, 'A');
    assert.equal(smuggle.registeredDomain, 'example.net');
    assert.equal(smuggle.subdomain, 'x\\032query[a]\\032y.example.com\\032from\\032192.0.2.1.t');
    const typed = byName('z.example.com.\\032A\\032IN.t.example.net');
    assert.equal(typed.labels, 7);
    assert.equal(typed.registeredDomain, 'example.net');
    const long = byName(`${LABEL63}.t.example.net`);
    assert.equal(long.longestLabel, 63);
    assert.equal(long.nameKind, 'normal');
    const max = r.filter((x): x is DnsEvent => isEvent(x) && x.qname === NAME253);
    assert.equal(max.length, 2, 'the 253-character name, from ::1 and over TCP');
    for (const e of max) {
      assert.equal(e.qnameBytes, 253);
      assert.equal(e.nameKind, 'normal');
      assert.equal(e.registeredDomain, 'example.net');
    }
  });

  test('the same queries give the same events with and without extra (ports aside)', () => {
    const strip = (e: DnsEvent): unknown => ({ ...e, time: 0, clientPort: 0, position: null });
    const a = parseAll(dnsmasq(), DM_QUERIES).filter(isEvent).map(strip);
    const b = parseAll(dnsmasq(), DM_EXTRA).filter(isEvent).map(strip);
    assert.deepEqual(b, a);
  });

  test('auth[…] lines are queries too', () => {
    const r = parseAll(dnsmasq(), DM_AUTH);
    const auth = eventAt(r, 7, 'auth[A]');
    assert.equal(auth.qtype, 'A');
    assert.equal(auth.clientIp, '127.0.0.1');
    assert.equal(auth.clientPort, 50324);
    assert.equal(auth.time, utc(2026, 11, 23, 14, 31, 40));
    assert.equal(eventAt(r, 9, 'query[AAAA] from ::1').clientPort, 33008);
    assert.equal(eventAt(r, 14, 'auth with a space').qname, 'spa\\032ce.t.example.net');
    rejectionAt(r, 16, 'name_unprintable', false);
    rejectionAt(r, 8, 'not_query', true); // reply error is REFUSED (EDE: not authoritative)
  });

  test('syslog (what dnsmasq sends to /dev/log): <PRI> header', () => {
    const r = parseAll(dnsmasq(), DM_SYSLOG);
    const first = eventAt(r, 7, 'first query');
    assert.equal(first.time, utc(2026, 11, 23, 14, 31, 44));
    assert.equal(first.qname, 'www.example.com');
    assert.equal(first.clientPort, -1);
    assert.equal(eventAt(r, 10, '::1').clientIp, '::1');
    assert.equal(eventAt(r, 16, 'space').qnameBytes, 20);
  });

  test('stderr in the foreground prints no time: every line is quarantined as bad_timestamp', () => {
    const parser = dnsmasq();
    const lines = fixtureLines(DM_STDERR);
    assert.equal(lines.length, 25);
    lines.forEach((line, i) => {
      const r = parser.parse(line, DM_STDERR, i + 1, 0);
      assert.ok(r instanceof Rejection && r.reason === 'bad_timestamp' && !r.skip, `line ${i + 1}`);
      assert.ok(Number.isNaN(parser.lastTime));
    });
  });

  test('the year and zone options apply to the yearless local stamp', () => {
    const y2025 = parseAll(dnsmasq({ syslogYear: 2025 }), DM_EXTRA);
    assert.equal(eventAt(y2025, 7, 'year 2025').time, utc(2025, 11, 23, 14, 31, 39));
    const kolkata = parseAll(dnsmasq({ timeZone: 'Asia/Kolkata' }), DM_EXTRA);
    assert.equal(eventAt(kolkata, 7, 'Kolkata').time, utc(2026, 11, 23, 14, 31, 39) - KOLKATA_OFFSET_MS);
  });
});

describe('dnsmasq: hand-written syslog variants and hostile lines', () => {
  test('syslog-variants.log: other headers around the same message', () => {
    const r = parseAll(dnsmasq(), `${DM}syslog-variants.log`);
    assert.equal(r.length, 10);
    const rsyslog = eventAt(r, 1, 'rsyslog with host');
    assert.equal(rsyslog.time, utc(2026, 11, 23, 14, 31, 39));
    assert.equal(rsyslog.clientIp, '192.168.1.20');
    assert.equal(eventAt(r, 2, 'space-padded day').time, utc(2026, 11, 3, 4, 5, 6));
    assert.equal(eventAt(r, 2, 'fd00::20').clientIp, 'fd00::20');
    assert.equal(eventAt(r, 3, '<PRI> + host').qtype, 'MX');
    const iso = eventAt(r, 4, 'rsyslog ISO');
    assert.equal(iso.time, utc(2026, 11, 23, 14, 31, 39, 123));
    assert.equal(iso.clientPort, 53000);
    assert.equal(eventAt(r, 5, 'journalctl +0100').time, utc(2026, 11, 23, 14, 31, 39));
    const r5424 = eventAt(r, 6, 'RFC 5424');
    assert.equal(r5424.time, utc(2026, 11, 23, 14, 31, 39, 500));
    assert.equal(r5424.qtype, 'NULL');
    const sd = eventAt(r, 7, 'RFC 5424 with structured data holding "] " and escapes');
    assert.equal(sd.clientPort, 5353);
    assert.equal(sd.qname, 'd.t.example.net');
    const zone = eventAt(r, 8, 'fe80::1%eth0 in the extra prefix');
    assert.equal(zone.clientIp, 'fe80::1');
    assert.equal(zone.clientPort, 5353);
    assert.equal(eventAt(r, 9, 'ISO without offset').time, utc(2026, 11, 23, 14, 31, 39));
    const kolkata = parseAll(dnsmasq({ timeZone: 'Asia/Kolkata' }), `${DM}syslog-variants.log`);
    assert.equal(eventAt(kolkata, 9, 'ISO without offset, Kolkata').time, utc(2026, 11, 23, 14, 31, 39) - KOLKATA_OFFSET_MS);
    assert.equal(eventAt(kolkata, 5, 'explicit offset ignores the zone').time, utc(2026, 11, 23, 14, 31, 39));
    const mapped = eventAt(r, 10, 'IPv4-mapped, HTTPS');
    assert.equal(mapped.clientIp, '::ffff:192.168.1.25');
    assert.equal(mapped.qtype, 'HTTPS');
  });

  const lines = fixtureLines(`${DM}hostile.log`);
  const r = lines.map((line, i) => dnsmasq().parse(line, 'hostile.log', i + 1, 0));

  test('has the 33 lines of the README, the last without newline, line 4 a 10,000-character name', () => {
    assert.equal(lines.length, 33);
    assert.ok(lines[32]!.endsWith('from 127.0.0.1'));
    assert.equal(lines[3]!.slice(lines[3]!.indexOf('] ') + 2, lines[3]!.lastIndexOf(' from ')).length, 10_000);
  });

  test('malformed lines are quarantined with their reason', () => {
    const expected: Array<[number, string]> = [
      [1, 'truncated'], [2, 'bad_timestamp'], [3, 'truncated'], [4, 'too_long'],
      [5, 'bad_name_raw_byte'], [6, 'bad_name_raw_byte'], [7, 'bad_name_raw_byte'],
      [8, 'bad_timestamp'], [9, 'bad_timestamp'], [10, 'bad_client'], [11, 'bad_client'],
      [12, 'truncated'], [13, 'truncated'], [14, 'bad_type'], [15, 'bad_type'], [16, 'bad_type'],
      [17, 'bad_client'], [18, 'bad_client'], [19, 'bad_name_empty_label'], [20, 'bad_name_empty_label'],
      [29, 'truncated'], [30, 'bad_name_raw_byte'], [31, 'truncated'], [32, 'name_unprintable'],
    ];
    for (const [lineNo, reason] of expected) rejectionAt(r, lineNo, reason, false);
  });

  test('valid non-query lines are skipped, not quarantined', () => {
    for (const lineNo of [21, 22, 23]) rejectionAt(r, lineNo, 'not_query', true);
    rejectionAt(r, 25, 'empty', true);
    rejectionAt(r, 26, 'empty', true);
  });

  test('valid lines among them: CRLF, trailing blanks, JSON payload (escaped), no final newline', () => {
    assert.equal(eventAt(r, 24, 'CRLF').qname, 'crlf.example.com');
    assert.equal(eventAt(r, 24, 'CRLF').clientIp, '127.0.0.1');
    assert.equal(eventAt(r, 27, 'trailing blanks').clientIp, '127.0.0.1');
    const json = eventAt(r, 28, 'JSON payload');
    assert.equal(json.qname, 'json\\"},{\\"x\\":1}.t.example.net');
    assert.equal(json.longestLabel, 14);
    assert.equal(json.registeredDomain, 'example.net');
    assert.equal(eventAt(r, 33, 'no newline at EOF').qname, 'last.line.example.com');
  });
});

// ---------------------------------------------------------------------------------------------
// unbound
// ---------------------------------------------------------------------------------------------

const UB = 'unbound/';
const UB_ASCII = `${UB}unbound-1.17-ascii.log`;
const UB_EPOCH = `${UB}unbound-1.17-epoch.log`;
const UB_TAGGED = `${UB}unbound-1.17-tagged.log`;
const UB_SYSLOG = `${UB}unbound-1.17-syslog.log`;
const UB_REPLIES_ONLY = `${UB}unbound-1.17-replies-only.log`;
const UB_CAPTURED = [UB_ASCII, UB_EPOCH, UB_TAGGED, UB_SYSLOG, UB_REPLIES_ONLY];
const unbound = (options: UnboundParserOptions = {}): UnboundQueryParser => new UnboundQueryParser({ syslogYear: 2026, ...options });

describe('captured unbound 1.17 logs', () => {
  for (const eventsFrom of ['queries', 'replies'] as const) {
    test(`eventsFrom ${eventsFrom}: each line of the counted kind is one event, every other line a skip`, () => {
      for (const file of UB_CAPTURED) {
        const parser = unbound({ eventsFrom });
        let counted = 0;
        let events = 0;
        fixtureLines(file).forEach((line, i) => {
          const r = parser.parse(line, file, i + 1, 0);
          const kind = unboundKind(line);
          const where = `${file}:${i + 1} (${kind})`;
          if (kind === (eventsFrom === 'queries' ? 'query' : 'reply')) {
            counted++;
            if (/ [a-z0-9?.-]*\.& /.test(line)) {
              assert.ok(r instanceof Rejection && r.reason === 'name_truncated' && !r.skip, where);
            } else {
              assert.ok(isEvent(r), `${where}: ${r instanceof Rejection ? r.reason : ''}`);
              events++;
              assert.equal(r.position.line, i + 1);
            }
          } else {
            const reason = { query: 'query_line', reply: 'reply_line', formerr: eventsFrom === 'queries' ? 'reply_line' : 'reply_no_question', other: 'not_query' }[kind];
            assert.ok(r instanceof Rejection && r.skip && r.reason === reason, `${where}: expected a ${reason} skip, got ${isEvent(r) ? r.qname : r.reason}`);
          }
        });
        if (file === UB_ASCII || file === UB_EPOCH) {
          assert.equal(counted, SENT.length, `${file}: one line of each kind per query sent`);
          assert.equal(events, SENT.length - 2, `${file}: the two 253-character names are cut by unbound`);
        }
        if (file === UB_REPLIES_ONLY) assert.equal(events, eventsFrom === 'queries' ? 0 : 6);
      }
    });
  }

  test('the k-th query line is the k-th query sent: client, type, class, ?-name, exact byte counts', () => {
    for (const file of [UB_ASCII, UB_EPOCH]) {
      for (const eventsFrom of ['queries', 'replies'] as const) {
        const parser = unbound({ eventsFrom });
        const kindLines = fixtureLines(file).filter((l) => unboundKind(l) === (eventsFrom === 'queries' ? 'query' : 'reply'));
        assert.equal(kindLines.length, SENT.length);
        SENT.forEach((sent, k) => {
          const labels = labelsOf(sent.name);
          const r = parser.parse(kindLines[k]!, file, k + 1, 0);
          if (sent.name === NAME253) {
            assert.ok(r instanceof Rejection && r.reason === 'name_truncated', `${file} ${eventsFrom} ${k + 1}`);
            assert.ok(kindLines[k]!.includes('.t.example.& '), 'unbound printed "&" for the last label');
            return;
          }
          assert.ok(isEvent(r), `${file} ${eventsFrom} ${k + 1} (${sent.name}): ${r instanceof Rejection ? r.reason : ''}`);
          const printed = unboundForm(labels);
          const facts = wireFacts(labels);
          assert.equal(r.qname, printed === '.' ? '.' : printed.slice(0, -1), `query ${k + 1}: trailing dot stripped`);
          assert.equal(r.qnameBytes, facts.bytes, `qnameBytes of ${sent.name}`);
          assert.equal(r.labels, facts.labels, `labels of ${sent.name}`);
          assert.equal(r.longestLabel, facts.longest, `longestLabel of ${sent.name}`);
          assert.equal(r.qtype, sent.qtype);
          assert.equal(r.qclass, sent.qclass ?? 'IN');
          assert.equal(r.clientIp, sent.client);
          assert.equal(r.clientPort, -1, 'unbound logs no client port');
          if (eventsFrom === 'queries') {
            assert.equal(r.rcode, undefined);
            assert.equal(r.responseBytes, undefined);
          } else {
            assert.ok(r.rcode !== undefined && /^[A-Z]+$/.test(r.rcode), `rcode ${r.rcode}`);
            assert.ok(r.responseBytes !== undefined && r.responseBytes >= 12, `responseBytes ${r.responseBytes}`);
          }
        });
      }
    }
  });

  test('dnsmasq and unbound agree on the byte counts of every name both could log', () => {
    const d = fixtureLines(DM_QUERIES).filter((l) => DNSMASQ_QUERY.test(l)).map((l) => dnsmasq().parse(l, 'd', 1, 0));
    const u = fixtureLines(UB_ASCII).filter((l) => unboundKind(l) === 'query').map((l) => unbound().parse(l, 'u', 1, 0));
    let compared = 0;
    d.forEach((de, k) => {
      const ue = u[k];
      if (!isEvent(de) || !isEvent(ue)) return;
      compared++;
      assert.deepEqual([ue.qnameBytes, ue.labels, ue.longestLabel, ue.qtype, ue.clientIp], [de.qnameBytes, de.labels, de.longestLabel, de.qtype, de.clientIp], `query ${k + 1}`);
      assert.equal(ue.registeredDomain, de.registeredDomain, `query ${k + 1}`);
    });
    assert.equal(compared, 37);
  });

  test('reply lines: rcode, size, time as captured', () => {
    const r = parseAll(unbound({ eventsFrom: 'replies' }), UB_ASCII);
    const first = eventAt(r, 4, 'first reply');
    assert.equal(first.time, utc(2026, 11, 23, 14, 31, 41));
    assert.equal(first.rcode, 'NOERROR');
    assert.equal(first.responseBytes, 60);
    const nx = eventAt(r, 30, 'nx.example.com');
    assert.equal(nx.rcode, 'NXDOMAIN');
    assert.equal(nx.responseBytes, 94);
    const servfail = eventAt(r, 33, 'REFUSED upstream');
    assert.equal(servfail.rcode, 'SERVFAIL');
    assert.equal(servfail.qname, 'nothere.example.org');
    const local = eventAt(r, 23, 'PTR answered by a default local zone');
    assert.equal(local.rcode, 'NXDOMAIN');
    assert.equal(local.responseBytes, 111);
    const chaos = eventAt(r, 35, 'version.bind CH');
    assert.equal(chaos.qclass, 'CH');
    const root = eventAt(r, 38, 'root');
    assert.equal(root.qname, '.');
    assert.equal(root.nameKind, 'root');
    rejectionAt(r, 102, 'reply_no_question', true);
    rejectionAt(r, 103, 'reply_no_question', true);
  });

  test('query lines: epoch and ascii stamps, syslog, tagged', () => {
    const epoch = parseAll(unbound(), UB_EPOCH);
    const e = eventAt(epoch, 3, 'first query, epoch stamp');
    assert.equal(e.time, 1795444302000);
    assert.equal(e.qname, 'www.example.com');
    const ascii = parseAll(unbound(), UB_ASCII);
    assert.equal(eventAt(ascii, 3, 'first query, ascii stamp').time, utc(2026, 11, 23, 14, 31, 41));
    assert.equal(eventAt(ascii, 7, '::1').clientIp, '::1');
    rejectionAt(ascii, 22, 'not_query', true); // log-local-actions: `2.0.192.in-addr.arpa. static 127.0.0.1@PORT …`
    rejectionAt(ascii, 32, 'not_query', true); // log-servfail: `error: SERVFAIL <…>`
    rejectionAt(ascii, 1, 'not_query', true); // notice: init module
    const syslog = parseAll(unbound(), UB_SYSLOG);
    const s = eventAt(syslog, 3, '<30>… unbound: [pid:tid] info:');
    assert.equal(s.time, utc(2026, 11, 23, 14, 31, 45));
    assert.equal(s.qtype, 'A');
    const tagged = parseAll(unbound(), UB_TAGGED);
    assert.equal(eventAt(tagged, 3, 'query: tag').qname, 'www.example.com');
    rejectionAt(tagged, 4, 'reply_line', true);
    const taggedReplies = parseAll(unbound({ eventsFrom: 'replies' }), UB_TAGGED);
    assert.equal(eventAt(taggedReplies, 4, 'reply: tag').rcode, 'NOERROR');
    // The year and the zone apply to the ascii stamp, never to epoch seconds.
    assert.equal(eventAt(parseAll(unbound({ syslogYear: 2025 }), UB_ASCII), 3, '2025').time, utc(2025, 11, 23, 14, 31, 41));
    assert.equal(eventAt(parseAll(unbound({ timeZone: 'Asia/Kolkata' }), UB_ASCII), 3, 'Kolkata').time, utc(2026, 11, 23, 14, 31, 41) - KOLKATA_OFFSET_MS);
    assert.equal(eventAt(parseAll(unbound({ timeZone: 'Asia/Kolkata', syslogYear: 2025 }), UB_EPOCH), 3, 'epoch').time, 1795444302000);
  });

  test('both modes count each query once, and the same queries', () => {
    for (const file of [UB_ASCII, UB_EPOCH, UB_SYSLOG, UB_TAGGED]) {
      const key = (e: DnsEvent): string => `${e.clientIp} ${e.qname} ${e.qtype} ${e.qclass}`;
      const q = parseAll(unbound(), file).filter(isEvent).map(key);
      const rp = parseAll(unbound({ eventsFrom: 'replies' }), file).filter(isEvent).map(key);
      assert.deepEqual(rp, q, file);
    }
  });
});

describe('unbound: hand-written syslog variants and hostile lines', () => {
  test('syslog-variants.log', () => {
    const r = parseAll(unbound(), `${UB}syslog-variants.log`);
    assert.equal(r.length, 11);
    assert.equal(eventAt(r, 1, 'rsyslog').clientIp, '192.168.1.20');
    assert.equal(eventAt(r, 1, 'rsyslog').time, utc(2026, 11, 23, 14, 31, 45));
    assert.equal(eventAt(r, 2, 'journald').qtype, 'AAAA');
    assert.equal(eventAt(r, 3, 'ISO +01:00').time, utc(2026, 11, 23, 14, 31, 45, 250));
    assert.equal(eventAt(r, 4, 'RFC 5424').qtype, 'MX');
    assert.equal(eventAt(r, 5, 'log-identity').qname, 'c.example.com');
    assert.equal(eventAt(r, 6, 'space-padded day').time, utc(2026, 11, 3, 4, 5, 6));
    assert.equal(eventAt(r, 7, 'IPv4-mapped').clientIp, '::ffff:192.168.1.25');
    const numbered = eventAt(r, 8, 'TYPE65534 CLASS42');
    assert.equal(numbered.qtype, 'TYPE65534');
    assert.equal(numbered.qclass, 'CLASS42');
    for (const lineNo of [9, 10, 11]) rejectionAt(r, lineNo, 'reply_line', true);
    const replies = parseAll(unbound({ eventsFrom: 'replies' }), `${UB}syslog-variants.log`);
    assert.equal(eventAt(replies, 9, 'NOTIMP').rcode, 'NOTIMP');
    assert.equal(eventAt(replies, 10, 'RCODE11').rcode, 'RCODE11');
    const extraWords = eventAt(replies, 11, 'words after SIZE');
    assert.equal(extraWords.responseBytes, 45);
    assert.equal(extraWords.rcode, 'NOERROR');
  });

  const lines = fixtureLines(`${UB}hostile.log`);
  const r = lines.map((line, i) => unbound().parse(line, 'hostile.log', i + 1, 0));

  test('has the 32 lines of the README, the last without newline, line 3 a 10,000-character name', () => {
    assert.equal(lines.length, 32);
    assert.ok(lines[31]!.endsWith('A IN'));
    const name = lines[2]!.split(' ')[6]!;
    assert.equal(name.length, 10_001, 'with the final dot');
  });

  test('malformed lines are quarantined with their reason', () => {
    const expected: Array<[number, string]> = [
      [1, 'truncated'], [2, 'truncated'], [3, 'too_long'],
      [4, 'bad_name_raw_byte'], [5, 'bad_name_raw_byte'], [6, 'bad_name_raw_byte'],
      [7, 'bad_client'], [8, 'bad_client'], [9, 'truncated'], [10, 'bad_class'], [11, 'bad_type'], [12, 'bad_type'],
      [13, 'bad_name_not_fqdn'], [14, 'bad_name_empty_label'], [15, 'bad_rcode'], [16, 'bad_reply'], [17, 'bad_reply'],
      [18, 'bad_reply'], [19, 'bad_rcode'], [20, 'bad_timestamp'], [21, 'bad_timestamp'], [22, 'bad_timestamp'],
      [23, 'bad_timestamp'], [24, 'bad_timestamp'], [25, 'bad_name_not_fqdn'],
    ];
    for (const [lineNo, reason] of expected) rejectionAt(r, lineNo, reason, false);
  });

  test('empty lines are skips; CRLF, trailing blanks, raw payload, escapes and a missing final newline parse', () => {
    rejectionAt(r, 27, 'empty', true);
    rejectionAt(r, 28, 'empty', true);
    assert.equal(eventAt(r, 26, 'CRLF').qclass, 'IN');
    assert.equal(eventAt(r, 29, 'trailing blanks').qclass, 'IN');
    const json = eventAt(r, 30, 'raw JSON payload');
    assert.equal(json.qname, 'json"},{"x":1}.t.example.net');
    assert.equal((JSON.parse(JSON.stringify({ q: json.qname })) as { q: string }).q, json.qname);
    assert.equal(json.longestLabel, 14);
    const escaped = eventAt(r, 31, 'presentation escapes');
    assert.equal(escaped.qnameBytes, 20);
    assert.equal(escaped.subdomainBytes, 8);
    assert.equal(eventAt(r, 32, 'no final newline').time, 1795444302000);
  });

  test('under eventsFrom replies, the hostile query lines are query_line skips and the bad replies still quarantined', () => {
    const rr = lines.map((line, i) => unbound({ eventsFrom: 'replies' }).parse(line, 'hostile.log', i + 1, 0));
    for (const lineNo of [4, 5, 7, 10, 11, 13, 14, 26, 30]) rejectionAt(rr, lineNo, 'query_line', true);
    for (const [lineNo, reason] of [[15, 'bad_rcode'], [16, 'bad_reply'], [17, 'bad_reply'], [18, 'bad_reply'], [1, 'truncated'], [3, 'too_long']] as const) {
      rejectionAt(rr, lineNo, reason, false);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// locate/parse agreement and the parallel router
// ---------------------------------------------------------------------------------------------

const DNSMASQ_FILES = [DM_QUERIES, DM_EXTRA, DM_AUTH, DM_SYSLOG, DM_STDERR, `${DM}syslog-variants.log`, `${DM}hostile.log`];
const UNBOUND_FILES = [...UB_CAPTURED, `${UB}syslog-variants.log`, `${UB}hostile.log`];

interface Subject {
  name: string;
  files: string[];
  make: () => LineParser;
  /** The qname an event must have, given the span `locate` reported. */
  spanName: (span: string) => string;
}

/** BIND form of a raw printable name, written here independently of the parser. */
function rawToBind(raw: string): string {
  return raw.replace(/[\\"();@$]/g, (c) => `\\${c}`).replace(/ /g, '\\032');
}

const SUBJECTS: Subject[] = [
  {
    name: 'dnsmasq',
    files: DNSMASQ_FILES,
    make: () => dnsmasq(),
    // A final dot (which dnsmasq never prints) is the root label, not part of the name.
    spanName: (s) => {
      const bind = rawToBind(s);
      return bind.length > 1 && bind.endsWith('.') ? bind.slice(0, -1) : bind;
    },
  },
  { name: 'unbound queries', files: UNBOUND_FILES, make: () => unbound(), spanName: (s) => (s === '.' ? s : s.slice(0, -1)) },
  { name: 'unbound replies', files: UNBOUND_FILES, make: () => unbound({ eventsFrom: 'replies' }), spanName: (s) => (s === '.' ? s : s.slice(0, -1)) },
];

function checkAgreement(subject: Subject, line: string, where: string): void {
  const a = subject.make();
  const located = a.locate(line);
  const locatedTime = a.lastTime;
  const span = line.slice(a.nameStart, a.nameEnd);
  const b = subject.make();
  const parsed = b.parse(line, 'x', 1, 0);
  assert.ok(Object.is(b.lastTime, locatedTime), `${where}: lastTime ${b.lastTime} after parse, ${locatedTime} after locate`);
  if (located !== null) {
    assert.equal(parsed, located, `${where}: parse must reject as locate did (${located.reason})`);
    return;
  }
  // parse right after locate on the same string must give what a fresh parse gives
  const again = a.parse(line, 'x', 1, 0);
  assert.deepEqual(again, parsed, `${where}: parse after locate`);
  if (isEvent(parsed)) {
    assert.equal(parsed.time, locatedTime, where);
    assert.equal(parsed.qname, subject.spanName(span), `${where}: the span locate gives is the event's name`);
  }
}

describe('locate agrees with parse', () => {
  for (const subject of SUBJECTS) {
    test(`${subject.name}: every fixture line gives the same time, rejection and name span`, () => {
      let events = 0;
      for (const file of subject.files) {
        fixtureLines(file).forEach((line, i) => {
          checkAgreement(subject, line, `${file}:${i + 1}`);
          if (isEvent(subject.make().parse(line, file, i + 1, 0))) events++;
        });
      }
      assert.ok(events > 40, `${subject.name}: ${events} events`);
    });

    test(`${subject.name}: the parallel router gives each line the parser's time, and one registered domain one partition`, () => {
      for (const file of subject.files) {
        const data = readFileSync(fixturePath(file));
        const routed = viewOf(routeChunk(data, subject.make(), ownerTable(4)));
        const parser = subject.make();
        const lines = fixtureLines(file);
        assert.equal(routed.times.length, lines.length, file);
        const owners = new Map<string, number>();
        lines.forEach((line, i) => {
          const r = parser.parse(line, file, i + 1, 0);
          assert.ok(Object.is(routed.times[i], parser.lastTime), `${file}:${i + 1}: router time ${routed.times[i]}, parser ${parser.lastTime}`);
          if (!isEvent(r)) return;
          const owner = routed.owners[i]!;
          const known = owners.get(r.registeredDomain);
          if (known === undefined) owners.set(r.registeredDomain, owner);
          else assert.equal(owner, known, `${file}:${i + 1}: ${r.registeredDomain} in two partitions`);
        });
      }
    });
  }

  test('partition of the located span: names of one registered domain share it', () => {
    const p = dnsmasq();
    const seen = new Map<string, number>();
    for (const file of [DM_QUERIES, DM_EXTRA]) {
      for (const line of fixtureLines(file)) {
        if (p.locate(line) !== null) continue;
        const partition = partitionOfName(line, p.nameStart, p.nameEnd, 7);
        const e = p.parse(line, file, 1, 0);
        if (!isEvent(e)) continue;
        const known = seen.get(e.registeredDomain);
        if (known === undefined) seen.set(e.registeredDomain, partition);
        else assert.equal(partition, known, e.qname);
      }
    }
    assert.ok(seen.size >= 5);
  });
});

// ---------------------------------------------------------------------------------------------
// Format sniffing
// ---------------------------------------------------------------------------------------------

describe('sniffing a sample', () => {
  const sample = (file: string): string => readFileSync(fixturePath(file)).toString('latin1', 0, 16_384);
  const others = [
    'bind/named-9.18-plain.log',
    'bind/named-9.18-mixed-categories.log',
    'bind/classic-and-syslog.log',
    'bind/hostile.log',
    // Other formats' fixtures, where this checkout has them.
    ...(existsSync(fixturePath('zeek')) ? readdirSync(fixturePath('zeek')).filter((f) => f.endsWith('.log')).map((f) => `zeek/${f}`) : []),
  ];

  test('dnsmasq logs are recognised (not the time-less stderr one), and nothing else is', () => {
    for (const file of [DM_QUERIES, DM_EXTRA, DM_AUTH, DM_SYSLOG, `${DM}syslog-variants.log`]) {
      assert.equal(sniffDnsmasq(sample(file)), true, file);
      assert.equal(sniffUnbound(sample(file)), null, file);
    }
    assert.equal(sniffDnsmasq(sample(DM_STDERR)), false);
    for (const file of [...UNBOUND_FILES, ...others]) assert.equal(sniffDnsmasq(sample(file)), false, file);
  });

  test('unbound logs are recognised, with the kind of line to count', () => {
    for (const file of [UB_ASCII, UB_EPOCH, UB_TAGGED, UB_SYSLOG, `${UB}syslog-variants.log`]) assert.equal(sniffUnbound(sample(file)), 'queries', file);
    assert.equal(sniffUnbound(sample(UB_REPLIES_ONLY)), 'replies');
    for (const file of [...DNSMASQ_FILES, ...others]) assert.equal(sniffUnbound(sample(file)), null, file);
  });
});

// ---------------------------------------------------------------------------------------------
// Fuzz
// ---------------------------------------------------------------------------------------------

describe('seeded fuzz', () => {
  const INSERTS = ['\\', '/', '[', ']', ':', ' ', '.', '@', '#', '&', '?', '\\0', ' from ', 'query[', '] ', 'info: ', ': ', '<30>', '-'];

  const mutate = (line: string, random: () => number): string => mutateLine(line, random, INSERTS, 2);

  function invariantProblems(e: DnsEvent): string[] {
    const problems: string[] = [];
    if (e.qnameLower !== asciiLower(e.qname)) problems.push(`qnameLower ${JSON.stringify(e.qnameLower)} is not the ASCII lower case of ${JSON.stringify(e.qname)}`);
    if (!e.qnameLower.endsWith(e.registeredDomain)) problems.push(`registeredDomain ${JSON.stringify(e.registeredDomain)} is not a suffix of ${JSON.stringify(e.qnameLower)}`);
    if (e.subdomain !== '' && `${e.subdomain}.${e.registeredDomain}` !== e.qnameLower) problems.push(`subdomain + registeredDomain != qnameLower for ${JSON.stringify(e.qnameLower)}`);
    if (e.qname !== '.' && decodePresentation(e.qname).length !== e.qnameBytes) problems.push(`qnameBytes ${e.qnameBytes} for ${JSON.stringify(e.qname)}`);
    if (!Number.isFinite(e.time)) problems.push('time is not finite');
    if (!(e.clientPort === -1 || (e.clientPort >= 0 && e.clientPort <= 65535))) problems.push(`port ${e.clientPort}`);
    if (e.clientIp.length === 0 || e.clientIp.includes(' ')) problems.push(`client ${JSON.stringify(e.clientIp)}`);
    if (e.qtype.length === 0 || e.qtype.includes(' ')) problems.push(`qtype ${JSON.stringify(e.qtype)}`);
    for (let i = 0; i < e.qname.length; i++) {
      const c = e.qname.charCodeAt(i);
      if (c <= 0x20 || c > 0x7e) {
        problems.push(`raw byte ${c} in qname ${JSON.stringify(e.qname)}`);
        break;
      }
    }
    return problems;
  }

  for (const subject of SUBJECTS) {
    test(`${subject.name}: 10,000 random mutations of real lines never throw; events keep their invariants; locate agrees`, () => {
      // Most mutations start from a line that is an event, so that both outcomes are common.
      const corpus = subject.files.flatMap((f) => fixtureLines(f)).filter((l) => l.length < 2000);
      const eventLines = corpus.filter((l) => isEvent(subject.make().parse(l, 'corpus', 1, 0)));
      const random = seededRandom(subject.name.length * 0x9e3779b1);
      const parser = subject.make();
      let events = 0;
      let rejections = 0;
      const violations: string[] = [];
      for (let i = 0; i < 10_000; i++) {
        const from = random() < 0.85 ? eventLines : corpus;
        const line = mutate(from[randomInt(random, from.length)]!, random);
        let result: Result;
        try {
          result = parser.parse(line, 'fuzz', i + 1, 0);
          if (i % 10 === 0) checkAgreement(subject, line, `mutation ${i} ${JSON.stringify(line)}`);
        } catch (error) {
          if (error instanceof assert.AssertionError) throw error;
          assert.fail(`mutation ${i} threw ${(error as Error).message} on ${JSON.stringify(line)}`);
        }
        if (result instanceof Rejection) {
          rejections++;
          assert.ok(result.reason.length > 0);
          continue;
        }
        assert.ok(isEvent(result));
        events++;
        for (const p of invariantProblems(result)) if (violations.length < 10) violations.push(`${p}\n      line: ${JSON.stringify(line)}`);
      }
      assert.equal(violations.length, 0, `invariant violations (first 10):\n${violations.join('\n')}`);
      assert.ok(events > 1000, `events: ${events}`);
      assert.ok(rejections > 1000, `rejections: ${rejections}`);
    });

    test(`${subject.name}: the unmutated corpus satisfies the invariants`, () => {
      const parser = subject.make();
      for (const file of subject.files) {
        for (const line of fixtureLines(file)) {
          const x = parser.parse(line, file, 1, 0);
          if (isEvent(x)) assert.deepEqual(invariantProblems(x), [], line);
        }
      }
    });
  }
});
