import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Alert } from '../src/alerts/alert.js';
import { runDetect } from '../src/commands/detect.js';
import { validateConfig } from '../src/config/load.js';
import { fillNameFacts, type NameFields } from '../src/domain/name-facts.js';
import { partitionOfName } from '../src/parallel/partition.js';
import { defaultSimulationOptions, simulateLines } from '../src/simulate/simulator.js';
import { repoPath } from './helpers.js';

test('every name of one registered domain falls in one partition', () => {
  const names = [
    'www.example.com', 'a.b.c.example.com', 'EXAMPLE.com', 'x.example.co.uk', 'example.co.uk', 'y.z.example.co.uk',
    'foo.bar.github.io', 'bar.github.io', '4.3.2.1.in-addr.arpa', '9.3.2.1.in-addr.arpa', '3.2.1.in-addr.arpa',
    '\\001\\255.t.evil.com', 'a\\.b.evil.com', 'localhost', 'com', '10.1.2.3', '_dmarc.example.com', 'x.example.com.',
  ];
  for (let i = 0; i < 2000; i++) names.push(`${i.toString(36)}.host${i % 37}.example${i % 11}.co.uk`);
  // Real names: CDN, cloud and country-code domains with their own suffix rules.
  const umbrella = readFileSync(repoPath('../shared/data/names/umbrella-top-100k.txt'), 'utf8').split('\n');
  for (const n of umbrella.slice(0, 20_000)) if (n.length > 0 && !n.includes(' ')) names.push(n.trim());
  for (const partitions of [2, 3, 8]) {
    const byDomain = new Map<string, number>();
    for (const name of names) {
      const f = {} as NameFields;
      assert.equal(fillNameFacts(f, name, 0, name.length), '');
      const p = partitionOfName(name, 0, name.length, partitions);
      assert.ok(p >= 0 && p < partitions);
      const seen = byDomain.get(f.registeredDomain);
      if (seen !== undefined) assert.equal(p, seen, `${name} (${f.registeredDomain}) left its domain's partition`);
      byDomain.set(f.registeredDomain, p);
    }
    const used = new Set(byDomain.values());
    assert.equal(used.size, partitions, 'domains spread over every partition');
  }
});

test('N workers give the same alerts, counters and quarantine as one thread', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tw-parallel-'));
  try {
    const sim = defaultSimulationOptions({ seed: 5, durationMs: 40 * 60_000, benignQueriesPerMinute: 3000, outOfOrderMs: 2000 });
    const lines = [...simulateLines(sim)];
    // Hostile and non-query lines at fixed places, plus a line far behind the watermark.
    for (let i = 1000; i < lines.length; i += 9000) {
      lines.splice(i, 0, '22-Nov-2026 00:10:00.000 general: info: zone example.com/IN: loaded serial 1', 'garbage \u0000\u00ff line', '22-Nov-2026 00:11:00.000 queries: info: client @0x1 10.0.0.1#1 (a\\999.b.com): query: a\\999.b.com IN A + (10.0.0.53)');
    }
    lines.splice(60_000, 0, '22-Nov-2026 00:00:01.000 queries: info: client @0x1 10.0.0.9#9 (old.example.org): query: old.example.org IN A + (10.0.0.53)');
    const log = join(dir, 'query.log');
    writeFileSync(log, lines.join('\n') + '\n');

    const runs = [];
    for (const workers of [1, 2, 3]) {
      const alerts: Alert[] = [];
      const quarantine = join(dir, `q${workers}.jsonl`);
      const config = validateConfig({ runtime: { workers }, output: { alerts: join(dir, `a${workers}.jsonl`), quarantine } });
      const summary = await runDetect({ config, inputs: [log], onAlert: (a) => alerts.push(a), log: () => {} });
      const comparable = alerts.map((a) => ({ ...a, created: 0 })).sort((x, y) => (x.id < y.id ? -1 : 1));
      const q = readFileSync(quarantine, 'utf8').trim().split('\n').sort();
      runs.push({ workers, summary, comparable, q });
    }
    const [one, ...others] = runs;
    assert.ok(one!.comparable.length >= 2, 'the simulated tunnels alert');
    assert.ok(one!.summary.late >= 1);
    for (const r of others) {
      assert.deepEqual(r.comparable, one!.comparable, `alerts with ${r.workers} workers`);
      for (const k of ['lines', 'parsed', 'skipped', 'quarantined', 'late', 'lateUnapplied', 'alerts', 'suppressed'] as const) {
        assert.equal(r.summary[k], one!.summary[k], `${k} with ${r.workers} workers`);
      }
      assert.deepEqual(r.summary.quarantinedBy, one!.summary.quarantinedBy);
      assert.deepEqual(r.q, one!.q, `quarantine file with ${r.workers} workers`);
    }
    assert.equal(one!.summary.lines, lines.length);
    assert.equal(one!.summary.lines, one!.summary.parsed + one!.summary.skipped + one!.summary.quarantined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
