/**
 * The score rule end to end through the engine: evidence terms, the crossing, slow exfiltration in
 * short and long windows, the allowlist, mutes and the decoded preview.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Alert } from '../src/alerts/alert.js';
import { validateConfig } from '../src/config/load.js';
import { DetectionEngine } from '../src/engine.js';
import type { DnsEvent } from '../src/event.js';
import { BindQueryParser } from '../src/parsers/bind.js';
import { Rejection } from '../src/parsers/parser.js';
import { evidence, scoreOf, severityOf } from '../src/scoring/evidence.js';
import { DomainPatterns } from '../src/scoring/domain-patterns.js';
import { decodedPreview } from '../src/scoring/preview.js';
import { formatBindQueryLine } from '../src/simulate/simulator.js';
import type { WindowAggregate } from '../src/windows/aggregate.js';
import { seededRandom } from './helpers.js';

const T0 = Date.UTC(2026, 10, 22, 0, 0, 0);
const SECOND = 1000;
const HOUR = 3_600_000;
const parser = new BindQueryParser();
let lineNo = 0;

function ev(time: number, client: string, qname: string, qtype = 'A'): DnsEvent {
  const r = parser.parse(formatBindQueryLine({ timeMs: time, clientIp: client, clientPort: 5000, qname, qtype, serverIp: '10.0.0.53' }), 't', ++lineNo, 0);
  assert.ok(!(r instanceof Rejection), `fixture line must parse: ${qname}`);
  return r;
}

function run(events: DnsEvent[], config: object = {}): { alerts: Alert[]; rows: WindowAggregate[]; engine: DetectionEngine } {
  const alerts: Alert[] = [];
  const rows: WindowAggregate[] = [];
  const engine = new DetectionEngine(validateConfig(config), { alert: (a) => alerts.push(a), aggregate: (r) => rows.push(r) });
  for (const e of [...events].sort((a, b) => a.time - b.time)) engine.process(e);
  engine.finish();
  return { alerts, rows, engine };
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
function base32(bytes: Buffer): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const b of bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32[(buffer >> bits) & 31];
    }
    buffer &= 0xff;
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
  return out;
}

const SECRET = Buffer.from(
  'CONFIDENTIAL payroll-2026.xlsx: alice 81200, bob 77950, carol 91000, dave 64300; ' +
    'vpn: corp-gw.example.net user svc_backup pass Winter2026!; db: 10.2.3.4:5432 finance/readonly; ' +
    'next: upload quarterly forecast before friday',
);

/** A file leaked one 48-character base32 label per query (30 bytes), one query every 5–10 s. */
function slowExfil(domain: string, client: string, start: number, rng: () => number, gap: () => number = () => 5 + rng() * 5): DnsEvent[] {
  const text = base32(SECRET);
  const out: DnsEvent[] = [];
  let t = start;
  for (let i = 0; i < text.length; i += 48) {
    out.push(ev(t, client, `${text.slice(i, i + 48)}.${domain}`));
    t += gap() * SECOND;
  }
  return out;
}

/** Ordinary browsing around the tunnel: many clients, many domains, word-like names. */
function background(start: number, minutes: number, rng: () => number): DnsEvent[] {
  const words = ['www', 'mail', 'api', 'login', 'static', 'images', 'news', 'shop', 'account', 'support', 'docs', 'calendar'];
  const domains = ['example.com', 'news-site.org', 'shopping.net', 'video-host.com', 'weather.io', 'bank.example'];
  const out: DnsEvent[] = [];
  for (let i = 0; i < minutes * 60; i++) {
    const w = words[Math.floor(rng() * words.length)]!;
    const d = domains[Math.floor(rng() * domains.length)]!;
    out.push(ev(start + i * SECOND, `10.1.0.${1 + Math.floor(rng() * 50)}`, `${w}.${d}`));
  }
  return out;
}

test('a few hundred bytes leaked one query every 5–10 s are alerted, with every evidence term, the client and a decoded preview', () => {
  const rng = seededRandom(7);
  const leak = slowExfil('pixel-stats.net', '10.9.9.9', T0 + 60 * SECOND, rng);
  assert.ok(SECRET.length > 200 && leak.length < 15, `${SECRET.length} bytes in ${leak.length} queries`);
  const { alerts } = run([...leak, ...background(T0, 10, rng)]);
  assert.equal(alerts.length, 1, alerts.map((a) => a.reason).join('\n'));
  const a = alerts[0]!;
  assert.equal(a.registeredDomain, 'pixel-stats.net');
  assert.equal(a.rule, 'dns_tunnel_score');
  assert.equal(a.ruleType, 'score');
  assert.ok(a.score! >= 60 && a.score! <= 100);
  assert.equal(a.severity, severityOf(a.score!));
  assert.deepEqual(a.clients.map((c) => c.ip), ['10.9.9.9']);
  const detectors = a.evidence!.map((e) => e.detector);
  for (const d of ['encoded_share', 'encoded_subdomains', 'upstream_bytes']) assert.ok(detectors.includes(d), `${d} in ${detectors.join(', ')}`);
  assert.equal(scoreOf(a.evidence!), a.score);
  assert.ok(a.reason.includes('pixel-stats.net') && a.reason.includes('encoded_share'), a.reason);
  // The preview decodes the leaked text (the first labels, joined).
  assert.equal(a.decodedPreview?.encoding, 'base32');
  assert.ok(SECRET.toString('latin1').startsWith(a.decodedPreview!.text.slice(0, 60)), a.decodedPreview!.text);
  assert.ok(a.estimatedBytes! > 100);
  // Alerted while the leak runs, on the query that brought the score to 60.
  assert.ok(a.time <= leak[leak.length - 1]!.time);
});

test('1 KB per hour, one query every 5 minutes, is alerted within 24 h by the long windows, which hold only suspicious domains', () => {
  const rng = seededRandom(11);
  const events: DnsEvent[] = [];
  // 12 queries an hour of 85 bytes (170 hex characters in three labels) ≈ 1 KB per hour.
  for (let i = 0; i < 24 * 12; i++) {
    const hex = Buffer.from(Array.from({ length: 85 }, () => Math.floor(rng() * 256))).toString('hex');
    events.push(ev(T0 + i * 5 * 60 * SECOND, '10.7.7.7', `${hex.slice(0, 60)}.${hex.slice(60, 120)}.${hex.slice(120)}.metrics-cdn.org`));
  }
  for (let h = 0; h < 24; h += 6) events.push(...background(T0 + h * HOUR, 5, rng));
  const { alerts, rows } = run(events);
  assert.equal(alerts.length, 1 * alerts.filter((a) => a.registeredDomain === 'metrics-cdn.org').length, 'no alert on the background');
  const first = alerts[0];
  assert.ok(first !== undefined, 'alerted');
  assert.ok(['1h/10m', '1d/1h'].includes(first.window.name), first.window.name);
  assert.ok(first.time - T0 < 24 * HOUR);
  // The 10-minute windows never see enough (two queries each) to alert on their own.
  assert.ok(alerts.every((a) => a.window.name !== '10m/5m'));
  // Long windows were opened for the suspicious domain only.
  const longDomains = new Set(rows.filter((r) => r.window !== '10m/5m').map((r) => r.registeredDomain));
  assert.deepEqual([...longDomains], ['metrics-cdn.org']);
});

test('a running tunnel alerts once per cool-down across all windows; the other crossings are counted as suppressed', () => {
  const events: DnsEvent[] = [];
  const rng = seededRandom(3);
  for (let i = 0; i < 2 * 3600; i++) {
    const label = Buffer.from(Array.from({ length: 30 }, () => Math.floor(rng() * 256))).toString('hex');
    events.push(ev(T0 + i * SECOND, '10.3.3.3', `${label}.sync-api.net`, 'TXT'));
  }
  const { alerts, engine } = run(events);
  assert.equal(alerts.length, 2, alerts.map((a) => `${a.window.name} ${new Date(a.time).toISOString()}`).join('\n'));
  assert.ok(alerts[1]!.time - alerts[0]!.time >= HOUR);
  assert.ok(engine.counters.suppressed > 0);
  assert.notEqual(alerts[0]!.id, alerts[1]!.id);
});

test('cool-downs of many alerting domains are forgotten once they have ended, when windows close', () => {
  const alerts: Alert[] = [];
  const engine = new DetectionEngine(validateConfig({}), { alert: (a) => alerts.push(a) });
  const cooldowns = (): number => engine.snapshot().rules.get('dns_tunnel_score')!.size;
  // 300 domains each alert at once on an iodine handshake-shaped name (a high-confidence signature).
  for (let d = 0; d < 300; d++) engine.process(ev(T0 + d * SECOND, '10.4.4.4', `vaaaakatefy.t.tun${d}.net`, 'NULL'));
  assert.equal(alerts.length, 300, 'every domain alerted');
  assert.equal(cooldowns(), 300, 'each alerting domain holds its cool-down');
  // Two hours of ordinary traffic move the watermark past the 1 h cool-downs and close windows.
  for (const e of background(T0 + 10 * 60 * SECOND, 120, seededRandom(8))) engine.process(e);
  assert.equal(cooldowns(), 0, 'none is held once they have ended');
});

test('short hashed CDN host names are not data: they count only as distinct names, below that term\'s threshold no alert', () => {
  const rng = seededRandom(5);
  const events: DnsEvent[] = [];
  for (let i = 0; i < 170; i++) {
    const id = 'd' + Buffer.from(Array.from({ length: 6 }, () => Math.floor(rng() * 256))).toString('hex').slice(0, 13);
    events.push(ev(T0 + i * SECOND, `10.4.0.${1 + (i % 120)}`, `${id}.edge-assets.net`));
  }
  const { alerts } = run(events);
  assert.deepEqual(alerts, []);
});

test('allowlist patterns: `name` covers it and everything below, `*.name` only below; allowlisted domains are never scored', () => {
  const p = new DomainPatterns(['Corp.Example.', '*.tunnel-ok.net']);
  assert.equal(p.match('corp.example'), 'corp.example');
  assert.equal(p.match('a.b.corp.example'), 'corp.example');
  assert.equal(p.match('xcorp.example'), null);
  assert.equal(p.match('tunnel-ok.net'), null);
  assert.equal(p.match('x.tunnel-ok.net'), '*.tunnel-ok.net');
  const leak = slowExfil('pixel-stats.net', '10.9.9.9', T0, seededRandom(1));
  assert.equal(run(leak, { detection: { allowlist: ['pixel-stats.net'] } }).alerts.length, 0);
  assert.equal(run(leak, { detection: { allowlist: ['*.pixel-stats.net'] } }).alerts.length, 0);
  assert.equal(run(leak, { detection: { allowlist: ['other.net'] } }).alerts.length, 1);
});

test('a muted client alerts again once its mute expires; muted alerts are counted', () => {
  const rng = seededRandom(2);
  const before = slowExfil('pixel-stats.net', '10.9.9.9', T0, rng);
  const after = slowExfil('pixel-stats.net', '10.9.9.9', T0 + 2 * HOUR, rng);
  const until = new Date(T0 + HOUR).toISOString();
  const { alerts, engine } = run([...before, ...after], { detection: { mutes: [{ client: '10.9.9.9', reason: 'pen test', until }] } });
  assert.equal(engine.counters.muted, 1);
  assert.equal(alerts.length, 1);
  assert.ok(alerts[0]!.time >= T0 + 2 * HOUR);
  const other = run(before, { detection: { mutes: [{ client: '10.9.9.9', reason: 'x', until, domain: 'elsewhere.org' }] } });
  assert.equal(other.alerts.length, 1, 'a mute for another domain does not apply');
});

test('evidence terms: linear up to the threshold, capped there; the score is capped at 100', () => {
  assert.equal(evidence('t', 'x', 5, 10, 40).points, 20);
  assert.equal(evidence('t', 'x', 50, 10, 40).points, 40);
  assert.equal(evidence('t', 'x', 0, 10, 40).points, 0);
  assert.equal(scoreOf([evidence('a', '', 1, 1, 70), evidence('b', '', 1, 1, 60)]), 100);
  assert.deepEqual([10, 50, 75, 90].map(severityOf), ['low', 'medium', 'high', 'critical']);
});

test('decoded preview: hex, base32, base64 and raw bytes, non-printable bytes shown as dots, bounded', () => {
  assert.deepEqual(decodedPreview(['68656c6c6f.20776f726c64']), { encoding: 'hex', text: 'hello world', bytes: 11 });
  assert.equal(decodedPreview([base32(Buffer.from('secret data'))])?.text, 'secret data');
  assert.equal(decodedPreview(['PHNjcmlwdD54'])?.text, '<script>x');
  assert.equal(decodedPreview(['a\\000b\\255\\.c'])?.text, 'a.b.c');
  assert.equal(decodedPreview(['www.*']), null);
  const long = decodedPreview(['41'.repeat(10_000)])!;
  assert.equal(long.bytes, 96);
});

test('zero alerts at default settings on the real WRCCDC 2018 Zeek log (53,615 queries from 77 hosts)', async () => {
  const { runDetect } = await import('../src/commands/detect.js');
  const { repoPath } = await import('./helpers.js');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'tw-wrccdc-'));
  try {
    const alerts: Alert[] = [];
    const config = validateConfig({ output: { alerts: join(dir, 'a.jsonl'), quarantine: join(dir, 'q.jsonl') } });
    const summary = await runDetect({ config, inputs: [repoPath('../shared/data/zeek-wrccdc2018/dns.log.gz')], onAlert: (a) => alerts.push(a), log: () => {} });
    assert.ok(summary.parsed > 53_000, String(summary.parsed));
    assert.deepEqual(alerts.map((a) => a.reason), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('where the source gives answer codes, unique names answered NXDOMAIN add the nxdomain_share term', () => {
  const leak = (rcode: string | undefined): DnsEvent[] =>
    slowExfil('pixel-stats.net', '10.9.9.9', T0, seededRandom(21)).map((e) => {
      if (rcode !== undefined) e.rcode = rcode;
      return e;
    });
  const plain = run(leak(undefined)).alerts[0]!;
  const nx = run(leak('NXDOMAIN')).alerts[0]!;
  const ok = run(leak('NOERROR')).alerts[0]!;
  assert.ok(!plain.evidence!.some((e) => e.detector === 'nxdomain_share'));
  assert.ok(!ok.evidence!.some((e) => e.detector === 'nxdomain_share'), 'NOERROR answers give no points');
  const term = nx.evidence!.find((e) => e.detector === 'nxdomain_share');
  assert.ok(term !== undefined && term.value === 1 && term.points === 15, JSON.stringify(nx.evidence));
  // The extra evidence brings the crossing earlier (or at the same query, never later).
  assert.ok(nx.time <= plain.time);
});

test('tool attribution: a medium-confidence shape names the tool only when most of the names have it', async () => {
  const { readFileSync } = await import('node:fs');
  const { fixturePath } = await import('./helpers.js');
  const { SignatureMatcher } = await import('../src/signatures/matcher.js');
  const { loadSignatureRules } = await import('../src/signatures/load.js');
  const matcher = new SignatureMatcher(loadSignatureRules());
  // A generic base32 TXT tunnel: now and then a label fits iodine's data shape (hex first character, no 6 or 7).
  const rng = seededRandom(31);
  const events: DnsEvent[] = [];
  let fits = 0;
  for (let i = 0; i < 40; i++) {
    const alphabet = i % 10 === 3 ? 'abcdefghijklmnopqrstuvwxyz012345' : 'abcdefghijklmnopqrstuvwxyz234567';
    let label = i % 10 === 3 ? 'c' : 'q';
    for (let k = 0; k < 50; k++) label += alphabet[Math.floor(rng() * 32)];
    const e = ev(T0 + i * 1000, '10.8.8.8', `${label}.t.files-sync.net`, 'TXT');
    if (matcher.match(e)?.ruleId === 'iodine-data') fits++;
    events.push(e);
  }
  assert.ok(fits >= 3, `some names fit iodine's data shape (${fits})`);
  const generic = run(events).alerts[0]!;
  assert.equal(generic.tool, undefined, generic.reason);
  // Real iodine 0.7.0 data packets (no handshake in view): nearly every name has the shape.
  const data = readFileSync(fixturePath('tools/iodine-0.7.0-TXT.tsv'), 'utf8')
    .split('\n')
    .map((l) => l.split('\t')[1] ?? '')
    .filter((n) => /^[0-9a-f]/.test(n) && n.length > 60);
  assert.ok(data.length >= 8, String(data.length));
  const iodine = run(data.map((n, i) => ev(T0 + i * 1000, '10.8.8.9', n, 'TXT'))).alerts[0]!;
  assert.equal(iodine.tool, 'iodine', iodine.reason);
});
