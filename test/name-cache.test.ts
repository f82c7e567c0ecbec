/**
 * The recent-names cache in front of the name scan and public-suffix split (src/domain/name-cache.ts,
 * used by fillNameFacts): a hit gives exactly what a fresh scan gives, texts that share a hash are
 * told apart, and a flood of unique names cannot grow it past its bound.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashText, NameCache, type KnownName } from '../src/domain/name-cache.js';
import { emptyNameFields, fillNameFacts, recentNamesHeld } from '../src/domain/name-facts.js';

const blank = emptyNameFields;

function entry(text: string, hash = hashText(text, 0, text.length)): KnownName {
  return { text, hash, qname: text, qnameLower: text, qnameBytes: text.length, labels: 1, longestLabel: text.length, registeredDomain: text, subdomain: '', subdomainBytes: 0, nameKind: 'normal', error: '' };
}

test('a name met again inside a line gives the same facts as the first time, with the same string objects', () => {
  const names = ['WWW.Example.CO.UK.', 'mrzgs3tlebww64tf.t.evil.com', 'a\\.b.example.com', '1.2.3.4', '4.3.2.10.in-addr.arpa', 'x\\255y.tunnel.example'];
  for (const name of names) {
    const line = `22-Nov-2026 00:00:00.001 client 10.0.0.1#53: query: ${name} IN A +`;
    const start = line.indexOf(name);
    const first = blank();
    const second = blank();
    assert.equal(fillNameFacts(first, line, start, start + name.length), '');
    // The same text in another line, at another place.
    const other = `client 10.9.9.9#1: query: ${name} IN TXT`;
    const at = other.indexOf(name);
    assert.equal(fillNameFacts(second, other, at, at + name.length), '');
    assert.deepEqual(second, first, name);
    assert.ok(Object.is(second.registeredDomain, first.registeredDomain) && Object.is(second.qnameLower, first.qnameLower));
  }
});

test('names of one registered domain share one domain string object', () => {
  const a = blank();
  const b = blank();
  fillNameFacts(a, 'one.shared-zone.example.org', 0, 27);
  fillNameFacts(b, 'two.shared-zone.example.org', 0, 27);
  assert.equal(a.registeredDomain, 'example.org');
  assert.ok(Object.is(a.registeredDomain, b.registeredDomain));
});

test('a rejected name stays rejected when met again', () => {
  for (const bad of ['a..b.com', 'bad\\9.com', 'tab\u0001.com']) {
    assert.notEqual(fillNameFacts(blank(), bad, 0, bad.length), '');
    assert.equal(fillNameFacts(blank(), bad, 0, bad.length), fillNameFacts(blank(), bad, 0, bad.length));
  }
});

test('texts with the same hash are told apart; other lengths and prefixes do not match', () => {
  const cache = new NameCache(16);
  cache.add(entry('alpha.example', 7));
  cache.add(entry('bravo.example', 7));
  const line = 'x bravo.example alpha.example alpha.examplez';
  assert.equal(cache.get(line, 2, 15, 7)?.text, 'bravo.example');
  assert.equal(cache.get(line, 16, 29, 7)?.text, 'alpha.example');
  assert.equal(cache.get(line, 30, 44, 7), undefined); // alpha.examplez: longer
  assert.equal(cache.get(line, 16, 28, 7), undefined); // alpha.exampl: a prefix
});

test('a flood of unique names keeps at most two generations, and recent names survive a turnover', () => {
  const capacity = 1000;
  const cache = new NameCache(capacity);
  const hot = entry('hot.example.com');
  cache.add(hot);
  for (let i = 0; i < 50_000; i++) {
    const text = `u${i}.flood.example`;
    cache.add(entry(text));
    assert.ok(cache.size <= 2 * capacity);
    // Asked about every few hundred names, the hot name is moved forward and never dropped.
    if (i % 300 === 0) assert.equal(cache.get(hot.text, 0, hot.text.length, hot.hash), hot, `lost at ${i}`);
  }
  assert.equal(cache.get('u0.flood.example', 0, 16, hashText('u0.flood.example', 0, 16)), undefined);
  const last = 'u49999.flood.example';
  assert.ok(cache.get(last, 0, last.length, hashText(last, 0, last.length)) !== undefined);
});

test('long names turn a generation over by their characters, not only by their count', () => {
  const cache = new NameCache(10_000, 50_000);
  const long = 'x'.repeat(990);
  for (let i = 0; i < 5_000; i++) {
    const text = `${long}${i}.example`;
    cache.add(entry(text));
    // At most 50,000 characters per generation (one name may pass it), two generations.
    assert.ok(cache.size <= 2 * (Math.ceil(50_000 / 1000) + 1), `size ${cache.size} after ${i + 1}`);
  }
});

test('names longer than any valid escaped name are answered but not kept', () => {
  const label = 'a'.repeat(60);
  const held = recentNamesHeld();
  for (let i = 0; i < 100; i++) {
    // Over-long and invalid (> 253 bytes): still split as invalid, every time the same way.
    const name = `n${i}.` + Array.from({ length: 20 }, () => label).join('.') + '.example.com';
    const a = blank();
    const b = blank();
    assert.equal(fillNameFacts(a, name, 0, name.length), '');
    assert.equal(fillNameFacts(b, name, 0, name.length), '');
    assert.equal(a.nameKind, 'invalid');
    assert.deepEqual(a, b);
  }
  assert.equal(recentNamesHeld(), held);
  const short = 'kept-name.example.com';
  fillNameFacts(blank(), short, 0, short.length);
  assert.equal(recentNamesHeld(), held + 1);
});

test('a flood of names never seen again turns the cache off for a while, and it comes back', () => {
  const flood = (from: number, n: number): void => {
    for (let i = from; i < from + n; i++) {
      const name = `f${i}.flood-zone.example`;
      const t = blank();
      assert.equal(fillNameFacts(t, name, 0, name.length), '');
      assert.equal(t.registeredDomain, 'flood-zone.example');
    }
  };
  // Three sampling rounds of misses: at least one whole round is all misses.
  flood(0, 3 * 4096);
  const held = recentNamesHeld();
  assert.equal(held, 0, 'the flood names held are dropped');
  flood(100_000, 1000);
  assert.equal(recentNamesHeld(), held, 'names are not stored while the cache is off');
  // Ordinary traffic again: one popular name. Past the pause the cache is asked and keeps it.
  const popular = 'www.popular.example.org';
  for (let i = 0; i < 40_000; i++) {
    const t = blank();
    fillNameFacts(t, popular, 0, popular.length);
    assert.equal(t.registeredDomain, 'example.org');
  }
  const a = blank();
  const b = blank();
  fillNameFacts(a, popular, 0, popular.length);
  fillNameFacts(b, popular, 0, popular.length);
  assert.ok(Object.is(a.subdomain, b.subdomain) && Object.is(a.qname, b.qname), 'served from the cache again');
});
