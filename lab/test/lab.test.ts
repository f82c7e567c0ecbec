/**
 * End to end on the lab (lab/lab.sh, as root): real iodine and dns2tcp
 * sessions and benign office traffic through Debian's BIND, and tunnelwatch
 * reading the resolver's own query log, live (--follow, while the scenario
 * runs) and again as a finished file.
 *
 *   lab.sh run S ──▶ named ──▶ lab/out/S/query.log ──▶ tunnelwatch detect --follow ──▶ alerts-follow.jsonl
 *                       ├───▶ lab/out/S/dnstap.fstrm  ──▶ tunnelwatch detect ──▶ alerts-dnstap.jsonl
 *                       └───▶ lab/out/S/resolver.pcap ──▶ tunnelwatch detect ──▶ alerts-pcap.jsonl
 *   ground truth: lab/out/S/labels.json (domain, client, time range, data moved and checked at the far end)
 *   at the end: one row per tunnel session and the benign scenario, printed and written to
 *   lab/out/summary.txt and summary.json (lab/README.md shows one run's)
 *
 * The slow exfiltration runs beside the other scenarios (it takes ~90 s).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { after, before, test, type TestContext } from 'node:test';
import type { LabLabels } from '../../src/commands/eval-lab.js';
import { repoPath, waitFor } from '../../test/helpers.js';

const LAB = repoPath('lab/lab.sh');
const CLI = repoPath('dist/src/cli.js');
const OUT = repoPath('lab/out');


/** The fields of an alert line (ECS) the assertions read. */
interface AlertLine {
  '@timestamp': string;
  event: { created: string };
  dns: { question: { registered_domain: string; type: string } };
  tunnelwatch: { distinct_subdomains: number; queries: number; clients: Array<{ ip: string; distinct_subdomains: number }>; tool?: string; score?: number };
}

/** Tools with a signature in rules/signatures.yaml: their alerts must name them. */
const SIGNED_TOOLS = new Set(['iodine', 'dns2tcp']);
/** Interactive tunnels must alert this soon after their first query (issue: within 10 s). */
const INTERACTIVE_ALERT_MS = 10_000;

interface ScenarioResult {
  labels: LabLabels;
  follow: AlertLine[];
  batch: AlertLine[];
  /** tunnelwatch on the scenario's dnstap file (the resolver's own client-query records). */
  dnstap: AlertLine[];
  /** tunnelwatch on the scenario's resolver.pcap (the client side of the resolver, format auto-detected). */
  pcap: AlertLine[];
  queryLogLines: string[];
  followLinesRead: number;
}

function readAlerts(path: string): AlertLine[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as AlertLine);
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

/** Whether process `pid` has `path` open (Linux: its /proc/PID/fd links). */
function holdsOpen(pid: number, path: string): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === path;
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

/** The number after `label` in a detect run summary ("lines read  N", "parsed  N"), or -1. */
function summaryCount(summary: string, label: string): number {
  const at = summary.indexOf(label);
  if (at < 0) return -1;
  return Number.parseInt(summary.slice(at + label.length).trimStart(), 10);
}

function linesRead(summary: string): number {
  return summaryCount(summary, 'lines read');
}

/** `tunnelwatch detect FILE` on one of the scenario's outputs (format auto-detected); returns the run summary. */
function detectFile(dir: string, file: string, tag: string): string {
  const run = spawnSync(process.execPath, [CLI, 'detect', `${dir}/${file}`, '--alerts', `${dir}/alerts-${tag}.jsonl`, '--quarantine', `${dir}/quarantine-${tag}.jsonl`], {
    cwd: dir,
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, run.stderr);
  return run.stderr;
}

/**
 * Runs one scenario with tunnelwatch following its query log from the moment
 * the resolver is up, then runs tunnelwatch once more on the finished file.
 */
async function runScenario(name: string): Promise<ScenarioResult> {
  const dir = `${OUT}/${name}`;
  const go = `${OUT}/.go-${name}`;
  rmSync(go, { force: true });
  const lab = spawn(LAB, ['run', name], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LAB_GO_FILE: go } });
  let labOut = '';
  let labErr = '';
  lab.stderr!.on('data', (d: Buffer) => (labErr += d.toString()));
  const labExit = exited(lab);
  const ready = await new Promise<string | null>((resolve) => {
    lab.stdout!.on('data', (d: Buffer) => {
      labOut += d.toString();
      const m = labOut.indexOf('query-log=');
      if (m >= 0 && labOut.indexOf('\n', m) > 0) resolve(labOut.slice(m + 'query-log='.length, labOut.indexOf(' ', m)));
    });
    void labExit.then(() => resolve(null));
  });
  assert.ok(ready !== null, `lab.sh run ${name} ended before its resolver was ready:\n${labErr}`);
  assert.equal(ready, `${dir}/query.log`);

  const follow = spawn(process.execPath, [CLI, 'detect', '--follow', ready, '--alerts', `${dir}/alerts-follow.jsonl`, '--quarantine', `${dir}/quarantine-follow.jsonl`], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let followErr = '';
  follow.stderr!.on('data', (d: Buffer) => (followErr += d.toString()));
  const followExit = exited(follow);
  let queryLogLines: string[];
  try {
    // The scenario waits (LAB_GO_FILE) until tunnelwatch has the live log open,
    // so the wall-clock time to an alert does not include tunnelwatch's start.
    const realLog = realpathSync(ready);
    await waitFor(() => holdsOpen(follow.pid!, realLog) || follow.exitCode !== null, 'tunnelwatch to open the live query log', 30_000, 20);
    writeFileSync(go, '');
    const code = await labExit;
    assert.equal(code, 0, `lab.sh run ${name} failed:\n${labErr}`);
    queryLogLines = readFileSync(ready, 'latin1').split('\n').filter((l) => l.length > 0);
    // Follow mode polls the file every 250 ms and the log is complete now: six
    // polls later it has read it all (asserted from its summary).
    await new Promise((resolve) => setTimeout(resolve, 1500));
  } finally {
    follow.kill('SIGTERM');
  }
  assert.equal(await followExit, 0, followErr);
  const read = linesRead(followErr);

  const batch = spawnSync(process.execPath, [CLI, 'detect', ready, '--alerts', `${dir}/alerts-batch.jsonl`, '--quarantine', `${dir}/quarantine-batch.jsonl`], {
    cwd: dir,
    encoding: 'utf8',
  });
  assert.equal(batch.status, 0, batch.stderr);
  assert.equal(linesRead(batch.stderr), queryLogLines.length, batch.stderr);

  const fromDnstap = detectFile(dir, 'dnstap.fstrm', 'dnstap');
  // Every client query the resolver logged is a dnstap event too.
  assert.ok(summaryCount(fromDnstap, 'parsed') >= queryLogLines.length, fromDnstap);
  // And a captured packet: the capture lost none (lab.sh checks tcpdump's drop count), and holds
  // only the resolver's client side, so each query is one event with its client's address.
  const fromPcap = detectFile(dir, 'resolver.pcap', 'pcap');
  assert.ok(summaryCount(fromPcap, 'parsed') >= queryLogLines.length, fromPcap);

  const labels = JSON.parse(readFileSync(`${dir}/labels.json`, 'utf8')) as LabLabels;
  return {
    labels,
    follow: readAlerts(`${dir}/alerts-follow.jsonl`),
    batch: readAlerts(`${dir}/alerts-batch.jsonl`),
    dnstap: readAlerts(`${dir}/alerts-dnstap.jsonl`),
    pcap: readAlerts(`${dir}/alerts-pcap.jsonl`),
    queryLogLines,
    followLinesRead: read,
  };
}

/** The scenario's three outputs are there and are what they claim to be. */
function assertOutputs(name: string, result: ScenarioResult): void {
  const dir = `${OUT}/${name}`;
  for (const file of ['query.log', 'resolver.pcap', 'dnstap.fstrm']) {
    assert.ok(existsSync(`${dir}/${file}`), `${name}: ${file} missing`);
    assert.ok(statSync(`${dir}/${file}`).size > 0, `${name}: ${file} empty`);
  }
  const pcap = readFileSync(`${dir}/resolver.pcap`);
  assert.ok([0xa1b2c3d4, 0xa1b23c4d].includes(pcap.readUInt32LE(0)), `${name}: resolver.pcap is not a pcap file`);
  // Frame Streams: an escape (zero length), then a control frame naming the dnstap content type.
  const fstrm = readFileSync(`${dir}/dnstap.fstrm`);
  assert.equal(fstrm.readUInt32BE(0), 0, `${name}: dnstap.fstrm does not start with a Frame Streams control frame`);
  assert.ok(fstrm.subarray(0, 64).includes('protobuf:dnstap.Dnstap'), `${name}: dnstap.fstrm does not carry dnstap`);
  const { counts } = result.labels;
  assert.equal(counts.queryLogQueries, result.queryLogLines.length, `${name}: every query-log line is a query`);
  assert.ok(counts.pcapPackets >= counts.queryLogQueries, `${name}: the pcap holds fewer packets than queries`);
  // dnstap logs each client query and response, and the resolver's own upstream traffic besides.
  assert.ok(counts.dnstapMessages >= 2 * counts.queryLogQueries, `${name}: dnstap holds ${counts.dnstapMessages} messages for ${counts.queryLogQueries} queries`);
  assert.equal(result.followLinesRead, result.queryLogLines.length, `${name}: follow mode read every line of the live log`);
}

/** Whether a query-log line is a query for a name under `tunnelDomain` from `client`. */
function isSessionQuery(line: string, tunnelDomain: string, client: string): boolean {
  const q = line.indexOf(': query: ');
  if (q < 0 || line.indexOf(` ${client}#`) < 0) return false;
  return line.toLowerCase().indexOf(`.${tunnelDomain.toLowerCase()} in `, q) >= 0;
}

/** Event time (epoch ms) of the first logged query for `tunnelDomain` from `client`. */
function firstQueryMs(lines: string[], tunnelDomain: string, client: string): number {
  const line = lines.find((l) => isSessionQuery(l, tunnelDomain, client));
  return line === undefined ? Number.NaN : Date.parse(line.slice(0, line.indexOf(' ')));
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** One row of the run's summary: a tunnel session, or a scenario with none (benign). */
interface SummaryRow {
  scenario: string;
  session: string | null;
  client: string | null;
  domain: string | null;
  /** Queries in the scenario's query log, all clients. */
  queries: number;
  /** The session's queries: from its client, for names under its tunnel domain. */
  maliciousQueries: number;
  /** Alerts on the session's domain in follow mode; for a scenario without sessions, every alert on every input. */
  alerts: number;
  /** The inputs whose alerts named the session's domain with its client on top (for benign: any alert). */
  detectedBy: string[];
  inputs: string[];
  /** `tunnelwatch.tool` of the live alert. */
  tool: string | null;
  /** Session's first query → alert raised (follow mode, wall clock), and → the crossing query's own time. */
  firstAlertMs: number | null;
  firstAlertEventMs: number | null;
  /** The domain's queries in the window when it alerted (the crossing one included). */
  queriesAtFirstAlert: number | null;
}

const SUMMARY_COLUMNS = ['scenario', 'session', 'queries', 'malicious queries', 'alerts', 'detected', 'tool named', 'time to first alert'];

function detectedCell(row: SummaryRow): string {
  if (row.session === null) return row.detectedBy.length === 0 ? 'no' : `yes: false alert (${row.detectedBy.join(', ')})`;
  if (row.detectedBy.length === row.inputs.length) return 'yes';
  if (row.detectedBy.length === 0) return 'no';
  return `partly (${row.detectedBy.join(', ')})`;
}

function firstAlertCell(row: SummaryRow): string {
  if (row.firstAlertMs === null) return '—';
  return `${seconds(row.firstAlertMs)} (query ${row.queriesAtFirstAlert ?? '?'})`;
}

/** The summary as a Markdown table (lab/README.md shows one). */
function formatSummaryTable(rows: SummaryRow[]): string {
  const cells = rows.map((r) => [
    r.scenario,
    r.session ?? '—',
    String(r.queries),
    String(r.maliciousQueries),
    String(r.alerts),
    detectedCell(r),
    r.tool ?? '—',
    firstAlertCell(r),
  ]);
  const widths = SUMMARY_COLUMNS.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: string[]): string => `| ${row.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(SUMMARY_COLUMNS), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n');
}

/** tunnelwatch's alerts on each of the scenario's inputs. */
function inputsOf(result: ScenarioResult): Array<readonly [string, AlertLine[]]> {
  return [
    ['follow', result.follow],
    ['batch', result.batch],
    ['dnstap', result.dnstap],
    ['pcap', result.pcap],
  ];
}

/** Position of a session in conf/tunnels.txt, so the summary lists sessions in that order. */
function tunnelOrder(id: string): number {
  const ids = readFileSync(repoPath('lab/conf/tunnels.txt'), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0 && !l.startsWith('#'))
    .map((l) => l.split(/\s+/, 1)[0]);
  const at = ids.indexOf(id);
  return at < 0 ? ids.length : at;
}

/** The summary rows of one scenario: one per tunnel session, one for a scenario without any. */
function summaryRows(result: ScenarioResult): SummaryRow[] {
  const { labels } = result;
  const inputs = inputsOf(result);
  if (labels.malicious.length === 0) {
    const alerted = inputs.filter(([, alerts]) => alerts.length > 0).map(([mode]) => mode);
    return [
      {
        scenario: labels.scenario,
        session: null,
        client: null,
        domain: null,
        queries: result.queryLogLines.length,
        maliciousQueries: 0,
        alerts: inputs.reduce((n, [, alerts]) => n + alerts.length, 0),
        detectedBy: alerted,
        inputs: inputs.map(([mode]) => mode),
        tool: null,
        firstAlertMs: null,
        firstAlertEventMs: null,
        queriesAtFirstAlert: null,
      },
    ];
  }
  return [...labels.malicious].sort((a, b) => tunnelOrder(a.id) - tunnelOrder(b.id)).map((s) => {
    const onDomain = (alerts: AlertLine[]): AlertLine | undefined =>
      alerts.find((a) => a.dns.question.registered_domain === s.domain && a.tunnelwatch.clients[0]?.ip === s.client);
    const first = firstQueryMs(result.queryLogLines, s.tunnelDomain, s.client);
    const live = onDomain(result.follow);
    return {
      scenario: labels.scenario,
      session: s.id,
      client: s.client,
      domain: s.domain,
      queries: result.queryLogLines.length,
      maliciousQueries: result.queryLogLines.filter((l) => isSessionQuery(l, s.tunnelDomain, s.client)).length,
      alerts: result.follow.filter((a) => a.dns.question.registered_domain === s.domain).length,
      detectedBy: inputs.filter(([, alerts]) => onDomain(alerts) !== undefined).map(([mode]) => mode),
      inputs: inputs.map(([mode]) => mode),
      tool: live?.tunnelwatch.tool ?? null,
      firstAlertMs: live === undefined ? null : Date.parse(live.event.created) - first,
      firstAlertEventMs: live === undefined ? null : Date.parse(live['@timestamp']) - first,
      queriesAtFirstAlert: live?.tunnelwatch.queries ?? null,
    };
  });
}

const summary: SummaryRow[] = [];

/** Every tunnel session alerted, live and on the finished file, on its domain with its client on top; nothing else alerted. */
function assertTunnelsAlerted(t: TestContext, result: ScenarioResult): void {
  const { labels } = result;
  assert.ok(labels.malicious.length > 0, 'the scenario has tunnel sessions');
  for (const s of labels.malicious) {
    for (const [mode, alerts] of inputsOf(result)) {
      const alert = alerts.find((a) => a.dns.question.registered_domain === s.domain);
      assert.ok(alert !== undefined, `${s.id}: no ${mode} alert for ${s.domain} (alerts: ${alerts.map((a) => a.dns.question.registered_domain).join(', ') || 'none'})`);
      assert.equal(alert.tunnelwatch.clients[0]?.ip, s.client, `${s.id}: the ${mode} alert's top client is the tunnel's client`);
      if (SIGNED_TOOLS.has(s.tool)) assert.equal(alert.tunnelwatch.tool, s.tool, `${s.id}: the ${mode} alert names the tool`);
    }
    const first = firstQueryMs(result.queryLogLines, s.tunnelDomain, s.client);
    const live = result.follow.find((a) => a.dns.question.registered_domain === s.domain)!;
    const eventLag = Date.parse(live['@timestamp']) - first;
    const wallLag = Date.parse(live.event.created) - first;
    assert.ok(Number.isFinite(first), `${s.id}: its first query is in the log`);
    assert.ok(eventLag >= 0 && wallLag >= eventLag, `${s.id}: the alert comes after the tunnel's first query`);
    if (SIGNED_TOOLS.has(s.tool)) assert.ok(eventLag <= INTERACTIVE_ALERT_MS, `${s.id}: alerted ${seconds(eventLag)} after its first query`);
    t.diagnostic(
      `${s.id} (${s.tool} ${s.queryType}, ${s.domain}, client ${s.client}): first query → crossing query ${seconds(eventLag)}, ` +
        `→ alert raised (follow mode, wall clock) ${seconds(wallLag)}; ${live.tunnelwatch.distinct_subdomains} distinct subdomains at the alert`,
    );
  }
  const malicious = new Set(labels.malicious.map((s) => s.domain));
  for (const a of inputsOf(result).flatMap(([, alerts]) => alerts)) {
    assert.ok(malicious.has(a.dns.question.registered_domain), `false alert on ${a.dns.question.registered_domain}`);
  }
}

/** The tunnels really carried data: checked at the far end by the lab. */
function assertDataMoved(labels: LabLabels): void {
  for (const s of labels.malicious) {
    assert.ok(s.verified.file.bytes > 0, `${s.id}: moved no data`);
    assert.equal(s.verified.file.receivedSha256, s.verified.file.sha256, `${s.id}: the far end received other bytes`);
    if (s.tool === 'iodine') assert.ok((s.verified.pingReplies ?? 0) > 0, `${s.id}: no ping reply across the tunnel`);
    assert.ok(s.endMs > s.startMs && s.startMs >= labels.startMs && s.endMs <= labels.endMs, `${s.id}: its time range lies inside the run`);
  }
}

let exfil: Promise<ScenarioResult> | null = null;

before(() => {
  const up = spawnSync(LAB, ['up'], { encoding: 'utf8' });
  assert.equal(up.status, 0, `lab.sh up failed (it needs root and network namespaces):\n${up.stderr}`);
  const safety = spawnSync(LAB, ['check-safety'], { encoding: 'utf8' });
  assert.equal(safety.status, 0, safety.stderr);
  // The slow exfiltration takes ~90 s: it runs beside the other scenarios, on its own resolver.
  exfil = runScenario('slow-exfil');
  exfil.catch(() => undefined);
});

/** The commit the lab ran from, `+dirty` when the worktree had changes. */
function labCommit(): string {
  const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: repoPath('.'), encoding: 'utf8' });
  if (head.status !== 0) return 'unknown';
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: repoPath('.'), encoding: 'utf8' });
  return head.stdout.trim() + (dirty.stdout.trim().length > 0 ? '+dirty' : '');
}

after((t) => {
  try {
    const table = formatSummaryTable(summary);
    // A top-level hook gets the file's test context: its diagnostics print after the tests.
    for (const line of table.split('\n')) {
      if ('diagnostic' in t) t.diagnostic(line);
      else process.stdout.write(line + '\n');
    }
    writeFileSync(`${OUT}/summary.txt`, table + '\n');
    const software = existsSync(`${OUT}/benign/labels.json`) ? (JSON.parse(readFileSync(`${OUT}/benign/labels.json`, 'utf8')) as { software: unknown }).software : null;
    writeFileSync(`${OUT}/summary.json`, JSON.stringify({ generated: new Date().toISOString(), commit: labCommit(), software, rows: summary }, null, 2) + '\n');
  } finally {
    const down = spawnSync(LAB, ['down'], { encoding: 'utf8' });
    assert.equal(down.status, 0, down.stderr);
  }
});

test('benign: office traffic through the real resolver raises no alert', { timeout: 180_000 }, async (t) => {
  const result = await runScenario('benign');
  summary.push(...summaryRows(result));
  assertOutputs('benign', result);
  assert.equal(result.labels.expectAlerts, false);
  assert.ok((result.labels.benign?.queries ?? 0) >= 400, 'a few hundred benign queries');
  assert.ok((result.labels.benign?.nxdomain ?? 0) > 0, 'NXDOMAIN answers (typos, probes, unlisted DNSBL look-ups) are part of it');
  assert.deepEqual(result.follow.map((a) => a.dns.question.registered_domain), [], 'no alert in follow mode');
  assert.deepEqual(result.batch.map((a) => a.dns.question.registered_domain), [], 'no alert on the finished log');
  assert.deepEqual(result.dnstap.map((a) => a.dns.question.registered_domain), [], 'no alert on the dnstap file');
  assert.deepEqual(result.pcap.map((a) => a.dns.question.registered_domain), [], 'no alert on the pcap');
  t.diagnostic(`benign: ${result.queryLogLines.length} queries, ${result.labels.benign?.nxdomain} NXDOMAIN, no alert`);
});

test('iodine NULL, TXT, CNAME and A through the resolver: each session alerted on its domain and client', { timeout: 300_000 }, async (t) => {
  const result = await runScenario('iodine');
  summary.push(...summaryRows(result));
  assertOutputs('iodine', result);
  assert.deepEqual(result.labels.malicious.map((s) => s.queryType).sort(), ['A', 'CNAME', 'NULL', 'TXT']);
  assertDataMoved(result.labels);
  assertTunnelsAlerted(t, result);
});

test('dns2tcp TXT and KEY through the resolver: each session alerted on its domain and client', { timeout: 300_000 }, async (t) => {
  const result = await runScenario('dns2tcp');
  summary.push(...summaryRows(result));
  assertOutputs('dns2tcp', result);
  assert.deepEqual(result.labels.malicious.map((s) => s.queryType).sort(), ['KEY', 'TXT']);
  assertDataMoved(result.labels);
  assertTunnelsAlerted(t, result);
});

test('mixed: the tunnel alerted while benign traffic ran beside it, and nothing else did', { timeout: 300_000 }, async (t) => {
  const result = await runScenario('mixed');
  summary.push(...summaryRows(result));
  assertOutputs('mixed', result);
  assert.ok((result.labels.benign?.queries ?? 0) >= 400, 'benign traffic ran during the tunnel');
  assertDataMoved(result.labels);
  assertTunnelsAlerted(t, result);
});

test('slow exfiltration: the file leaked one query every 5–10 s arrived whole at the far end', { timeout: 300_000 }, async (t) => {
  const result = await exfil!;
  summary.push(...summaryRows(result));
  assertOutputs('slow-exfil', result);
  assertDataMoved(result.labels);
  const [s] = result.labels.malicious;
  assert.ok(s !== undefined && (s.verified.queries ?? 0) >= 10, 'a dozen queries');
  t.diagnostic(`slow-exfil: ${s.verified.file.bytes} bytes in ${s.verified.queries} queries over ${seconds(s.endMs - s.startMs)}`);
});

test('slow exfiltration: alerted on its domain and client', { timeout: 300_000 }, async (t) => {
  const result = await exfil!;
  assertTunnelsAlerted(t, result);
});
