/**
 * Per-query features (src/features/query-features.ts): hand-picked names,
 * charset detection on generated encodings, hostile inputs, a seeded
 * invariant test against simple reference implementations, the separation of
 * benign and tunnel names on real data (netrack: dns2tcp, dnscapy, iodine,
 * plain; WRCCDC 2018 Zeek log), and the trigram model being exactly what
 * its generator produces.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { fillNameFacts } from '../src/domain/name-facts.js';
import type { DnsEvent } from '../src/event.js';
import { BOUNDARY, COST_SCALE, SYMBOLS, SYMBOL_OF_BYTE } from '../src/features/ngram-alphabet.js';
import { BENIGN_BITS, RANDOM_BITS, TRIGRAM_COSTS } from '../src/features/ngram-model.js';
import { renderModelModule, trainModel } from '../src/features/ngram-train.js';
import { extractFeatures, isRareQueryType, newQueryFeatures, type Charset, type QueryFeatures } from '../src/features/query-features.js';
import { randomInt, repoPath, seededRandom } from './helpers.js';

function blankEvent(qtype = 'A'): DnsEvent {
  return {
    time: 0,
    clientIp: '10.0.0.1',
    clientPort: -1,
    qname: '',
    qnameLower: '',
    qnameBytes: 0,
    labels: 0,
    longestLabel: 0,
    qclass: 'IN',
    qtype,
    flags: '',
    serverIp: '',
    registeredDomain: '',
    subdomain: '',
    subdomainBytes: 0,
    nameKind: 'normal',
    position: { source: 'test', line: 1, offset: 0 },
  };
}

/** An event for a presentation-form name, split as the pipeline does. */
function event(name: string, qtype = 'A'): DnsEvent {
  const e = blankEvent(qtype);
  assert.equal(fillNameFacts(e, name, 0, name.length), '', `${JSON.stringify(name)} should be a valid presentation-form name`);
  return e;
}

const out = newQueryFeatures();
function features(name: string, qtype = 'A'): QueryFeatures {
  return { ...extractFeatures(event(name, qtype), out) };
}

function median(values: number[]): number {
  const s = Float64Array.from(values).sort();
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Probability that a random `high` value exceeds a random `low` value (ties half): the ROC AUC. */
function auc(high: number[], low: number[]): number {
  const all = [...high.map((v) => ({ v, h: 1 })), ...low.map((v) => ({ v, h: 0 }))].sort((a, b) => a.v - b.v);
  let rankSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j]!.v === all[i]!.v) j++;
    const avgRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (all[k]!.h === 1) rankSum += avgRank;
    i = j;
  }
  return (rankSum - (high.length * (high.length + 1)) / 2) / (high.length * low.length);
}

// ─── reference implementations: slow and obvious ─────────────────────────────

/** Labels of a presentation-form span as byte arrays (`\DDD` one byte, `\X` the byte X). */
function refLabels(text: string): number[][] {
  const labels: number[][] = [[]];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '.') {
      labels.push([]);
    } else if (ch === '\\' && i + 1 < text.length) {
      const digits = text.slice(i + 1, i + 4);
      if (/^[0-9]{3}$/.test(digits)) {
        labels[labels.length - 1]!.push(Number(digits) & 0xff);
        i += 3;
      } else {
        labels[labels.length - 1]!.push(text.charCodeAt(i + 1) & 0xff);
        i += 1;
      }
    } else {
      labels[labels.length - 1]!.push(text.charCodeAt(i) & 0xff);
    }
  }
  return labels;
}

function refEntropy(bytes: number[]): number {
  const counts = new Map<number, number>();
  for (const b of bytes) counts.set(b, (counts.get(b) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) {
    const p = c / bytes.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** Binary if any byte is outside 0x21–0x7e, else the class of the first longest label. */
function refCharset(labels: number[][]): Charset {
  if (/[^\x21-\x7e]/.test(String.fromCharCode(...labels.flat()))) return 'binary';
  const longest = labels.reduce((a, l) => (l.length > a.length ? l : a), [] as number[]);
  const p = String.fromCharCode(...longest);
  if (p.length >= 8) {
    if (/^[0-9a-f]+$/i.test(p) && /[0-9]/.test(p) && /[a-f]/i.test(p)) return 'hex';
    if (/^[a-z2-7]+$/i.test(p) && /[2-7][a-z]/i.test(p)) return 'base32';
    if (/^[A-Za-z0-9+/=_-]+$/.test(p) && /[a-z]/.test(p) && /[A-Z]/.test(p) && /[0-9+/=]/.test(p)) {
      return /[+/=]/.test(p) ? 'base64' : /[-_]/.test(p) ? 'base64url' : 'base64';
    }
  }
  return /^[A-Za-z0-9_-]*$/.test(p) ? 'text' : 'mixed';
}

function refLikeness(labels: number[][]): number {
  let cost = 0;
  let n = 0;
  for (const label of labels) {
    let p1 = BOUNDARY;
    let p2 = BOUNDARY;
    for (const b of [...label.map((x) => SYMBOL_OF_BYTE[x]!), BOUNDARY]) {
      cost += TRIGRAM_COSTS[(p1 * SYMBOLS + p2) * SYMBOLS + b]!;
      n++;
      p1 = p2;
      p2 = b;
    }
  }
  const bits = cost / COST_SCALE / n;
  return Math.min(1, Math.max(0, (RANDOM_BITS - bits) / (RANDOM_BITS - BENIGN_BITS)));
}

// ─── hand-picked ─────────────────────────────────────────────────────────────

test('hand-picked names: sizes, ratios, case from the original qname, escapes', () => {
  const www = features('www.example.com');
  assert.deepEqual(
    { ...www, entropy: Number(www.entropy.toFixed(12)) },
    { subdomainBytes: 3, labels: 1, longestLabel: 3, entropy: 0, digitRatio: 0, upperRatio: 0, nonAlnumRatio: 0, charset: 'text', englishLikeness: www.englishLikeness, rareType: false },
  );
  assert.ok(www.englishLikeness > 0.9, `www: ${www.englishLikeness}`);

  const apex = features('example.com', 'TXT');
  assert.deepEqual(apex, { subdomainBytes: 0, labels: 0, longestLabel: 0, entropy: 0, digitRatio: 0, upperRatio: 0, nonAlnumRatio: 0, charset: 'text', englishLikeness: 1, rareType: true });

  const mixed = features('AbC1.d-E.Example.COM.');
  assert.equal(mixed.subdomainBytes, 8);
  assert.equal(mixed.labels, 2);
  assert.equal(mixed.longestLabel, 4);
  assert.equal(mixed.upperRatio, 3 / 7, 'A, C, E of AbC1dE- (the registered domain does not count)');
  assert.equal(mixed.digitRatio, 1 / 7);
  assert.equal(mixed.nonAlnumRatio, 1 / 7);
  assert.ok(Math.abs(mixed.entropy - Math.log2(7)) < 1e-12, 'seven distinct bytes');

  // `\DDD` is one byte, `\.` a data byte inside the label, `\A` the letter A (upper case).
  const esc = features('a\\.b\\000\\A.example.com');
  assert.equal(esc.subdomainBytes, 5);
  assert.equal(esc.labels, 1);
  assert.equal(esc.longestLabel, 5);
  assert.equal(esc.charset, 'binary', 'a NUL byte');
  assert.equal(esc.upperRatio, 1 / 5);
  assert.equal(esc.nonAlnumRatio, 2 / 5);
  assert.ok(Math.abs(esc.entropy - refEntropy([0x61, 0x2e, 0x62, 0, 0x61])) < 1e-12, 'lower-cased bytes: a . b NUL a');
  assert.equal(features('a\\.bcdefghij.example.com').charset, 'mixed', 'an escaped dot is a data byte outside every encoding alphabet');

  // Entropy is over the subdomain's bytes, which are lower-cased (DNS names are case-insensitive).
  assert.equal(features('aAaAaAaAaA.example.com').entropy, 0);
  assert.equal(features('aAaAaAaAaA.example.com').upperRatio, 0.5);
  assert.equal(features('a\\065.example.com').entropy, 1, 'an escaped byte keeps its value: \\065 is A, not a');
});

test('charset thresholds on hand-picked payloads', () => {
  const cases: Array<[string, Charset]> = [
    ['deadbeef01.x.com', 'hex'],
    ['DEADBEEF01.x.com', 'hex'],
    ['3f2504e04f8911d39a0c0305e82c3301.x.com', 'hex'],
    ['dead01.x.com', 'text'], // < 8 bytes
    ['12345678901234.x.com', 'text'], // a number, not hex
    ['deadbeefcafe.x.com', 'text'], // no digit: words made of a–f
    ['mfrgg2dfmztwq2lk.x.com', 'base32'],
    ['MFRGG2DFMZTWQ2LK.x.com', 'base32'],
    ['mfrgg2dfmz.t1.x.com', 'base32'], // the longest label decides: a tunnel below a sub-zone
    ['3f2504e04f8911d3.9a0c.tunnel.x.com', 'hex'],
    ['mfrgg.2dfmz.x.com', 'text'], // every label shorter than 8
    ['clients4.x.com', 'text'], // digits only at label ends: host numbering
    ['eastus2.cloudapp.x.com', 'text'],
    ['accountsmail.x.com', 'text'], // letters only: words
    ['q+Z8AnwaBA.x.com', 'base64'],
    ['aGVsbG8/d29ybGQ=.x.com', 'base64'],
    ['aB3-dE_fG9hI.x.com', 'base64url'],
    ['aB3dEfG9hIjK.x.com', 'base64'],
    ['aB3-dE+fG9hI.x.com', 'base64'], // DNS tunnels mix alphabets (iodine's -+)
    ['FaceBookLogin.x.com', 'text'], // mixed case, no digit: not an encoding
    ['my-host_01.x.com', 'text'],
    ['a*b.x.com', 'mixed'],
    ['abc+def+ghi.x.com', 'mixed'], // + without mixed case
    ['a\\200bcdefgh.x.com', 'binary'],
    ['a\\032b.x.com', 'binary'], // space
  ];
  const wrong: string[] = [];
  for (const [name, expected] of cases) {
    const got = features(name).charset;
    if (got !== expected) wrong.push(`${name}: ${got}, expected ${expected}`);
  }
  assert.deepEqual(wrong, []);
});

test('rareType: the documented list', () => {
  for (const t of ['A', 'AAAA', 'HTTPS', 'SVCB', 'PTR', 'NS', 'SOA', 'DS', 'DNSKEY', 'TYPE65', 'TYPE64', 'TYPE1', 'TYPE28', 'type65', 'aaaa', '', '-']) {
    assert.equal(isRareQueryType(t), false, t);
  }
  for (const t of ['TXT', 'NULL', 'CNAME', 'MX', 'SRV', 'KEY', 'ANY', 'TYPE65399', 'PRIVATE', 'TYPE10', 'TYPE16', 'TYPE99999', 'txt', 'NAPTR', 'CAA', 'AXFR', 'TYPEX', 'TYPE1234567890', '*']) {
    assert.equal(isRareQueryType(t), true, t);
  }
  assert.equal(features('x.example.com', 'NULL').rareType, true);
  assert.equal(features('x.example.com', 'A').rareType, false);
});

test('the result object is reused, every field rewritten', () => {
  const r = newQueryFeatures();
  const a = extractFeatures(event('Q+Z8AnwaBA.tunnel.example.com', 'TXT'), r);
  assert.equal(a, r);
  assert.equal(r.charset, 'base64');
  const b = extractFeatures(event('example.com'), r);
  assert.equal(b, r);
  assert.deepEqual(r, newQueryFeatures());
});

// ─── generated encodings ─────────────────────────────────────────────────────

const B32 = 'abcdefghijklmnopqrstuvwxyz234567';
function base32(bytes: Uint8Array): string {
  let s = '';
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      s += B32[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) s += B32[(acc << (5 - bits)) & 31];
  return s;
}

/** Splits a payload into labels of at most 63 characters, as tunnels do. */
function labelled(payload: string, size = 63): string {
  const parts: string[] = [];
  for (let i = 0; i < payload.length; i += size) parts.push(payload.slice(i, i + size));
  return parts.join('.');
}

function randomBytes(random: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = randomInt(random, 256);
  return b;
}

test('charset of random bytes in known encodings (500 each, 20–100 bytes of data)', (t) => {
  const random = seededRandom(4648);
  const tally: Record<string, Record<string, number>> = {};
  const wrong: string[] = [];
  // Below a sub-zone, as iodine's documentation suggests (`t1.example.com`).
  const check = (kind: string, payload: string, expected: Charset): void => {
    const got = features(`${payload.includes('\\') ? payload : labelled(payload)}.t1.example.com`).charset;
    (tally[kind] ??= {})[got] = (tally[kind]![got] ?? 0) + 1;
    if (got !== expected) wrong.push(`${kind}: ${payload} → ${got}`);
  };
  for (let i = 0; i < 500; i++) {
    const data = randomBytes(random, 20 + randomInt(random, 81));
    check('hex', Buffer.from(data).toString('hex'), 'hex');
    check('HEX', Buffer.from(data).toString('hex').toUpperCase(), 'hex');
    check('base32', base32(data), 'base32');
    check('BASE32', base32(data).toUpperCase(), 'base32');
    const b64 = Buffer.from(data).toString('base64');
    check('base64', b64, 'base64');
    const url = Buffer.from(data).toString('base64url');
    check('base64url', url, /[-_]/.test(url.slice(0, 63)) ? 'base64url' : 'base64'); // the first 63 characters: the longest label
    // iodine's raw/Base128 labels: letters, digits and bytes 0xbc–0xfd, written \DDD by BIND.
    let raw = '';
    for (let j = 0; j < 40; j++) {
      const v = randomInt(random, 128);
      raw += v < 62 ? 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'[v] : `\\${0xbc + v - 62}`;
    }
    check('base128', raw, 'binary');
  }
  t.diagnostic(`charset of generated encodings: ${JSON.stringify(tally)}`);
  // Random strings can fit a smaller alphabet by chance: a 32-character base32 label lacks a 2–7
  // digit followed by a letter with probability ≈ 0.2%, a 27-character base64 label fits
  // [A-Za-z2-7] with probability ≈ 1%. Hex and binary must never miss.
  for (const kind of Object.keys(tally)) {
    const misses = wrong.filter((w) => w.startsWith(`${kind}:`));
    assert.ok(misses.length <= (kind === 'hex' || kind === 'HEX' || kind === 'base128' ? 0 : 5), misses.join('\n'));
  }
});

// ─── hostile inputs ──────────────────────────────────────────────────────────

function assertSane(f: QueryFeatures, what: string): void {
  for (const k of ['subdomainBytes', 'labels', 'longestLabel', 'entropy', 'digitRatio', 'upperRatio', 'nonAlnumRatio', 'englishLikeness'] as const) {
    assert.ok(Number.isFinite(f[k]) && f[k] >= 0, `${what}: ${k} = ${f[k]}`);
  }
  for (const k of ['digitRatio', 'upperRatio', 'nonAlnumRatio', 'englishLikeness'] as const) assert.ok(f[k] <= 1, `${what}: ${k} = ${f[k]}`);
  assert.ok(f.entropy <= 8, `${what}: entropy ${f.entropy}`);
  assert.ok(['hex', 'base32', 'base64', 'base64url', 'binary', 'text', 'mixed'].includes(f.charset), what);
}

test('hostile inputs never throw and give sane figures', () => {
  const r = newQueryFeatures();
  const long = 'a'.repeat(10_000);
  const allEscapes = '\\255'.repeat(2_500);
  const names = [
    `${long}.example.com`,
    `${'abcdefghij.'.repeat(1000)}example.com`,
    `${allEscapes}.example.com`,
    `${'\\.'.repeat(5000)}.example.com`,
    `${'\\\\'.repeat(5000)}.example.com`,
    'x.example.com',
    'example.com',
    '.',
    'com',
    '1.2.3.4',
    '4.3.2.1.in-addr.arpa',
  ];
  for (const name of names) assertSane(extractFeatures(event(name), r), name.slice(0, 40));
  const big = extractFeatures(event(`${allEscapes}.example.com`), r);
  assert.equal(big.subdomainBytes, 2_500);
  assert.equal(big.charset, 'binary');
  assert.equal(big.entropy, 0);

  // Hand-built events that break the parser's contract.
  const hostile: Array<Partial<DnsEvent>> = [
    { qname: '', qnameLower: '', subdomain: 'abc' }, // subdomain longer than qname
    { qname: 'XYZ.example.com', qnameLower: 'xyz.example.com', subdomain: 'abc' }, // not a prefix
    { qname: 'a\\', qnameLower: 'a\\', subdomain: 'a\\' }, // trailing backslash
    { qname: 'a\\9', qnameLower: 'a\\9', subdomain: 'a\\9' }, // short decimal escape
    { qname: '\\999\\25', qnameLower: '\\999\\25', subdomain: '\\999\\25' }, // > 255, truncated
    { qname: '..', qnameLower: '..', subdomain: '..' }, // empty labels only
    { qname: '.a..b.', qnameLower: '.a..b.', subdomain: '.a..b.' },
    { qname: 'a\u0100\uffffb', qnameLower: 'a\u0100\uffffb', subdomain: 'a\u0100\uffffb' }, // not latin1
    { qname: long + long, qnameLower: long + long, subdomain: long + long, qtype: 'TYPE99999999999' },
    { subdomain: '\\'.repeat(9999), qname: '\\'.repeat(9999), qnameLower: '\\'.repeat(9999), qtype: '' },
  ];
  for (const h of hostile) {
    const e = { ...blankEvent(), ...h };
    assertSane(extractFeatures(e, r), JSON.stringify(h).slice(0, 60));
  }
  const notPrefix = extractFeatures({ ...blankEvent(), qname: 'XYZ.example.com', qnameLower: 'xyz.example.com', subdomain: 'abc' }, r);
  assert.equal(notPrefix.upperRatio, 0, 'qname does not hold the subdomain: the lower-cased subdomain is read');
  assert.equal(extractFeatures({ ...blankEvent(), qname: '..', qnameLower: '..', subdomain: '..' }, r).labels, 3);
});

// ─── seeded invariants ───────────────────────────────────────────────────────

function randomLabel(random: () => number): string {
  const len = 1 + randomInt(random, 40);
  const style = randomInt(random, 6);
  let s = '';
  while (s.length < len) {
    const r = random();
    if (style === 0) s += 'abcdefghijklmnopqrstuvwxyz'[randomInt(random, 26)];
    else if (style === 1) s += B32[randomInt(random, 32)]!.toUpperCase();
    else if (style === 2) s += '0123456789abcdef'[randomInt(random, 16)];
    else if (style === 3) s += 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/-_='[randomInt(random, 67)];
    else if (r < 0.15) s += `\\${String(randomInt(random, 256)).padStart(3, '0')}`;
    else if (r < 0.2) s += `\\${String.fromCharCode(0x21 + randomInt(random, 94)).replace(/[0-9]/, 'y')}`; // `\5` would start `\DDD`
    else if (r < 0.25) s += '\\.';
    else s += String.fromCharCode(0x21 + randomInt(random, 94)).replace(/[.\\]/, 'x');
  }
  return s;
}

test('seeded invariant (5,000 names): every figure equals a simple reference implementation', () => {
  const random = seededRandom(20_260_501);
  const r = newQueryFeatures();
  let escaped = 0;
  for (let n = 0; n < 5000; n++) {
    const labels: string[] = [];
    const count = 1 + randomInt(random, 4);
    for (let i = 0; i < count; i++) labels.push(randomLabel(random));
    const name = `${labels.join('.')}.example.com`;
    const e = event(name, 'A');
    extractFeatures(e, r);
    const what = `#${n} ${JSON.stringify(name)}`;
    assert.equal(e.subdomain.length, e.qname.length - '.example.com'.length, what);
    const lower = refLabels(e.subdomain);
    const original = refLabels(e.qname.slice(0, e.subdomain.length));
    const payload = lower.flat();
    const originalPayload = original.flat();
    if (e.subdomain.includes('\\')) escaped++;
    assert.equal(r.subdomainBytes, e.subdomainBytes, what);
    assert.equal(r.subdomainBytes, payload.length + lower.length - 1, what);
    assert.equal(r.labels, lower.length, what);
    assert.equal(r.longestLabel, Math.max(...lower.map((l) => l.length)), what);
    assert.ok(Math.abs(r.entropy - refEntropy(payload)) < 1e-9, `${what}: entropy ${r.entropy} vs ${refEntropy(payload)}`);
    assert.equal(r.entropy === 0, new Set(payload).size <= 1, what);
    const digits = payload.filter((b) => b >= 0x30 && b <= 0x39).length;
    const alnum = payload.filter((b) => (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)).length;
    const upper = originalPayload.filter((b) => b >= 0x41 && b <= 0x5a).length;
    assert.equal(r.digitRatio, digits / payload.length, what);
    assert.equal(r.nonAlnumRatio, (payload.length - alnum) / payload.length, what);
    assert.equal(r.upperRatio, upper / payload.length, what);
    assert.equal(r.charset, refCharset(original), what);
    assert.ok(Math.abs(r.englishLikeness - refLikeness(lower)) < 1e-12, `${what}: englishLikeness ${r.englishLikeness} vs ${refLikeness(lower)}`);
    // Case does not change the case-insensitive figures.
    const upperEvent = event(name.toUpperCase());
    const u = extractFeatures(upperEvent, newQueryFeatures());
    assert.ok(Math.abs(u.englishLikeness - r.englishLikeness) < 1e-12, what);
    assert.equal(u.digitRatio, r.digitRatio, what);
  }
  assert.ok(escaped > 1000, `escaped names: ${escaped}`);
});

// ─── the trigram model ───────────────────────────────────────────────────────

const UMBRELLA = '../shared/data/names/umbrella-top-100k.txt';

test('the committed trigram model is exactly what scripts/build-ngram-model.mjs generates', (t) => {
  const file = repoPath(UMBRELLA);
  assert.ok(existsSync(file), `missing ${file}: the shared data set ${UMBRELLA} is needed for this test (see ../shared/data/README.md)`);
  const model = trainModel(readFileSync(file, 'latin1'));
  const generated = renderModelModule(model, 'names/umbrella-top-100k.txt');
  const committedPath = repoPath('src/features/ngram-model.generated.ts');
  const committed = readFileSync(committedPath, 'utf8');
  assert.ok(committed === generated, 'src/features/ngram-model.generated.ts differs from the generator output: run `npx tsc -p tsconfig.json && node scripts/build-ngram-model.mjs`');
  assert.ok(statSync(committedPath).size < 300_000, 'generated model under 300 KB');
  assert.equal(trainModel(readFileSync(file, 'latin1')).costs.join(), model.costs.join(), 'deterministic');
  t.diagnostic(`model: k = ${model.k}, ${model.units} units, benign ${model.benignBits.toFixed(3)} bits/symbol, random base32 ${model.randomBits.toFixed(3)}, ${committed.length} bytes`);
  assert.ok(model.randomBits - model.benignBits > 2, 'random base32 costs clearly more than benign names');
});

// ─── real data ───────────────────────────────────────────────────────────────

const NETRACK = '../shared/data/names/netrack/dns/';

/**
 * A netrack names.csv (`label,qname`, CRLF, names as captured: raw bytes, trailing dot) as
 * presentation-form names: bytes outside 0x21–0x7e and `\` become `\DDD`. The iodine names
 * hold only the raw bytes that formed valid UTF-8 (all in 0xbc–0xef, iodine's Base128 range):
 * the others were presumably lost when the data set decoded them, leaving some labels empty
 * (`..hidemyself.org.`). Empty labels are dropped here; `repaired` counts those names.
 */
function netrackNames(cls: string): { names: string[]; repaired: number } {
  const file = repoPath(`${NETRACK}${cls}/names.csv`);
  assert.ok(existsSync(file), `missing ${file}: the shared data set ${NETRACK} is needed for this test (see ../shared/data/README.md)`);
  const data = readFileSync(file);
  const names = new Set<string>();
  let repaired = 0;
  let start = 0;
  let header = true;
  while (start < data.length) {
    let nl = data.indexOf(0x0a, start);
    if (nl < 0) nl = data.length;
    let end = nl;
    if (end > start && data[end - 1] === 0x0d) end--;
    const line = data.subarray(start, end);
    start = nl + 1;
    if (header) {
      header = false;
      continue;
    }
    const labels: string[] = [];
    let label = '';
    let empty = false;
    for (let i = line.indexOf(0x2c) + 1; i <= line.length; i++) {
      const b = i < line.length ? line[i]! : 0x2e;
      if (b === 0x2e) {
        if (label.length > 0) labels.push(label);
        else if (i < line.length - 1) empty = true;
        label = '';
      } else label += b >= 0x21 && b <= 0x7e && b !== 0x5c ? String.fromCharCode(b) : `\\${String(b).padStart(3, '0')}`;
    }
    if (empty) repaired++;
    if (labels.length > 0) names.add(labels.join('.'));
  }
  return { names: [...names], repaired };
}

interface ClassStats {
  n: number;
  entropy: number[];
  likeness: number[];
  charsets: Record<string, number>;
}

function stats(events: DnsEvent[]): ClassStats {
  const r = newQueryFeatures();
  const s: ClassStats = { n: 0, entropy: [], likeness: [], charsets: {} };
  for (const e of events) {
    if (e.subdomain === '') continue;
    extractFeatures(e, r);
    s.n++;
    s.entropy.push(r.entropy);
    s.likeness.push(r.englishLikeness);
    s.charsets[r.charset] = (s.charsets[r.charset] ?? 0) + 1;
  }
  return s;
}

function describe(name: string, s: ClassStats): string {
  const charsets = Object.entries(s.charsets)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${((100 * v) / s.n).toFixed(1)}%`)
    .join(', ');
  return `${name.padEnd(24)} n ${String(s.n).padStart(5)}  median entropy ${median(s.entropy).toFixed(2)}  median englishLikeness ${median(s.likeness).toFixed(3)}  charset: ${charsets}`;
}

function share(s: ClassStats, ...charsets: Charset[]): number {
  return charsets.reduce((a, c) => a + (s.charsets[c] ?? 0), 0) / s.n;
}

test('netrack names: benign and tunnel names separate (entropy, englishLikeness, charset)', (t) => {
  // Plain (benign browsing) names are registered domains without subdomains: their text is
  // the registrable label, so it is re-hosted as the subdomain of example.net to be scored
  // the way a subdomain is. Only `normal` names (no reverse lookups).
  const plain = netrackNames('plain').names;
  const umbrellaDomains = new Set<string>();
  for (const line of readFileSync(repoPath(UMBRELLA), 'latin1').split('\n')) {
    const name = line.trim();
    if (name === '') continue;
    const e = blankEvent();
    if (fillNameFacts(e, name, 0, name.length) === '') umbrellaDomains.add(e.registeredDomain);
  }
  const rehosted: DnsEvent[] = [];
  const unseen: DnsEvent[] = [];
  for (const name of plain) {
    const e = event(name);
    if (e.nameKind !== 'normal') continue;
    const first = e.registeredDomain.slice(0, e.registeredDomain.indexOf('.'));
    const moved = event(`${e.subdomain === '' ? '' : `${e.subdomain}.`}${first}.example.net`);
    rehosted.push(moved);
    if (!umbrellaDomains.has(e.registeredDomain)) unseen.push(moved);
  }
  const classes: Record<string, ClassStats> = {
    'plain (re-hosted)': stats(rehosted),
    'plain, not in training': stats(unseen),
  };
  const tunnels: ClassStats[] = [];
  for (const cls of ['dns2tcp', 'dnscapy', 'iodine']) {
    const { names, repaired } = netrackNames(cls);
    const s = stats(names.map((n) => event(n, 'TXT')));
    classes[cls] = s;
    tunnels.push(s);
    if (repaired > 0) t.diagnostic(`${cls}: ${repaired} names had empty labels (bytes lost in the data set), dropped`);
  }
  for (const [name, s] of Object.entries(classes)) t.diagnostic(describe(name, s));
  const benign = classes['plain (re-hosted)']!;
  const tunnelLikeness = tunnels.flatMap((s) => s.likeness);
  const tunnelEntropy = tunnels.flatMap((s) => s.entropy);
  const aucLikeness = auc(benign.likeness, tunnelLikeness);
  const aucEntropy = auc(tunnelEntropy, benign.entropy);
  t.diagnostic(`AUC plain vs tunnels: englishLikeness ${aucLikeness.toFixed(4)}, entropy ${aucEntropy.toFixed(4)}; ${unseen.length} of ${rehosted.length} plain domains are not in the training list`);

  assert.ok(benign.n > 8000, `plain names: ${benign.n}`);
  assert.ok(median(benign.likeness) >= 0.6, `plain englishLikeness median ${median(benign.likeness)}`);
  assert.ok(median(classes['plain, not in training']!.likeness) >= 0.5, 'plain names the model never saw still score high');
  assert.ok(median(benign.entropy) <= 3.5, `plain entropy median ${median(benign.entropy)}`);
  assert.ok(share(benign, 'text') >= 0.98, 'plain names are text');
  for (const s of tunnels) {
    assert.ok(median(s.likeness) <= 0.15, `tunnel englishLikeness median ${median(s.likeness)}`);
    assert.ok(median(s.entropy) >= 4.5, `tunnel entropy median ${median(s.entropy)}`);
    assert.ok(median(benign.likeness) - median(s.likeness) >= 0.5, 'clear gap in englishLikeness');
  }
  assert.ok(aucLikeness >= 0.95, `AUC englishLikeness ${aucLikeness}`);
  assert.ok(aucEntropy >= 0.95, `AUC entropy ${aucEntropy}`);
  assert.ok(share(classes.dns2tcp!, 'base64') >= 0.99, 'dns2tcp is base64');
  assert.ok(share(classes.dnscapy!, 'base64') >= 0.9, 'dnscapy is base64 (the rest: short control queries)');
  assert.ok(share(classes.iodine!, 'binary') >= 0.7, 'iodine uses raw (Base128) labels');
  assert.ok(share(classes.iodine!, 'binary', 'base64', 'base32') >= 0.95, 'iodine: encoded but for its handshakes');
});

test('WRCCDC 2018 Zeek names (real benign subdomains): high englishLikeness, few encoded charsets', (t) => {
  const file = repoPath('../shared/data/zeek-wrccdc2018/dns.log.gz');
  assert.ok(existsSync(file), `missing ${file}: the shared data set is needed for this test (see ../shared/data/README.md)`);
  const names = new Set<string>();
  for (const line of gunzipSync(readFileSync(file)).toString('latin1').split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const q = line.split('\t')[9];
    if (q !== undefined && q !== '-' && q !== '') names.add(q);
  }
  const events: DnsEvent[] = [];
  for (const name of names) {
    const e = blankEvent();
    if (fillNameFacts(e, name, 0, name.length) === '' && e.nameKind === 'normal') events.push(e);
  }
  const s = stats(events);
  t.diagnostic(describe('wrccdc (benign)', s));
  assert.ok(s.n > 1000, `names with subdomains: ${s.n}`);
  assert.ok(median(s.likeness) >= 0.8, `median englishLikeness ${median(s.likeness)}`);
  assert.ok(median(s.entropy) <= 3.5);
  assert.ok(share(s, 'hex', 'base32', 'base64', 'base64url', 'binary') <= 0.05, JSON.stringify(s.charsets));
});
