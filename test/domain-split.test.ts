/**
 * Registered domain / subdomain split (src/domain/split.ts) through
 * fillNameFacts, on hand-picked names and against tldts on 10,000 real names.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { getDomain } from 'tldts';
import { emptyNameFields, fillNameFacts, type NameFields } from '../src/domain/name-facts.js';
import { repoPath } from './helpers.js';

function facts(name: string): NameFields {
  const target = emptyNameFields();
  const error = fillNameFacts(target, name, 0, name.length);
  assert.equal(error, '', `${JSON.stringify(name)} should be a valid presentation-form name`);
  return target;
}

function split(name: string, registeredDomain: string, subdomain: string, subdomainBytes: number, nameKind: NameFields['nameKind']): NameFields {
  const f = facts(name);
  assert.deepEqual(
    { registeredDomain: f.registeredDomain, subdomain: f.subdomain, subdomainBytes: f.subdomainBytes, nameKind: f.nameKind },
    { registeredDomain, subdomain, subdomainBytes, nameKind },
    JSON.stringify(name),
  );
  return f;
}

test('public suffix list, ICANN section', () => {
  split('www.example.co.uk', 'example.co.uk', 'www', 3, 'normal');
  split('example.co.uk', 'example.co.uk', '', 0, 'normal');
  split('a.b.c.example.com', 'example.com', 'a.b.c', 5, 'normal');
});

test('public suffix list, private section (allowPrivateDomains)', () => {
  split('foo.bar.github.io', 'bar.github.io', 'foo', 3, 'normal');
});

test('a public suffix or a single label is its own group', () => {
  split('co.uk', 'co.uk', '', 0, 'suffix');
  split('localhost', 'localhost', '', 0, 'suffix');
  split('com', 'com', '', 0, 'suffix');
});

test('the root', () => {
  const f = split('.', '.', '', 0, 'root');
  assert.equal(f.qname, '.');
  assert.equal(f.labels, 0);
});

test('reverse zones: in-addr.arpa by /24, ip6.arpa by /48', () => {
  split('4.3.2.1.in-addr.arpa', '3.2.1.in-addr.arpa', '4', 1, 'reverse');
  split('3.2.1.in-addr.arpa', '3.2.1.in-addr.arpa', '', 0, 'reverse');
  const nibbles = '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2';
  // 2001:0db8:0000::/48 is 12 nibbles: 0.0.0.0.8.b.d.0.1.0.0.2; the other 20 nibbles (+ 19 dots) are the subdomain.
  split(`${nibbles}.ip6.arpa`, '0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa', '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0', 39, 'reverse');
  split('4.3.2.1.IN-ADDR.ARPA', '3.2.1.in-addr.arpa', '4', 1, 'reverse');
});

test('an IPv4 literal queried as a name', () => {
  split('10.1.2.3', '10.1.2.3', '', 0, 'ip');
});

test('too long: a 64-byte label or a name over 253 bytes is invalid, grouped by its last two labels', () => {
  const l64 = 'x'.repeat(64);
  split(`${l64}.evil.com`, 'evil.com', l64, 64, 'invalid');
  const l63 = 'y'.repeat(63);
  split(`${l63}.evil.com`, 'evil.com', l63, 63, 'normal');
  // 4 × 63 + 3 dots + ".com" = 259 bytes
  const long = `${l63}.${l63}.${l63}.${l63}.com`;
  assert.equal(facts(long).qnameBytes, 259);
  assert.equal(facts(long).nameKind, 'invalid');
  // exactly 253 is still valid
  const max = `${l63}.${l63}.${l63}.${'z'.repeat(57)}.com`;
  assert.equal(facts(max).qnameBytes, 253);
  assert.equal(facts(max).nameKind, 'normal');
});

test('underscore labels (validation off)', () => {
  split('_dmarc.example.com', 'example.com', '_dmarc', 6, 'normal');
  split('_sip._udp.example.com', 'example.com', '_sip._udp', 9, 'normal');
});

test('escaped bytes in the subdomain count as the bytes they stand for', () => {
  // `\001\255.t` = 2 bytes + dot + 1
  split('\\001\\255.t.evil.com', 'evil.com', '\\001\\255.t', 4, 'normal');
  // `a\\` is the label a + backslash (2 bytes), then a real dot
  split('a\\\\.evil.com', 'evil.com', 'a\\\\', 2, 'normal');
  split('x\\.y.evil.com', 'evil.com', 'x\\.y', 3, 'normal');
});

test('an escaped label inside the registrable part makes the name invalid', () => {
  split('\\001.com', '\\001.com', '', 0, 'invalid');
  split('www.ev\\001il.com', 'ev\\001il.com', 'www', 3, 'invalid');
});

test('an escaped dot does not split a label: `a\\.evil.com` has the two labels `a.evil` and `com`', () => {
  // Whatever group an invalid name gets, the cut must fall on a real label boundary:
  // grouping by the last two labels gives the whole name and no subdomain.
  split('a\\.evil.com', 'a\\.evil.com', '', 0, 'invalid');
});

test('mixed case is lower-cased for grouping, kept in qname; a trailing dot is dropped', () => {
  const f = split('WwW.ExAmPlE.Co.Uk', 'example.co.uk', 'www', 3, 'normal');
  assert.equal(f.qname, 'WwW.ExAmPlE.Co.Uk');
  assert.equal(f.qnameLower, 'www.example.co.uk');
  const fq = split('www.example.com.', 'example.com', 'www', 3, 'normal');
  assert.equal(fq.qname, 'www.example.com');
  assert.equal(fq.qnameBytes, 15);
  const escapedDot = facts('a\\.');
  assert.equal(escapedDot.qname, 'a\\.', 'an escaped final dot is part of the label');
});

test('10,000 real names (Cisco Umbrella top list) split as tldts getDomain with private domains', () => {
  const file = repoPath('../shared/data/names/umbrella-top-100k.txt');
  assert.ok(existsSync(file), `missing ${file}: the shared data set ../shared/data/names/umbrella-top-100k.txt is needed for this test (see ../shared/data/README.md)`);
  const names = readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.includes('\\') && !l.endsWith('.arpa') && !/^[0-9.]+$/.test(l))
    .slice(0, 10_000);
  assert.equal(names.length, 10_000);
  const mismatches: string[] = [];
  let suffixes = 0;
  for (const name of names) {
    const f = facts(name);
    const expected = getDomain(name, { allowPrivateDomains: true });
    if (expected !== null) {
      if (f.registeredDomain !== expected || f.nameKind !== 'normal') mismatches.push(`${name}: ${f.registeredDomain} (${f.nameKind}), tldts ${expected}`);
    } else if (f.nameKind === 'suffix') {
      // tldts has no registrable domain: the name is a public suffix, its own group.
      suffixes++;
      if (f.registeredDomain !== name.toLowerCase()) mismatches.push(`${name}: suffix grouped as ${f.registeredDomain}`);
    } else {
      // tldts' default hostname validation rejects labels starting or ending with '-' (real CDN names have them);
      // the split skips that validation, so compare with tldts without it.
      const unvalidated = getDomain(name, { allowPrivateDomains: true, validateHostname: false });
      const hyphenLabel = name.split('.').some((l) => l.startsWith('-') || l.endsWith('-'));
      if (!hyphenLabel || f.registeredDomain !== unvalidated) mismatches.push(`${name}: ${f.registeredDomain} (${f.nameKind}), tldts null / unvalidated ${unvalidated}`);
    }
    const lower = name.toLowerCase();
    if (f.subdomain !== '' && `${f.subdomain}.${f.registeredDomain}` !== lower) mismatches.push(`${name}: subdomain ${f.subdomain} does not join`);
    if (f.subdomainBytes !== f.subdomain.length) mismatches.push(`${name}: subdomainBytes ${f.subdomainBytes}`);
  }
  assert.deepEqual(mismatches.slice(0, 20), []);
  assert.ok(suffixes < 100, `suffixes: ${suffixes}`);
});
