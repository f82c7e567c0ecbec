import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scoreSimulation } from '../src/commands/scoring.js';
import { validateConfig } from '../src/config/load.js';
import { defaultSimulationOptions } from '../src/simulate/simulator.js';

test('scoring against ground truth: detected, reach, time to alert, false alerts', async () => {
  const start = Date.UTC(2026, 10, 22, 0, 0, 0);
  const sim = defaultSimulationOptions({
    seed: 8,
    startMs: start,
    durationMs: 25 * 60_000,
    benignQueriesPerMinute: 400,
    tunnels: [
      { domain: 'fast-sync.net', client: '10.0.9.1', encoding: 'base32', qtype: 'NULL', queriesPerMinute: 60, startMs: start + 60_000, durationMs: 10 * 60_000 },
      { domain: 'slow-sync.net', client: '10.0.9.2', encoding: 'hex', queriesPerMinute: 1, startMs: start, durationMs: 20 * 60_000 },
    ],
  });
  const score = await scoreSimulation(sim, validateConfig({}));
  const [fast, slow] = score.tunnels;
  assert.equal(fast!.detected, true);
  assert.equal(fast!.reachable, true);
  // 180 distinct at one a second from its first query: the alert comes about 179 s of log time later (jitter aside).
  assert.ok(fast!.secondsToAlert! > 150 && fast!.secondsToAlert! < 240, String(fast!.secondsToAlert));
  assert.equal(slow!.detected, false);
  assert.equal(slow!.reachable, false);
  assert.equal(score.falseAlerts, 0);
  assert.ok(score.benignQueries > 9000);
});
