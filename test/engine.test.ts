import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Alert } from '../src/alerts/alert.js';
import { validateConfig } from '../src/config/load.js';
import { DetectionEngine } from '../src/engine.js';
import type { DnsEvent } from '../src/event.js';
import { BindQueryParser } from '../src/parsers/bind.js';
import { Rejection } from '../src/parsers/parser.js';
import { formatBindQueryLine } from '../src/simulate/simulator.js';
import type { WindowAggregate } from '../src/windows/aggregate.js';

const T0 = Date.UTC(2026, 10, 22, 0, 0, 0);
const parser = new BindQueryParser();
let lineNo = 0;

function ev(time: number, client: string, qname: string): DnsEvent {
  const r = parser.parse(formatBindQueryLine({ timeMs: time, clientIp: client, clientPort: 5000, qname, qtype: 'A', serverIp: '10.0.0.53' }), 't', ++lineNo, 0);
  assert.ok(!(r instanceof Rejection), `fixture line must parse: ${qname}`);
  return r;
}

function run(events: DnsEvent[], config: object): { alerts: Alert[]; rows: WindowAggregate[]; engine: DetectionEngine } {
  const alerts: Alert[] = [];
  const rows: WindowAggregate[] = [];
  const engine = new DetectionEngine(validateConfig(config), { alert: (a) => alerts.push(a), aggregate: (r) => rows.push(r) });
  for (const e of events) engine.process(e);
  engine.finish();
  return { alerts, rows, engine };
}

test('per-domain and per-client distinct counts in every window, in the aggregates', () => {
  const events = [
    ev(T0 + 1000, '10.0.0.1', 'a.x.com'),
    ev(T0 + 2000, '10.0.0.1', 'b.x.com'),
    ev(T0 + 3000, '10.0.0.2', 'a.x.com'), // shared subdomain: new for client 2, not for the domain
    ev(T0 + 4000, '10.0.0.2', 'a.x.com'), // repeat
    ev(T0 + 5000, '10.0.0.3', 'x.com'), // apex: a query, not a subdomain
  ];
  const { rows } = run(events, { windows: [{ length: '10m', slide: '5m' }] });
  // Each event lies in [T0-5m, T0+5m) and [T0, T0+10m).
  assert.equal(rows.length, 2);
  for (const r of rows) {
    assert.equal(r.registeredDomain, 'x.com');
    assert.equal(r.queries, 5);
    assert.equal(r.distinctSubdomains, 2);
    assert.equal(r.distinctClients, 3);
    assert.equal(r.maxClientDistinctSubdomains, 2);
    assert.equal(r.topClient, '10.0.0.1');
    assert.equal(r.alerted, false);
  }
  assert.deepEqual(rows.map((r) => r.windowStart).sort(), [T0 - 300_000, T0]);
});

test('windows close when the watermark passes their end, not before', () => {
  const closed: WindowAggregate[] = [];
  const engine = new DetectionEngine(validateConfig({ windows: [{ length: '1m', slide: '1m' }], watermark: { lateness: '10s' } }), {
    alert: () => {},
    aggregate: (r) => closed.push(r),
  });
  engine.process(ev(T0 + 1000, '10.0.0.1', 'a.x.com'));
  engine.process(ev(T0 + 69_000, '10.0.0.1', 'b.x.com')); // watermark T0+59s: [T0, T0+1m) still open
  assert.equal(closed.length, 0);
  engine.process(ev(T0 + 70_000, '10.0.0.1', 'c.x.com')); // watermark T0+60s = the window's end
  assert.equal(closed.length, 1);
  assert.equal(closed[0]!.windowStart, T0);
  assert.equal(engine.openDomainWindows, 1);
});

test('the per-client rule keys alerts by client and sets source.ip', () => {
  const events: DnsEvent[] = [];
  for (let i = 0; i < 30; i++) events.push(ev(T0 + i * 1000, '10.0.0.7', `s${i}.t.y.net`));
  for (let i = 0; i < 20; i++) events.push(ev(T0 + i * 1000 + 500, '10.0.0.8', `q${i}.t.y.net`));
  const { alerts } = run(events, {
    windows: [{ length: '10m', slide: '10m' }],
    rules: [{ name: 'per_client', type: 'distinct_subdomains', key: 'client_domain', threshold: 25 }],
  });
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0]!.clientIp, '10.0.0.7');
  assert.equal(alerts[0]!.distinctSubdomains, 25);
  assert.equal(alerts[0]!.question.name, 's24.t.y.net');
  assert.ok(alerts[0]!.samples.every((s) => s.startsWith('s')), 'samples are this client\'s subdomains');
});

test('several window specs count independently and rules choose theirs', () => {
  const events: DnsEvent[] = [];
  // 50 distinct per 10 minutes for an hour: never 180 in 10m, 300 in 1h.
  for (let i = 0; i < 300; i++) events.push(ev(T0 + i * 12_000, '10.0.0.9', `d${i}.slow.org`));
  const { alerts } = run(events, {
    windows: [{ length: '10m', slide: '5m' }, { length: '1h', slide: '1h' }],
    rules: [
      { name: 'fast', type: 'distinct_subdomains', key: 'domain', threshold: 180 },
      { name: 'slow', type: 'distinct_subdomains', key: 'domain', window: '1h/1h', threshold: 250 },
    ],
  });
  assert.deepEqual(alerts.map((a) => a.rule), ['slow']);
  assert.equal(alerts[0]!.window.name, '1h/1h');
});

test('flooding one window with unique subdomains switches to the sketch and keeps alerting correctly', () => {
  const events: DnsEvent[] = [];
  for (let i = 0; i < 20_000; i++) events.push(ev(T0 + i * 10, '10.0.0.5', `f${i}.flood.net`));
  const { alerts, rows } = run(events, { windows: [{ length: '10m', slide: '10m' }], state: { exactDistinctLimit: 1000 }, rules: [{ name: 'r', type: 'distinct_subdomains', key: 'domain', threshold: 180 }] });
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0]!.distinctExact, true, 'the crossing happened while exact');
  const row = rows.find((r) => r.registeredDomain === 'flood.net')!;
  assert.ok(Math.abs(row.distinctSubdomains - 20_000) / 20_000 < 0.02, `estimate ${row.distinctSubdomains}`);
});

test('a rule naming a window that does not exist is a configuration error', () => {
  assert.throws(
    () => new DetectionEngine(validateConfig({ rules: [{ name: 'r', type: 'distinct_subdomains', key: 'domain', window: '1h/1h', threshold: 5 }] }), { alert: () => {} }),
    (e: Error & { code?: string }) => e.code === 'TW_CONFIG' && e.message.includes('1h/1h'),
  );
});
