import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DnsEvent } from '../src/event.js';
import { JSON_PRESETS, JsonMappedParser, sniffJsonPreset } from '../src/parsers/json-mapped.js';
import { Rejection } from '../src/parsers/parser.js';
import { fixtureLines, mutateLine, seededRandom } from './helpers.js';

const events = (r: Array<DnsEvent | Rejection>): DnsEvent[] => r.filter((x): x is DnsEvent => !(x instanceof Rejection));

test('Route 53 Resolver query log records', () => {
  const parser = new JsonMappedParser('route53', JSON_PRESETS.route53);
  const results = fixtureLines('json/route53.jsonl').filter((l) => l.length > 0).map((l, i) => parser.parse(l, 'r53', i + 1, 0));
  const ev = events(results);
  assert.deepEqual(ev.map((e) => [e.qname, e.qtype, e.clientIp, e.clientPort, e.rcode, e.registeredDomain]), [
    ['www.example.com', 'A', '10.0.1.25', 41234, 'NOERROR', 'example.com'],
    ['mzxw6ytboi2dcmrtgq3tsnzyhaydcmrt.t.cdn-sync.net', 'TXT', '10.0.1.26', 52100, 'NOERROR', 'cdn-sync.net'],
    ['nx-typo.exmaple.com', 'AAAA', '2001:db8::5', 53001, 'NXDOMAIN', 'exmaple.com'],
    ['\\001a.example.com', 'A', '10.0.1.27', 53002, 'NOERROR', 'example.com'],
  ]);
  assert.equal(ev[0]!.answerCount, 1);
  assert.equal(new Date(ev[0]!.time).toISOString(), '2026-11-22T10:15:01.000Z');
  assert.deepEqual(results.filter((r): r is Rejection => r instanceof Rejection).map((r) => r.reason), ['bad_timestamp', 'bad_json']);
});

test('Cloud DNS log entries (nested jsonPayload)', () => {
  const parser = new JsonMappedParser('clouddns', JSON_PRESETS.clouddns);
  const ev = events(fixtureLines('json/clouddns.jsonl').filter((l) => l.length > 0).map((l, i) => parser.parse(l, 'gcp', i + 1, 0)));
  assert.deepEqual(ev.map((e) => [e.qname, e.qtype, e.clientIp, e.rcode, e.subdomain]), [
    ['storage.googleapis.com', 'A', '10.128.0.2', 'NOERROR', ''],
    ['0mzxw6ytboi2dcmrtgq3t.data.stats-relay.org', 'TXT', '10.128.0.3', 'NXDOMAIN', '0mzxw6ytboi2dcmrtgq3t.data'],
  ]);
});

test('a custom mapping, epoch-seconds time, and the located name span', () => {
  const parser = new JsonMappedParser('json', { time: 'ts', client: 'src.ip', name: 'q.name', type: 'q.type' });
  const line = '{"ts":1795312800.5,"src":{"ip":"192.0.2.7"},"q":{"name":"a.b.example.org","type":"MX"}}';
  assert.equal(parser.locate(line), null);
  assert.equal(line.slice(parser.nameStart, parser.nameEnd), 'a.b.example.org');
  const e = parser.parse(line, 'x', 1, 0);
  assert.ok(!(e instanceof Rejection));
  assert.equal(e.time, 1795312800500);
  assert.equal(e.registeredDomain, 'example.org');
  assert.equal(parser.parse('{"ts":1,"src":{"ip":"192.0.2.7"},"q":{"type":"A"}}', 'x', 2, 0), Rejection.of('no_query', true));
  assert.equal((parser.parse('{"ts":1,"src":{"ip":"nope"},"q":{"name":"a.com","type":"A"}}', 'x', 3, 0) as Rejection).reason, 'bad_client');
});

test('presets are recognised from the first record', () => {
  assert.equal(sniffJsonPreset(fixtureLines('json/route53.jsonl').join('\n')), 'route53');
  assert.equal(sniffJsonPreset(fixtureLines('json/clouddns.jsonl').join('\n')), 'clouddns');
  assert.equal(sniffJsonPreset('{"ts":1}\n'), null);
});

test('hostile records never throw (seeded fuzz)', () => {
  const lines = fixtureLines('json/route53.jsonl').concat(fixtureLines('json/clouddns.jsonl')).filter((l) => l.length > 0);
  const parsers = [new JsonMappedParser('route53', JSON_PRESETS.route53), new JsonMappedParser('clouddns', JSON_PRESETS.clouddns)];
  const random = seededRandom(5);
  for (let i = 0; i < 4000; i++) {
    const line = mutateLine(lines[Math.floor(random() * lines.length)]!, random, ['"', '{', '}', '[', ']', ':', ',', '\\u0000', '1e999', 'null', '"query_name":'], 3);
    for (const p of parsers) assert.doesNotThrow(() => p.parse(line, 'fuzz', i, 0));
  }
});
