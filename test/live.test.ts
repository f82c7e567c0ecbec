/**
 * Long-running behaviour as users run it: `detect --follow` on a growing,
 * rotating log, stopped by a signal; the Parquet aggregates of a real run;
 * the real-time simulator.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { runDetect } from '../src/commands/detect.js';
import { validateConfig } from '../src/config/load.js';
import { defaultSimulationOptions, simulateLines, type TunnelSpec } from '../src/simulate/simulator.js';
import { repoPath, waitFor, withTmpDir } from './helpers.js';

const CLI = repoPath('dist/src/cli.js');
const T0 = Date.UTC(2026, 10, 22, 6, 0, 0);

/** `minutes` of benign log from `startMs` with a 120 q/min tunnel to `domain` in it. */
function logLines(minutes: number, domain = 'sync-updates.net', startMs = T0): string[] {
  const tunnels: TunnelSpec[] = [{ domain, client: '10.9.8.7', encoding: 'base32', queriesPerMinute: 120, startMs, durationMs: minutes * 60_000 }];
  return [...simulateLines(defaultSimulationOptions({ seed: 3, startMs, durationMs: minutes * 60_000, benignQueriesPerMinute: 300, tunnels }))];
}

const alerted = (file: string, domain: string): boolean => existsSync(file) && readFileSync(file, 'utf8').includes(`"registered_domain":"${domain}"`);

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`--follow picks up appended and rotated lines, alerts while running, and ${signal} ends it with a summary and exit 0`, () =>
    withTmpDir(async (dir) => {
      const log = join(dir, 'query.log');
      const alerts = join(dir, 'alerts.jsonl');
      // Before the rotation, a tunnel to one domain; after it, to another, so its alert shows the new file was read.
      const before = logLines(6, 'sync-updates.net');
      const after = logLines(6, 'cache-relay.org', T0 + 6 * 60_000);
      const lines = [...before, ...after];
      writeFileSync(log, before.slice(0, 400).join('\n') + '\n');
      const child = spawn(process.execPath, [CLI, 'detect', '--follow', log, '--alerts', alerts, '--quarantine', join(dir, 'q.jsonl')], { cwd: dir });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      try {
        // The rest arrives while it runs, then a rotation by rename and a new file.
        appendFileSync(log, before.slice(400).join('\n') + '\n');
        await waitFor(() => alerted(alerts, 'sync-updates.net'), 'an alert while following', 15_000);
        renameSync(log, `${log}.1`);
        writeFileSync(log, after.join('\n') + '\n');
        await waitFor(() => alerted(alerts, 'cache-relay.org'), 'an alert from the file after rotation', 15_000);
      } finally {
        child.kill(signal);
      }
      assert.equal(await exited, 0, stderr);
      assert.match(stderr, /summary \(interrupted\)/);
      const read = Number(/lines read\s+(\d+)/.exec(stderr)?.[1]);
      assert.equal(read, lines.length, 'every line of both files was read once');
      const domains = readFileSync(alerts, 'utf8').trim().split('\n').map((l) => JSON.parse(l).dns.question.registered_domain);
      assert.deepEqual(domains, ['sync-updates.net', 'cache-relay.org']);
    }));
}

test('detect --aggregates writes every closed window per domain to Parquet', () =>
  withTmpDir(async (dir) => {
    const log = join(dir, 'query.log');
    const lines = logLines(20);
    writeFileSync(log, lines.join('\n') + '\n');
    const out = join(dir, 'windows');
    const config = validateConfig({ output: { aggregates: out, alerts: join(dir, 'a.jsonl'), quarantine: join(dir, 'q.jsonl') } });
    const summary = await runDetect({ config, inputs: [log], log: () => {} });
    const files = readdirSync(out).filter((f) => f.endsWith('.parquet'));
    assert.ok(files.length >= 1);
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    try {
      const glob = join(out, '*.parquet');
      const total = await con.runAndReadAll("SELECT count(*) AS n, sum(queries) FILTER (WHERE \"window\" = '10m/5m') AS q FROM read_parquet($1)", [glob]);
      const [row] = total.getRowObjects() as Array<{ n: bigint; q: bigint }>;
      assert.equal(Number(row!.n), summary.aggregateRows);
      // Every event is in two 10m/5m windows (the 1h and 24h windows count only suspicious queries).
      assert.equal(Number(row!.q), 2 * summary.parsed);
      const tunnel = await con.runAndReadAll(
        "SELECT max(distinct_subdomains) AS d, bool_or(alerted) AS a, any_value(top_client) AS c FROM read_parquet($1) WHERE registered_domain = 'sync-updates.net'",
        [glob],
      );
      const [t] = tunnel.getRowObjects() as Array<{ d: bigint; a: boolean; c: string }>;
      assert.ok(Number(t!.d) >= 1000, `tunnel distinct per window ${t!.d}`);
      assert.equal(t!.a, true);
      assert.equal(t!.c, '10.9.8.7');
    } finally {
      con.closeSync();
      db.closeSync();
    }
  }));

test('simulate --realtime writes the same log as the instant mode, a batch per simulated minute', () =>
  withTmpDir((dir) => {
    const args = ['simulate', '--seed', '4', '--duration', '4m', '--rate', '50'];
    const instant = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8' });
    const started = Date.now();
    const live = spawnSync(process.execPath, [CLI, ...args, '--realtime', '--batch-interval', '200ms'], { cwd: dir, encoding: 'utf8' });
    assert.equal(live.status, 0, live.stderr);
    assert.equal(live.stdout, instant.stdout);
    // Four minutes of log, so at least three pauses between batches.
    assert.ok(Date.now() - started >= 3 * 200);
  }));
