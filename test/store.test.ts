import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runDetect } from '../src/commands/detect.js';
import { runExport } from '../src/commands/export.js';
import { runQuery, runReport } from '../src/commands/store-commands.js';
import { validateConfig } from '../src/config/load.js';
import { defaultSimulationOptions, formatBindQueryLine, simulateLines } from '../src/simulate/simulator.js';
import { withTmpDir } from './helpers.js';

test('detect --store, then report and query read the run back', () =>
  withTmpDir(async (dir) => {
    const start = Date.UTC(2026, 10, 22, 8, 0, 0);
    const lines = [...simulateLines(defaultSimulationOptions({ seed: 4, startMs: start, durationMs: 30 * 60_000, benignQueriesPerMinute: 500 }))];
    // A hostile name: control characters and a spreadsheet formula in the registered domain's label.
    lines.push(formatBindQueryLine({ timeMs: start + 60_000, clientIp: '10.6.6.6', clientPort: 1, qname: '=cmd\\010x.evil.org', qtype: 'A', serverIp: '10.0.0.53' }));
    lines.sort((a, b) => (a.slice(12, 24) < b.slice(12, 24) ? -1 : 1));
    const log = join(dir, 'q.log');
    writeFileSync(log, lines.join('\n') + '\n');
    const store = join(dir, 'tw.duckdb');
    const config = validateConfig({ output: { store, alerts: join(dir, 'a.jsonl'), quarantine: join(dir, 'q.jsonl') } });
    const summary = await runDetect({ config, inputs: [log], log: () => {} });
    // The same run again: alert ids are unique in the store, so nothing doubles there.
    await runDetect({ config, inputs: [log], log: () => {} });

    const counts = JSON.parse(await runQuery(store, 'SELECT (SELECT count(*) FROM alerts) AS alerts, (SELECT count(*) FROM windows) AS windows', 'json'));
    assert.equal(Number(counts[0].alerts), summary.alerts);
    assert.equal(Number(counts[0].windows), 2 * summary.aggregateRows, 'window rows are appended per run');

    const report = JSON.parse(await runReport(store, { top: 10, format: 'json' }));
    assert.deepEqual(report.domains.map((d: { domain: string }) => d.domain).sort(), ['cdn-sync.net', 'stats-relay.org']);
    for (const d of report.domains as Array<{ domain: string; score: number }>) assert.ok(d.score >= 60 && d.score <= 100, `${d.domain} score ${d.score}`);
    assert.ok(report.clients.some((c: { client: string }) => c.client === '10.1.7.23'));

    // export reads the store's alerts like an alert file.
    const out = join(dir, 'domains.txt');
    const exported = await runExport({ format: 'domains', alerts: [], store, out, includeExpired: true, log: () => {} });
    assert.equal(exported.indicators, 2);
    assert.deepEqual(readFileSync(out, 'utf8').trim().split('\n').sort(), ['cdn-sync.net', 'stats-relay.org']);

    const curve = await runReport(store, { domain: 'cdn-sync.net', top: 10, format: 'table' });
    assert.match(curve, /Access curve of cdn-sync\.net/);
    assert.ok(curve.split('\n').filter((l) => l.includes('10m/5m')).length >= 3);

    // Hostile text: escaped in tables, neutralised in CSV.
    const table = await runQuery(store, "SELECT DISTINCT registered_domain FROM windows WHERE registered_domain LIKE '%evil%'", 'table');
    assert.ok(table.includes('evil.org'));
    const sub = await runQuery(store, "SELECT '=cmd' || chr(10) || 'x' AS v", 'table');
    assert.ok(sub.includes('=cmd\\x0ax') && !sub.includes('=cmd\nx'));
    const csv = await runQuery(store, "SELECT '=cmd|'' /C calc''!A0' AS v", 'csv');
    assert.equal(csv, '"v"\r\n"\'=cmd|\' /C calc\'!A0"\r\n');
  }));

test('query is read-only and reports SQL errors as usage errors', () =>
  withTmpDir(async (dir) => {
    const store = join(dir, 's.duckdb');
    await runDetect({ config: validateConfig({ output: { store, quarantine: join(dir, 'q'), alerts: join(dir, 'a') } }), inputs: [writeLog(dir)], log: () => {} });
    await assert.rejects(runQuery(store, 'DELETE FROM alerts', 'table'), (e: Error & { code?: string }) => e.code === 'TW_USAGE');
    await assert.rejects(runQuery(store, 'SELEC nonsense', 'table'), (e: Error & { code?: string }) => e.code === 'TW_USAGE');
  }));

function writeLog(dir: string): string {
  const path = join(dir, 'x.log');
  writeFileSync(path, formatBindQueryLine({ timeMs: Date.UTC(2026, 0, 1), clientIp: '10.0.0.1', clientPort: 1, qname: 'a.example.com', qtype: 'A', serverIp: '10.0.0.53' }) + '\n');
  return path;
}
