/**
 * The Spark design's scenario, replayed through the real pipeline (file →
 * BIND parser → windows → rule → alert): 200 distinct subdomains of one
 * domain in 1-minute batches over 10 minutes, mixed with benign traffic,
 * window 10m/5m, threshold 180. The alert must come on the query that brings
 * the count to 180, and only once for the burst. These tests run the design's
 * rule itself (the classic distinct-subdomain rule, off by default since the
 * score rule includes its evidence): test/score.test.ts covers the score rule.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Alert } from '../src/alerts/alert.js';
import { runDetect } from '../src/commands/detect.js';
import { validateConfig } from '../src/config/load.js';
import { formatBindQueryLine, simulateLines, defaultSimulationOptions } from '../src/simulate/simulator.js';

const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);
const MINUTE = 60_000;
const TUNNEL = 'exfil-probe.net';
const VICTIM = '10.66.6.6';

/** The Spark design's setup: one 10m/5m window and the distinct-subdomain rule at 180. */
const DESIGN_RULE = {
  windows: [{ length: '10m', slide: '5m' }],
  rules: [{ name: 'dns_distinct_subdomains', type: 'distinct_subdomains', key: 'domain', threshold: 180 }],
};

interface Line {
  time: number;
  text: string;
  tunnelIndex: number; // -1 for benign
}

/** 20 unique subdomains per minute for `minutes` minutes, spread inside each minute's batch. */
function tunnelLines(minutes: number, perMinute = 20): Line[] {
  const out: Line[] = [];
  let n = 0;
  for (let m = 0; m < minutes; m++) {
    for (let k = 0; k < perMinute; k++) {
      const time = T0 + m * MINUTE + k * 1000;
      const label = `${n.toString(36).padStart(4, '0')}mzxw6ytboi${(n * 7919).toString(32)}`;
      out.push({
        time,
        tunnelIndex: n,
        text: formatBindQueryLine({ timeMs: time, clientIp: VICTIM, clientPort: 40000 + n, qname: `${label}.${TUNNEL}`, qtype: 'TXT', serverIp: '10.0.0.53' }),
      });
      n++;
    }
  }
  return out;
}

function benignLines(minutes: number): Line[] {
  const opts = defaultSimulationOptions({ seed: 11, startMs: T0, durationMs: minutes * MINUTE, tunnels: [], benignQueriesPerMinute: 600 });
  const out: Line[] = [];
  for (const text of simulateLines(opts)) out.push({ time: 0, text, tunnelIndex: -1 });
  // Benign lines are already in time order; give them times for the merge by reading BIND's clock field.
  for (const l of out) l.time = Date.parse(`2026-11-22T${l.text.slice(12, 24)}Z`);
  return out;
}

function merge(a: Line[], b: Line[]): Line[] {
  return [...a, ...b].sort((x, y) => x.time - y.time || x.tunnelIndex - y.tunnelIndex);
}

async function detect(lines: Line[], configOverrides: object = {}): Promise<{ alerts: Alert[]; summary: Awaited<ReturnType<typeof runDetect>>; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'tw-design-'));
  const path = join(dir, 'query.log');
  writeFileSync(path, lines.map((l) => l.text).join('\n') + '\n');
  const alerts: Alert[] = [];
  const config = validateConfig({ ...DESIGN_RULE, output: { alerts: join(dir, 'alerts.jsonl'), quarantine: join(dir, 'q.jsonl') }, ...configOverrides });
  const summary = await runDetect({ config, inputs: [path], onAlert: (a) => alerts.push(a), log: () => {} });
  return { alerts, summary, dir };
}

test('design scenario: alert on the query that brings the 10-minute count to 180, once', async () => {
  const lines = merge(tunnelLines(10), benignLines(12));
  const { alerts, summary, dir } = await detect(lines);
  try {
    assert.equal(summary.quarantined, 0);
    const tunnelAlerts = alerts.filter((a) => a.registeredDomain === TUNNEL);
    assert.equal(tunnelAlerts.length, 1, 'one alert for the burst');
    assert.equal(alerts.length, 1, 'no alert on benign traffic');
    const alert = tunnelAlerts[0]!;

    // The crossing query is the tunnel's 180th distinct subdomain (index 179): find its line number in the file.
    const crossingLine = lines.findIndex((l) => l.tunnelIndex === 179) + 1;
    assert.equal(alert.position.line, crossingLine);
    assert.equal(alert.time, T0 + 8 * MINUTE + 19 * 1000);
    assert.equal(alert.distinctSubdomains, 180);
    assert.equal(alert.distinctExact, true);
    // Windows are epoch-aligned every 5 minutes: only [T0, T0+10m) holds 180 of the burst.
    assert.equal(alert.window.start, T0);
    assert.equal(alert.window.end, T0 + 10 * MINUTE);
    assert.equal(alert.clients[0]?.ip, VICTIM);
    assert.equal(alert.clients[0]?.distinctSubdomains, 180);
    assert.ok(alert.samples.length >= 5 && alert.samples.length <= 10);
    assert.ok(alert.samples.every((s) => s.length > 0 && !s.endsWith(TUNNEL)), 'samples are subdomains');
    assert.equal(summary.suppressed, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a burst spanning overlapping windows alerts once per cool-down, the repeats are counted', async () => {
  // 30 minutes at 40/min: windows starting at T0, T0+5m, … each cross; cool-down = 10 minutes.
  const { alerts, summary, dir } = await detect(tunnelLines(30, 40));
  try {
    const times = alerts.map((a) => (a.time - T0) / MINUTE);
    // The 180th subdomain of a window arrives 4 min 19 s after the window's first (40 a minute, one a second).
    // Crossings: [T0-5,T0+5) and [T0,T0+10) both at 4:19 (one alert, one suppressed), [T0+5,..) at 9:19 (suppressed,
    // < 10 min after), [T0+10,..) at 14:19 (alert), [T0+15,..) at 19:19 (suppressed), [T0+20,..) at 24:19 (alert),
    // [T0+25,..) at 29:19 (suppressed).
    assert.deepEqual(times, [4 + 19 / 60, 14 + 19 / 60, 24 + 19 / 60]);
    assert.equal(summary.suppressed, 4);
    assert.equal(new Set(alerts.map((a) => a.id)).size, 3, 'ids are distinct per window');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('lines out of order within the lateness count in their windows; later ones are late and counted', async () => {
  const burst = tunnelLines(10);
  // Swap neighbours so the log is out of order by up to ~1 s, as BIND's threads write it.
  for (let i = 0; i + 1 < burst.length; i += 2) [burst[i], burst[i + 1]] = [burst[i + 1]!, burst[i]!];
  // One line 5 minutes behind the newest time: behind the 60 s watermark.
  const lateTime = T0 + 4 * MINUTE;
  const late: Line = {
    time: lateTime,
    tunnelIndex: 10_000,
    text: formatBindQueryLine({ timeMs: lateTime, clientIp: '10.1.1.1', clientPort: 1, qname: 'late.example.org', qtype: 'A', serverIp: '10.0.0.53' }),
  };
  const lines = [...burst, late];
  const { alerts, summary, dir } = await detect(lines);
  try {
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]!.distinctSubdomains, 180);
    assert.equal(summary.late, 1, 'the line behind the watermark is counted late');
    // Its window [T0, T0+10m) was still open (the watermark is at T0+8m59s), so it was applied, not lost.
    assert.equal(summary.lateUnapplied, 0);
    assert.equal(summary.lines, summary.parsed + summary.skipped + summary.quarantined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a late line whose windows have all closed is counted as unapplied and written to the late file', async () => {
  const lines = tunnelLines(20, 2);
  const stale = T0 - 30 * MINUTE;
  lines.push({
    time: stale,
    tunnelIndex: 99_999,
    text: formatBindQueryLine({ timeMs: stale, clientIp: '10.1.1.2', clientPort: 2, qname: 'stale.example.org', qtype: 'A', serverIp: '10.0.0.53' }),
  });
  const dir0 = mkdtempSync(join(tmpdir(), 'tw-late-'));
  try {
    const { summary, dir } = await detect(lines, { output: { late: join(dir0, 'late.jsonl'), quarantine: join(dir0, 'q.jsonl') } });
    rmSync(dir, { recursive: true, force: true });
    assert.equal(summary.late, 1);
    assert.equal(summary.lateUnapplied, 1);
    const { readFileSync } = await import('node:fs');
    const written = readFileSync(join(dir0, 'late.jsonl'), 'utf8').trim().split('\n');
    assert.equal(written.length, 1);
    assert.equal(JSON.parse(written[0]!).qname, 'stale.example.org');
  } finally {
    rmSync(dir0, { recursive: true, force: true });
  }
});
