/**
 * Tool signatures (src/signatures/, rules/signatures.yaml) on real tool output:
 * iodine 0.7.0 and dns2tcp 0.5.2 queries captured by scripts/capture-tool-names.sh
 * (test/fixtures/tools/), the netrack labelled captures (iodine, dns2tcp,
 * dnscapy, plain browsing), the Umbrella top 100k as hard negatives; dnscat2 and
 * Sliver names built here from their protocol definitions (neither is packaged
 * in Debian; marked hand-made below).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import protobuf from 'protobufjs';
import type { DnsEvent } from '../src/event.js';
import { TunnelwatchError } from '../src/errors.js';
import { NAMED_CHECK_IDS } from '../src/signatures/checks/index.js';
import { loadSignatureRules } from '../src/signatures/load.js';
import { SignatureMatcher } from '../src/signatures/matcher.js';
import { canonicalQtype } from '../src/signatures/qtype.js';
import { randomInt, repoPath, seededRandom, withTmpDir } from './helpers.js';
import { capturedQueries, event, netrackQueries, umbrellaNames } from './signature-helpers.js';

const rules = loadSignatureRules();
const matcher = new SignatureMatcher(rules);
const ruleById = new Map(rules.map((r) => [r.id, r]));

function ruleFor(name: string, qtype = 'A'): string | null {
  return matcher.match(event(name, qtype))?.ruleId ?? null;
}

// ─── real captures: iodine 0.7.0 ─────────────────────────────────────────────

/** The rule iodine's protocol document implies for a query: its first character is the command. */
function expectedIodineRule(q: { qtype: string; name: string }): string {
  const common = q.qtype === 'A' || q.qtype === 'CNAME';
  const c = q.name[0]!.toLowerCase();
  if (c === 'v') return 'iodine-handshake';
  if (c === 'l') return 'iodine-login';
  if (c === 'z') return 'iodine-codec-check';
  if ('ysoinrp'.includes(c)) return common ? 'iodine-control-common-type' : 'iodine-control';
  if ('0123456789abcdef'.includes(c)) return common ? 'iodine-data-common-type' : 'iodine-data';
  throw new Error(`unexpected iodine query ${q.name}`);
}

test('every captured iodine query is attributed to iodine by the rule for its command (handshake, login, codec check, control, data)', () => {
  const queries = capturedQueries('iodine-');
  assert.ok(queries.length > 250, `expected the iodine captures, got ${queries.length} queries`);
  const perFile = new Map<string, Set<string>>();
  for (const q of queries) {
    const m = matcher.match(event(q.name, q.qtype));
    assert.ok(m !== null, `${q.file}: ${q.qtype} ${q.name} not attributed`);
    assert.equal(m.tool, 'iodine', `${q.file}: ${q.name}`);
    assert.equal(m.ruleId, expectedIodineRule(q), `${q.file}: ${q.qtype} ${q.name}`);
    if (!perFile.has(q.file)) perFile.set(q.file, new Set());
    perFile.get(q.file)!.add(m.ruleId);
  }
  // Each session went through the handshake and carried data.
  for (const [file, ids] of perFile) {
    for (const phase of ['iodine-handshake', 'iodine-login', 'iodine-codec-check']) assert.ok(ids.has(phase), `${file} lacks ${phase}`);
    assert.ok(ids.has('iodine-data') || ids.has('iodine-data-common-type'), `${file} has no data packets`);
  }
  assert.equal(perFile.size, 8, 'auto, NULL, PRIVATE, TXT, SRV, MX, CNAME, A');
});

test('iodine handshake: the version is parsed, not just the prefix', () => {
  assert.equal(ruleFor('vaaaakau3su.t1.example.net', 'NULL'), 'iodine-handshake'); // real, from the netrack capture
  assert.equal(ruleFor('VAAAAKAU3SU.t1.example.net', 'NULL'), 'iodine-handshake'); // any case
  assert.equal(ruleFor('vaaaakau3su.t1.example.net', 'A'), 'iodine-handshake');
  // 0x00000503 is no iodine version; a v-word of the right length is not a handshake.
  assert.equal(ruleFor('vaaaakqu3su.t1.example.net', 'NULL'), null);
  assert.equal(ruleFor('valentineqz.example.com', 'NULL'), null);
  assert.equal(ruleFor('vaaaakau3s.t1.example.net', 'NULL'), null); // one character short
});

// ─── real captures: dns2tcp 0.5.2 ────────────────────────────────────────────

test('every captured dns2tcp query is attributed to dns2tcp: control requests (=auth, =connect, =resource) and data', () => {
  const queries = capturedQueries('dns2tcp-');
  assert.ok(queries.length > 60, `expected the dns2tcp captures, got ${queries.length}`);
  const seen = new Set<string>();
  for (const q of queries) {
    const second = q.name.split('.')[1] ?? '';
    const expected = second.startsWith('=') ? 'dns2tcp-control' : 'dns2tcp-data';
    const m = matcher.match(event(q.name, q.qtype));
    assert.equal(m?.ruleId, expected, `${q.file}: ${q.qtype} ${q.name}`);
    assert.equal(m.tool, 'dns2tcp');
    seen.add(`${q.qtype} ${second.startsWith('=') ? second : 'data'}`);
  }
  for (const t of ['TXT', 'KEY']) for (const what of ['=auth', '=connect', '=resource', 'data']) assert.ok(seen.has(`${t} ${what}`), `no ${t} ${what} query captured`);
});

// ─── netrack labelled captures ───────────────────────────────────────────────

test('netrack iodine names (typed NULL, the data set keeps no types) are iodine, apart from names the data set damaged', (t) => {
  const queries = netrackQueries('iodine', 'NULL').filter((q) => q.name.endsWith('.hidemyself.org'));
  const missed: string[] = [];
  for (const q of queries) {
    const m = matcher.match(event(q.name, q.qtype));
    if (m === null) missed.push(q.name);
    else assert.equal(m.tool, 'iodine', q.name);
  }
  t.diagnostic(`${queries.length} netrack iodine names, ${missed.length} not attributed: ${missed.join(' ')}`);
  // The data set lost iodine's raw bytes that were not valid UTF-8: the Base128 codec test
  // pattern became a bare "zhm2aA", and one short data packet lost enough to fall under the
  // rule's minimum length.
  assert.ok(missed.length <= 2, `too many unattributed names: ${missed.join(' ')}`);
  assert.ok(queries.length > 6000);
});

test('netrack dns2tcp (TXT), dnscapy (TXT/CNAME) names are attributed to their tool; plain browsing to none', () => {
  for (const [cls, tool] of [
    ['dns2tcp', 'dns2tcp'],
    ['dnscapy', 'dnscapy'],
  ] as const) {
    const queries = netrackQueries(cls);
    assert.ok(queries.length > 4000, cls);
    for (const q of queries) assert.equal(matcher.match(event(q.name, q.qtype))?.tool, tool, `${cls}: ${q.qtype} ${q.name}`);
  }
  const plain = netrackQueries('plain');
  assert.ok(plain.length > 8000);
  for (const q of plain) assert.equal(matcher.match(event(q.name, q.qtype)), null, `plain: ${q.qtype} ${q.name}`);
});

// ─── dnscat2: HAND-MADE names from doc/protocol.md (no Debian package, no stored capture) ──

function hex(bytes: readonly number[]): string {
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Splits `s` into labels of the given lengths, cycling; dnscat2 allows dots anywhere. */
function dotted(s: string, sizes: readonly number[]): string {
  const labels: string[] = [];
  let i = 0;
  for (let k = 0; i < s.length; k++) {
    const n = sizes[k % sizes.length]!;
    labels.push(s.slice(i, i + n));
    i += n;
  }
  return labels.join('.');
}

function u16(n: number): number[] {
  return [(n >> 8) & 0xff, n & 0xff];
}

function ascii(s: string): number[] {
  return [...s].map((c) => c.charCodeAt(0));
}

const DNSCAT2_PACKETS: Record<string, number[]> = {
  syn: [...u16(0x4a1b), 0x00, ...u16(0xb3a0), ...u16(0xde1e), ...u16(0x0001), ...ascii('command session'), 0],
  msg: [...u16(0x1c2d), 0x01, ...u16(0xb3a0), ...u16(0xde1e), ...u16(0x7730), ...ascii('whoami\n')],
  fin: [...u16(0x9e00), 0x02, ...u16(0xb3a0), ...ascii('bye'), 0],
  enc: [...u16(0x0311), 0x03, ...u16(0xb3a0), ...u16(0x0000), ...u16(0x0000), ...Array.from({ length: 64 }, (_, i) => (i * 37) & 0xff)],
  ping: [...u16(0x5151), 0xff, ...u16(0x0000), ...ascii('abcdefghij'), 0],
};

test('dnscat2 (hand-made from the protocol document): tag form, domain form in TXT/CNAME/MX, and A/AAAA', () => {
  for (const [kind, bytes] of Object.entries(DNSCAT2_PACKETS)) {
    const data = hex(bytes);
    for (const sizes of [[62], [10, 30], [7, 3, 50], [2, 60]]) {
      const name = dotted(data, sizes);
      if (name.length + 14 > 253) continue;
      assert.equal(ruleFor(`dnscat.${name}`, 'TXT'), 'dnscat2-tagged', `${kind} dnscat.${name}`);
      assert.equal(ruleFor(`dnscat.${name.toUpperCase()}`, 'MX'), 'dnscat2-tagged', `${kind}: case does not matter`);
      for (const qtype of ['TXT', 'CNAME', 'MX']) assert.equal(ruleFor(`${name}.t.example.org`, qtype), sizes[0]! >= 6 ? 'dnscat2-domain' : null, `${kind} ${qtype} ${name}`);
      // As A/AAAA only longer packets in filled labels are claimed (hex ids are common there).
      const address = sizes[0]! >= 18 && data.length >= 28 ? 'dnscat2-domain-address' : null;
      for (const qtype of ['A', 'AAAA']) assert.equal(ruleFor(`${name}.t.example.org`, qtype), address, `${kind} ${qtype}`);
    }
  }
});

test('dnscat2: a header that does not parse is not dnscat2', () => {
  const bad = [...DNSCAT2_PACKETS.msg!];
  bad[2] = 0x04; // no such message type
  assert.equal(ruleFor(`dnscat.${hex(bad)}`, 'TXT'), null);
  assert.equal(ruleFor(`${hex(bad)}.t.example.org`, 'TXT'), null);
  const enc = [...DNSCAT2_PACKETS.enc!];
  enc[6] = 0x02; // ENC subtype 2 does not exist
  assert.equal(ruleFor(`${hex(enc).slice(0, 62)}.${hex(enc).slice(62, 124)}.t.example.org`, 'TXT'), null);
  assert.equal(ruleFor(`dnscat.${hex(DNSCAT2_PACKETS.fin!.slice(0, 5))}`, 'TXT'), null, 'shorter than any packet');
  assert.equal(ruleFor('dnscat.example.com', 'TXT'), null, 'a host called dnscat');
  // Reverse names are hex nibbles: not dnscat2.
  assert.equal(ruleFor('8.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.8.4.0.6.8.4.1.0.0.2.ip6.arpa', 'TXT'), null);
});

// ─── Sliver: HAND-MADE names from protobuf/dnspb/dns.proto and its encoders ──

const SLIVER_PROTO = `syntax = "proto3"; package dnspb;
enum DNSMessageType { NOP = 0; TOTP = 1; INIT = 2; POLL = 3; CLOSE = 4; MANIFEST = 6; DATA_TO_IMPLANT = 7; DATA_FROM_IMPLANT = 8; CLEAR = 9; }
message DNSMessage { DNSMessageType Type = 1; uint32 ID = 2; uint32 Start = 3; uint32 Stop = 4; uint32 Size = 5; bytes Data = 6; }`;
const DNSMessage = protobuf.parse(SLIVER_PROTO).root.lookupType('dnspb.DNSMessage');

function sliverBase32(bytes: Uint8Array): string {
  const alphabet = 'ab1c2d3e4f5g6h7j8k9m0npqrtuvwxyz';
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += alphabet[(acc >>> bits) & 31];
    }
    acc &= 0xff;
  }
  if (bits > 0) out += alphabet[(acc << (5 - bits)) & 31];
  return out;
}

function base58(bytes: Uint8Array): string {
  const alphabet = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
  let n = 0n;
  for (const b of bytes) n = n * 256n + BigInt(b);
  let out = '';
  while (n > 0n) {
    out = alphabet[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    out = '1' + out;
  }
  return out;
}

function sliverName(encoded: string): string {
  return `${dotted(encoded, [63])}.c2.example.com`;
}

const SLIVER_MESSAGES = [
  { Type: 2, ID: 0x0a123456, Size: 97 }, // INIT
  { Type: 3, ID: 0x0b123456 }, // POLL
  { Type: 8, ID: 0x0c123456, Size: 3000, Start: 120, Stop: 180, Data: Uint8Array.from({ length: 60 }, (_, i) => (i * 91 + 7) & 0xff) }, // DATA_FROM_IMPLANT
  { Type: 7, ID: 0x0d123456, Start: 182, Stop: 364 }, // DATA_TO_IMPLANT request
  { ID: 0x00abcdef, Data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]) }, // NOP (fingerprint): Type 0 is omitted
];

test('Sliver (hand-made from dns.proto and its encoders): base32 and base58 subdomains that parse as one DNSMessage', () => {
  for (const fields of SLIVER_MESSAGES) {
    const bytes = DNSMessage.encode(DNSMessage.create(fields)).finish();
    for (const qtype of ['A', 'TXT']) {
      assert.equal(ruleFor(sliverName(sliverBase32(bytes)), qtype), 'sliver-dns-base32', `${JSON.stringify(fields)} ${qtype}`);
      assert.equal(ruleFor(sliverName(base58(bytes)), qtype), 'sliver-dns-base58', `${JSON.stringify(fields)} ${qtype} base58`);
    }
  }
  // Trailing garbage, a truncated message, and random strings of the same alphabets are not Sliver.
  const bytes = DNSMessage.encode(DNSMessage.create(SLIVER_MESSAGES[2]!)).finish();
  assert.equal(ruleFor(sliverName(sliverBase32(Uint8Array.from([...bytes, 0x08, 0x01]))), 'A'), null);
  assert.equal(ruleFor(sliverName(sliverBase32(bytes.subarray(0, bytes.length - 5))), 'A'), null);
  const random = seededRandom(7);
  let hits = 0;
  for (let i = 0; i < 5000; i++) {
    const len = 12 + randomInt(random, 80);
    let s = '';
    for (let j = 0; j < len; j++) s += 'ab1c2d3e4f5g6h7j8k9m0npqrtuvwxyz'[randomInt(random, 32)];
    if (ruleFor(sliverName(s), 'A')?.startsWith('sliver')) hits++;
  }
  assert.ok(hits < 25, `${hits} of 5000 random Sliver-alphabet names parsed as a DNSMessage`);
});

// ─── other tools: HAND-MADE names in the documented shapes ───────────────────

test('Cobalt Strike, DNSExfiltrator, NSTX, OzymanDNS and fraud-bridge shapes (hand-made from public rules and source)', () => {
  assert.equal(ruleFor('aaa.stage.21829561.cs.example.com', 'TXT'), 'cobaltstrike-dns-stager');
  assert.equal(ruleFor('baa.stage.21829561.cs.example.com', 'TXT'), 'cobaltstrike-dns-stager');
  assert.equal(ruleFor('api.stage.example.com', 'A'), null, 'a staging host asked as A');
  assert.equal(ruleFor('xyz.stage.123456.cs.example.com', 'A'), 'cobaltstrike-dns-stager-subhost');
  assert.equal(ruleFor('post.1a2b3c4d5e6f.4a3b2c1d.cs.example.com', 'A'), 'cobaltstrike-dns-beacon-output');
  assert.equal(ruleFor('post.example.com', 'A'), null);
  assert.equal(ruleFor('init.mzxw6ytboi6dgmbq.base32.x.example.com', 'TXT'), 'dnsexfiltrator-init');
  assert.equal(ruleFor('init.mzxw6ytboi6dgmbq.base64.x.example.com', 'TXT'), 'dnsexfiltrator-init');
  assert.equal(ruleFor('17.qL3vX_9aZkT-2pWm0RfYc8uHbN4sEd1gJ6o.x.example.com', 'TXT'), 'dnsexfiltrator-data');
  assert.equal(ruleFor('cTZm9vYmFyYmF6cXV4cXV1eA.t.example.com', 'TXT'), 'nstx-data');
  assert.equal(ruleFor('ctzm9vymfyymf6cxv4cxv1ea.t.example.com', 'TXT'), null, 'NSTX marks with case');
  assert.equal(ruleFor('mfrggzdf.mztwq2lk.0-7341.id-20815.up.oz.example.com', 'A'), 'ozymandns-session');
  assert.equal(ruleFor('3-4711.id-20815.down.oz.example.com', 'A'), 'ozymandns-session');
  assert.equal(ruleFor('id-card.up.example.com', 'A'), null);
  assert.equal(ruleFor('dGhpcyBpcyBkYXRhAAAA--.fb.example.com', 'A'), 'fraud-bridge-data');
});

// ─── hard negatives ──────────────────────────────────────────────────────────

test('the Umbrella top 100k asked as A and AAAA match only low-confidence rules that say which benign names they fit', (t) => {
  const names = umbrellaNames();
  assert.ok(names.length >= 99_000);
  for (const qtype of ['A', 'AAAA']) {
    const counts = new Map<string, number>();
    const examples: string[] = [];
    for (const name of names) {
      const m = matcher.match(event(name, qtype));
      if (m === null) continue;
      counts.set(m.ruleId, (counts.get(m.ruleId) ?? 0) + 1);
      if (examples.length < 12) examples.push(name);
      const rule = ruleById.get(m.ruleId)!;
      assert.equal(rule.confidence, 'low', `${name} (${qtype}) matched ${m.ruleId}`);
      assert.ok(rule.falsePositives !== undefined);
    }
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    t.diagnostic(`${qtype}: ${total} of ${names.length} matched: ${JSON.stringify(Object.fromEntries(counts))}; e.g. ${examples.join(' ')}`);
    assert.ok(total <= 30, `${total} Umbrella names matched as ${qtype}`);
  }
});

test('the Umbrella names asked as TXT, NULL or MX match only rules that state their false positives', (t) => {
  const names = umbrellaNames();
  for (const qtype of ['TXT', 'NULL', 'MX']) {
    const counts = new Map<string, number>();
    for (const name of names) {
      const m = matcher.match(event(name, qtype));
      if (m === null) continue;
      counts.set(m.ruleId, (counts.get(m.ruleId) ?? 0) + 1);
      assert.ok(ruleById.get(m.ruleId)!.falsePositives !== undefined, `${name} (${qtype}) matched ${m.ruleId}, which claims no false positives`);
    }
    t.diagnostic(`${qtype}: ${JSON.stringify(Object.fromEntries(counts))}`);
    assert.ok([...counts.values()].reduce((a, b) => a + b, 0) <= 30);
  }
});

// ─── the matcher's index agrees with trying every rule ───────────────────────

test('the indexed matcher returns what trying each rule alone, in order, returns', () => {
  const singles = rules.filter((r) => r.enabled).map((r) => ({ r, m: new SignatureMatcher([r]) }));
  const events: DnsEvent[] = [];
  for (const q of capturedQueries('')) events.push(event(q.name, q.qtype));
  for (const q of netrackQueries('dnscapy').slice(0, 2000)) events.push(event(q.name, q.qtype));
  for (const q of netrackQueries('iodine', 'NULL').slice(0, 2000)) events.push(event(q.name, q.qtype));
  const names = umbrellaNames();
  for (let i = 0; i < names.length; i += 10) for (const qtype of ['A', 'TXT']) events.push(event(names[i]!, qtype));
  for (const e of events) {
    const reference = singles.find((s) => s.m.match(e) !== null)?.r.id ?? null;
    assert.equal(matcher.match(e)?.ruleId ?? null, reference, `${e.qtype} ${e.qname}`);
  }
});

test('query types compare in one spelling: TYPE10 is NULL, PRIVATE is TYPE65399, any case', () => {
  assert.equal(canonicalQtype('TYPE10'), 'NULL');
  assert.equal(canonicalQtype('type16'), 'TXT');
  assert.equal(canonicalQtype('PRIVATE'), 'TYPE65399');
  assert.equal(canonicalQtype('TYPE65399'), 'TYPE65399');
  assert.equal(canonicalQtype('txt'), 'TXT');
  assert.equal(canonicalQtype('-'), '');
  const login = capturedQueries('iodine-0.7.0-NULL').find((q) => q.name.startsWith('l'))!;
  assert.equal(matcher.match(event(login.name, 'TYPE10'))?.ruleId, 'iodine-login');
  const data = capturedQueries('iodine-0.7.0-PRIVATE').find((q) => q.name.startsWith('0'))!;
  assert.equal(data.qtype, 'TYPE65399');
  assert.equal(matcher.match(event(data.name, 'PRIVATE'))?.ruleId, 'iodine-data');
});

// ─── the rules file ──────────────────────────────────────────────────────────

function expectConfigError(fn: () => unknown, ...fragments: string[]): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof TunnelwatchError, String(error));
    assert.equal(error.code, 'TW_CONFIG');
    for (const f of fragments) assert.ok(error.message.includes(f), `message lacks ${JSON.stringify(f)}:\n${error.message}`);
    return true;
  });
}

test('a bad rules file is a TW_CONFIG error naming the file, the rule and the field', async () => {
  await withTmpDir((dir) => {
    const file = join(dir, 'mine.yaml');
    writeFileSync(file, 'version: 1\nrules:\n  - id: my-rule\n    tool: x\n    why: a long enough reason\n    confidence: high\n    match:\n      labels:\n        - charset: base99\n');
    expectConfigError(() => loadSignatureRules([file]), file, 'rules[0].match.labels[0].charset', '"my-rule"');

    writeFileSync(file, 'version: 1\nrules:\n  - id: weak\n    tool: x\n    why: a long enough reason\n    confidence: low\n    match:\n      checks: [dnscat2-header]\n');
    expectConfigError(() => loadSignatureRules([file]), file, 'rules[0].falsePositives');

    writeFileSync(file, 'version: 1\nrules:\n  - id: c\n    tool: x\n    why: a long enough reason\n    confidence: high\n    match:\n      checks: [no-such-check]\n');
    expectConfigError(() => loadSignatureRules([file]), 'rules[0].match.checks[0]', 'iodine-handshake');

    writeFileSync(file, 'version: 1\nrules:\n  - id: d\n    tool: x\n    why: a long enough reason\n    confidence: high\n    match: {labels: [{equals: x}]}\n  - id: d\n    tool: x\n    why: a long enough reason\n    confidence: high\n    match: {labels: [{equals: y}]}\n');
    expectConfigError(() => loadSignatureRules([file]), 'rules[1].id', 'duplicate');

    writeFileSync(file, 'version: 1\nrules: [\n');
    expectConfigError(() => loadSignatureRules([file]), file, 'not valid YAML');

    writeFileSync(file, 'version: 2\nrules: []\n');
    expectConfigError(() => loadSignatureRules([file]), 'version');

    expectConfigError(() => loadSignatureRules([join(dir, 'missing.yaml')]), 'cannot read', 'missing.yaml');
  });
});

test('a user rule with a default rule’s id replaces it; new ids are added; disabled rules do not match', async () => {
  await withTmpDir((dir) => {
    const file = join(dir, 'mine.yaml');
    writeFileSync(
      file,
      [
        'version: 1',
        'rules:',
        '  - id: iodine-handshake',
        '    tool: iodine',
        '    why: Our own wording for the iodine version handshake.',
        '    confidence: medium',
        '    match:',
        '      labels: [{ prefix: v, length: 11 }]',
        '      checks: [iodine-handshake]',
        '  - id: dns2tcp-control',
        '    tool: dns2tcp',
        '    why: switched off for this test',
        '    confidence: high',
        '    enabled: false',
        '    match: { labels: [{ at: 1, equals: "=auth" }] }',
        '  - id: corp-exfil',
        '    tool: in-house exfiltration kit',
        '    why: Labels ending in -x0 directly under our watched zone.',
        '    confidence: high',
        '    references: [incident 2026-17]',
        '    match:',
        '      qtypes: [A]',
        '      labels: [{ fromDomain: 1, suffix: "-x0", charset: hex }]',
      ].join('\n') + '\n',
    );
    const merged = loadSignatureRules([file]);
    assert.equal(merged.length, rules.length + 1);
    const replaced = merged.find((r) => r.id === 'iodine-handshake')!;
    assert.equal(replaced.source, file);
    assert.equal(merged.indexOf(replaced), rules.findIndex((r) => r.id === 'iodine-handshake'), 'replaced in place');
    const m = new SignatureMatcher(merged);
    const hit = m.match(event('vaaaakau3su.t1.example.net', 'NULL'));
    assert.equal(hit?.why, 'Our own wording for the iodine version handshake.');
    assert.equal(hit?.confidence, 'medium');
    assert.equal(m.match(event('AAAAALRRAA.=auth.d2t.example.net', 'A')), null, 'the disabled rule is off');
    assert.equal(m.match(event('AAAAALRRAA.=auth.d2t.example.net', 'TXT'))?.ruleId, 'dns2tcp-data');
    assert.equal(m.match(event('www.0a1b2c-x0.example.com', 'A'))?.ruleId, 'corp-exfil');
    assert.equal(m.match(event('0a1b2c-x0.www.example.com', 'A')), null, 'fromDomain counts from the registered domain');
  });
});

test('docs/SIGNATURES.md lists every packaged rule with its confidence, and every named check', () => {
  const doc = readFileSync(repoPath('docs/SIGNATURES.md'), 'utf8');
  for (const r of rules) assert.ok(doc.includes(`| \`${r.id}\` | ${r.tool} | ${r.confidence} |`), `docs/SIGNATURES.md lacks the row for ${r.id} (${r.confidence})`);
  for (const id of NAMED_CHECK_IDS) assert.ok(doc.includes(`\`${id}\``), `docs/SIGNATURES.md does not describe check ${id}`);
});

test('the packaged rules are loaded from the package root (rules/ is not compiled into dist/)', () => {
  const sources = new Set(rules.map((r) => r.source));
  assert.equal(sources.size, 1);
  assert.ok([...sources][0]!.endsWith(join('rules', 'signatures.yaml')));
  for (const r of rules) {
    assert.ok(r.why.length >= 10 && r.tool.length > 0, r.id);
    if (r.confidence === 'low') assert.ok(r.falsePositives, r.id);
  }
});

// ─── hostile input ───────────────────────────────────────────────────────────

function rawEvent(qname: string, qtype: string, subdomain: string, nameKind: DnsEvent['nameKind'] = 'normal'): DnsEvent {
  const e = event('x.example.com', qtype);
  e.qname = qname;
  e.qnameLower = qname.toLowerCase();
  e.subdomain = subdomain;
  e.subdomainBytes = subdomain.length;
  e.qnameBytes = qname.length;
  e.labels = qname.split('.').length;
  e.nameKind = nameKind;
  return e;
}

test('hostile names never throw: raw bytes, \\DDD escapes, 253-byte names, inconsistent events, long garbage', () => {
  const random = seededRandom(2026);
  const alphabet = 'abcdefABCDEF0123456789.-_=+/\\\\\\vlzdnscat';
  const qtypes = ['A', 'TXT', 'NULL', 'TYPE65399', 'CNAME', 'KEY', 'MX', '', '-', 'type999999999', 'ÿ'];
  for (let i = 0; i < 20_000; i++) {
    const len = randomInt(random, 300);
    let s = '';
    for (let j = 0; j < len; j++) s += randomInt(random, 8) === 0 ? String.fromCharCode(randomInt(random, 256)) : alphabet[randomInt(random, alphabet.length)];
    const sub = s.slice(0, randomInt(random, s.length + 1));
    const e = rawEvent(s, qtypes[randomInt(random, qtypes.length)]!, randomInt(random, 4) === 0 ? 'zz' + sub : sub, randomInt(random, 3) === 0 ? 'reverse' : 'normal');
    if (randomInt(random, 5) === 0) e.qname = e.qname.slice(1); // case forms of different lengths
    matcher.match(e);
  }
  const l63 = 'a'.repeat(53) + '0123456789';
  const long = [l63, l63, l63, 'b'.repeat(49), 'example.com'].join('.');
  assert.equal(long.length, 253);
  for (const name of [long, `v${'\\255'.repeat(62)}.example.com`, `0aaaa${'\\188'.repeat(58)}.${'\\253'.repeat(60)}.t.example.com`, `dnscat.${'0'.repeat(63)}.${'f'.repeat(63)}.${'a'.repeat(63)}.${'b'.repeat(61)}`, `${'a.'.repeat(126)}b`, '\\.\\.\\..example.com', `zhm2aA${'\\000'.repeat(40)}.t.example.com`]) {
    for (const qtype of ['A', 'TXT', 'NULL']) matcher.match(event(name, qtype));
  }
  // Far beyond any valid name: still no exception and bounded work.
  for (const qtype of ['A', 'TXT']) {
    matcher.match(rawEvent(`${'Zz9'.repeat(3000)}.example.com`, qtype, 'Zz9'.repeat(3000)));
    matcher.match(rawEvent(`${'ab1c.'.repeat(2000)}example.com`, qtype, 'ab1c.'.repeat(1999) + 'ab1c'));
    matcher.match(rawEvent(`${'1'.repeat(63)}.`.repeat(100) + 'example.com', qtype, `${'1'.repeat(63)}.`.repeat(99) + '1'.repeat(63)));
  }
});
