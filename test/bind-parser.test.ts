/**
 * BindQueryParser on the real fixtures in test/fixtures/bind/ (see its README
 * for which file was written by named and which by hand), on hostile input,
 * and under 20,000 seeded random mutations.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DnsEvent } from '../src/event.js';
import { BindQueryParser, type BindParserOptions } from '../src/parsers/bind.js';
import { Rejection } from '../src/parsers/parser.js';
import { decodePresentation } from '../src/parsers/presentation-name.js';
import { asciiLower, fixtureLines, mutateLine, randomInt, seededRandom } from './helpers.js';

const BIND = 'bind/';
const CAPTURED = [
  'named-9.18-plain.log',
  'named-9.18-category-severity.log',
  'named-9.18-iso8601-utc.log',
  'named-9.18-iso8601-local.log',
  'named-9.18-mixed-categories.log',
];

type Result = DnsEvent | Rejection;

function parseFile(file: string, options: BindParserOptions = {}): Result[] {
  const parser = new BindQueryParser(options);
  return fixtureLines(BIND + file).map((line, i) => parser.parse(line, file, i + 1, 0));
}

function isEvent(r: Result | undefined): r is DnsEvent {
  return r !== undefined && !(r instanceof Rejection);
}

function eventAt(results: Result[], lineNo: number, what: string): DnsEvent {
  const r = results[lineNo - 1];
  assert.ok(isEvent(r), `line ${lineNo} (${what}) should parse, got ${r instanceof Rejection ? r.reason : 'nothing'}`);
  return r;
}

function rejectionAt(results: Result[], lineNo: number): Rejection {
  const r = results[lineNo - 1];
  assert.ok(r instanceof Rejection, `line ${lineNo} should be rejected, got an event for ${isEvent(r) ? JSON.stringify(r.qname) : '?'}`);
  return r;
}

/** Every field but the position, to compare the same query logged through two channels. */
function withoutPosition(e: DnsEvent): Omit<DnsEvent, 'position'> {
  const { position: _position, ...rest } = e;
  return rest;
}

const utc = (y: number, mo: number, d: number, h: number, mi: number, s: number, ms = 0): number => Date.UTC(y, mo - 1, d, h, mi, s, ms);
const KOLKATA_OFFSET_MS = (5 * 60 + 30) * 60_000;

describe('captured named 9.18 logs', () => {
  test('every line containing ": query: " becomes an event, and nothing else does', () => {
    for (const file of CAPTURED) {
      const lines = fixtureLines(BIND + file);
      const parser = new BindQueryParser({ timeZone: file.includes('local') || file.includes('mixed') ? 'Asia/Kolkata' : 'UTC' });
      let queryLines = 0;
      let events = 0;
      lines.forEach((line, i) => {
        const r = parser.parse(line, file, i + 1, 0);
        if (line.includes(': query: ')) {
          queryLines++;
          assert.ok(isEvent(r), `${file}:${i + 1} is a query line but was rejected (${r instanceof Rejection ? r.reason : ''})`);
        } else {
          assert.ok(r instanceof Rejection && r.reason === 'not_query' && r.skip, `${file}:${i + 1} is not a query line and must be a not_query skip`);
        }
        if (isEvent(r)) {
          events++;
          assert.equal(r.position.line, i + 1);
          assert.equal(r.position.source, file);
        }
      });
      assert.equal(events, queryLines, file);
      assert.ok(queryLines > 0, `${file} has query lines`);
    }
    // The README's line counts, as a check that the fixtures are what the tests think they are.
    assert.equal(fixtureLines(BIND + 'named-9.18-plain.log').length, 71);
    assert.equal(fixtureLines(BIND + 'named-9.18-iso8601-utc.log').length, 20);
    assert.equal(fixtureLines(BIND + 'named-9.18-mixed-categories.log').filter((l) => l.includes(': query: ')).length, 20);
  });

  test('plain file: clients, ports, types, classes, flags, servers', () => {
    const r = parseFile('named-9.18-plain.log');
    const first = eventAt(r, 1, 'www A');
    assert.equal(first.time, utc(2026, 11, 23, 13, 45, 41, 531));
    assert.equal(first.clientIp, '127.0.0.1');
    assert.equal(first.clientPort, 57230);
    assert.equal(first.qname, 'www.example.com');
    assert.equal(first.qclass, 'IN');
    assert.equal(first.qtype, 'A');
    assert.equal(first.flags, '+E(0)K');
    assert.equal(first.serverIp, '127.0.0.1');
    assert.equal(first.registeredDomain, 'example.com');
    assert.equal(first.subdomain, 'www');
    assert.equal(first.subdomainBytes, 3);
    assert.equal(first.nameKind, 'normal');

    const v6 = eventAt(r, 2, 'AAAA from ::1');
    assert.equal(v6.clientIp, '::1');
    assert.equal(v6.clientPort, 51109);
    assert.equal(v6.qtype, 'AAAA');
    assert.equal(v6.serverIp, '::1');

    const anyTcp = eventAt(r, 7, 'ANY over TCP');
    assert.equal(anyTcp.qtype, 'ANY');
    assert.equal(anyTcp.flags, '+E(0)TK');
    assert.equal(anyTcp.registeredDomain, 'example.com');
    assert.equal(anyTcp.subdomain, '');

    const ptr = eventAt(r, 9, 'PTR in-addr');
    assert.equal(ptr.qtype, 'PTR');
    assert.equal(ptr.nameKind, 'reverse');
    assert.equal(ptr.registeredDomain, '3.2.1.in-addr.arpa');
    assert.equal(ptr.subdomain, '4');

    const ptr6 = eventAt(r, 10, 'PTR ip6');
    assert.equal(ptr6.nameKind, 'reverse');
    assert.equal(ptr6.registeredDomain, '0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa');
    assert.equal(ptr6.labels, 34);

    assert.equal(eventAt(r, 11, 'PTR norec').flags, '-E(0)K');
    assert.equal(eventAt(r, 12, 'TYPE1 logged as A').qtype, 'A');
    assert.equal(eventAt(r, 13, 'TYPE65399').qtype, 'TYPE65399');
    assert.equal(eventAt(r, 14, 'TYPE65534').qtype, 'TYPE65534');

    const chaos = eventAt(r, 16, 'version.bind CH TXT');
    assert.equal(chaos.qname, 'version.bind');
    assert.equal(chaos.qclass, 'CH');
    assert.equal(chaos.qtype, 'TXT');
    assert.equal(eventAt(r, 17, 'hostname.bind CH TXT').qclass, 'CH');

    assert.equal(eventAt(r, 18, 'out of zone').registeredDomain, 'example.org');
    assert.equal(eventAt(r, 19, '+noedns').flags, '+');
    assert.equal(eventAt(r, 20, '+norec').flags, '-E(0)K');
    assert.equal(eventAt(r, 21, '+norec +noedns').flags, '-');
    assert.equal(eventAt(r, 24, '+tcp +dnssec +cd').flags, '+E(0)TDCK');
    const tcpNoEdns = eventAt(r, 25, '-T');
    assert.equal(tcpNoEdns.flags, '-T');
    assert.equal(tcpNoEdns.clientIp, '::1');

    for (const [line, server] of [[27, '127.0.0.1'], [28, '::1'], [29, '127.0.0.1']] as const) {
      const ecs = eventAt(r, line, 'ECS suffix');
      assert.equal(ecs.serverIp, server, `ECS line ${line}: the destination, not the ECS subnet`);
      assert.equal(ecs.flags, '+E(0)K');
      assert.equal(ecs.qname, 'www.example.com');
    }

    const tsig = eventAt(r, 30, 'TSIG over UDP');
    assert.equal(tsig.clientIp, '127.0.0.1');
    assert.equal(tsig.clientPort, 33875);
    assert.equal(tsig.flags, '+SE(0)K');
    assert.equal(tsig.qname, 'www.example.com');
    const tsig6 = eventAt(r, 31, 'TSIG over TCP from ::1');
    assert.equal(tsig6.clientIp, '::1');
    assert.equal(tsig6.clientPort, 43289);
    assert.equal(tsig6.flags, '+SE(0)TDK');

    assert.equal(eventAt(r, 33, 'server cookie').flags, '+E(0)V');

    const mixed = eventAt(r, 34, 'mixed case');
    assert.equal(mixed.qname, 'wWw.ExAmPlE.CoM', 'qname keeps the case as logged');
    assert.equal(mixed.qnameLower, 'www.example.com');
    assert.equal(mixed.registeredDomain, 'example.com');
    assert.equal(mixed.subdomain, 'www');
    const iodineCase = eventAt(r, 36, 'mixed-case iodine');
    assert.equal(iodineCase.qtype, 'NULL');
    assert.equal(iodineCase.qnameLower, 'vaaaakatefy.t.example.net');
    assert.equal(iodineCase.registeredDomain, 'example.net');
    assert.equal(iodineCase.subdomain, 'vaaaakatefy.t');

    const dns2tcp = eventAt(r, 46, 'dns2tcp KEY');
    assert.equal(dns2tcp.qtype, 'KEY');
    assert.equal(dns2tcp.qname, 'AAAAAJ6KAA.=auth.t.example.net');
    assert.equal(dns2tcp.subdomain, 'aaaaaj6kaa.=auth.t');
    assert.equal(dns2tcp.subdomainBytes, 18);

    const root = eventAt(r, 70, 'root NS');
    assert.equal(root.qname, '.');
    assert.equal(root.qtype, 'NS');
    assert.equal(root.nameKind, 'root');
    assert.equal(root.registeredDomain, '.');
    assert.equal(root.qnameBytes, 0);
    assert.equal(root.labels, 0);
    const rootSoa = eventAt(r, 71, 'root SOA');
    assert.equal(rootSoa.qtype, 'SOA');
    assert.equal(rootSoa.flags, '-');
  });

  test('the category/severity channel gives exactly the events of the plain channel', () => {
    const plain = parseFile('named-9.18-plain.log');
    const catSev = parseFile('named-9.18-category-severity.log');
    assert.equal(catSev.length, plain.length);
    for (let i = 0; i < plain.length; i++) {
      const a = plain[i];
      const b = catSev[i];
      assert.ok(isEvent(a) && isEvent(b), `line ${i + 1}`);
      assert.deepEqual(withoutPosition(b), withoutPosition(a), `line ${i + 1}`);
    }
  });

  test('escaped names: \\DDD and \\X count one byte each', () => {
    const r = parseFile('named-9.18-plain.log');
    // Each expectation computed by hand: label bytes after un-escaping, + 1 per dot.
    const cases: Array<{ line: number; qname: string; qnameBytes: number; labels: number; longestLabel: number; subdomain: string; subdomainBytes: number }> = [
      // `a.b` (3) . t (1) . example (7) . net (3) = 3+1+1+1+7+1+3
      { line: 54, qname: 'a\\.b.t.example.net', qnameBytes: 17, labels: 4, longestLabel: 7, subdomain: 'a\\.b.t', subdomainBytes: 5 },
      // a l l . \ " ( ) ; @ $ SP TAB DEL = 14 bytes
      { line: 62, qname: 'all\\.\\\\\\"\\(\\)\\;\\@\\$\\032\\009\\127.t.example.net', qnameBytes: 28, labels: 4, longestLabel: 14, subdomain: 'all\\.\\\\\\"\\(\\)\\;\\@\\$\\032\\009\\127.t', subdomainBytes: 16 },
      // u n i + 5 UTF-8 bytes = 8
      { line: 64, qname: 'uni\\195\\169\\226\\130\\172.t.example.net', qnameBytes: 22, labels: 4, longestLabel: 8, subdomain: 'uni\\195\\169\\226\\130\\172.t', subdomainBytes: 10 },
      { line: 65, qname: '\\000.t.example.net', qnameBytes: 15, labels: 4, longestLabel: 7, subdomain: '\\000.t', subdomainBytes: 3 },
      { line: 55, qname: 'back\\\\slash.t.example.net', qnameBytes: 24, labels: 4, longestLabel: 10, subdomain: 'back\\\\slash.t', subdomainBytes: 12 },
      { line: 61, qname: 'spa\\032ce.t.example.net', qnameBytes: 20, labels: 4, longestLabel: 7, subdomain: 'spa\\032ce.t', subdomainBytes: 8 },
    ];
    for (const c of cases) {
      const e = eventAt(r, c.line, c.qname);
      assert.equal(e.qname, c.qname, `line ${c.line}`);
      assert.equal(e.qnameBytes, c.qnameBytes, `qnameBytes of ${c.qname}`);
      assert.equal(e.labels, c.labels, `labels of ${c.qname}`);
      assert.equal(e.longestLabel, c.longestLabel, `longestLabel of ${c.qname}`);
      assert.equal(e.subdomain, c.subdomain, `subdomain of ${c.qname}`);
      assert.equal(e.subdomainBytes, c.subdomainBytes, `subdomainBytes of ${c.qname}`);
      assert.equal(e.registeredDomain, 'example.net');
      assert.equal(e.nameKind, 'normal');
    }
    // The byte-range labels: \000-\031 (32 bytes), \127-\159 (33), \160-\191 (32), \192-\223 (32), \224-\255 (32).
    for (const [line, labelBytes] of [[49, 32], [50, 33], [51, 32], [52, 32], [53, 32]] as const) {
      const e = eventAt(r, line, 'byte-range label');
      assert.equal(e.longestLabel, labelBytes, `line ${line}`);
      assert.equal(e.qnameBytes, labelBytes + 14, `line ${line}: + ".t.example.net"`);
      assert.equal(e.subdomainBytes, labelBytes + 2, `line ${line}`);
      assert.equal(e.registeredDomain, 'example.net');
    }
    // lbaab + 27 escaped bytes (190, 191, 205, 230-253)
    assert.equal(eventAt(r, 41, 'iodine raw').longestLabel, 32);
    // 63-byte label: the longest allowed, still a normal name.
    const long = eventAt(r, 67, '63-byte label');
    assert.equal(long.longestLabel, 63);
    assert.equal(long.qnameBytes, 63 + 14);
    assert.equal(long.nameKind, 'normal');
    // 253 bytes: the longest allowed name.
    for (const line of [68, 69]) {
      const e = eventAt(r, line, '253-byte name');
      assert.equal(e.qnameBytes, 253);
      assert.equal(e.labels, 7);
      assert.equal(e.nameKind, 'normal');
      assert.equal(e.registeredDomain, 'example.net');
    }
    assert.equal(eventAt(r, 66, 'wildcard').subdomain, '*.t');
    assert.equal(eventAt(r, 63, 'punctuation').longestLabel, 29);
  });

  test('an escaped upper-case letter (\\A) is lower-cased in qnameLower like any other ASCII letter', () => {
    const parser = new BindQueryParser();
    const line = '23-Nov-2026 13:45:41.531 client @0x7ff9abb02098 127.0.0.1#57230 (x\\A.evil.com): query: x\\A.evil.com IN A +E(0)K (127.0.0.1)';
    const e = parser.parse(line, 't', 1, 0);
    assert.ok(isEvent(e));
    assert.equal(e.qnameLower, 'x\\a.evil.com', 'the grouping key must not depend on the case of an escaped letter');
    assert.equal(e.subdomain, 'x\\a');
    assert.equal(e.registeredDomain, 'evil.com');
  });

  test('ISO 8601 UTC stamps, views, AXFR/IXFR, TSIG', () => {
    const r = parseFile('named-9.18-iso8601-utc.log');
    const first = eventAt(r, 1, 'first');
    assert.equal(first.time, utc(2026, 11, 23, 13, 45, 43, 711));
    assert.equal(first.qname, 'www.example.com');
    assert.equal(first.clientIp, '127.0.0.1');
    assert.equal(first.clientPort, 40539);
    const viewV6 = eventAt(r, 2, 'view everyone-else');
    assert.equal(viewV6.clientIp, '::1');
    assert.equal(viewV6.qtype, 'AAAA');
    assert.equal(eventAt(r, 3, 'view, bare +').flags, '+');
    assert.equal(eventAt(r, 7, 'TYPE65399').qtype, 'TYPE65399');
    assert.equal(eventAt(r, 8, 'built-in _bind view, no view prefix').qclass, 'CH');
    assert.equal(eventAt(r, 9, 'iodine').qtype, 'NULL');
    assert.equal(eventAt(r, 10, 'dns2tcp').qtype, 'KEY');
    const ecs = eventAt(r, 14, 'ECS');
    assert.equal(ecs.flags, '+E(0)DCK');
    assert.equal(ecs.serverIp, '127.0.0.1');
    const tsig = eventAt(r, 15, 'TSIG');
    assert.equal(tsig.clientPort, 47569);
    assert.equal(tsig.flags, '+SE(0)K');
    const axfr = eventAt(r, 19, 'AXFR');
    assert.equal(axfr.qtype, 'AXFR');
    assert.equal(axfr.flags, '-E(0)TK');
    assert.equal(axfr.time, utc(2026, 11, 23, 13, 45, 44, 51));
    assert.equal(eventAt(r, 20, 'IXFR').qtype, 'IXFR');
  });

  test('local ISO 8601 and BIND stamps written under TZ=Asia/Kolkata give the same instants as the UTC file', () => {
    const utcEvents = parseFile('named-9.18-iso8601-utc.log').filter(isEvent);
    const local = parseFile('named-9.18-iso8601-local.log', { timeZone: 'Asia/Kolkata' }).filter(isEvent);
    const mixed = parseFile('named-9.18-mixed-categories.log', { timeZone: 'Asia/Kolkata' }).filter(isEvent);
    const localAsUtc = parseFile('named-9.18-iso8601-local.log').filter(isEvent);
    assert.equal(utcEvents.length, 20);
    assert.equal(local.length, 20);
    assert.equal(mixed.length, 20);
    for (let i = 0; i < 20; i++) {
      const u = utcEvents[i]!;
      assert.equal(local[i]!.time, u.time, `iso8601 local line ${i + 1}`);
      assert.equal(mixed[i]!.time, u.time, `mixed-categories query ${i + 1}`);
      assert.deepEqual({ ...withoutPosition(local[i]!) }, { ...withoutPosition(u) }, `same query ${i + 1}`);
      // Read without the zone, the local stamps are 5:30 h "late": the zone is really applied.
      assert.equal(localAsUtc[i]!.time - u.time, KOLKATA_OFFSET_MS);
    }
  });
});

describe('classic-and-syslog.log (hand-written shapes)', () => {
  const r = parseFile('classic-and-syslog.log', { syslogYear: 2026 });

  test('has the 29 lines the README describes', () => {
    assert.equal(r.length, 29);
  });

  test('classic pre-9.9 and 9.9-era forms', () => {
    const l1 = eventAt(r, 1, 'classic');
    assert.equal(l1.time, utc(2013, 4, 30, 13, 35, 2, 187));
    assert.equal(l1.clientIp, '10.120.20.32');
    assert.equal(l1.clientPort, 42386);
    assert.equal(l1.qname, 'foo.com');
    assert.equal(l1.qtype, 'A');
    assert.equal(l1.flags, '+');
    assert.equal(l1.serverIp, '100.90.80.102');
    const l2 = eventAt(r, 2, 'classic IPv6');
    assert.equal(l2.clientIp, '2001:db8:85a3::8a2e:370:7334');
    assert.equal(l2.clientPort, 42387);
    assert.equal(l2.flags, '+ED');
    assert.equal(l2.serverIp, '2001:db8::53');
    const l3 = eventAt(r, 3, 'classic with category');
    assert.equal(l3.flags, '-EDC');
    assert.equal(l3.qtype, 'NULL');
    assert.equal(l3.registeredDomain, 'example.net');
    const l4 = eventAt(r, 4, 'classic with view');
    assert.equal(l4.qname, 'example.org');
    assert.equal(l4.qtype, 'NS');
    assert.equal(l4.clientPort, 42389);
    const l5 = eventAt(r, 5, 'IPv4-mapped');
    assert.equal(l5.clientIp, '::ffff:10.120.20.33');
    assert.equal(l5.flags, '+T');
    assert.equal(l5.serverIp, '::ffff:100.90.80.102');
    assert.equal(l5.registeredDomain, 'foo.com');
    const l6 = eventAt(r, 6, '9.9 style');
    assert.equal(l6.time, utc(2016, 1, 12, 8, 1, 2, 345));
    assert.equal(l6.flags, '+');
    assert.equal(l6.clientIp, '192.168.1.10');
    assert.equal(eventAt(r, 7, '9.9 +E').flags, '+E');
    const l8 = eventAt(r, 8, 'link-local with zone index');
    assert.equal(l8.clientIp, 'fe80::1%2');
    assert.equal(l8.clientPort, 5353);
    assert.equal(l8.serverIp, 'fe80::53%2');
    const l9 = eventAt(r, 9, '9.11 @0x');
    assert.equal(l9.time, utc(2018, 2, 20, 10, 11, 12, 131));
    assert.equal(l9.clientIp, '10.0.0.7');
    assert.equal(l9.clientPort, 53211);
    assert.equal(l9.flags, '+E(0)K');
    assert.equal(eventAt(r, 10, '9.11 with view').clientPort, 53212);
  });

  test('RFC 3164 headers use the configured syslog year; BIND\'s own timestamp wins when present', () => {
    const l11 = eventAt(r, 11, 'RFC 3164');
    assert.equal(l11.time, utc(2026, 11, 22, 23, 40, 10));
    assert.equal(l11.clientIp, '10.0.0.1');
    assert.equal(l11.qname, 'a.example.com');
    assert.equal(l11.flags, '+E(0)');
    const l12 = eventAt(r, 12, 'RFC 3164 space-padded day');
    assert.equal(l12.time, utc(2026, 11, 2, 3, 4, 5));
    assert.equal(l12.clientIp, '2001:db8::1234');
    assert.equal(l12.clientPort, 40000);
    assert.equal(eventAt(r, 13, 'RFC 3164 + category').time, utc(2026, 11, 22, 23, 40, 11));
    const l14 = eventAt(r, 14, 'RFC 3164 escaped');
    assert.equal(l14.qnameBytes, 19); // 5 escaped bytes + ".t.example.net"
    assert.equal(l14.subdomainBytes, 7);
    assert.equal(l14.registeredDomain, 'example.net');
    assert.equal(eventAt(r, 15, '<PRI>').time, utc(2026, 11, 22, 23, 40, 12));
    assert.equal(eventAt(r, 16, 'syslog + BIND time').time, utc(2026, 11, 22, 23, 40, 12, 345));
    const l17 = eventAt(r, 17, 'syslog + BIND time + category');
    assert.equal(l17.time, utc(2026, 11, 22, 23, 40, 12, 346));
    assert.equal(l17.qtype, 'AAAA');

    const other = parseFile('classic-and-syslog.log', { syslogYear: 2025 });
    assert.equal(eventAt(other, 11, 'RFC 3164, year 2025').time, utc(2025, 11, 22, 23, 40, 10));
    // BIND's own stamp carries its year: the syslog year does not apply to it.
    assert.equal(eventAt(other, 16, 'BIND time').time, utc(2026, 11, 22, 23, 40, 12, 345));
    // A zone applies to stamps without offset only.
    const kolkata = parseFile('classic-and-syslog.log', { syslogYear: 2026, timeZone: 'Asia/Kolkata' });
    assert.equal(eventAt(kolkata, 11, 'RFC 3164 in Kolkata').time, utc(2026, 11, 22, 23, 40, 10) - KOLKATA_OFFSET_MS);
    assert.equal(eventAt(kolkata, 18, 'explicit +00:00').time, utc(2026, 11, 22, 23, 40, 13, 123));
  });

  test('ISO 8601 syslog stamps and RFC 5424', () => {
    assert.equal(eventAt(r, 18, 'rsyslog high precision').time, utc(2026, 11, 22, 23, 40, 13, 123));
    assert.equal(eventAt(r, 19, '+0000').time, utc(2026, 11, 22, 23, 40, 13));
    assert.equal(eventAt(r, 19, '+0000').qtype, 'MX');
    assert.equal(eventAt(r, 20, 'RFC 5424').time, utc(2026, 11, 22, 23, 40, 14, 123));
    const l21 = eventAt(r, 21, 'RFC 5424 with SD');
    assert.equal(l21.time, utc(2026, 11, 22, 23, 40, 14, 500));
    assert.equal(l21.clientIp, '2001:db8::6');
    assert.equal(l21.clientPort, 5360);
  });

  test('RFC 5424 with BIND\'s own timestamp inside MSG: BIND\'s (milliseconds) wins', () => {
    const l22 = eventAt(r, 22, 'RFC 5424 nil fields + BIND time');
    assert.equal(l22.qname, 'h.example.com');
    assert.equal(l22.qtype, 'NULL');
    assert.equal(new Date(l22.time).toISOString(), '2026-11-22T23:40:14.777Z');
  });

  test('Infoblox lines', () => {
    const l23 = eventAt(r, 23, 'facility + bare severity');
    assert.equal(l23.time, utc(2026, 11, 22, 23, 40, 10));
    assert.equal(l23.clientIp, '10.1.2.3');
    assert.equal(l23.clientPort, 51234);
    assert.equal(l23.flags, '+');
    assert.equal(l23.serverIp, '10.9.9.9');
    const l24 = eventAt(r, 24, 'NIOS queries');
    assert.equal(l24.time, utc(2026, 11, 22, 23, 40, 15));
    assert.equal(l24.clientIp, '192.168.0.10');
    assert.equal(l24.qname, 'ocsp.example.com');
    assert.equal(l24.serverIp, '192.168.1.10');
    const l25 = eventAt(r, 25, 'NIOS with node IP and view 3');
    assert.equal(l25.clientIp, '192.168.0.11');
    assert.equal(l25.qtype, 'TXT');
    assert.equal(l25.registeredDomain, 'example.net');
    assert.equal(l25.subdomain, 'dnscat.4a1b0100b3a0de1e.t');
    const l26 = rejectionAt(r, 26);
    assert.equal(l26.reason, 'not_query');
    assert.equal(l26.skip, true);
  });

  test('Infoblox response lines: skipped, or the query they record with BIND\'s own millisecond timestamp', () => {
    const expected = [
      { line: 27, clientIp: '192.168.0.12', clientPort: 57738, qname: 'www.example.com', qtype: 'A', ms: 46 },
      { line: 28, clientIp: '2001:db8::12', clientPort: 57739, qname: 'nx.example.com', qtype: 'AAAA', ms: 47 },
      { line: 29, clientIp: '192.168.0.12', clientPort: 57740, qname: 'blocked.example.com', qtype: 'A', ms: 48 },
    ];
    for (const x of expected) {
      const res = r[x.line - 1];
      if (res instanceof Rejection) {
        assert.equal(res.reason, 'not_query', `line ${x.line}`);
        assert.equal(res.skip, true);
        continue;
      }
      assert.ok(isEvent(res));
      assert.equal(res.clientIp, x.clientIp);
      assert.equal(res.clientPort, x.clientPort);
      assert.equal(res.qname, x.qname);
      assert.equal(res.qclass, 'IN');
      assert.equal(res.qtype, x.qtype);
      assert.equal(res.serverIp, '', 'a response line names no destination');
      assert.equal(new Date(res.time).toISOString(), new Date(utc(2026, 11, 22, 23, 40, 17, x.ms)).toISOString(), `line ${x.line}: the BIND stamp after "infoblox-responses: "`);
    }
  });
});

describe('hostile.log', () => {
  const lines = fixtureLines(BIND + 'hostile.log');
  const r = lines.map((line, i) => new BindQueryParser().parse(line, 'hostile.log', i + 1, 0));

  const reject = (lineNo: number, reason: string, skip = false): void => {
    const x = rejectionAt(r, lineNo);
    assert.equal(x.reason, reason, `line ${lineNo}`);
    assert.equal(x.skip, skip, `line ${lineNo}: skip`);
  };
  const quarantined = (lineNo: number): Rejection => {
    const x = rejectionAt(r, lineNo);
    assert.equal(x.skip, false, `line ${lineNo} is malformed, not a valid non-query line: quarantine it (got ${x.reason})`);
    return x;
  };

  test('has the 40 lines of the README, the last without newline', () => {
    assert.equal(lines.length, 40);
    assert.ok(lines[39]!.endsWith('(127.0.0.1)'));
  });

  test('no line throws, every result is an event or a Rejection', () => {
    const parser = new BindQueryParser();
    lines.forEach((line, i) => {
      const x = parser.parse(line, 'hostile.log', i + 1, 0);
      assert.ok(x instanceof Rejection || typeof x.time === 'number');
    });
  });

  test('a queries-category line cut mid-name is malformed (truncated), not "another category"', () => {
    reject(1, 'truncated'); // `… client @0x… 127.0.0.1#48805 (www.exam`
  });

  test('other lines cut short', () => {
    // 2: a timestamp and nothing else.
    const two = rejectionAt(r, 2);
    assert.ok(['not_query', 'truncated'].includes(two.reason), `line 2: ${two.reason}`);
    // 6: ends with `query: abc\`.
    reject(6, 'truncated');
  });

  test('too long, bad escapes, bad timestamps, bad clients', () => {
    reject(3, 'too_long');
    reject(4, 'bad_name_escape');
    reject(5, 'bad_name_escape');
    reject(39, 'bad_name_escape');
    reject(7, 'bad_timestamp');
    reject(8, 'bad_timestamp');
    reject(9, 'bad_client');
    reject(10, 'bad_client');
    reject(12, 'bad_client');
    reject(38, 'bad_client');
  });

  test('an impossible IPv4 client address (999.1.1.1) is a bad client', () => {
    reject(11, 'bad_client');
  });

  test('other categories and non-query messages are skipped as not_query', () => {
    for (const lineNo of [13, 14, 15, 16, 17, 18, 19, 20]) reject(lineNo, 'not_query', true);
  });

  test('raw bytes in names', () => {
    reject(21, 'bad_name_raw_byte'); // NUL
    reject(22, 'bad_name_raw_byte'); // 0x80…0xff
    reject(30, 'bad_name_raw_byte'); // raw UTF-8
    reject(31, 'bad_name_raw_byte'); // ESC
  });

  test('empty and whitespace-only lines are skips', () => {
    reject(24, 'empty', true);
    const ws = rejectionAt(r, 37);
    assert.equal(ws.skip, true);
    assert.ok(['empty', 'not_query'].includes(ws.reason), `line 37: ${ws.reason}`);
  });

  test('valid lines among the hostile ones parse: CRLF, BIND-escaped JSON payload, trailing blanks, no final newline', () => {
    const crlf = eventAt(r, 23, 'CRLF');
    assert.equal(crlf.qname, 'crlf.example.com');
    assert.equal(crlf.serverIp, '127.0.0.1');
    assert.equal(crlf.flags, '+E(0)K');
    const json = eventAt(r, 26, 'escaped JSON payload');
    assert.equal(json.qname, 'json\\"},{\\"x\\":1}.t.example.net');
    assert.equal(json.registeredDomain, 'example.net');
    // j s o n " } , { " x " : 1 } = 14 bytes, + ".t"
    assert.equal(json.subdomainBytes, 16);
    assert.equal(json.longestLabel, 14);
    const trailing = eventAt(r, 36, 'trailing blanks');
    assert.equal(trailing.serverIp, '127.0.0.1');
    assert.equal(trailing.qtype, 'A');
    const last = eventAt(r, 40, 'no newline at EOF');
    assert.equal(last.qname, 'trailing.newline.missing.example.com');
    assert.equal(last.registeredDomain, 'example.com');
    assert.equal(last.subdomain, 'trailing.newline.missing');
  });

  test('a raw JSON-breaking payload is either rejected or kept verbatim (JSON-safe)', () => {
    const x = r[24];
    if (x instanceof Rejection) {
      assert.equal(x.reason, 'bad_name_raw_byte');
      assert.equal(x.skip, false);
    } else {
      assert.ok(isEvent(x));
      assert.equal(x.qname, 'json"},{"x":1}.t.example.net');
      assert.equal(x.registeredDomain, 'example.net');
      assert.equal((JSON.parse(JSON.stringify({ q: x.qname })) as { q: string }).q, x.qname);
    }
  });

  test('a raw space inside the name is malformed, not the name "a" with class "b.example.com"', () => {
    quarantined(27); // `a b.example.com IN A`
  });

  test('a name containing " IN A " cannot smuggle a different name and type', () => {
    quarantined(28); // `x IN A y.example.com IN TXT`: naively the name `x` with type A
  });

  test('a name in (…) that differs from the query name: rejected, or the query name is used', () => {
    const x = r[28];
    if (x instanceof Rejection) assert.equal(x.skip, false);
    else {
      assert.ok(isEvent(x));
      assert.equal(x.qname, 'www.example.com');
    }
  });

  test('TYPE99999 (outside the 16-bit type space: BIND cannot have written it) is malformed', () => {
    quarantined(32);
  });

  test('a missing class is malformed, not class "A" with type "+E(0)K"', () => {
    quarantined(33); // `www.example.com A +E(0)K (127.0.0.1)`
  });

  test('missing flags and destination, or garbage flags: rejected, or kept as logged', () => {
    const noFlags = r[33];
    if (noFlags instanceof Rejection) assert.equal(noFlags.reason, 'truncated');
    else {
      assert.ok(isEvent(noFlags));
      assert.equal(noFlags.qclass, 'IN');
      assert.equal(noFlags.qtype, 'A');
      assert.equal(noFlags.flags, '');
      assert.equal(noFlags.serverIp, '');
    }
    const garbage = r[34];
    if (garbage instanceof Rejection) assert.equal(garbage.skip, false);
    else {
      assert.ok(isEvent(garbage));
      assert.equal(garbage.flags, '+E(x)QZ');
      assert.equal(garbage.qtype, 'A');
      assert.equal(garbage.serverIp, '127.0.0.1');
    }
  });
});

describe('seeded fuzz', () => {
  const SOURCE_FILES = [...CAPTURED, 'classic-and-syslog.log', 'hostile.log'];
  const corpus = SOURCE_FILES.flatMap((f) => fixtureLines(BIND + f)).filter((l) => l.length < 2000);
  const INSERTS = ['\\', '#', '(', ')', ':', ' ', '.', '@', '\\0', '\\25', ': query: ', 'client '];

  const mutate = (line: string, random: () => number): string => mutateLine(line, random, INSERTS, 4);

  function invariantProblems(e: DnsEvent): string[] {
    const problems: string[] = [];
    if (e.qnameLower !== asciiLower(e.qname)) problems.push(`qnameLower ${JSON.stringify(e.qnameLower)} is not the ASCII lower case of ${JSON.stringify(e.qname)}`);
    if (!e.qnameLower.endsWith(e.registeredDomain)) problems.push(`registeredDomain ${JSON.stringify(e.registeredDomain)} is not a suffix of ${JSON.stringify(e.qnameLower)}`);
    if (e.subdomain !== '' && `${e.subdomain}.${e.registeredDomain}` !== e.qnameLower) problems.push(`subdomain + registeredDomain != qnameLower for ${JSON.stringify(e.qnameLower)}`);
    if (e.subdomain === '' && e.subdomainBytes !== 0) problems.push('subdomainBytes without subdomain');
    if (e.qname !== '.' && decodePresentation(e.qname).length !== e.qnameBytes) problems.push(`qnameBytes ${e.qnameBytes} for ${JSON.stringify(e.qname)}`);
    if (!Number.isFinite(e.time)) problems.push('time is not finite');
    if (!(e.clientPort >= 0 && e.clientPort <= 65535)) problems.push(`port ${e.clientPort}`);
    if (e.clientIp.length === 0) problems.push('empty client');
    return problems;
  }

  test('20,000 random mutations of real lines: never a throw, always an event or a Rejection, events keep their invariants', () => {
    const random = seededRandom(0x7e57_b1d);
    const parser = new BindQueryParser({ syslogYear: 2026 });
    let events = 0;
    let rejections = 0;
    const violations: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const original = corpus[randomInt(random, corpus.length)]!;
      const line = mutate(original, random);
      let result: Result;
      try {
        result = parser.parse(line, 'fuzz', i + 1, 0);
      } catch (error) {
        assert.fail(`mutation ${i} threw ${(error as Error).message} on ${JSON.stringify(line)}`);
      }
      if (result instanceof Rejection) {
        rejections++;
        assert.equal(typeof result.reason, 'string');
        assert.ok(result.reason.length > 0);
        continue;
      }
      assert.ok(isEvent(result), `mutation ${i} returned neither an event nor a Rejection`);
      events++;
      for (const p of invariantProblems(result)) if (violations.length < 10) violations.push(`${p}\n      line: ${JSON.stringify(line)}`);
    }
    assert.equal(violations.length, 0, `invariant violations (first 10):\n${violations.join('\n')}`);
    // The mutations must exercise both outcomes, or the test proves nothing.
    assert.ok(events > 1000, `events: ${events}`);
    assert.ok(rejections > 1000, `rejections: ${rejections}`);
  });

  test('the unmutated corpus satisfies the invariants too', () => {
    const parser = new BindQueryParser({ syslogYear: 2026 });
    for (const line of corpus) {
      const x = parser.parse(line, 'corpus', 1, 0);
      if (isEvent(x)) assert.deepEqual(invariantProblems(x), [], line);
    }
  });
});
