/**
 * Presentation-form name scanning (RFC 1035 §5.1 escapes as BIND writes them)
 * on hand-picked inputs, and a seeded round trip against a reference encoder.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodePresentation, newNameScan, presentationBytes, scanPresentationName, type NameScan } from '../src/parsers/presentation-name.js';
import { randomInt, seededRandom } from './helpers.js';

function scan(text: string): NameScan {
  return { ...scanPresentationName(text, 0, text.length, newNameScan()) };
}

function ok(text: string, expected: { bytes: number; labels: number; longestLabel: number; escaped: boolean; hasUpper?: boolean }): void {
  const s = scan(text);
  assert.equal(s.ok, true, `${JSON.stringify(text)} should scan, got ${s.error}`);
  assert.equal(s.error, '');
  assert.equal(s.bytes, expected.bytes, `bytes of ${JSON.stringify(text)}`);
  assert.equal(s.labels, expected.labels, `labels of ${JSON.stringify(text)}`);
  assert.equal(s.longestLabel, expected.longestLabel, `longestLabel of ${JSON.stringify(text)}`);
  assert.equal(s.escaped, expected.escaped, `escaped of ${JSON.stringify(text)}`);
  if (expected.hasUpper !== undefined) assert.equal(s.hasUpper, expected.hasUpper, `hasUpper of ${JSON.stringify(text)}`);
}

function bad(text: string, error: NameScan['error']): void {
  const s = scan(text);
  assert.equal(s.ok, false, `${JSON.stringify(text)} should not scan`);
  assert.equal(s.error, error, `error for ${JSON.stringify(text)}`);
}

test('the root and fully-qualified names', () => {
  ok('.', { bytes: 0, labels: 0, longestLabel: 0, escaped: false });
  ok('www.example.com', { bytes: 15, labels: 3, longestLabel: 7, escaped: false, hasUpper: false });
  ok('www.example.com.', { bytes: 15, labels: 3, longestLabel: 7, escaped: false });
  ok('com', { bytes: 3, labels: 1, longestLabel: 3, escaped: false });
  ok('a', { bytes: 1, labels: 1, longestLabel: 1, escaped: false });
});

test('escaped dots and backslashes', () => {
  // `\.` is a dot inside the label: one label `a.b` (3 bytes) + `c`.
  ok('a\\.b.c', { bytes: 5, labels: 2, longestLabel: 3, escaped: true });
  // `\\` is a backslash, the following dot is real: labels `a\` (2) and `b` (1).
  ok('a\\\\.b', { bytes: 4, labels: 2, longestLabel: 2, escaped: true });
  // `\\` then `\.`: one label a, \, ., b.
  ok('a\\\\\\.b', { bytes: 4, labels: 1, longestLabel: 4, escaped: true });
  // A trailing escaped dot is part of the last label, not the root.
  ok('a\\.', { bytes: 2, labels: 1, longestLabel: 2, escaped: true });
  // An escaped backslash before a real trailing dot: the dot is the root.
  ok('a\\\\.', { bytes: 2, labels: 1, longestLabel: 2, escaped: true });
  ok('\\.', { bytes: 1, labels: 1, longestLabel: 1, escaped: true });
});

test('decimal escapes count one byte', () => {
  ok('\\000', { bytes: 1, labels: 1, longestLabel: 1, escaped: true });
  ok('\\255\\000x.t', { bytes: 5, labels: 2, longestLabel: 3, escaped: true });
  ok('uni\\195\\169.t.example.net', { bytes: 19, labels: 4, longestLabel: 7, escaped: true });
  ok('spa\\032ce', { bytes: 6, labels: 1, longestLabel: 6, escaped: true });
  // `\X` for a non-digit X is X itself.
  ok('\\-\\a\\"', { bytes: 3, labels: 1, longestLabel: 3, escaped: true });
});

test('bad escapes', () => {
  bad('\\256', 'bad_escape');
  bad('a\\256b.com', 'bad_escape');
  bad('a\\999', 'bad_escape');
  bad('a\\12', 'bad_escape'); // two digits at the end
  bad('a\\1', 'bad_escape');
  bad('a\\12b', 'bad_escape'); // two digits then a letter
  bad('abc\\', 'bad_escape'); // backslash at the end
  bad('a\\\\\\', 'bad_escape'); // `\\` then a lone `\`
});

test('raw bytes that BIND would have escaped', () => {
  bad('a b', 'raw_byte');
  bad('a\tb', 'raw_byte');
  bad('a\x00b', 'raw_byte');
  bad('a\x7fb', 'raw_byte');
  bad('a\x80b', 'raw_byte');
  bad('\xffz.com', 'raw_byte');
  bad('a\\\x80', 'raw_byte'); // an escaped raw high byte is still a raw byte
});

test('empty labels', () => {
  bad('a..b', 'empty_label');
  bad('.a', 'empty_label');
  bad('a.b..', 'empty_label');
  bad('..', 'empty_label');
  bad('', 'empty_label');
});

test('hasUpper sees unescaped ASCII capitals only as capitals', () => {
  ok('Www.Example.COM', { bytes: 15, labels: 3, longestLabel: 7, escaped: false, hasUpper: true });
  ok('www.example.com', { bytes: 15, labels: 3, longestLabel: 7, escaped: false, hasUpper: false });
  // \065 is 'A' given as a number: not a letter in the text, and lower-casing the text would not change it.
  ok('\\065bc', { bytes: 3, labels: 1, longestLabel: 3, escaped: true, hasUpper: false });
});

test('long labels are measured, not judged (the domain split decides)', () => {
  const l63 = 'a'.repeat(63);
  const l64 = 'b'.repeat(64);
  ok(`${l63}.com`, { bytes: 67, labels: 2, longestLabel: 63, escaped: false });
  ok(`${l64}.com`, { bytes: 68, labels: 2, longestLabel: 64, escaped: false });
  ok(`${'\\255'.repeat(64)}.com`, { bytes: 68, labels: 2, longestLabel: 64, escaped: true });
});

test('scans only the given range, and a reused result object is reset', () => {
  const text = 'xx www.Example.com yy';
  const out = newNameScan();
  scanPresentationName(text, 3, 18, out);
  assert.equal(out.ok, true);
  assert.equal(out.bytes, 15);
  assert.equal(out.labels, 3);
  assert.equal(out.hasUpper, true);
  scanPresentationName('a..b', 0, 4, out);
  assert.equal(out.ok, false);
  scanPresentationName('ab.c', 0, 4, out);
  assert.deepEqual({ ...out }, { ok: true, error: '', bytes: 4, labels: 2, longestLabel: 2, escaped: false, hasUpper: false });
});

test('presentationBytes counts un-escaped bytes, dots included', () => {
  assert.equal(presentationBytes('a\\.b', 0, 4), 3);
  assert.equal(presentationBytes('\\001\\255.t', 0, 10), 4);
  assert.equal(presentationBytes('a\\\\', 0, 3), 2);
  assert.equal(presentationBytes('xx.yy', 0, 5), 5);
});

/** Reference: BIND's dns_name_format for one label: `\DDD` outside 0x21–0x7e, a backslash before . \ " ( ) ; @ $. */
function encodeLabel(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) {
    if (b < 0x21 || b > 0x7e) out += '\\' + String(b).padStart(3, '0');
    else {
      const ch = String.fromCharCode(b);
      out += '.\\"();@$'.includes(ch) ? '\\' + ch : ch;
    }
  }
  return out;
}

function randomLabel(random: () => number): Uint8Array {
  const length = 1 + randomInt(random, 63);
  const bytes = new Uint8Array(length);
  // Half the labels are mostly printable, so plain characters and the special ones get exercised too.
  const printable = random() < 0.5;
  for (let i = 0; i < length; i++) bytes[i] = printable && random() < 0.9 ? 0x20 + randomInt(random, 0x60) : randomInt(random, 256);
  return bytes;
}

test('reference encoder self-check', () => {
  assert.equal(encodeLabel(new Uint8Array([0x61, 0x2e, 0x5c, 0x22, 0x28, 0x29, 0x3b, 0x40, 0x24, 0x20, 0x09, 0x7f, 0xff, 0x2a])), 'a\\.\\\\\\"\\(\\)\\;\\@\\$\\032\\009\\127\\255*');
});

test('5,000 random byte labels: decodePresentation(encode(bytes)) = bytes, and the scan measures them', () => {
  const random = seededRandom(5000);
  for (let i = 0; i < 5000; i++) {
    const bytes = randomLabel(random);
    const text = encodeLabel(bytes);
    assert.deepEqual(decodePresentation(text), bytes, `label ${i}: ${JSON.stringify(text)}`);
    const s = scan(text);
    assert.equal(s.ok, true, `label ${i}: ${JSON.stringify(text)} (${s.error})`);
    assert.equal(s.labels, 1);
    assert.equal(s.bytes, bytes.length);
    assert.equal(s.longestLabel, bytes.length);
    assert.equal(s.escaped, text.includes('\\'));
    assert.equal(s.hasUpper, bytes.some((b) => b >= 0x41 && b <= 0x5a));
    assert.equal(presentationBytes(text, 0, text.length), bytes.length);
  }
});

test('random multi-label names: bytes and label counts match the reference', () => {
  const random = seededRandom(77);
  for (let i = 0; i < 1000; i++) {
    const labels = Array.from({ length: 1 + randomInt(random, 4) }, () => randomLabel(random));
    const text = labels.map(encodeLabel).join('.');
    const s = scan(text);
    assert.equal(s.ok, true, JSON.stringify(text));
    assert.equal(s.labels, labels.length);
    assert.equal(s.bytes, labels.reduce((n, l) => n + l.length, 0) + labels.length - 1);
    assert.equal(s.longestLabel, Math.max(...labels.map((l) => l.length)));
    const fq = scan(text + '.');
    assert.equal(fq.bytes, s.bytes, 'a trailing dot is not counted');
    const expected = new Uint8Array(s.bytes);
    let n = 0;
    labels.forEach((l, k) => {
      if (k > 0) expected[n++] = 0x2e;
      expected.set(l, n);
      n += l.length;
    });
    assert.deepEqual(decodePresentation(text), expected);
  }
});
