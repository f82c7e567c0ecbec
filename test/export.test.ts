/**
 * Indicator export, end to end with real parts: alerts written as ECS lines
 * (toEcsLine), rolled up, exported in every format; hostile domains refused
 * from RPZ and domain lists and safely quoted in CSV and STIX; the RPZ zone
 * checked by the real `named-checkzone` and served by a real `named` on
 * loopback, queried with the real `dig`.
 *
 * BIND is required, not optional: without `named`, `named-checkzone` and `dig`
 * (Debian: apt-get install bind9 bind9-utils bind9-dnsutils) these tests fail
 * and say so.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { accessSync, constants, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { newQueryFeatures } from '../src/features/query-features.js';
import { alertId, type Alert } from '../src/alerts/alert.js';
import { toEcsLine } from '../src/alerts/ecs.js';
import { runExport, type ExportOptions } from '../src/commands/export.js';
import { TunnelwatchError } from '../src/errors.js';
import { csvField, toCsv } from '../src/export/csv.js';
import { toDomains } from '../src/export/domains.js';
import { checkDomain, type Refusal } from '../src/export/hostname.js';
import { toRpz, type RpzAction } from '../src/export/rpz.js';
import { indicatorId, stixString, toStix, uuidv5 } from '../src/export/stix.js';
import { indicatorScore, IndicatorRollup, rollupAlerts, type DomainIndicator } from '../src/indicators/rollup.js';
import { fixturePath, waitFor, withTmpDir } from './helpers.js';

const H = 3_600_000;
const DAY = 24 * H;
const T0 = Date.UTC(2026, 10, 22, 1, 0, 0);
const NOW = Date.UTC(2026, 10, 23, 0, 0, 0);

const HOSTILE = [
  'evil.com\n$INCLUDE /etc/passwd',
  'a;b.com',
  "=cmd|' /C calc'!A0",
  '<script>alert(1)</script>.com',
  'x y.com',
  'back\\slash.com',
  `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.${'e'.repeat(60)}.com`,
  'evil.com.\r\n@ IN NS attacker.example',
  '8.0.0.0.10.rpz-ip',
  'co.uk',
  '*.wild.com',
  'tab\there.com',
  'ünïcode.com',
  '"quoted".com',
  '+plus.com',
  '-minus.com',
  '@at.com',
];

let serial = 0;
function makeAlert(o: { domain: string; time: number; distinct?: number; threshold?: number; rule?: string; client?: string; clients?: Alert['clients']; samples?: string[] }): Alert {
  const distinct = o.distinct ?? 180;
  const start = o.time - (o.time % 300_000);
  const rule = o.rule ?? 'dns_distinct_subdomains';
  const alert: Alert = {
    id: alertId(rule, `${o.client ?? ''} ${o.domain} ${serial++}`, '10m/5m', start),
    rule,
    ruleType: 'distinct_subdomains',
    time: o.time,
    created: o.time + 1000,
    registeredDomain: o.domain,
    window: { name: '10m/5m', start, end: start + 600_000 },
    threshold: o.threshold ?? 180,
    distinctSubdomains: distinct,
    distinctExact: true,
    queries: distinct + 10,
    clients: o.clients ?? [{ ip: '10.0.0.5', distinctSubdomains: distinct }],
    features: newQueryFeatures(),
    samples: o.samples ?? ['mfrggzdf', 'nbswy3dp'],
    question: { name: `nbswy3dp.${o.domain}`, type: 'TXT', client: '10.0.0.5' },
    position: { source: 'query.log', line: 1, offset: 0 },
    reason: 'test',
  };
  if (o.client !== undefined) alert.clientIp = o.client;
  return alert;
}

function indicator(domain: string, extra: Partial<DomainIndicator> = {}): DomainIndicator {
  return {
    domain,
    firstSeen: T0,
    lastSeen: T0 + H,
    alerts: 2,
    rules: ['dns_distinct_subdomains'],
    maxDistinctSubdomains: 360,
    clients: ['10.0.0.5'],
    clientCount: 1,
    samples: [`abc.${domain}`],
    score: 0.8,
    expires: T0 + H + 7 * DAY,
    evidence: '',
    ...extra,
  };
}

async function rollupOf(alerts: Alert[], options = {}) {
  return rollupAlerts(
    alerts.map((a) => toEcsLine(a)),
    { now: NOW, ...options },
  );
}

// ---------------------------------------------------------------- BIND tools

const BIND_HINT = 'install BIND (Debian: apt-get install -y bind9 bind9-utils bind9-dnsutils); CI must install these in .ci/run';

/** Absolute path of a program on PATH or in the sbin directories (named lives in /usr/sbin). */
function findProgram(name: string): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/local/sbin', '/usr/bin', '/usr/local/bin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  assert.fail(`${name} not found on PATH or in /usr/sbin, /sbin: ${BIND_HINT}`);
}

function namedCheckzone(zone: string, file: string): { ok: boolean; output: string } {
  // -k fail: check-names as strictly as named itself does for a primary zone.
  const r = spawnSync(findProgram('named-checkzone'), ['-k', 'fail', '-i', 'full', zone, file], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.error, undefined, `running named-checkzone: ${String(r.error)}`);
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

// ---------------------------------------------------------------- CSV reader

/** RFC 4180 reader: quoted fields with "" escapes and line breaks inside quotes, CRLF (or LF) record ends. */
function parseCsv(text: string): { rows: string[][]; allQuoted: boolean } {
  const rows: string[][] = [];
  let row: string[] = [];
  let allQuoted = true;
  let i = 0;
  while (i < text.length) {
    let value = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        assert.ok(i < text.length, 'unterminated quoted field');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text[i++];
      }
    } else {
      allQuoted = false;
      while (i < text.length && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') value += text[i++];
    }
    row.push(value);
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text.startsWith('\r\n', i)) i += 2;
    else if (text[i] === '\n') i++;
    else assert.ok(i >= text.length, `junk after a field at ${i}: ${JSON.stringify(text.slice(i, i + 20))}`);
    rows.push(row);
    row = [];
  }
  return { rows, allQuoted };
}

// ---------------------------------------------------------------- roll-up

test('rollup: one indicator per domain with seen times, counts, rules, clients, samples, score and expiry', async () => {
  const alerts = [
    makeAlert({ domain: 'sync-updates.net', time: T0, distinct: 180, clients: [{ ip: '10.0.0.5', distinctSubdomains: 170 }] }),
    makeAlert({
      domain: 'sync-updates.net',
      time: T0 + 2 * H,
      distinct: 360,
      clients: [
        { ip: '10.0.0.9', distinctSubdomains: 20 },
        { ip: '10.0.0.5', distinctSubdomains: 340 },
      ],
    }),
    makeAlert({ domain: 'Sync-Updates.NET.', time: T0 + H, rule: 'per_client', client: '10.0.0.7', distinct: 200 }),
    makeAlert({ domain: 'other.org', time: T0 + 3 * H, distinct: 180, samples: ['x1'] }),
  ];
  const r = await rollupOf(alerts);
  assert.equal(r.badLines, 0);
  assert.equal(r.alerts, 4);
  assert.deepEqual(
    r.indicators.map((i) => i.domain),
    ['sync-updates.net', 'other.org'],
    'case and trailing dot folded; highest score first',
  );
  const [s, o] = r.indicators as [DomainIndicator, DomainIndicator];
  assert.equal(s.firstSeen, T0);
  assert.equal(s.lastSeen, T0 + 2 * H);
  assert.equal(s.alerts, 3);
  assert.deepEqual(s.rules, ['dns_distinct_subdomains', 'per_client']);
  assert.equal(s.maxDistinctSubdomains, 360);
  assert.deepEqual(s.clients, ['10.0.0.5', '10.0.0.7', '10.0.0.9'], 'by distinct subdomains, source.ip included');
  assert.equal(s.clientCount, 3);
  assert.equal(s.score, indicatorScore(2, 3));
  assert.equal(s.expires, T0 + 2 * H + 7 * DAY);
  assert.equal(s.tool, undefined);
  assert.ok(s.samples.includes('nbswy3dp.sync-updates.net') && s.samples.includes('mfrggzdf.sync-updates.net'), s.samples.join(' '));
  assert.ok(s.samples.length <= 5);
  assert.equal(o.score, 0.5);
  assert.deepEqual(o.samples, ['nbswy3dp.other.org', 'x1.other.org']);
});

test('rollup: score is the documented 1 − 0.5^r · 0.8^(n−1), in [0, 1] and monotone', () => {
  assert.equal(indicatorScore(1, 1), 0.5);
  assert.equal(indicatorScore(2, 1), 0.75);
  assert.equal(indicatorScore(2, 3), 0.84);
  assert.equal(indicatorScore(0, 1), 0);
  assert.equal(indicatorScore(1e9, 1e9), 1);
  assert.equal(indicatorScore(Number.NaN, 1), 0);
  let last = -1;
  for (let r = 0; r <= 25; r += 0.5) {
    const s = indicatorScore(r, 1);
    assert.ok(s >= last && s >= 0 && s <= 1, `score(${r}) = ${s}`);
    last = s;
  }
  assert.ok(indicatorScore(1, 5) > indicatorScore(1, 4));
});

test('rollup: caps clients and samples, ties broken by domain, duplicate alert ids counted once', async () => {
  const clients = Array.from({ length: 30 }, (_, i) => ({ ip: `10.1.0.${i}`, distinctSubdomains: 100 + i }));
  const a = makeAlert({ domain: 'b.example', time: T0, clients, samples: Array.from({ length: 20 }, (_, i) => `s${i}`) });
  const b = makeAlert({ domain: 'a.example', time: T0 });
  const line = toEcsLine(a);
  const r = await rollupAlerts([line, line, toEcsLine(b), line], { now: NOW, maxClients: 4, maxSamples: 3 });
  assert.equal(r.alerts, 2);
  assert.equal(r.duplicates, 2);
  assert.deepEqual(
    r.indicators.map((i) => i.domain),
    ['a.example', 'b.example'],
    'equal scores: by domain',
  );
  const bi = r.indicators[1] as DomainIndicator;
  assert.equal(bi.alerts, 1);
  assert.deepEqual(bi.clients, ['10.1.0.29', '10.1.0.28', '10.1.0.27', '10.1.0.26']);
  assert.equal(bi.clientCount, 30);
  assert.equal(bi.samples.length, 3);
});

test('rollup: bad lines are counted and reported with their position, never thrown; blank lines ignored', async () => {
  const good = toEcsLine(makeAlert({ domain: 'ok.example', time: T0 }));
  const doc = JSON.parse(good);
  const without = (mutate: (d: any) => void): string => {
    const d = structuredClone(doc);
    mutate(d);
    d.event.id = `id-${Math.random()}`;
    return JSON.stringify(d);
  };
  const lines = [
    good,
    '',
    '   ',
    'not json',
    '[1,2]',
    'null',
    '"a string"',
    good.slice(0, 100),
    without((d) => delete d['@timestamp']),
    without((d) => (d['@timestamp'] = 'Tue, 22 Nov 2026 01:00:00 GMT')),
    without((d) => (d['@timestamp'] = '2026-13-45T99:99:99Z')),
    without((d) => (d.event.kind = 'event')),
    without((d) => delete d.rule),
    without((d) => (d.dns.question.registered_domain = '')),
    without((d) => (d.dns.question.registered_domain = 42)),
    without((d) => (d.dns.question.registered_domain = 'x'.repeat(5000))),
    without((d) => (d.tunnelwatch.distinct_subdomains = '180')),
    without((d) => (d.tunnelwatch.threshold = 0)),
    without((d) => (d.tunnelwatch = null)),
    `{"__proto__":{"polluted":true},"@timestamp":"2026-11-22T01:00:00Z"}`,
    'x'.repeat(2_000_000),
    // Malformed optional fields are ignored; the alert counts.
    without((d) => {
      d.tunnelwatch.clients = [{ ip: 'not an ip' }, 'x', null, { ip: '10.9.9.9', distinct_subdomains: 'many' }];
      d.tunnelwatch.samples = 'nope';
      d.source = { ip: '999.1.1.1' };
      d.dns.question.name = 7;
    }),
  ];
  const r = await rollupAlerts(lines, { now: NOW, source: 'alerts.jsonl', maxBadLineExamples: 100 });
  assert.equal(r.badLines, lines.length - 4, JSON.stringify(r.badLineExamples, null, 1));
  assert.equal(r.alerts, 2);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  const [ok] = r.indicators;
  assert.equal(ok?.domain, 'ok.example');
  assert.deepEqual(ok?.clients, ['10.0.0.5', '10.9.9.9']);
  assert.deepEqual(r.badLineExamples[0], { source: 'alerts.jsonl', line: 4, reason: 'not JSON' });
  assert.ok(r.badLineExamples.every((b) => b.source === 'alerts.jsonl' && b.line > 0 && b.reason.length > 0));
  assert.ok(r.badLineExamples.some((b) => b.reason.includes('@timestamp')));
  assert.ok(r.badLineExamples.some((b) => b.reason.includes('registered_domain')));
  assert.ok(r.badLineExamples.some((b) => b.reason.includes('longer than')));
  const few = await rollupAlerts(lines, { now: NOW });
  assert.equal(few.badLines, r.badLines);
  assert.equal(few.badLineExamples.length, 10, 'examples capped, count exact');
});

test('rollup: expiry relative to now, ttlDays, includeExpired', async () => {
  const alerts = [makeAlert({ domain: 'recent.example', time: NOW - DAY }), makeAlert({ domain: 'stale.example', time: NOW - 10 * DAY })];
  const r = await rollupOf(alerts);
  assert.deepEqual(
    r.indicators.map((i) => i.domain),
    ['recent.example'],
  );
  assert.equal(r.expired, 1);
  const all = await rollupOf(alerts, { includeExpired: true });
  assert.deepEqual(all.indicators.map((i) => i.domain).sort(), ['recent.example', 'stale.example']);
  assert.equal(all.expired, 0);
  const short = await rollupOf(alerts, { ttlDays: 0.5 });
  assert.deepEqual(short.indicators, []);
  const long = await rollupOf(alerts, { ttlDays: 30 });
  assert.equal(long.indicators.length, 2);
  assert.equal(long.indicators.find((i) => i.domain === 'stale.example')?.expires, NOW - 10 * DAY + 30 * DAY);
  const rollup = new IndicatorRollup({ ttlDays: -1 });
  assert.throws(() => rollup.finish(), RangeError);
});

// ---------------------------------------------------------------- validation

test('checkDomain: plain host names pass lower-cased; everything else is refused with a reason', () => {
  assert.deepEqual(checkDomain('Sync-Updates.NET'), { ok: true, name: 'sync-updates.net' });
  assert.deepEqual(checkDomain('evil.test.'), { ok: true, name: 'evil.test' });
  assert.deepEqual(checkDomain('_dmarc.x_y.example'), { ok: true, name: '_dmarc.x_y.example' });
  assert.deepEqual(checkDomain('xn--bcher-kva.example'), { ok: true, name: 'xn--bcher-kva.example' });
  assert.deepEqual(checkDomain(`${'a'.repeat(63)}.com`), { ok: true, name: `${'a'.repeat(63)}.com` });
  const cases: [string, string][] = [
    ['', 'empty'],
    ['evil.com\n$INCLUDE /etc/passwd', 'bad-character'],
    ['a;b.com', 'bad-character'],
    ['x y.com', 'bad-character'],
    ['back\\slash.com', 'bad-character'],
    ['<script>.com', 'bad-character'],
    ['*.wild.com', 'bad-character'],
    ['ünïcode.com', 'bad-character'],
    [`${'a'.repeat(64)}.com`, 'label-too-long'],
    [`${'a.'.repeat(127)}com`, 'too-long'],
    ['x'.repeat(100_000), 'too-long'],
    ['a..com', 'empty-label'],
    ['.com', 'empty-label'],
    ['.', 'empty-label'],
    ['-minus.com', 'hyphen-edge'],
    ['a.b-.com', 'hyphen-edge'],
    ['localhost', 'single-label'],
    ['com', 'single-label'],
    ['co.uk', 'public-suffix'],
    ['github.io', 'public-suffix'],
    ['8.0.0.0.10.rpz-ip', 'rpz-reserved'],
    ['ns.example.rpz-nsdname', 'rpz-reserved'],
    ['rpz-passthru.example', 'rpz-reserved'],
  ];
  for (const [name, reason] of cases) assert.deepEqual(checkDomain(name), { ok: false, reason }, JSON.stringify(name));
  assert.deepEqual(checkDomain('_x.example', { strictLdh: true }), { ok: false, reason: 'not-ldh' });
  assert.deepEqual(checkDomain('a-.example', { strictLdh: true }), { ok: false, reason: 'hyphen-edge' });
  assert.deepEqual(checkDomain('a-b.example', { strictLdh: true }), { ok: true, name: 'a-b.example' });
});

// ---------------------------------------------------------------- RPZ

/** Every line of a zone we write: a comment, a directive we wrote, SOA/NS at the apex, or a trigger record. */
function assertZoneShape(zone: string, rdata: RegExp): string[] {
  const owners: string[] = [];
  assert.ok(zone.endsWith('\n'));
  for (const line of zone.slice(0, -1).split('\n')) {
    if (line === '' || line.startsWith('; ')) {
      assert.doesNotMatch(line, /[^\x20-\x7e]/, `comment of printable ASCII: ${JSON.stringify(line)}`);
      continue;
    }
    if (/^\$(ORIGIN [a-z0-9_.-]+\.|TTL \d+)$/.test(line)) continue;
    if (/^@ IN (SOA localhost\. hostmaster\.localhost\. \d+ \d+ \d+ \d+ \d+|NS localhost\.)$/.test(line)) continue;
    const m = /^(\*\.)?([a-z0-9_-]+(?:\.[a-z0-9_-]+)+) (.+)$/.exec(line);
    assert.ok(m, `unexpected zone line ${JSON.stringify(line)}`);
    assert.match(m[3] as string, rdata, line);
    owners.push(line.split(' ')[0] as string);
  }
  return owners;
}

test('RPZ from hostile alerts: only valid names, both apex and wildcard triggers, refusals reported, named-checkzone accepts it', async () => {
  const alerts = [
    makeAlert({ domain: 'sync-updates.net', time: T0, distinct: 400 }),
    makeAlert({ domain: 'EXFIL.Example.ORG', time: T0 + H }),
    makeAlert({ domain: 'exfil.example.org', time: T0 + 2 * H }),
    ...HOSTILE.map((domain, i) => makeAlert({ domain, time: T0 + i * 1000 })),
  ];
  const { indicators } = await rollupOf(alerts);
  const refused: Refusal[] = [];
  const zone = toRpz(indicators, { serial: 2026112201, now: NOW, onRefused: (r) => refused.push(r) });
  const owners = assertZoneShape(zone, /^CNAME \.$/);
  assert.deepEqual(owners.sort(), ['*.exfil.example.org', '*.sync-updates.net', 'exfil.example.org', 'sync-updates.net']);
  assert.deepEqual(refused.map((r) => r.domain).sort(), HOSTILE.map((d) => d.toLowerCase()).sort());
  for (const bad of ['$INCLUDE', 'passwd', ';b', '\\', 'script', 'x y', 'attacker', 'rpz-ip', 'co.uk']) assert.ok(!zone.includes(bad), `zone contains ${bad}`);
  assert.match(zone, /^\$ORIGIN rpz\.tunnelwatch\.$/m);
  assert.match(zone, / 2026112201 /);
  assert.match(zone, /^; first seen 2026-11-22T01:00:00\.000Z, last seen 2026-11-22T01:00:00\.000Z, score 0\.786, 1 alert, expires 2026-11-29T01:00:00\.000Z\nsync-updates\.net CNAME \.$/m);

  await withTmpDir((dir) => {
    const file = join(dir, 'rpz.zone');
    writeFileSync(file, zone);
    const check = namedCheckzone('rpz.tunnelwatch', file);
    assert.ok(check.ok, check.output);
    assert.match(check.output, /loaded serial 2026112201/);
  });
});

test('RPZ actions nodata and sinkhole (IPv4 → A, IPv6 → AAAA), zone name and serial; every variant passes named-checkzone', async () => {
  const list = [indicator('t.evil.test'), indicator('_srv.under_score.test'), indicator('a-b.test')];
  const variants: { action: RpzAction; sinkhole?: string; rdata: RegExp; owners: number }[] = [
    { action: 'nxdomain', rdata: /^CNAME \.$/, owners: 6 },
    { action: 'nodata', rdata: /^CNAME \*\.$/, owners: 6 },
    // Address records must be strict host names (check-names): the underscore name is refused.
    { action: 'sinkhole', rdata: /^A 0\.0\.0\.0$/, owners: 4 },
    { action: 'sinkhole', sinkhole: '10.66.0.1', rdata: /^A 10\.66\.0\.1$/, owners: 4 },
    { action: 'sinkhole', sinkhole: '::1', rdata: /^AAAA ::1$/, owners: 4 },
  ];
  await withTmpDir((dir) => {
    for (const [n, v] of variants.entries()) {
      const refused: Refusal[] = [];
      const zone = toRpz(list, { zone: 'Block.Example', serial: 4294967295, action: v.action, sinkhole: v.sinkhole, onRefused: (r) => refused.push(r) });
      assert.equal(assertZoneShape(zone, v.rdata).length, v.owners, zone);
      assert.match(zone, /^\$ORIGIN block\.example\.$/m);
      assert.deepEqual(refused, v.action === 'sinkhole' ? [{ domain: '_srv.under_score.test', reason: 'not-ldh' }] : []);
      const file = join(dir, `zone${n}`);
      writeFileSync(file, zone);
      const check = namedCheckzone('block.example', file);
      assert.ok(check.ok, `${v.action}: ${check.output}\n${zone}`);
    }
  });
  const empty = toRpz([], { serial: 1 });
  assert.match(empty, /0 domains/);
  assert.throws(() => toRpz(list, { serial: 0 }), RangeError);
  assert.throws(() => toRpz(list, { serial: 2 ** 32 }), RangeError);
  assert.throws(() => toRpz(list, { serial: 1.5 }), RangeError);
  assert.throws(() => toRpz(list, { serial: 1, zone: 'bad zone\n$INCLUDE x' }), RangeError);
  assert.throws(() => toRpz(list, { serial: 1, zone: '.' }), RangeError);
  assert.throws(() => toRpz(list, { serial: 1, action: 'sinkhole', sinkhole: 'sinkhole.example' }), RangeError);
  assert.throws(() => toRpz(list, { serial: 1, action: 'sinkhole', sinkhole: '0.0.0.0\n$INCLUDE /etc/passwd' }), RangeError);
  assert.throws(() => toRpz(list, { serial: 1, action: 'drop' as RpzAction }), RangeError);
});

// ---------------------------------------------------------------- domains, CSV, STIX

test('domains: one validated lower-cased name per line, hostile ones refused, duplicates once', () => {
  const refused: Refusal[] = [];
  const list = [indicator('b.example'), indicator('A.Example'), indicator('a.example'), ...HOSTILE.map((d) => indicator(d))];
  const text = toDomains(list, { onRefused: (r) => refused.push(r) });
  assert.equal(text, 'b.example\na.example\n');
  assert.equal(refused.length, HOSTILE.length + 1);
  assert.deepEqual(refused.find((r) => r.reason === 'duplicate'), { domain: 'a.example', reason: 'duplicate' });
  assert.equal(toDomains([]), '');
});

test('CSV: RFC 4180, every field quoted, hostile values round-trip, formulas neutralised', async () => {
  const alerts = [makeAlert({ domain: 'sync-updates.net', time: T0, distinct: 400 }), ...HOSTILE.map((domain, i) => makeAlert({ domain, time: T0 + i * 1000 }))];
  const { indicators } = await rollupOf(alerts);
  const withTool = indicators.map((i, n) => (n === 0 ? { ...i, tool: '=HYPERLINK("http://x")' } : i));
  const text = toCsv(withTool);
  assert.ok(text.endsWith('\r\n'));
  const { rows, allQuoted } = parseCsv(text);
  assert.ok(allQuoted, 'every field quoted');
  const [header, ...body] = rows as [string[], ...string[][]];
  assert.deepEqual(header, ['domain', 'score', 'first_seen', 'last_seen', 'expires', 'alerts', 'rules', 'max_distinct_subdomains', 'client_count', 'clients', 'samples', 'tool', 'evidence']);
  assert.equal(body.length, indicators.length);
  for (const row of body) assert.equal(row.length, header.length);
  const neutral = (s: string): string => (/^[=+\-@\t\r]/.test(s) ? `'${s}` : s);
  assert.deepEqual(
    body.map((r) => r[0]),
    indicators.map((i) => neutral(i.domain)),
    'domains round-trip (formula-like ones with a leading quote)',
  );
  for (const row of body) for (const field of row) assert.doesNotMatch(field, /^[=+\-@\t\r]/, `no field starts a formula: ${JSON.stringify(field)}`);
  const first = body[0] as string[];
  assert.deepEqual(first.slice(0, 9), ['sync-updates.net', '0.786', '2026-11-22T01:00:00.000Z', '2026-11-22T01:00:00.000Z', '2026-11-29T01:00:00.000Z', '1', 'dns_distinct_subdomains', '400', '1']);
  assert.equal(first[11], `'=HYPERLINK("http://x")`);
  const cmd = body.find((r) => r[0]?.includes('cmd'));
  assert.equal(cmd?.[0], "'=cmd|' /c calc'!a0", 'lower-cased by the roll-up, formula neutralised');
  const nl = body.find((r) => r[0]?.includes('passwd'));
  assert.equal(nl?.[0], 'evil.com\n$include /etc/passwd');
  assert.equal(csvField('a"b'), '"a""b"');
  assert.equal(csvField('\tx'), `"'\tx"`);
  assert.equal(csvField('-1'), `"'-1"`);
  assert.equal(csvField(''), '""');
  assert.equal(toCsv([]), `${header.map((h) => `"${h}"`).join(',')}\r\n`);
});

test('STIX 2.1: bundle with identity and one indicator per domain; escaped patterns; deterministic ids', async () => {
  assert.equal(uuidv5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'python.org'), '886313e1-3b8a-5372-9b90-0c9aee199e5d', 'RFC 9562 UUIDv5 vector');
  const alerts = [makeAlert({ domain: 'sync-updates.net', time: T0, distinct: 400 }), ...HOSTILE.map((domain, i) => makeAlert({ domain, time: T0 + i * 1000 }))];
  const { indicators } = await rollupOf(alerts);
  const text = toStix(indicators, { now: NOW });
  const bundle = JSON.parse(text);
  assert.equal(bundle.type, 'bundle');
  assert.match(bundle.id, /^bundle--[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const [identity, ...objects] = bundle.objects;
  assert.equal(identity.type, 'identity');
  assert.equal(identity.name, 'tunnelwatch');
  assert.equal(objects.length, indicators.length);
  const uuid = /^indicator--[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  for (const [n, o] of objects.entries()) {
    const domain = (indicators[n] as DomainIndicator).domain;
    assert.equal(o.type, 'indicator');
    assert.equal(o.spec_version, '2.1');
    assert.match(o.id, uuid);
    assert.equal(o.id, indicatorId(domain));
    assert.equal(o.created_by_ref, identity.id);
    assert.equal(o.created, '2026-11-23T00:00:00.000Z');
    assert.equal(o.modified, o.created);
    assert.deepEqual(o.indicator_types, ['malicious-activity']);
    assert.ok(o.labels.includes('malicious-activity'));
    assert.equal(o.pattern_type, 'stix');
    // The pattern is `[domain-name:value = '…']` with only \\ and \' escapes inside, which decode to the domain.
    const m = /^\[domain-name:value = '((?:[^'\\]|\\['\\])*)'\]$/s.exec(o.pattern);
    assert.ok(m, `pattern shape: ${JSON.stringify(o.pattern)}`);
    assert.equal((m[1] as string).replace(/\\(['\\])/g, '$1'), domain);
    assert.ok(Date.parse(o.valid_until) > Date.parse(o.valid_from));
    assert.ok(o.confidence >= 0 && o.confidence <= 100);
  }
  const first = objects[0];
  assert.equal(first.pattern, "[domain-name:value = 'sync-updates.net']");
  assert.equal(first.valid_from, '2026-11-22T01:00:00.000Z');
  assert.equal(first.valid_until, '2026-11-29T01:00:00.000Z');
  assert.equal(first.confidence, 79);
  const cmd = objects.find((o: { pattern: string }) => o.pattern.includes('cmd'));
  assert.equal(cmd.pattern, "[domain-name:value = '=cmd|\\' /c calc\\'!a0']");
  assert.equal(stixString("a'b\\c"), "'a\\'b\\\\c'");

  // Re-export later: same indicator and identity ids (new versions), same order.
  const again = JSON.parse(toStix(indicators, { now: NOW + H }));
  assert.deepEqual(
    again.objects.map((o: { id: string }) => o.id),
    bundle.objects.map((o: { id: string }) => o.id),
  );
  assert.equal(again.objects[1].modified, '2026-11-23T01:00:00.000Z');
  assert.equal(toStix(indicators, { now: NOW }), text, 'same input, same bytes');
  assert.notEqual(indicatorId('a.example'), indicatorId('b.example'));
  assert.equal(JSON.parse(toStix([], { now: NOW })).objects.length, 1);
});

// ---------------------------------------------------------------- runExport

async function exportTo(dir: string, options: Omit<ExportOptions, 'log'>): Promise<{ summary: Awaited<ReturnType<typeof runExport>>; text: string; log: string }> {
  const out = options.out ?? join(dir, `out.${options.format}`);
  let log = '';
  const summary = await runExport({ ...options, out, log: (s) => (log += s + '\n') });
  return { summary, text: readFileSync(out, 'utf8'), log };
}

test('runExport on the fixture: every format matches its expected file; counts and report', () =>
  withTmpDir(async (dir) => {
    const alerts = [fixturePath('export/alerts.jsonl')];
    const expected: Record<ExportOptions['format'], string> = { rpz: 'expected.rpz', domains: 'expected.domains', csv: 'expected.csv', stix: 'expected.stix.json' };
    for (const format of ['rpz', 'domains', 'csv', 'stix'] as const) {
      const { summary, text, log } = await exportTo(dir, { format, alerts, now: NOW, ...(format === 'rpz' ? { serial: 2026112301 } : {}) });
      assert.equal(text, readFileSync(fixturePath(`export/${expected[format]}`), 'utf8'), `${format} output equals test/fixtures/export/${expected[format]}`);
      assert.equal(summary.badLines, 5, log);
      const refusing = format === 'rpz' || format === 'domains';
      assert.deepEqual(summary, { indicators: refusing ? 2 : 11, refused: refusing ? 9 : 0, badLines: 5 }, log);
      assert.match(log, /alerts read\s+14 {2}\(1 duplicates ignored\)/);
      assert.match(log, /\(1 expired, not exported\)/);
      if (refusing) {
        assert.match(log, /bad-character: "evil\.com\\n\$include \/etc\/passwd"/);
        assert.match(log, /public-suffix: "co\.uk"/);
        assert.match(log, /rpz-reserved: "8\.0\.0\.0\.10\.rpz-ip"/);
      }
      assert.match(log, /alerts\.jsonl:\d+: not JSON/);
      assert.doesNotMatch(log, /[^\x20-\x7e\n…→]/, 'report is printable');
    }
    const check = namedCheckzone('rpz.tunnelwatch', fixturePath('export/expected.rpz'));
    assert.ok(check.ok, check.output);
  }));

test('runExport: atomic replace of an existing file, gzip and several inputs, no temp files left', () =>
  withTmpDir(async (dir) => {
    const a = join(dir, 'a.jsonl');
    const b = join(dir, 'b.jsonl.gz');
    writeFileSync(a, toEcsLine(makeAlert({ domain: 'one.example', time: T0 })) + '\r\n');
    writeFileSync(b, gzipSync(toEcsLine(makeAlert({ domain: 'two.example', time: T0 })) + '\n' + 'garbage\n'));
    const out = join(dir, 'blocklist.txt');
    writeFileSync(out, 'old contents\n');
    const { summary, text, log } = await exportTo(dir, { format: 'domains', alerts: [a, b], out, now: NOW });
    assert.equal(text, 'one.example\ntwo.example\n');
    assert.deepEqual(summary, { indicators: 2, refused: 0, badLines: 1 });
    assert.match(log, /b\.jsonl\.gz:2: not JSON/);
    assert.deepEqual(readdirSync(dir).sort(), ['a.jsonl', 'b.jsonl.gz', 'blocklist.txt']);
  }));

test('runExport: usage, input and output errors carry their codes; a failed write leaves the old file', () =>
  withTmpDir(async (dir) => {
    const a = join(dir, 'a.jsonl');
    writeFileSync(a, toEcsLine(makeAlert({ domain: 'one.example', time: T0 })) + '\n');
    const code = async (options: Partial<ExportOptions>): Promise<string> => {
      try {
        // A fixed clock: the alert is dated T0, and against the wall clock it expires a week later.
        await runExport({ format: 'rpz', alerts: [a], out: join(dir, 'x.zone'), now: NOW, log: () => undefined, ...options });
      } catch (error) {
        assert.ok(error instanceof TunnelwatchError, String(error));
        return error.code;
      }
      return 'ok';
    };
    assert.equal(await code({ format: 'xml' as ExportOptions['format'] }), 'TW_USAGE');
    assert.equal(await code({ format: 'csv', zone: 'rpz.example' }), 'TW_USAGE');
    assert.equal(await code({ zone: 'bad zone' }), 'TW_USAGE');
    assert.equal(await code({ action: 'nodata', sinkhole: '0.0.0.0' }), 'TW_USAGE');
    assert.equal(await code({ action: 'sinkhole', sinkhole: 'not-an-ip' }), 'TW_USAGE');
    assert.equal(await code({ ttlDays: -1 }), 'TW_USAGE');
    assert.equal(await code({ serial: 0 }), 'TW_USAGE');
    assert.equal(await code({ alerts: ['-', '-'] }), 'TW_USAGE');
    assert.equal(await code({ alerts: [join(dir, 'missing.jsonl')] }), 'TW_INPUT');
    assert.equal(await code({ out: join(dir, 'no-such-dir', 'x.zone') }), 'TW_OUTPUT');
    assert.equal(await code({ out: dir }), 'TW_OUTPUT');
    assert.equal(await code({ sinkhole: '192.0.2.1' }), 'ok', '--sinkhole alone implies the sinkhole action');
    assert.match(readFileSync(join(dir, 'x.zone'), 'utf8'), /^one\.example A 192\.0\.2\.1$/m);
    assert.deepEqual(readdirSync(dir).sort(), ['a.jsonl', 'x.zone'], 'no temporary files left behind');
  }));

// ---------------------------------------------------------------- real BIND

/**
 * A port free for both UDP and TCP on 127.0.0.1 right now, below Linux's
 * ephemeral range (32768–60999), where named picks its own query ports.
 */
async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const udp = createSocket('udp4');
    const udpFree = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, '127.0.0.1', () => resolve(true));
    });
    const tcpFree =
      udpFree &&
      (await new Promise<boolean>((resolve) => {
        const server = createServer();
        server.once('error', () => resolve(false));
        server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
      }));
    if (udpFree) await new Promise<void>((resolve) => udp.close(() => resolve()));
    if (tcpFree) return port;
  }
  throw new Error('no free port for named on 127.0.0.1');
}

interface Dig {
  status: string;
  answers: string[];
  output: string;
}

function dig(port: number, name: string, type = 'A', flags: string[] = []): Dig {
  const r = spawnSync(findProgram('dig'), ['@127.0.0.1', '-p', String(port), '+time=2', '+tries=2', ...flags, name, type], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.error, undefined, `running dig: ${String(r.error)}`);
  const status = /status: ([A-Z]+)/.exec(r.stdout)?.[1] ?? `no status (exit ${r.status})`;
  const answers = r.stdout
    .split('\n')
    .filter((l) => l.startsWith(`${name}.`) && /\sIN\s/.test(l))
    .map((l) => l.split(/\s+/).slice(3).join(' '));
  return { status, answers, output: r.stdout + r.stderr };
}

const TEST_ZONE = `$TTL 60
@ IN SOA ns.test. hostmaster.test. 1 3600 600 86400 60
@ IN NS ns.test.
ns IN A 127.0.0.1
evil IN A 192.0.2.66
*.evil IN A 192.0.2.66
www.good IN A 192.0.2.80
sink IN A 192.0.2.67
*.sink IN A 192.0.2.67
nodata IN A 192.0.2.68
`;

// A root zone of our own: named answers everything locally and never primes the real root servers.
const ROOT_ZONE = `$TTL 60
. IN SOA localhost. hostmaster.localhost. 1 3600 600 86400 60
. IN NS localhost.
localhost. IN A 127.0.0.1
`;

test('real BIND: named loads the exported RPZ zones and rewrites answers (NXDOMAIN, sinkhole, NODATA); other names resolve', { timeout: 120_000 }, () =>
  withTmpDir(async (dir) => {
    const named = findProgram('named');
    findProgram('dig');
    // Exported from alerts that include the hostile names: named must still load the zone.
    const alerts = [
      ...[makeAlert({ domain: 'evil.test', time: NOW - H, distinct: 500 }), ...HOSTILE.map((domain) => makeAlert({ domain, time: NOW - H }))].map((a) => toEcsLine(a)),
      'not json',
    ];
    const alertsFile = join(dir, 'alerts.jsonl');
    writeFileSync(alertsFile, alerts.join('\n') + '\n');
    const nx = await runExport({ format: 'rpz', alerts: [alertsFile], out: join(dir, 'rpz.zone'), now: NOW, log: () => undefined });
    assert.deepEqual(nx, { indicators: 1, refused: HOSTILE.length, badLines: 1 });
    writeFileSync(join(dir, 'sink-alerts.jsonl'), toEcsLine(makeAlert({ domain: 'sink.test', time: NOW - H })) + '\n');
    await runExport({ format: 'rpz', alerts: [join(dir, 'sink-alerts.jsonl')], out: join(dir, 'sink.zone'), zone: 'rpz.sinkhole', action: 'sinkhole', sinkhole: '10.66.0.1', now: NOW, log: () => undefined });
    writeFileSync(join(dir, 'nodata-alerts.jsonl'), toEcsLine(makeAlert({ domain: 'nodata.test', time: NOW - H })) + '\n');
    await runExport({ format: 'rpz', alerts: [join(dir, 'nodata-alerts.jsonl')], out: join(dir, 'nodata.zone'), zone: 'rpz.nodata', action: 'nodata', now: NOW, log: () => undefined });
    writeFileSync(join(dir, 'test.zone'), TEST_ZONE);
    writeFileSync(join(dir, 'root.zone'), ROOT_ZONE);

    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      writeFileSync(
        join(dir, 'named.conf'),
        `options {
  directory ${JSON.stringify(dir)};
  pid-file ${JSON.stringify(join(dir, 'named.pid'))};
  session-keyfile ${JSON.stringify(join(dir, 'session.key'))};
  managed-keys-directory ${JSON.stringify(dir)};
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion yes;
  allow-query { 127.0.0.1; };
  allow-recursion { 127.0.0.1; };
  dnssec-validation no;
  notify no;
  response-policy { zone "rpz.tunnelwatch"; zone "rpz.sinkhole"; zone "rpz.nodata"; };
};
controls { };
zone "." { type primary; file "root.zone"; };
zone "test" { type primary; file "test.zone"; };
zone "rpz.tunnelwatch" { type primary; file "rpz.zone"; };
zone "rpz.sinkhole" { type primary; file "sink.zone"; };
zone "rpz.nodata" { type primary; file "nodata.zone"; };
`,
      );
      // -g: foreground, log to stderr; -4: IPv4 only; our own config, pid file and directory.
      const child = spawn(named, ['-g', '-4', '-n', '1', '-c', join(dir, 'named.conf')], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
      let log = '';
      let exited = false;
      child.stderr.on('data', (d: Buffer) => (log += d.toString()));
      const exit = new Promise<void>((resolve) =>
        child.once('exit', () => {
          exited = true;
          resolve();
        }),
      );
      child.once('error', (error) => (log += `spawn error: ${error.message}\n`));
      try {
        await waitFor(() => exited || /\brunning$/m.test(log), 'named to start', 20_000);
        assert.ok(!exited, `named exited during start-up:\n${log}`);
        if (/address in use|could not listen/i.test(log) && attempt < 3) continue;
        assert.match(log, /zone rpz\.tunnelwatch\/IN: loaded serial \d+/, log);
        assert.match(log, /zone rpz\.sinkhole\/IN: loaded serial/, log);
        assert.match(log, /zone rpz\.nodata\/IN: loaded serial/, log);

        const evil = dig(port, 'evil.test');
        assert.equal(evil.status, 'NXDOMAIN', evil.output);
        const sub = dig(port, 'abc.t.evil.test');
        assert.equal(sub.status, 'NXDOMAIN', sub.output);
        const txt = dig(port, 'mfrggzdf.evil.test', 'TXT');
        assert.equal(txt.status, 'NXDOMAIN', txt.output);
        // Without recursion the policy does not apply: the data is there, the RPZ hides it.
        const raw = dig(port, 'abc.t.evil.test', 'A', ['+norecurse']);
        assert.deepEqual({ status: raw.status, answers: raw.answers }, { status: 'NOERROR', answers: ['A 192.0.2.66'] }, raw.output);

        const good = dig(port, 'www.good.test');
        assert.deepEqual({ status: good.status, answers: good.answers }, { status: 'NOERROR', answers: ['A 192.0.2.80'] }, good.output);
        const sink = dig(port, 'x.sink.test');
        assert.deepEqual({ status: sink.status, answers: sink.answers }, { status: 'NOERROR', answers: ['A 10.66.0.1'] }, sink.output);
        const nodata = dig(port, 'nodata.test');
        assert.deepEqual({ status: nodata.status, answers: nodata.answers }, { status: 'NOERROR', answers: [] }, nodata.output);
        return;
      } finally {
        // Stop only the named we started; bounded wait, then SIGKILL.
        if (!exited) {
          child.kill('SIGTERM');
          let timer: NodeJS.Timeout | undefined;
          const stopped = await Promise.race([exit.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 10_000)))]);
          clearTimeout(timer);
          if (!stopped) {
            child.kill('SIGKILL');
            await exit;
          }
        }
      }
    }
  }));

test('a scored alert gives its indicator the score ratio and an evidence summary of its strongest alert; hostile terms are left out', async () => {
  const weak = makeAlert({ domain: 'media-sync.net', time: T0, distinct: 20, threshold: 60 });
  Object.assign(weak, { score: 62, evidence: [{ detector: 'encoded_share', what: 'x', value: 1, threshold: 0.9, weight: 25, points: 25 }] });
  const strong = makeAlert({ domain: 'media-sync.net', time: T0 + H, distinct: 20, threshold: 60 });
  Object.assign(strong, {
    score: 90,
    tool: 'iodine',
    evidence: [
      { detector: 'signature', what: 'iodine', value: 1, threshold: 1, weight: 70, points: 70 },
      { detector: 'encoded_subdomains', what: 'x', value: 12, threshold: 16, weight: 40, points: 30 },
    ],
  });
  const { indicators } = await rollupOf([weak, strong]);
  const i = indicators.find((x) => x.domain === 'media-sync.net')!;
  assert.equal(i.evidence, 'signature=1 encoded_subdomains=12');
  assert.equal(i.tool, 'iodine');
  // score 90 at alert score 60: r = 1.5, two alerts → 1 − 0.5^1.5 · 0.8
  assert.equal(i.score, Math.round((1 - Math.pow(0.5, 1.5) * 0.8) * 1000) / 1000);
  const hostile = makeAlert({ domain: 'x.net', time: T0, distinct: 20, threshold: 60 });
  Object.assign(hostile, { score: 70, evidence: [{ detector: 'a'.repeat(500), value: 1 }, { detector: 'ok', value: Number.NaN }, 'junk'] });
  const { indicators: h } = await rollupOf([hostile]);
  assert.equal(h[0]!.evidence, '');
});
