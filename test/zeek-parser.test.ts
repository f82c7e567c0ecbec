/**
 * ZeekTsvParser and ZeekJsonParser on the whole real WRCCDC 2018 dns.log in both encodings
 * (../shared/data/zeek-wrccdc2018/), on the fixtures in test/fixtures/zeek/ (see its README for
 * which are real and which hand-written), on hostile input built here, and under seeded random
 * mutations.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import type { DnsEvent } from '../src/event.js';
import { partitionOfName } from '../src/parallel/partition.js';
import { HEADER_REASON, MAX_LINE_CHARS, Rejection, type LineParser } from '../src/parsers/parser.js';
import { decodePresentation } from '../src/parsers/presentation-name.js';
import { ZeekJsonParser, ZeekTsvParser, sniffZeek, zeekNameToPresentation } from '../src/parsers/zeek.js';
import { asciiLower, fixtureLines, mutateLine, randomInt, repoPath, seededRandom } from './helpers.js';

type Result = DnsEvent | Rejection;

const REAL_DIR = '../shared/data/zeek-wrccdc2018/';
const REAL_RECORDS = 53_615;

/** A gzipped file's lines as the pipeline sees them: split on `\n`, each decoded latin1. */
function gzLines(relative: string): string[] {
  const data = gunzipSync(readFileSync(repoPath(relative)));
  const lines: string[] = [];
  let start = 0;
  while (start < data.length) {
    let nl = data.indexOf(0x0a, start);
    if (nl < 0) nl = data.length;
    lines.push(data.toString('latin1', start, nl));
    start = nl + 1;
  }
  return lines;
}

let realCache: { tsv: string[]; json: string[] } | null = null;
function real(): { tsv: string[]; json: string[] } {
  realCache ??= { tsv: gzLines(REAL_DIR + 'dns.log.gz'), json: gzLines(REAL_DIR + 'dns.json.gz') };
  return realCache;
}

function parseAll(parser: LineParser, lines: string[], source = 'test'): Result[] {
  return lines.map((line, i) => parser.parse(line, source, i + 1, 0));
}

function isEvent(r: Result | undefined): r is DnsEvent {
  return r !== undefined && !(r instanceof Rejection);
}

function eventAt(results: Result[], lineNo: number, what: string): DnsEvent {
  const r = results[lineNo - 1];
  assert.ok(isEvent(r), `line ${lineNo} (${what}) should parse, got ${r instanceof Rejection ? r.reason : 'nothing'}`);
  return r;
}

function rejectionAt(results: Result[], lineNo: number, reason: string, skip: boolean): void {
  const r = results[lineNo - 1];
  assert.ok(r instanceof Rejection, `line ${lineNo} should be rejected (${reason}), got ${isEvent(r) ? JSON.stringify(r.qname) : 'nothing'}`);
  assert.equal(r.reason, reason, `line ${lineNo}`);
  assert.equal(r.skip, skip, `line ${lineNo}: skip`);
}

function tally(results: Result[]): { events: number; skipped: Record<string, number>; quarantined: Record<string, number> } {
  const out = { events: 0, skipped: {} as Record<string, number>, quarantined: {} as Record<string, number> };
  for (const r of results) {
    if (r instanceof Rejection) {
      const bucket = r.skip ? out.skipped : out.quarantined;
      bucket[r.reason] = (bucket[r.reason] ?? 0) + 1;
    } else out.events++;
  }
  return out;
}

function withoutPosition(e: DnsEvent): Omit<DnsEvent, 'position'> {
  const { position: _position, ...rest } = e;
  return rest;
}

const utc = (y: number, mo: number, d: number, h: number, mi: number, s: number, ms = 0): number => Date.UTC(y, mo - 1, d, h, mi, s, ms);

/** The name `locate` pointed at, as the parser turns it into presentation form (TSV and JSON rules). */
function spanName(line: string, start: number, end: number, format: 'tsv' | 'json'): string {
  const raw = format === 'json' ? (JSON.parse(`"${line.slice(start, end)}"`) as string) : line.slice(start, end);
  if (raw === (format === 'json' ? '' : '(empty)')) return '.';
  return zeekNameToPresentation(raw, 0, raw.length);
}

/**
 * Runs `locate` over every line with one parser (as the parallel coordinator does) and `parse`
 * with another (as a single-threaded run does), and returns the disagreements.
 */
function locateParseDisagreements(make: () => LineParser, lines: string[], format: 'tsv' | 'json'): string[] {
  const locator = make();
  const parser = make();
  const problems: string[] = [];
  const note = (i: number, what: string): void => {
    if (problems.length < 10) problems.push(`line ${i + 1}: ${what}`);
  };
  lines.forEach((line, i) => {
    const located = locator.locate(line);
    const { nameStart, nameEnd } = locator;
    const parsed = parser.parse(line, 'test', i + 1, 0);
    if (!Object.is(locator.lastTime, parser.lastTime)) note(i, `locate time ${locator.lastTime}, parse time ${parser.lastTime}`);
    if (located !== null) {
      if (parsed !== located) note(i, `locate rejected (${located.reason}), parse gave ${parsed instanceof Rejection ? parsed.reason : 'an event'}`);
      return;
    }
    if (parser.nameStart !== nameStart || parser.nameEnd !== nameEnd) note(i, 'name spans differ');
    if (parsed instanceof Rejection) return;
    if (parsed.time !== locator.lastTime) note(i, `event time ${parsed.time} is not the located time`);
    // fillNameFacts drops a fully-qualified name's trailing dot.
    const name = spanName(line, nameStart, nameEnd, format);
    if (name !== parsed.qname && name !== `${parsed.qname}.`) note(i, `span ${JSON.stringify(name)} vs qname ${JSON.stringify(parsed.qname)}`);
  });
  return problems;
}

/**
 * A parallel run in miniature: a coordinator locates every line and routes it to the partition of
 * its name (headers to every worker, other rejections to partition 0); each worker parses its own
 * lines only. Returns the events of all workers, in line order.
 */
function partitionedEvents(make: () => LineParser, lines: string[], partitions: number): DnsEvent[] {
  const coordinator = make();
  const workers = Array.from({ length: partitions }, make);
  const events: DnsEvent[] = [];
  lines.forEach((line, i) => {
    const rejected = coordinator.locate(line);
    if (rejected !== null && rejected.reason === HEADER_REASON) {
      for (const w of workers) w.parse(line, 'test', i + 1, 0);
      return;
    }
    const owner = rejected === null ? partitionOfName(line, coordinator.nameStart, coordinator.nameEnd, partitions) : 0;
    const r = workers[owner]!.parse(line, 'test', i + 1, 0);
    if (isEvent(r)) events.push(r);
  });
  return events.sort((a, b) => a.position.line - b.position.line);
}

describe('the real WRCCDC 2018 dns.log: all 53,615 records', () => {
  test('TSV: every record is an event or a no_query skip, nothing is quarantined', () => {
    const lines = real().tsv;
    const results = parseAll(new ZeekTsvParser(), lines);
    const t = tally(results);
    assert.deepEqual(t.quarantined, {});
    // 8 header lines, #close, and the 2 records Zeek logged without a query.
    assert.deepEqual(t.skipped, { [HEADER_REASON]: 8, comment: 1, no_query: 2 });
    assert.equal(lines.filter((l) => !l.startsWith('#')).length, REAL_RECORDS);
    assert.equal(t.events, REAL_RECORDS - 2);
  });

  test('JSON: every record is an event or a no_query skip, nothing is quarantined', () => {
    const lines = real().json;
    assert.equal(lines.length, REAL_RECORDS);
    const t = tally(parseAll(new ZeekJsonParser(), lines));
    assert.deepEqual(t.quarantined, {});
    assert.deepEqual(t.skipped, { no_query: 2 });
    assert.equal(t.events, REAL_RECORDS - 2);
  });

  test('the TSV and JSON encodings give the same events, record by record, in the same order', () => {
    const { tsv, json } = real();
    const tsvResults = parseAll(new ZeekTsvParser(), tsv).filter((_, i) => !tsv[i]!.startsWith('#'));
    const jsonResults = parseAll(new ZeekJsonParser(), json);
    assert.equal(tsvResults.length, jsonResults.length);
    let compared = 0;
    for (let i = 0; i < tsvResults.length; i++) {
      const a = tsvResults[i]!;
      const b = jsonResults[i]!;
      if (a instanceof Rejection || b instanceof Rejection) {
        assert.ok(a instanceof Rejection && b instanceof Rejection, `record ${i + 1}: one encoding rejected it, the other did not`);
        assert.equal(a.reason, b.reason, `record ${i + 1}`);
        continue;
      }
      // Only `position` legitimately differs (the TSV has 8 header lines before the first record).
      // Time agrees although the TSV writes epoch seconds and this JSON ISO 8601 strings: both keep
      // whole milliseconds (floor of the microseconds Zeek logs).
      assert.deepEqual(withoutPosition(a), withoutPosition(b), `record ${i + 1}`);
      assert.equal(a.position.line, b.position.line + 8);
      compared++;
    }
    assert.equal(compared, REAL_RECORDS - 2);
  });

  test('the vocabulary of the file: qtypes, rcodes, classes, flags, name kinds', () => {
    const events = parseAll(new ZeekTsvParser(), real().tsv).filter(isEvent);
    const distinct = (f: (e: DnsEvent) => unknown): Set<unknown> => new Set(events.map(f));
    // '' = a reply whose question Zeek did not log (qtype and qclass unset); ANY is what Zeek calls `*`.
    assert.deepEqual(distinct((e) => e.qtype), new Set(['A', 'AAAA', 'NBSTAT', 'PTR', 'SRV', 'ANY', 'SOA', 'TXT', 'NS', 'AXFR', '']));
    assert.deepEqual(distinct((e) => e.rcode), new Set(['NOERROR', 'NXDOMAIN', 'SERVFAIL', 'REFUSED', 'NOTIMP', undefined]));
    assert.deepEqual(distinct((e) => e.qclass), new Set(['IN', 'CH', '']));
    assert.deepEqual(distinct((e) => e.flags), new Set(['+r', '+', '-', '+ar', '-a', '-ar', '+T', '-r', '-T']));
    assert.deepEqual(distinct((e) => e.nameKind), new Set(['normal', 'suffix', 'reverse', 'root', 'ip']));
    assert.equal(events.filter((e) => e.qtype === 'ANY').length, 64);
    assert.equal(events.filter((e) => e.qtype === 'NBSTAT').length, 3834);
    assert.equal(events.filter((e) => e.nameKind === 'root').length, 12);
    assert.equal(events.filter((e) => e.flags.includes('T')).length, 6, 'the six TCP records');
    assert.equal(events.filter((e) => e.qname.includes('\\')).length, 14, 'the mDNS names with a space');
    assert.ok(events.every((e) => e.clientPort >= 0 && e.clientIp !== '' && e.serverIp !== ''));
  });

  test('registered domains look sane', () => {
    const events = parseAll(new ZeekJsonParser(), real().json).filter(isEvent);
    const counts = new Map<string, number>();
    for (const e of events) counts.set(e.registeredDomain, (counts.get(e.registeredDomain) ?? 0) + 1);
    const ranked = [...counts].sort((a, b) => b[1] - a[1]);
    // The competition's own domain, then Google.
    assert.equal(ranked[0]![0], 'wrccdc.org');
    assert.equal(ranked[1]![0], 'google.com');
    assert.ok(ranked.length > 500, `${ranked.length} registered domains`);
    for (const e of events) {
      assert.notEqual(e.registeredDomain, '', `empty registered domain for ${e.qname}`);
      assert.ok(e.qnameLower.endsWith(e.registeredDomain), `${e.registeredDomain} is not a suffix of ${e.qnameLower}`);
      if (e.nameKind === 'root') assert.equal(e.registeredDomain, '.');
      if (e.nameKind === 'normal') assert.ok(e.registeredDomain.includes('.'), `normal name ${e.qname} with one-label registered domain`);
      if (e.registeredDomain === '.') assert.equal(e.nameKind, 'root');
    }
    assert.ok(['wrccdc.org', 'google.com', 'ubuntu.com', 'microsoft.com', 'github.com'].every((d) => counts.has(d)));
  });

  test('locate and parse agree on time and name span for every line (TSV and JSON)', () => {
    const { tsv, json } = real();
    assert.deepEqual(locateParseDisagreements(() => new ZeekTsvParser(), tsv, 'tsv'), []);
    assert.deepEqual(locateParseDisagreements(() => new ZeekJsonParser(), json, 'json'), []);
  });

  test('the name span keeps every registered domain in one partition', () => {
    for (const [make, lines] of [
      [() => new ZeekTsvParser(), real().tsv],
      [() => new ZeekJsonParser(), real().json],
    ] as const) {
      const locator = make();
      const parser = make();
      const owner = new Map<string, number>();
      lines.forEach((line, i) => {
        if (locator.locate(line) !== null) {
          parser.parse(line, 'test', i + 1, 0);
          return;
        }
        const partition = partitionOfName(line, locator.nameStart, locator.nameEnd, 7);
        const e = parser.parse(line, 'test', i + 1, 0);
        assert.ok(isEvent(e));
        const seen = owner.get(e.registeredDomain);
        if (seen === undefined) owner.set(e.registeredDomain, partition);
        else assert.equal(partition, seen, `${e.qname} (${e.registeredDomain}) routed to ${partition}, its domain's other names to ${seen}`);
      });
      assert.ok(new Set(owner.values()).size > 1, 'names spread over partitions');
    }
  });

  test('a partitioned run (headers to every worker) gives exactly the single-threaded events', () => {
    const tsv = real().tsv;
    const single = parseAll(new ZeekTsvParser(), tsv).filter(isEvent);
    const partitioned = partitionedEvents(() => new ZeekTsvParser(), tsv, 4);
    assert.equal(partitioned.length, single.length);
    assert.deepEqual(partitioned, single);
  });
});

describe('real excerpts (wrccdc-excerpt.log / .json)', () => {
  const tsvLines = fixtureLines('zeek/wrccdc-excerpt.log');
  const jsonLines = fixtureLines('zeek/wrccdc-excerpt.json');
  const tsv = parseAll(new ZeekTsvParser(), tsvLines, 'wrccdc-excerpt.log');
  const json = parseAll(new ZeekJsonParser(), jsonLines, 'wrccdc-excerpt.json');
  /** Excerpt row N from both encodings, checked equal but for position. */
  const row = (n: number, what: string): DnsEvent => {
    const a = eventAt(tsv, n + 8, what);
    const b = eventAt(json, n, what);
    assert.deepEqual(withoutPosition(a), withoutPosition(b), `row ${n}: TSV and JSON differ`);
    return a;
  };

  test('has the lines the README describes', () => {
    assert.equal(tsvLines.length, 27);
    assert.equal(jsonLines.length, 18);
    for (let i = 1; i <= 8; i++) rejectionAt(tsv, i, HEADER_REASON, true);
    rejectionAt(tsv, 27, 'comment', true);
  });

  test('an ordinary A query: every field', () => {
    const e = row(1, 'ise.wrccdc.org');
    assert.deepEqual(e, {
      time: utc(2018, 3, 24, 17, 15, 20, 865),
      clientIp: '10.47.1.100',
      clientPort: 41772,
      qname: 'ise.wrccdc.org',
      qnameLower: 'ise.wrccdc.org',
      qnameBytes: 14,
      labels: 3,
      longestLabel: 6,
      qclass: 'IN',
      qtype: 'A',
      flags: '+r',
      serverIp: '10.0.0.100',
      registeredDomain: 'wrccdc.org',
      subdomain: 'ise',
      subdomainBytes: 3,
      nameKind: 'normal',
      answerCount: 2,
      rcode: 'NOERROR',
      position: { source: 'wrccdc-excerpt.log', line: 9, offset: 0 },
    });
    // 1521911720.865716 and .865717: one millisecond, two records.
    assert.equal(row(2, 'repeat').time, e.time);
  });

  test('flags, rcodes and the shapes of odd rows', () => {
    const aa = row(5, 'authoritative');
    assert.equal(aa.flags, '-a');
    assert.equal(aa.serverIp, '208.84.0.53');
    assert.equal(aa.answerCount, 1);
    assert.equal(row(6, 'NXDOMAIN').rcode, 'NXDOMAIN');
    const mdns = row(7, 'PTR without RD');
    assert.equal(mdns.flags, '-');
    assert.equal(mdns.qtype, 'PTR');
    assert.equal(mdns.answerCount, 0);

    const nbstat = row(8, 'NetBIOS');
    assert.equal(nbstat.qname, '*');
    assert.equal(nbstat.qtype, 'NBSTAT');
    assert.equal(nbstat.clientPort, 137);
    assert.equal(nbstat.rcode, undefined, 'no reply seen: no rcode');
    assert.equal(nbstat.nameKind, 'suffix');

    const any = row(9, 'qtype *');
    assert.equal(any.qtype, 'ANY');
    assert.equal(any.nameKind, 'reverse');
    assert.equal(any.registeredDomain, '0.16.172.in-addr.arpa');
    assert.equal(row(10, 'SERVFAIL').rcode, 'SERVFAIL');

    const chaos = row(11, 'CHAOS over TCP');
    assert.equal(chaos.qclass, 'CH');
    assert.equal(chaos.qtype, 'TXT');
    assert.equal(chaos.flags, '+T');
    assert.equal(chaos.rcode, 'NOTIMP');
    const axfr = row(12, 'AXFR');
    assert.equal(axfr.qtype, 'AXFR');
    assert.equal(axfr.flags, '-T');

    const root = row(13, 'root');
    assert.equal(root.qname, '.');
    assert.equal(root.qtype, 'NS');
    assert.equal(root.nameKind, 'root');
    assert.equal(root.registeredDomain, '.');
    assert.equal(root.labels, 0);

    const spaced = row(14, 'name with a space');
    assert.equal(spaced.qname, 'nougat\\032[28:d2:44:0f:4c:e9]._workstation._tcp.local');
    // "nougat [28:d2:44:0f:4c:e9]" is 26 bytes; + "._workstation" (13) + "._tcp" (5) + ".local" (6)
    assert.equal(spaced.longestLabel, 26);
    assert.equal(spaced.qnameBytes, 50);
    assert.equal(spaced.qtype, 'SRV');
    assert.equal(spaced.registeredDomain, '_tcp.local');

    const noQuestion = row(15, 'reply without question');
    assert.equal(noQuestion.qclass, '');
    assert.equal(noQuestion.qtype, '');
    assert.equal(noQuestion.rcode, 'NOERROR');
    assert.equal(noQuestion.flags, '-r');

    const literal = row(16, 'IPv4 literal');
    assert.equal(literal.nameKind, 'ip');
    assert.equal(literal.flags, '+ar');
    assert.equal(row(17, 'version.bind').rcode, 'REFUSED');

    rejectionAt(tsv, 26, 'no_query', true);
    rejectionAt(json, 18, 'no_query', true);
  });

  test('a record without a query still reports its time', () => {
    const tsvParser = new ZeekTsvParser();
    parseAll(tsvParser, tsvLines.slice(0, 26));
    assert.equal(tsvParser.lastTime, utc(2018, 3, 24, 17, 32, 17, 880));
    const jsonParser = new ZeekJsonParser();
    assert.ok(jsonParser.parse(jsonLines[17]!, 'x', 18, 0) instanceof Rejection);
    assert.equal(jsonParser.lastTime, utc(2018, 3, 24, 17, 32, 17, 880));
  });
});

describe('two-headers.log (hand-written: three header blocks)', () => {
  const lines = fixtureLines('zeek/two-headers.log');
  const r = parseAll(new ZeekTsvParser(), lines, 'two-headers.log');
  const T0 = utc(2026, 11, 23, 11, 0, 0);

  test('has the 42 lines of the README; headers, comments and the query-less record are skips', () => {
    assert.equal(lines.length, 42);
    for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 22, 23, 24, 25, 26, 27, 28, 29, 33, 34, 35, 36, 37, 38, 39, 40]) rejectionAt(r, n, HEADER_REASON, true);
    for (const n of [21, 32, 42]) rejectionAt(r, n, 'comment', true);
    rejectionAt(r, 19, 'no_query', true);
    assert.deepEqual(tally(r).quarantined, {});
  });

  test('an ordinary record', () => {
    const e = eventAt(r, 9, 'www');
    assert.equal(e.time, T0);
    assert.equal(e.qname, 'www.example.com');
    assert.equal(e.clientIp, '10.0.0.1');
    assert.equal(e.clientPort, 40000);
    assert.equal(e.serverIp, '10.0.0.53');
    assert.equal(e.flags, '+r');
    assert.equal(e.answerCount, 1);
    assert.equal(e.rcode, 'NOERROR');
  });

  test('Zeek escapes become BIND presentation form, and escaped bytes count one each', () => {
    const cases: Array<{ line: number; qname: string; qnameBytes: number; subdomain: string; subdomainBytes: number; longestLabel: number }> = [
      // a NUL b = 3 bytes, + ".t.example.net" (14)
      { line: 10, qname: 'a\\000b.t.example.net', qnameBytes: 17, subdomain: 'a\\000b.t', subdomainBytes: 5, longestLabel: 7 },
      { line: 11, qname: 'back\\\\slash.t.example.net', qnameBytes: 24, subdomain: 'back\\\\slash.t', subdomainBytes: 12, longestLabel: 10 },
      { line: 12, qname: 'tab\\009sep.t.example.net', qnameBytes: 21, subdomain: 'tab\\009sep.t', subdomainBytes: 9, longestLabel: 7 },
      // c a f C3 A9 = 5 bytes
      { line: 13, qname: 'caf\\195\\169.t.example.net', qnameBytes: 19, subdomain: 'caf\\195\\169.t', subdomainBytes: 7, longestLabel: 7 },
      // q " ( x ) ; @ $ = 8 bytes
      { line: 14, qname: 'q\\"\\(x\\)\\;\\@\\$.t.example.net', qnameBytes: 22, subdomain: 'q\\"\\(x\\)\\;\\@\\$.t', subdomainBytes: 10, longestLabel: 8 },
      // an escaped dot is a dot inside the label: a . b = 3 bytes
      { line: 16, qname: 'a\\.b.t.example.net', qnameBytes: 17, subdomain: 'a\\.b.t', subdomainBytes: 5, longestLabel: 7 },
    ];
    for (const c of cases) {
      const e = eventAt(r, c.line, c.qname);
      assert.equal(e.qname, c.qname, `line ${c.line}`);
      assert.equal(e.qnameBytes, c.qnameBytes, `qnameBytes of ${c.qname}`);
      assert.equal(decodePresentation(e.qname).length, c.qnameBytes);
      assert.equal(e.labels, 4, `labels of ${c.qname}`);
      assert.equal(e.longestLabel, c.longestLabel, `longestLabel of ${c.qname}`);
      assert.equal(e.subdomain, c.subdomain, `subdomain of ${c.qname}`);
      assert.equal(e.subdomainBytes, c.subdomainBytes, `subdomainBytes of ${c.qname}`);
      assert.equal(e.registeredDomain, 'example.net');
    }
    assert.equal(eventAt(r, 10, 'NUL').qtype, 'NULL');
    assert.equal(eventAt(r, 10, 'NUL').answerCount, 0, '(empty) answers');
    const dash = eventAt(r, 15, '\\x2d');
    assert.equal(dash.qname, '-', 'the name "-" escaped because it equals the unset marker');
    assert.equal(dash.nameKind, 'suffix');
  });

  test("Zeek's default names, case, TCP and response flags, escaped set separator", () => {
    const e = eventAt(r, 17, 'defaults');
    assert.equal(e.qname, 'Mixed.Example.COM');
    assert.equal(e.qnameLower, 'mixed.example.com');
    assert.equal(e.registeredDomain, 'example.com');
    assert.equal(e.qclass, 'CLASS7');
    assert.equal(e.qtype, 'TYPE65399');
    assert.equal(e.rcode, 'RCODE15');
    assert.equal(e.flags, '-Tatr');
    assert.equal(e.answerCount, 3, 'a,b\\x2cc,d is three answers');
    const v6 = eventAt(r, 18, 'IPv6 mDNS');
    assert.equal(v6.clientIp, '2001:db8::1');
    assert.equal(v6.clientPort, 5353);
    assert.equal(v6.serverIp, 'ff02::fb');
    assert.equal(v6.qclass, 'CLASS32769');
    assert.equal(v6.rcode, undefined);
    assert.equal(v6.flags, '-');
    const root = eventAt(r, 20, 'root');
    assert.equal(root.qname, '.');
    assert.equal(root.nameKind, 'root');
    assert.equal(root.time, T0 + 1500);
  });

  test('a second #fields with another column order is honoured', () => {
    const e = eventAt(r, 30, 'reordered');
    assert.equal(e.qname, 'second.example.org');
    assert.equal(e.qtype, 'TXT');
    assert.equal(e.time, T0 + 60_500);
    assert.equal(e.flags, '+Tr');
    assert.equal(e.clientIp, '10.0.0.2');
    assert.equal(e.clientPort, 41000);
    assert.equal(e.serverIp, '10.0.0.53');
    assert.equal(e.rcode, 'NXDOMAIN');
    assert.equal(e.qclass, 'IN');
    assert.equal(e.answerCount, 0);
  });

  test('a 300-character query is an event with an invalid name, not a crash', () => {
    const e = eventAt(r, 31, '300 chars');
    assert.equal(e.qname.length, 300);
    assert.equal(e.qnameBytes, 300);
    assert.equal(e.labels, 7);
    assert.equal(e.longestLabel, 63);
    assert.equal(e.nameKind, 'invalid');
    assert.equal(e.time, T0 + 61_250);
    assert.equal(e.answerCount, 2);
  });

  test('a third header block changes the separator and the set separator', () => {
    const e = eventAt(r, 41, 'pipe');
    assert.equal(e.qname, 'pipe.example.com');
    assert.equal(e.clientIp, '10.0.0.3');
    assert.equal(e.clientPort, -1, 'no id.orig_p column');
    assert.equal(e.serverIp, '');
    assert.equal(e.qclass, '');
    assert.equal(e.qtype, 'A');
    assert.equal(e.flags, '-');
    assert.equal(e.answerCount, 3);
    assert.equal(e.time, T0 + 100_000);
  });

  test('headers configure the parser through locate as through parse', () => {
    // The coordinator only locates; a worker parses headers and its own lines.
    const locateOnly = new ZeekTsvParser();
    const parseOnly = new ZeekTsvParser();
    for (const [i, line] of lines.entries()) {
      if (!line.startsWith('#')) continue;
      const located = locateOnly.locate(line);
      const parsed = parseOnly.parse(line, 'x', i + 1, 0);
      assert.ok(located !== null && parsed instanceof Rejection, `line ${i + 1}`);
      assert.equal(located.reason, parsed.reason, `line ${i + 1}`);
      assert.equal(located.skip, true);
      if (i + 1 === 29) {
        // After the second header block, both read the reordered record.
        const data = lines[29]!;
        assert.equal(locateOnly.locate(data), null);
        const e = parseOnly.parse(data, 'x', 30, 0);
        assert.ok(isEvent(e));
        assert.equal(locateOnly.lastTime, e.time);
        assert.equal(data.slice(locateOnly.nameStart, locateOnly.nameEnd), 'second.example.org');
      }
    }
    assert.deepEqual(locateParseDisagreements(() => new ZeekTsvParser(), lines, 'tsv'), []);
    assert.deepEqual(partitionedEvents(() => new ZeekTsvParser(), lines, 3), parseAll(new ZeekTsvParser(), lines).filter(isEvent));
  });
});

describe('hostile.json (hand-written)', () => {
  const lines = fixtureLines('zeek/hostile.json');
  const r = parseAll(new ZeekJsonParser(), lines, 'hostile.json');
  const T = utc(2026, 11, 23, 11, 0, 0);

  test('has the 40 lines of the README', () => {
    assert.equal(lines.length, 40);
  });

  test('epoch seconds, ISO 8601 and epoch milliseconds give the same event', () => {
    const a = eventAt(r, 1, 'epoch');
    assert.equal(a.time, T);
    assert.equal(a.qname, 'www.example.com');
    assert.equal(a.flags, '+r');
    assert.equal(a.answerCount, 1);
    assert.equal(a.rcode, 'NOERROR');
    assert.deepEqual(withoutPosition(eventAt(r, 2, 'ISO')), withoutPosition(a));
    assert.deepEqual(withoutPosition(eventAt(r, 3, 'ms')), withoutPosition(a));
  });

  test('malformed lines and wrong types are quarantined by reason', () => {
    const expected: Array<[number, string]> = [
      [4, 'bad_json'], [5, 'bad_json'], [6, 'bad_json'], [34, 'bad_json'],
      [7, 'bad_timestamp'], [8, 'bad_timestamp'], [32, 'bad_timestamp'], [33, 'bad_timestamp'],
      [9, 'bad_client'], [10, 'bad_client'], [11, 'bad_client'], [12, 'bad_client'],
      [13, 'bad_query'], [14, 'bad_query'], [26, 'bad_query'], [27, 'bad_query'], [28, 'bad_query'],
      [17, 'bad_type'], [40, 'bad_type'], [18, 'bad_class'], [19, 'bad_rcode'], [20, 'bad_flags'],
      [21, 'bad_answers'], [22, 'bad_answers'], [23, 'bad_server'],
    ];
    for (const [line, reason] of expected) rejectionAt(r, line, reason, false);
    rejectionAt(r, 15, 'no_query', true);
    rejectionAt(r, 16, 'no_query', true);
    rejectionAt(r, 31, 'empty', true);
  });

  test('escapes in the query: JSON \\u, Zeek \\x, BIND specials, code points above 0xFF', () => {
    assert.equal(eventAt(r, 24, '\\u0000').qname, 'a\\000b.t.example.net');
    assert.equal(eventAt(r, 25, '\\\\x00').qname, 'a\\000b.t.example.net');
    const unicode = eventAt(r, 36, 'é and €');
    assert.equal(unicode.qname, 'caf\\233.\\226\\130\\172.example.com');
    // é as one byte (a code point up to 0xFF is a byte, as in a latin1-decoded line), € as its three UTF-8 bytes.
    assert.equal(unicode.qnameBytes, 4 + 1 + 3 + 12);
    assert.equal(unicode.labels, 4);
    const specials = eventAt(r, 37, 'specials');
    assert.equal(specials.qname, 'q\\"\\(x\\)\\;\\@\\$\\032\\\\.t.example.net');
    assert.equal(specials.longestLabel, 10);
    const root = eventAt(r, 38, 'root');
    assert.equal(root.qname, '.');
    assert.equal(root.qtype, 'NS');
    const defaults = eventAt(r, 39, 'defaults');
    assert.equal(defaults.qtype, 'TYPE65399');
    assert.equal(defaults.qclass, 'ANY');
    assert.equal(defaults.rcode, 'RCODE15');
  });

  test('a second query key, plain or escaped, makes the record ambiguous: quarantined', () => {
    // locate routes by the first `query`, JSON.parse keeps the last: they must not disagree silently.
    const p = new ZeekJsonParser();
    assert.equal(p.locate(lines[25]!), null);
    assert.equal(lines[25]!.slice(p.nameStart, p.nameEnd), 'good.example.com');
    rejectionAt(r, 26, 'bad_query', false);
    rejectionAt(r, 27, 'bad_query', false);
  });

  test('nested id, __proto__ keys, spaces, missing optional fields', () => {
    const nested = eventAt(r, 29, 'nested id');
    assert.equal(nested.clientIp, '10.0.0.9');
    assert.equal(nested.clientPort, 5353);
    assert.equal(nested.serverIp, '10.0.0.53');
    assert.equal(eventAt(r, 30, '__proto__').qname, 'proto.example.com');
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    const spaced = eventAt(r, 35, 'spaces');
    assert.equal(spaced.qname, 'spaced.example.com');
    assert.equal(spaced.time, T + 500);
    assert.equal(spaced.clientPort, -1);
    assert.equal(spaced.serverIp, '');
    assert.equal(spaced.qtype, '');
    assert.equal(spaced.qclass, '');
    assert.equal(spaced.flags, '-');
    assert.equal(spaced.answerCount, 0);
    assert.equal(spaced.rcode, undefined);
  });

  test('locate and parse agree on every line', () => {
    assert.deepEqual(locateParseDisagreements(() => new ZeekJsonParser(), lines, 'json'), []);
  });
});

describe('hostile TSV (built here)', () => {
  const HEADER = ['#separator \\x09', '#set_separator\t,', '#empty_field\t(empty)', '#unset_field\t-', '#path\tdns'];
  const FIELDS = '#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tquery\tqtype_name\tRD\tanswers';
  const record = (query: string, extra: Partial<{ ts: string; host: string; port: string; server: string; type: string; rd: string; answers: string }> = {}): string =>
    [extra.ts ?? '1795431600.000000', extra.host ?? '10.0.0.1', extra.port ?? '40000', extra.server ?? '10.0.0.53', query, extra.type ?? 'A', extra.rd ?? 'T', extra.answers ?? '-'].join('\t');
  const run = (lines: string[]): Result[] => parseAll(new ZeekTsvParser(), lines);

  test('data before any #fields is quarantined as no_header', () => {
    const r = run([record('a.example.com'), ...HEADER, FIELDS, record('b.example.com')]);
    rejectionAt(r, 1, 'no_header', false);
    assert.equal(eventAt(r, 8, 'after the header').qname, 'b.example.com');
  });

  test('a bare #fields mid-file (no other header lines) re-maps the columns', () => {
    const r = run([...HEADER, FIELDS, record('a.example.com'), '#fields\tquery\tts\tid.orig_h', 'moved.example.com\t1795431601.000000\t10.0.0.9']);
    assert.equal(eventAt(r, 7, 'first').qname, 'a.example.com');
    rejectionAt(r, 8, HEADER_REASON, true);
    const moved = eventAt(r, 9, 'moved');
    assert.equal(moved.qname, 'moved.example.com');
    assert.equal(moved.clientIp, '10.0.0.9');
    assert.equal(moved.time, utc(2026, 11, 23, 11, 0, 1));
    assert.equal(moved.answerCount, 0);
  });

  test('#fields without query is another log (skip); without ts it cannot be read (quarantine)', () => {
    const r = run([...HEADER, '#fields\tts\tuid\tid.orig_h', '1795431600.0\tC1\t10.0.0.1', '#fields\tquery\tid.orig_h', 'x.example.com\t10.0.0.1']);
    rejectionAt(r, 7, 'not_dns', true);
    rejectionAt(r, 9, 'bad_header', false);
  });

  test('too long, too few or too many fields, bad values', () => {
    const huge = record('a'.repeat(MAX_LINE_CHARS) + '.example.com');
    const r = run([
      ...HEADER,
      FIELDS,
      huge, // 7
      record('x.example.com').split('\t').slice(0, 5).join('\t'), // 8: cut after the query
      record('x.example.com') + '\textra', // 9
      record('x.example.com', { ts: 'yesterday' }), // 10
      record('x.example.com', { host: '999.1.1.1' }), // 11
      record('x.example.com', { port: '70000' }), // 12
      record('x.example.com', { rd: 'X' }), // 13
      record('a..b.example.com'), // 14
      record('x.example.com', { server: 'nope' }), // 15
      record('x.example.com', { type: 'query-999999' }), // 16
      record('x.example.com').split('\t').slice(0, 2).join('\t'), // 17: cut before the query
      record('x.example.com', { ts: '-' }), // 18
      record('.example.com'), // 19
      '#' + 'x'.repeat(MAX_LINE_CHARS + 10), // 20
    ]);
    rejectionAt(r, 7, 'too_long', false);
    rejectionAt(r, 8, 'truncated', false);
    rejectionAt(r, 9, 'bad_field_count', false);
    rejectionAt(r, 10, 'bad_timestamp', false);
    rejectionAt(r, 11, 'bad_client', false);
    rejectionAt(r, 12, 'bad_client', false);
    rejectionAt(r, 13, 'bad_flags', false);
    rejectionAt(r, 14, 'bad_name_empty_label', false);
    rejectionAt(r, 15, 'bad_server', false);
    rejectionAt(r, 16, 'bad_type', false);
    rejectionAt(r, 17, 'truncated', false);
    rejectionAt(r, 18, 'bad_timestamp', false);
    rejectionAt(r, 19, 'bad_name_empty_label', false);
    rejectionAt(r, 20, 'too_long', false);
    const json = new ZeekJsonParser();
    assert.equal((json.parse(`{"ts":1,"query":"${'a'.repeat(MAX_LINE_CHARS)}"}`, 'x', 1, 0) as Rejection).reason, 'too_long');
  });

  test('\\x00 and friends, a raw NUL, raw high bytes, CRLF', () => {
    const r = run([
      ...HEADER,
      FIELDS,
      record('\\x00\\x01\\xff.t.example.net'), // 7
      record('a\x00b.t.example.net'), // 8: a raw NUL (not what Zeek writes) is still one byte
      record('\xe4\xf6.t.example.net') + '\r', // 9
      record('bad\\xZZescape\\x4.t.example.net'), // 10: not escapes: a literal backslash
      record('\\X41.t.example.net'), // 11
    ]);
    const nul = eventAt(r, 7, '\\x00');
    assert.equal(nul.qname, '\\000\\001\\255.t.example.net');
    assert.equal(nul.qnameBytes, 17);
    assert.equal(nul.subdomainBytes, 5);
    assert.equal(eventAt(r, 8, 'raw NUL').qname, 'a\\000b.t.example.net');
    const high = eventAt(r, 9, 'raw latin1 + CRLF');
    assert.equal(high.qname, '\\228\\246.t.example.net');
    assert.equal(high.answerCount, 0);
    assert.equal(eventAt(r, 10, 'not an escape').qname, 'bad\\\\xZZescape\\\\x4.t.example.net');
    assert.equal(eventAt(r, 11, 'upper-case X').qname, '\\\\X41.t.example.net');
  });

  test('an empty #separator is ignored rather than looping', () => {
    const r = run(['#separator ', ...HEADER.slice(1), FIELDS, record('x.example.com')]);
    rejectionAt(r, 1, HEADER_REASON, true);
    assert.equal(eventAt(r, 7, 'after').qname, 'x.example.com');
  });

  test('format sniffing', () => {
    assert.equal(sniffZeek(fixtureLines('zeek/wrccdc-excerpt.log').join('\n')), 'zeek-tsv');
    assert.equal(sniffZeek(fixtureLines('zeek/wrccdc-excerpt.json').join('\n')), 'zeek-json');
    assert.equal(sniffZeek('30-Apr-2013 13:35:02.187 client 10.120.20.32#42386: query: foo.com IN A + (100.90.80.102)\n'), null);
  });
});

describe('seeded fuzz', () => {
  const INSERTS = ['\\', '\\x', '\\x0', '\\x00', '\t', '#', '"', '{', '}', '[', ']', ',', ':', '.', '-', '(empty)', '\\u00', '\\u002e', 'null', '1e999', '#fields\t'];

  const mutate = (line: string, random: () => number): string => mutateLine(line, random, INSERTS, 2, 0x3000);

  function invariantProblems(e: DnsEvent): string[] {
    const problems: string[] = [];
    if (e.qnameLower !== asciiLower(e.qname)) problems.push(`qnameLower ${JSON.stringify(e.qnameLower)} of ${JSON.stringify(e.qname)}`);
    if (!e.qnameLower.endsWith(e.registeredDomain)) problems.push(`registeredDomain ${JSON.stringify(e.registeredDomain)} not a suffix of ${JSON.stringify(e.qnameLower)}`);
    if (e.registeredDomain === '') problems.push('empty registeredDomain');
    if (e.qname !== '.' && decodePresentation(e.qname).length !== e.qnameBytes) problems.push(`qnameBytes ${e.qnameBytes} for ${JSON.stringify(e.qname)}`);
    for (let i = 0; i < e.qname.length; i++) {
      const c = e.qname.charCodeAt(i);
      if (c <= 0x20 || c >= 0x7f) problems.push(`raw character ${c} in ${JSON.stringify(e.qname)}`);
    }
    if (!Number.isFinite(e.time)) problems.push('time is not finite');
    if (!Number.isInteger(e.time)) problems.push('time is not whole milliseconds');
    if (!(e.clientPort >= -1 && e.clientPort <= 65535)) problems.push(`port ${e.clientPort}`);
    if (!Number.isInteger(e.answerCount) || e.answerCount! < 0) problems.push(`answerCount ${e.answerCount}`);
    return problems;
  }

  /** Header lines, then the data lines written under them. */
  interface Block {
    header: string[];
    data: string[];
  }
  function blocks(lines: string[]): Block[] {
    const out: Block[] = [];
    for (const line of lines) {
      if (line.startsWith('#close')) continue;
      if (line.startsWith('#')) {
        if (out.length === 0 || out[out.length - 1]!.data.length > 0) out.push({ header: [], data: [] });
        out[out.length - 1]!.header.push(line);
      } else if (out.length > 0) out[out.length - 1]!.data.push(line);
    }
    return out;
  }

  for (const [name, make, corpus] of [
    ['zeek-tsv', () => new ZeekTsvParser(), [...blocks(fixtureLines('zeek/wrccdc-excerpt.log')), ...blocks(fixtureLines('zeek/two-headers.log'))]],
    ['zeek-json', () => new ZeekJsonParser(), [{ header: [], data: [...fixtureLines('zeek/wrccdc-excerpt.json'), ...fixtureLines('zeek/hostile.json')] }]],
  ] as const) {
    test(`${name}: 10,000 mutations of real and fixture lines never throw; events keep their invariants; locate agrees with parse`, () => {
      const random = seededRandom(name === 'zeek-tsv' ? 0x2ee4 : 0x15011);
      const parser: LineParser = make();
      const locator: LineParser = make();
      let events = 0;
      let rejections = 0;
      const violations: string[] = [];
      let block = corpus[0]!;
      const feed = (line: string, i: number): void => {
        let result: Result;
        let located: Rejection | null;
        try {
          located = locator.locate(line);
          result = parser.parse(line, 'fuzz', i + 1, 0);
        } catch (error) {
          assert.fail(`line ${i} threw ${(error as Error).message} on ${JSON.stringify(line)}`);
        }
        if (!Object.is(locator.lastTime, parser.lastTime) && violations.length < 10) violations.push(`time: locate ${locator.lastTime}, parse ${parser.lastTime}: ${JSON.stringify(line)}`);
        if (located !== null && result !== located && violations.length < 10) violations.push(`locate ${located.reason}, parse ${result instanceof Rejection ? result.reason : 'event'}: ${JSON.stringify(line)}`);
        if (result instanceof Rejection) {
          rejections++;
          assert.ok(result.reason.length > 0);
          return;
        }
        events++;
        for (const p of invariantProblems(result)) if (violations.length < 10) violations.push(`${p}\n      line: ${JSON.stringify(line)}`);
      };
      for (let i = 0; i < 10_000; i++) {
        if (i === 0 || random() < 0.02) {
          // A header block (now and then with one line mutated: #fields, #separator…), then its data lines.
          block = corpus[randomInt(random, corpus.length)]!;
          const spoil = random() < 0.3 ? randomInt(random, block.header.length + 1) : -1;
          block.header.forEach((h, k) => feed(k === spoil ? mutate(h, random) : h, i));
        }
        feed(mutate(block.data[randomInt(random, block.data.length)]!, random), i);
      }
      assert.deepEqual(violations, []);
      assert.ok(events > 1000, `events: ${events}`);
      assert.ok(rejections > 1000, `rejections: ${rejections}`);
    });
  }
});
