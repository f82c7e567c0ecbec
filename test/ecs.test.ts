import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alertId, type Alert } from '../src/alerts/alert.js';
import { toEcsLine } from '../src/alerts/ecs.js';
import { newQueryFeatures } from '../src/features/query-features.js';

function alertWith(name: string, client?: string): Alert {
  const a: Alert = {
    id: alertId('r', 'k', '10m/5m', 0),
    rule: 'dns_distinct_subdomains',
    ruleType: 'distinct_subdomains',
    time: Date.UTC(2026, 10, 22, 1, 2, 3, 456),
    created: Date.UTC(2026, 10, 23),
    registeredDomain: 'evil.example',
    window: { name: '10m/5m', start: Date.UTC(2026, 10, 22, 1, 0), end: Date.UTC(2026, 10, 22, 1, 10) },
    threshold: 180,
    distinctSubdomains: 180,
    distinctExact: true,
    queries: 200,
    clients: [{ ip: '10.0.0.1', distinctSubdomains: 180 }],
    samples: [name],
    question: { name: `${name}.evil.example`, type: 'TXT', client: '10.0.0.1' },
    position: { source: '/var/log/named/query.log', line: 42, offset: 4096 },
    features: { ...newQueryFeatures(), subdomainBytes: 3, entropy: 1.5849625, charset: 'text' },
    reason: 'why',
  };
  if (client !== undefined) a.clientIp = client;
  return a;
}

test('ECS field names and values', () => {
  const doc = JSON.parse(toEcsLine(alertWith('abc', '10.0.0.1')));
  assert.equal(doc['@timestamp'], '2026-11-22T01:02:03.456Z');
  assert.equal(doc.event.kind, 'alert');
  assert.equal(doc.event.created, '2026-11-23T00:00:00.000Z');
  assert.equal(doc.rule.name, 'dns_distinct_subdomains');
  assert.equal(doc.dns.question.registered_domain, 'evil.example');
  assert.equal(doc.source.ip, '10.0.0.1');
  assert.equal(doc.tunnelwatch.window.start, '2026-11-22T01:00:00.000Z');
  assert.equal(doc.tunnelwatch.distinct_subdomains, 180);
  assert.deepEqual(doc.tunnelwatch.input, { source: '/var/log/named/query.log', line: 42, offset: 4096 });
  assert.equal(doc.tunnelwatch.clients[0].distinct_subdomains, 180);
  assert.deepEqual(
    { bytes: doc.tunnelwatch.question_features.subdomain_bytes, entropy: doc.tunnelwatch.question_features.entropy, charset: doc.tunnelwatch.question_features.charset },
    { bytes: 3, entropy: 1.585, charset: 'text' },
  );
});

test('domain rules carry no source.ip', () => {
  assert.equal(JSON.parse(toEcsLine(alertWith('abc'))).source, undefined);
});

test('hostile bytes from the log stay one valid JSON line and round-trip', () => {
  const hostile = 'a"b\\c\n{"x":1}\u0000\u001f\u007f\u00ff<script>|=cmd\r\u2028';
  const line = toEcsLine(alertWith(hostile));
  assert.equal(line.includes('\n'), false);
  assert.equal(line.includes('\r'), false);
  const doc = JSON.parse(line);
  assert.equal(doc.tunnelwatch.samples[0], hostile);
  assert.equal(doc.dns.question.name, `${hostile}.evil.example`);
});

test('alert ids are deterministic per rule, key and window', () => {
  assert.equal(alertId('r', 'k', 'w', 1), alertId('r', 'k', 'w', 1));
  assert.notEqual(alertId('r', 'k', 'w', 1), alertId('r', 'k', 'w', 2));
  assert.notEqual(alertId('r', 'k1', 'w', 1), alertId('r', 'k', 'w', 1));
  assert.match(alertId('r', 'k', 'w', 1), /^[0-9a-f]{32}$/);
});
