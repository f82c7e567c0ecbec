/**
 * The two window-state implementations (a map per window; one map per domain
 * with pane bitmasks) must agree on every count, alert and aggregate for any
 * event stream, including out-of-order, late, apex and shared-subdomain
 * events and jumps in time.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Alert } from '../src/alerts/alert.js';
import { validateConfig } from '../src/config/load.js';
import { DetectionEngine, type EngineOptions } from '../src/engine.js';
import type { DnsEvent } from '../src/event.js';
import { BindQueryParser } from '../src/parsers/bind.js';
import { Rejection } from '../src/parsers/parser.js';
import { formatBindQueryLine } from '../src/simulate/simulator.js';
import type { WindowAggregate } from '../src/windows/aggregate.js';
import { seededRandom, randomInt } from './helpers.js';

const parser = new BindQueryParser();

function stream(seed: number, n: number): DnsEvent[] {
  const random = seededRandom(seed);
  const domains = ['a.com', 'b.co.uk', 'c.net', 'd.org', 'e.io'];
  const events: DnsEvent[] = [];
  let t = Date.UTC(2026, 10, 22, 0, 0, 0);
  for (let i = 0; i < n; i++) {
    t += randomInt(random, 4000);
    if (random() < 0.002) t += 30 * 60_000; // a jump forward
    // Some lines a little out of order, some behind the watermark, a few behind every window.
    const j = random();
    const jitter = j < 0.05 ? -randomInt(random, 150_000) : j < 0.055 ? -randomInt(random, 40 * 60_000) : 0;
    const domain = domains[randomInt(random, domains.length)]!;
    const r = random();
    const sub = r < 0.1 ? '' : r < 0.4 ? `www${randomInt(random, 3)}` : `x${randomInt(random, 400)}`;
    const qname = sub === '' ? domain : `${sub}.${domain}`;
    const line = formatBindQueryLine({ timeMs: t + jitter, clientIp: `10.0.0.${randomInt(random, 6)}`, clientPort: 1, qname, qtype: 'A', serverIp: '10.0.0.53' });
    const e = parser.parse(line, 's', i + 1, 0);
    assert.ok(!(e instanceof Rejection));
    events.push(e);
  }
  return events;
}

function run(events: DnsEvent[], windowState: EngineOptions['windowState'], windows: Array<{ length: string; slide: string }>) {
  const alerts: Alert[] = [];
  const rows: WindowAggregate[] = [];
  const config = validateConfig({
    windows,
    rules: [
      { name: 'domain', type: 'distinct_subdomains', key: 'domain', threshold: 30 },
      { name: 'client', type: 'distinct_subdomains', key: 'client_domain', threshold: 10 },
    ],
  });
  const engine = new DetectionEngine(config, { alert: (a) => alerts.push(a), aggregate: (r) => rows.push(r) }, { windowState });
  for (const e of events) engine.process(e);
  engine.finish();
  const comparable = alerts
    .map((a) => ({ ...a, created: 0, samples: a.samples.length, clients: [...a.clients].sort((x, y) => (x.ip < y.ip ? -1 : 1)) }))
    .sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  const key = (r: WindowAggregate): string => `${r.window} ${r.windowStart} ${r.registeredDomain}`;
  return { alerts: comparable, rows: rows.sort((x, y) => (key(x) < key(y) ? -1 : 1)), counters: engine.counters };
}

for (const windows of [[{ length: '10m', slide: '5m' }], [{ length: '15m', slide: '5m' }, { length: '2m', slide: '2m' }]]) {
  for (const seed of [1, 2, 3]) {
    test(`paned and per-window state agree: seed ${seed}, windows ${windows.map((w) => `${w.length}/${w.slide}`).join(' ')}`, () => {
      const events = stream(seed, 6000);
      const perWindow = run(events, 'per-window', windows);
      const paned = run(events, 'paned', windows);
      assert.ok(perWindow.alerts.length > 0, 'the stream raises alerts');
      assert.ok(perWindow.counters.late > 0 && perWindow.counters.lateUnapplied > 0, 'the stream has late lines');
      assert.deepEqual(paned.counters, perWindow.counters);
      assert.deepEqual(paned.alerts, perWindow.alerts);
      assert.deepEqual(paned.rows, perWindow.rows);
    });
  }
}
