import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DnsEvent } from '../src/event.js';
import { partitionOfName } from '../src/parallel/partition.js';
import { Rejection } from '../src/parsers/parser.js';
import { WindowsDnsParser, windowsNameToPresentation } from '../src/parsers/windows-dns.js';
import { fixtureLines, mutateLine, seededRandom } from './helpers.js';

const lines = fixtureLines('windows-dns/debug.log');

function parseAll(parser = new WindowsDnsParser()): Array<DnsEvent | Rejection> {
  return lines.map((l, i) => parser.parse(l, 'debug.log', i + 1, 0));
}

test('client queries become events; responses, forwarder queries, the header and Details blocks are skipped', () => {
  const results = parseAll();
  const events = results.filter((r): r is DnsEvent => !(r instanceof Rejection));
  assert.deepEqual(
    events.map((e) => [e.clientIp, e.qtype, e.qname]),
    [
      ['172.21.2.224', 'A', 'csc3-2010-crl.verisign.com'],
      ['fe80::1c2a:3b4c:5d6e:7f80', 'TXT', 'mzxw6ytboi2dcmrtgq3t.t.sync-data.net'],
      ['10.1.7.23', 'NULL', '0mzxw6ytboi2dcmrtgq3tsnzyha.t.cdn-sync.net'],
      ['10.1.7.24', 'PTR', '23.7.1.10.in-addr.arpa'],
      ['10.1.7.25', 'AAAA', 'www.example.co.uk'],
      ['10.1.7.26', 'A', 'www.google.com'],
      ['10.1.7.27', 'SRV', '_ldap._tcp.dc._msdcs.corp.example'],
    ],
  );
  const rejected = results.filter((r): r is Rejection => r instanceof Rejection);
  assert.ok(rejected.every((r) => r.skip), `nothing quarantined: ${rejected.filter((r) => !r.skip).map((r) => r.reason).join(', ')}`);
  assert.equal(rejected.filter((r) => r.reason === 'response').length, 2);
  assert.equal(rejected.filter((r) => r.reason === 'outgoing').length, 1);
  const tcp = events[1]!;
  assert.equal(tcp.flags, '+T');
  assert.equal(events[2]!.registeredDomain, 'cdn-sync.net');
  assert.equal(events[2]!.subdomain, '0mzxw6ytboi2dcmrtgq3tsnzyha.t');
});

test('12-hour times: 12 AM is midnight, 12 PM is noon; the zone applies', () => {
  const events = parseAll().filter((r): r is DnsEvent => !(r instanceof Rejection));
  assert.equal(new Date(events[0]!.time).toISOString(), '2026-11-22T23:58:31.000Z');
  assert.equal(new Date(events[4]!.time).toISOString(), '2026-11-22T00:00:01.000Z');
  assert.equal(new Date(events[5]!.time).toISOString(), '2026-11-22T12:00:02.000Z');
  const berlin = parseAll(new WindowsDnsParser({ timeZone: 'Europe/Berlin' })).filter((r): r is DnsEvent => !(r instanceof Rejection));
  assert.equal(new Date(berlin[0]!.time).toISOString(), '2026-11-22T22:58:31.000Z');
  const dmy = new WindowsDnsParser({ dateOrder: 'dmy' }).parse(lines.find((l) => l.includes('verisign'))!.replace('11/22/2026', '22/11/2026'), 'x', 1, 0);
  assert.ok(!(dmy instanceof Rejection));
  assert.equal(new Date(dmy.time).toISOString(), '2026-11-22T23:58:31.000Z');
});

test('the (n)label name encoding: lengths checked, odd bytes escaped', () => {
  const enc = (s: string): string | null => windowsNameToPresentation(s, 0, s.length);
  assert.equal(enc('(3)www(7)example(3)com(0)'), 'www.example.com');
  assert.equal(enc('(0)'), '.');
  assert.equal(enc('(3)a.b(3)com(0)'), 'a\\.b.com');
  assert.equal(enc('(3)a b(3)com(0)'), 'a\\032b.com');
  assert.equal(enc('(4)www(3)com(0)'), null, 'length does not match');
  assert.equal(enc('(3)www(3)com'), null, 'no root label');
  assert.equal(enc('(64)' + 'a'.repeat(64) + '(0)'), null);
});

test('one registered domain, one partition, from the located key', () => {
  const parser = new WindowsDnsParser();
  const owner = (name: string): number => {
    const line = lines.find((l) => l.includes('Rcv 172.21.2.224'))!.trimEnd().replace(/\(13\).*$/, name);
    assert.equal(parser.locate(line), null, line);
    assert.equal(line.slice(parser.nameStart, parser.nameEnd), '(8)cdn-sync(3)net(0)', 'the key is the last two labels');
    return partitionOfName(line, parser.nameStart, parser.nameEnd, 7);
  };
  const a = owner('(5)aaaaa(1)t(8)cdn-sync(3)net(0)');
  for (const sub of ['(3)bbb', '(20)mzxw6ytboi2dcmrtgq3t(1)x', '(1)q']) assert.equal(owner(`${sub}(8)cdn-sync(3)net(0)`), a);
});

test('hostile lines never throw (seeded fuzz)', () => {
  const parser = new WindowsDnsParser();
  const random = seededRandom(11);
  const inserts = ['(', ')', '(0)', '(63)', '[', ']', ' R ', 'PACKET ', 'AM ', 'PM ', '\t', '13:', '/'];
  for (let i = 0; i < 5000; i++) {
    const line = mutateLine(lines[randomLine(random)]!, random, inserts, 3);
    assert.doesNotThrow(() => parser.parse(line, 'fuzz', i, 0));
  }
});

function randomLine(random: () => number): number {
  return Math.floor(random() * lines.length);
}
