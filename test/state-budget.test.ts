/**
 * Bounded state: a flood of one-off domains is evicted (least suspicious first) while a tunnel's
 * windows stay and alert; the client table forgets clients no open window holds; the sketch
 * behind distinct counts stays within its stated error (test/distinct-counter.test.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Alert } from '../src/alerts/alert.js';
import { validateConfig } from '../src/config/load.js';
import { DetectionEngine } from '../src/engine.js';
import { newEvent, type DnsEvent } from '../src/event.js';
import { fillNameFacts } from '../src/domain/name-facts.js';
import { seededRandom } from './helpers.js';

const T0 = Date.UTC(2026, 10, 22, 0, 0, 0);

function ev(time: number, client: string, qname: string, qtype = 'A'): DnsEvent {
  const e = newEvent(time, client, 5353, 'IN', qtype, '', '10.0.0.53', 't', 0, 0);
  assert.equal(fillNameFacts(e, qname, 0, qname.length), '');
  return e;
}

function word(rng: () => number, n: number, alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(rng() * alphabet.length)];
  return s;
}

test('a flood of unique registered domains is evicted to the budget; the tunnel in it still alerts, with its client', () => {
  const rng = seededRandom(9);
  const alerts: Alert[] = [];
  const engine = new DetectionEngine(validateConfig({ state: { maxStateMb: 64 } }), { alert: (a) => alerts.push(a) });
  let peak = 0;
  for (let i = 0; i < 400_000; i++) {
    const time = T0 + Math.floor(i / 50); // 50,000 queries a second of log time: every window is full of flood
    engine.process(ev(time, `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, `www.${word(rng, 12)}.com`));
    if (i % 2000 === 0) engine.process(ev(time, '10.66.0.7', `0${word(rng, 50, 'abcdefghijklmnopqrstuvwxyz234567')}.t.media-sync.net`, 'NULL'));
    if (i % 4096 === 0) peak = Math.max(peak, engine.stateBytes);
  }
  assert.ok(engine.counters.evictedWindows > 100_000, `evicted ${engine.counters.evictedWindows}`);
  // The memory guard may lower the state's share of the budget, never raise it past 40%.
  assert.ok(peak <= 0.4 * 64 * 1_048_576 + 4096 * 1200, `estimated state peaked at ${peak} bytes`);
  const tunnel = alerts.filter((a) => a.registeredDomain === 'media-sync.net');
  assert.equal(tunnel.length, 1, alerts.map((a) => a.registeredDomain).join(' '));
  assert.deepEqual(tunnel[0]!.clients.map((c) => c.ip), ['10.66.0.7']);
  assert.equal(alerts.length, 1, 'no flood domain alerts');
});

test('the client table forgets clients no open window holds; per-client alerts still name the right client', () => {
  const rng = seededRandom(4);
  const alerts: Alert[] = [];
  const config = validateConfig({
    windows: [{ length: '1m', slide: '1m' }],
    rules: [{ name: 'per_client', type: 'distinct_subdomains', key: 'client_domain', threshold: 50 }],
    state: { maxStateMb: 0 },
  });
  const engine = new DetectionEngine(config, { alert: (a) => alerts.push(a) });
  // 200,000 one-off clients over 20 minutes: windows close every minute and take their clients with them.
  for (let i = 0; i < 200_000; i++) {
    const time = T0 + i * 6;
    engine.process(ev(time, `2001:db8::${i.toString(16)}`, `${word(rng, 6)}.example.org`));
    // One client asking many names of one domain in the last minute.
    if (i > 190_000 && i % 100 === 0) engine.process(ev(time, '10.1.2.3', `${word(rng, 10)}.exfil.net`));
  }
  engine.finish();
  const snapshot = engine.snapshot();
  assert.ok(snapshot.clients.length < 150_000, `client table ${snapshot.clients.length}`);
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0]!.clientIp, '10.1.2.3');
  assert.equal(alerts[0]!.registeredDomain, 'exfil.net');
});

test('the running state estimate matches the windows it describes, through inline, Map, sketch, apex, close and eviction', async () => {
  const { WindowedDomains } = await import('../src/windows/windowed-domains.js');
  const { windowSpec } = await import('../src/windows/window-spec.js');
  const rng = seededRandom(99);
  const wd = new WindowedDomains(windowSpec(60_000, 30_000), 16, false);
  const check = (): void => {
    let entries = 0;
    let sketches = 0;
    let windows = 0;
    for (const w of wd.all()) {
      windows++;
      entries += w.heldEntries;
      if (!w.distinctExact) sketches++;
    }
    assert.deepEqual(wd.held, { windows, entries, sketches });
  };
  for (let i = 0; i < 20_000; i++) {
    const domain = `d${Math.floor(rng() * 40)}.com`;
    const sub = rng() < 0.1 ? '' : rng() < 0.5 ? `s${Math.floor(rng() * 5)}` : word(rng, 8);
    wd.add({ time: T0 + i * 20, registeredDomain: domain, subdomain: sub } as DnsEvent, Math.floor(rng() * 7), T0 + i * 20 - 60_000, () => {});
    if (i % 997 === 0) {
      check();
      wd.closeThrough(T0 + i * 20 - 60_000, () => {});
      check();
      const victims = new Set([...wd.all()].filter(() => rng() < 0.2));
      wd.evict(victims);
      check();
    }
  }
});
