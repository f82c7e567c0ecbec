/**
 * SuricataEveParser on real eve.json DNS records written by Suricata 7.0.10 from Zeek's DNS test
 * traces (test/fixtures/suricata/, see its README), on hostile input built here, and under seeded
 * random mutations.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DnsEvent } from '../src/event.js';
import { MAX_LINE_CHARS, Rejection } from '../src/parsers/parser.js';
import { SuricataEveParser, sniffSuricata } from '../src/parsers/suricata.js';
import { fixtureLines, randomInt, seededRandom } from './helpers.js';

type Result = DnsEvent | Rejection;

const V2 = 'suricata/eve-dns-v2.json';
const DETAILED = 'suricata/eve-dns-v2-detailed.json';
const MIXED = 'suricata/eve-mixed.json';

function isEvent(r: Result): r is DnsEvent {
  return !(r instanceof Rejection);
}

function reasonOf(r: Result): string {
  return r instanceof Rejection ? r.reason : `event ${r.qname}`;
}

interface Eve {
  timestamp: string;
  src_ip: string;
  src_port: number;
  dest_ip: string;
  dest_port: number;
  proto: string;
  dns: { type: string; rrname?: string; rrtype?: string; rcode?: string; answers?: unknown[]; grouped?: Record<string, unknown[]>; flags?: string };
}

/** The expected presentation name of a fixture rrname (the fixtures' names are all plain). */
function expectedName(rrname: string): string {
  assert.match(rrname, /^[A-Za-z0-9._-]*$/, 'fixture names are plain');
  return rrname === '' ? '.' : rrname;
}

function expectedType(rrtype: string): string {
  return /^\d+$/.test(rrtype) ? `TYPE${rrtype}` : rrtype;
}

describe('SuricataEveParser on real Suricata 7 records', () => {
  for (const file of [V2, DETAILED]) {
    test(`${file}: every query record is an event with the right name, type, client and time`, () => {
      const lines = fixtureLines(file);
      assert.ok(lines.length > 40 && lines.length <= 300);
      const parser = new SuricataEveParser();
      let queries = 0;
      let answers = 0;
      let tcp = 0;
      lines.forEach((line, i) => {
        const eve = JSON.parse(line) as Eve;
        const r = parser.parse(line, 'eve', i + 1, 0);
        if (eve.dns.type === 'answer') {
          answers++;
          assert.ok(r instanceof Rejection && r.reason === 'answer' && r.skip, `line ${i + 1}: ${reasonOf(r)}`);
          assert.equal(parser.lastTime, Date.parse(eve.timestamp.replace(/(\d\d)(\d\d)$/, '$1:$2')), 'a skipped answer still moves time');
          return;
        }
        queries++;
        assert.ok(isEvent(r), `line ${i + 1}: ${reasonOf(r)}`);
        assert.equal(r.qname, expectedName(eve.dns.rrname!));
        assert.equal(r.qtype, expectedType(eve.dns.rrtype!));
        assert.equal(r.qclass, 'IN');
        assert.equal(r.clientIp, eve.src_ip);
        assert.equal(r.clientPort, eve.src_port);
        assert.equal(r.serverIp, eve.dest_ip);
        const isoWithColon = eve.timestamp.replace(/(\d\d)(\d\d)$/, '$1:$2');
        assert.equal(r.time, Date.parse(isoWithColon), `line ${i + 1} time`);
        assert.equal(r.flags, eve.proto === 'TCP' ? '-T' : '-');
        if (eve.proto === 'TCP') tcp++;
        assert.equal(r.rcode, undefined);
        assert.equal(r.answerCount, 0);
        assert.deepEqual(r.position, { source: 'eve', line: i + 1, offset: 0 });
      });
      assert.ok(queries >= 40, `queries ${queries}`);
      assert.ok(answers >= 35, `answers ${answers}`);
      assert.ok(tcp >= 3, `tcp ${tcp}`);
    });

    test(`${file}: with eventsFrom 'answers', answer records are events with rcode and answer count`, () => {
      const lines = fixtureLines(file);
      const parser = new SuricataEveParser({ eventsFrom: 'answers' });
      let answers = 0;
      let long = 0;
      lines.forEach((line, i) => {
        const eve = JSON.parse(line) as Eve;
        const r = parser.parse(line, 'eve', i + 1, 0);
        if (eve.dns.type === 'query') {
          assert.ok(r instanceof Rejection && r.reason === 'query' && r.skip, `line ${i + 1}: ${reasonOf(r)}`);
          return;
        }
        if (line.length > MAX_LINE_CHARS) {
          // A large RRset: quarantined in this mode (skipped as `answer` in the default one).
          assert.equal(reasonOf(r), 'too_long');
          long++;
          return;
        }
        answers++;
        assert.ok(isEvent(r), `line ${i + 1}: ${reasonOf(r)}`);
        assert.equal(r.qname, expectedName(eve.dns.rrname!));
        assert.equal(r.qtype, expectedType(eve.dns.rrtype!));
        assert.equal(r.rcode, eve.dns.rcode);
        const grouped = eve.dns.grouped === undefined ? 0 : Object.values(eve.dns.grouped).reduce((n, v) => n + v.length, 0);
        assert.equal(r.answerCount, eve.dns.answers?.length ?? grouped);
        const flags = parseInt(eve.dns.flags!, 16);
        assert.equal(r.flags.startsWith('+'), (flags & 0x100) !== 0);
        assert.equal(r.flags.includes('T'), eve.proto === 'TCP');
        assert.equal(r.flags.includes('a'), (flags & 0x400) !== 0);
        assert.equal(r.flags.includes('r'), (flags & 0x80) !== 0);
        // Suricata 7 logs answers in the flow's direction: the client stays src_ip unless the
        // record is server → client by ports.
        if (eve.src_port === 53 && eve.dest_port !== 53) assert.equal(r.clientIp, eve.dest_ip);
        else assert.equal(r.clientIp, eve.src_ip);
      });
      assert.ok(answers >= 35);
      assert.ok(long <= 1);
    });

    test(`${file}: locate agrees with parse on time and name span for every line, in both modes`, () => {
      for (const eventsFrom of ['queries', 'answers'] as const) {
        const locator = new SuricataEveParser({ eventsFrom });
        const parser = new SuricataEveParser({ eventsFrom });
        fixtureLines(file).forEach((line, i) => {
          const rejected = locator.locate(line);
          const r = parser.parse(line, 'eve', i + 1, 0);
          assert.equal(locator.lastTime, parser.lastTime, `line ${i + 1} time`);
          if (rejected !== null) {
            assert.ok(r instanceof Rejection, `line ${i + 1}`);
            assert.equal(r.reason, rejected.reason);
            return;
          }
          assert.ok(isEvent(r), `line ${i + 1}: ${reasonOf(r)}`);
          assert.equal(r.time, locator.lastTime);
          assert.equal(line.slice(locator.nameStart, locator.nameEnd), (JSON.parse(line) as Eve).dns.rrname);
          assert.equal(line.slice(locator.nameStart, locator.nameEnd), r.qname === '.' ? '' : r.qname);
        });
      }
    });
  }

  test('non-dns records are skipped as not_dns, with their time', () => {
    const lines = fixtureLines(MIXED);
    const parser = new SuricataEveParser();
    let other = 0;
    for (const line of lines) {
      const eve = JSON.parse(line) as { event_type: string; timestamp: string };
      const r = parser.parse(line, 'eve', 1, 0);
      if (eve.event_type === 'dns') continue;
      other++;
      assert.ok(r instanceof Rejection && r.reason === 'not_dns' && r.skip);
      assert.ok(Number.isFinite(parser.lastTime));
    }
    assert.ok(other >= 1);
    const stats = '{"timestamp":"2024-01-01T00:00:00.000000+0000","event_type":"stats","stats":{"uptime":1}}';
    assert.equal(reasonOf(parser.parse(stats, 'eve', 1, 0)), 'not_dns');
    assert.equal(parser.lastTime, Date.UTC(2024, 0, 1));
  });

  test('sniffSuricata', () => {
    assert.equal(sniffSuricata(fixtureLines(V2).slice(0, 3).join('\n')), true);
    assert.equal(sniffSuricata(fixtureLines(MIXED).join('\n')), true);
    assert.equal(sniffSuricata('\n' + fixtureLines(V2)[0]!.slice(0, 200)), true);
    assert.equal(sniffSuricata('{"ts":1521911720.865716,"uid":"C","id.orig_h":"10.0.0.1","query":"a.b"}'), false);
    assert.equal(sniffSuricata('#separator \\x09\n#fields\tts'), false);
    assert.equal(sniffSuricata('22-Nov-2026 23:40:10.045 queries: info: client @0x1 10.0.0.1#5353 (a.b): query: a.b IN A +E(0) (10.0.0.53)'), false);
    assert.equal(sniffSuricata(''), false);
  });
});

const BASE = {
  timestamp: '2024-05-06T07:08:09.123456+0200',
  flow_id: 1,
  event_type: 'dns',
  src_ip: '10.0.0.1',
  src_port: 40000,
  dest_ip: '10.0.0.53',
  dest_port: 53,
  proto: 'UDP',
  dns: { version: 2, type: 'query', id: 1, rrname: 'www.example.com', rrtype: 'A', tx_id: 0, opcode: 0 } as Record<string, unknown>,
};

function line(patch: Record<string, unknown> = {}, dnsPatch: Record<string, unknown> = {}): string {
  return JSON.stringify({ ...BASE, ...patch, dns: { ...BASE.dns, ...dnsPatch } });
}

function parseOne(text: string, parser = new SuricataEveParser()): Result {
  return parser.parse(text, 'h', 1, 0);
}

describe('SuricataEveParser on built records', () => {
  test('a plain query', () => {
    const r = parseOne(line());
    assert.ok(isEvent(r));
    assert.equal(r.time, Date.UTC(2024, 4, 6, 5, 8, 9, 123));
    assert.equal(r.qname, 'www.example.com');
    assert.equal(r.registeredDomain, 'example.com');
    assert.equal(r.flags, '-');
  });

  test('names: escapes, non-ASCII, root, literal specials', () => {
    const name = (rrname: unknown): Result => parseOne(line({}, { rrname }));
    assert.equal(reasonOf(name('')), 'event .');
    assert.equal(reasonOf(name('<root>')), 'event .');
    assert.equal(reasonOf(name('a\\x00b.example.com')), 'event a\\000b.example.com');
    assert.equal(reasonOf(name('a b.example.com')), 'event a\\032b.example.com');
    assert.equal(reasonOf(name('a;b.example.com')), 'event a\\;b.example.com');
    // Lines are decoded latin1: UTF-8 'é' arrives as two characters, a lone byte as one.
    assert.equal(reasonOf(name('\u00c3\u00a9.example.com')), 'event \\195\\169.example.com');
    assert.equal(reasonOf(name('\u00e9.example.com')), 'event \\233.example.com');
    assert.equal(reasonOf(name('a..example.com')), 'bad_name_empty_label');
    assert.equal(reasonOf(name(5)), 'bad_query');
    assert.equal(reasonOf(name(null)), 'no_query');
    assert.equal(reasonOf(parseOne(line({}, { rrname: undefined }))), 'no_query');
    // A dot written as \u002e is not a separator in the text locate found.
    assert.equal(reasonOf(parseOne(line().replace('www.example', 'www\\u002eexample'))), 'bad_query');
  });

  test('types, classes, flags, TCP', () => {
    assert.equal((parseOne(line({}, { rrtype: '257' })) as DnsEvent).qtype, 'TYPE257');
    assert.equal((parseOne(line({}, { rrtype: 16 })) as DnsEvent).qtype, 'TYPE16');
    assert.equal((parseOne(line({}, { rrtype: undefined })) as DnsEvent).qtype, '');
    assert.equal(reasonOf(parseOne(line({}, { rrtype: 'a b' }))), 'bad_type');
    assert.equal(reasonOf(parseOne(line({}, { rrtype: 70000 }))), 'bad_type');
    assert.equal((parseOne(line({}, { rrclass: 'CH' })) as DnsEvent).qclass, 'CH');
    assert.equal(reasonOf(parseOne(line({}, { rrclass: 'XX' }))), 'bad_class');
    assert.equal((parseOne(line({ proto: 'TCP' }, { flags: '0100' })) as DnsEvent).flags, '+T');
    assert.equal((parseOne(line({}, { rd: true })) as DnsEvent).flags, '+');
    assert.equal(reasonOf(parseOne(line({}, { flags: 'zz' }))), 'bad_flags');
    assert.equal(reasonOf(parseOne(line({}, { rd: 'yes' }))), 'bad_flags');
    assert.equal(reasonOf(parseOne(line({ proto: 6 }))), 'bad_flags');
  });

  test('addresses and ports are checked', () => {
    assert.equal(reasonOf(parseOne(line({ src_ip: 'nope' }))), 'bad_client');
    assert.equal(reasonOf(parseOne(line({ src_ip: undefined }))), 'bad_client');
    assert.equal(reasonOf(parseOne(line({ src_port: -1 }))), 'bad_client');
    assert.equal(reasonOf(parseOne(line({ src_port: '53' }))), 'bad_client');
    assert.equal(reasonOf(parseOne(line({ dest_ip: 7 }))), 'bad_server');
    assert.equal(reasonOf(parseOne(line({ dest_port: 1.5 }))), 'bad_server');
    const v6 = parseOne(line({ src_ip: '2001:db8::1' }));
    assert.ok(isEvent(v6));
    assert.equal(v6.clientIp, '2001:db8::1');
  });

  test('answers: packet-direction records are turned round; rcode and grouped answers', () => {
    const answers = new SuricataEveParser({ eventsFrom: 'answers' });
    const packetDirection = line(
      { src_ip: '10.0.0.53', src_port: 53, dest_ip: '10.0.0.1', dest_port: 40000 },
      { type: 'answer', flags: '8180', rcode: 'nxdomain', grouped: { A: ['1.2.3.4', '5.6.7.8'], TXT: ['x'] } },
    );
    const r = parseOne(packetDirection, answers);
    assert.ok(isEvent(r), reasonOf(r));
    assert.equal(r.clientIp, '10.0.0.1');
    assert.equal(r.clientPort, 40000);
    assert.equal(r.serverIp, '10.0.0.53');
    assert.equal(r.rcode, 'NXDOMAIN');
    assert.equal(r.answerCount, 3);
    assert.equal(r.flags, '+r');
    assert.equal(reasonOf(parseOne(line({}, { type: 'answer', rcode: 'NO ERROR' }), answers)), 'bad_rcode');
    assert.equal(reasonOf(parseOne(line({}, { type: 'answer', rcode: 'NOERROR', answers: {} }), answers)), 'bad_answers');
    assert.equal(reasonOf(parseOne(line({}, { type: 'answer', rcode: 'NOERROR', rrname: undefined }), answers)), 'no_query');
    assert.equal(reasonOf(parseOne(line({}, { type: 'answer' }))), 'answer');
  });

  test('version 3 records (queries[] array)', () => {
    const v3 = line({}, { version: 3, type: 'request', rrname: undefined, rrtype: undefined, flags: '0100', queries: [{ rrname: 'x.example.org', rrtype: 'TXT' }] });
    const parser = new SuricataEveParser();
    assert.equal(parser.locate(v3), null);
    assert.equal(v3.slice(parser.nameStart, parser.nameEnd), 'x.example.org');
    const r = parseOne(v3);
    assert.ok(isEvent(r), reasonOf(r));
    assert.equal(r.qname, 'x.example.org');
    assert.equal(r.qtype, 'TXT');
    assert.equal(r.flags, '+');
    assert.equal(reasonOf(parseOne(line({}, { version: 3, type: 'response', rrname: undefined, queries: [] }), new SuricataEveParser({ eventsFrom: 'answers' }))), 'no_query');
  });

  test('hostile lines are rejected, never thrown', () => {
    const cases: [string, string][] = [
      ['', 'empty'],
      ['   ', 'empty'],
      ['{', 'bad_json'],
      ['[]', 'bad_json'],
      ['null', 'bad_json'],
      ['{"timestamp":"2024-05-06T07:08:09+0000","event_type":"dns","dns":{"type":"query","rrname":"a.b"}} trailing', 'bad_json'],
      [line({ timestamp: 'yesterday' }), 'bad_timestamp'],
      [line({ timestamp: 1714979289 }), 'bad_timestamp'],
      [line({ timestamp: '2024-13-06T07:08:09.1+0000' }), 'bad_timestamp'],
      [line({ timestamp: undefined }), 'bad_timestamp'],
      [line({ event_type: 'flow' }), 'not_dns'],
      [line({ event_type: undefined }), 'not_dns'],
      [line({ event_type: 7 }), 'not_dns'],
      [JSON.stringify({ ...BASE, dns: 'x' }), 'bad_dns_record'],
      [JSON.stringify({ ...BASE, dns: [] }), 'bad_dns_record'],
      [line({}, { type: 'weird' }), 'bad_dns_record'],
      [line({}, { type: undefined }), 'bad_dns_record'],
      [line({}, { rrname: ['a'] }), 'bad_query'],
      ['x'.repeat(MAX_LINE_CHARS + 1), 'too_long'],
      [line({}, { rrname: 'a.'.repeat(MAX_LINE_CHARS / 2) + 'com' }), 'too_long'],
      [line({}, { type: 'answer', rrname: 'a.'.repeat(MAX_LINE_CHARS / 2) + 'com' }), 'answer'],
      ['{"timestamp":"' + 'x'.repeat(MAX_LINE_CHARS), 'too_long'],
      // Duplicate keys: the scan reads the first, JSON.parse keeps the last.
      [line().replace('"rrname":"www.example.com"', '"rrname":"www.example.com","rrname":"evil.example.net"'), 'bad_query'],
      [line().replace('"event_type":"dns"', '"event_type":"dns","event_type":"flow"'), 'bad_dns_record'],
      [line().replace('"type":"query"', '"type":"query","type":"answer"'), 'bad_dns_record'],
      [line().replace('"www.example.com"', '"www.example.com\\"'), 'bad_json'],
      [line().replace('"dns":{', '"dns":{"nested":{"a":[1,{"b":"}"}]},'), 'event www.example.com'],
    ];
    for (const [text, reason] of cases) {
      const parser = new SuricataEveParser();
      let r: Result | undefined;
      assert.doesNotThrow(() => {
        parser.locate(text);
        r = parser.parse(text, 'h', 1, 0);
      }, text.slice(0, 80));
      assert.equal(reasonOf(r!), reason, text.slice(0, 120));
    }
  });

  test('seeded fuzz: 5,000 mutations of real and built lines never throw; locate and parse agree', () => {
    const random = seededRandom(0x5eca7a);
    const seeds = [...fixtureLines(V2), ...fixtureLines(MIXED), line(), line({}, { version: 3, type: 'request', rrname: undefined, queries: [{ rrname: 'q.example' }] })];
    const alphabet = '{}[]":,\\ .0123456789-+TZabcdefnulrtxu\u00e9\u0000\u00ff';
    for (let n = 0; n < 5000; n++) {
      let text = seeds[randomInt(random, seeds.length)]!;
      const edits = 1 + randomInt(random, 4);
      for (let e = 0; e < edits; e++) {
        const at = randomInt(random, text.length + 1);
        const op = randomInt(random, 4);
        const ch = alphabet[randomInt(random, alphabet.length)]!;
        if (op === 0) text = text.slice(0, at) + ch + text.slice(at);
        else if (op === 1) text = text.slice(0, at) + text.slice(at + 1 + randomInt(random, 8));
        else if (op === 2) text = text.slice(0, at) + ch + text.slice(at + 1);
        else text = text.slice(0, at) + text.slice(at, at + randomInt(random, 200)) + text.slice(at);
      }
      const eventsFrom = random() < 0.5 ? 'queries' : 'answers';
      const locator = new SuricataEveParser({ eventsFrom });
      const parser = new SuricataEveParser({ eventsFrom });
      let located: Rejection | null = null;
      let r: Result | undefined;
      assert.doesNotThrow(() => {
        located = locator.locate(text);
        r = parser.parse(text, 'fuzz', n, 0);
      }, `mutation ${n}: ${JSON.stringify(text.slice(0, 200))}`);
      assert.ok(Object.is(locator.lastTime, parser.lastTime), `mutation ${n} time`);
      if (located !== null) assert.equal(reasonOf(r!), (located as Rejection).reason, `mutation ${n}`);
      if (isEvent(r!)) {
        assert.equal(located, null);
        assert.ok(r.qname.length > 0);
        assert.ok(Number.isFinite(r.time));
      }
    }
  });
});
