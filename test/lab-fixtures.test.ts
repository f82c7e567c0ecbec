/**
 * The lab's outputs, kept from one run (test/fixtures/lab/, made by
 * scripts/make-lab-fixtures.sh from `npm run lab`), through the detector as
 * a user runs it: real iodine and dns2tcp sessions, a slow exfiltration and
 * an office's benign look-ups, each as BIND's query log, the resolver's pcap
 * and its dnstap file. No root, no namespaces: the files are read as they are.
 *
 *   test/fixtures/lab/S/{query.log, resolver.pcap, dnstap.fstrm} ──▶ runDetect (format auto-detected) ──▶ alerts
 *   test/fixtures/lab/S/labels.json: the ground truth (sessions: domain, client, tool)
 *   test/fixtures/lab/S/excerpt.json: how much of each file was kept
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Alert } from '../src/alerts/alert.js';
import { runDetect, type DetectSummary } from '../src/commands/detect.js';
import type { LabLabels } from '../src/commands/eval-lab.js';
import { validateConfig } from '../src/config/load.js';
import { sniffFormat } from '../src/parsers/create.js';
import { fixturePath, withTmpDir } from './helpers.js';


interface Excerpt {
  queryLog: { lines: number; of: number };
  pcap: { packets: number; of: number };
  dnstap: { messages: number; of: number };
}

/** The lab's three outputs, with the format auto-detection must find and the records the excerpt holds. */
const INPUTS = [
  { file: 'query.log', format: 'bind', records: (e: Excerpt) => e.queryLog.lines },
  { file: 'resolver.pcap', format: 'pcap', records: (e: Excerpt) => e.pcap.packets },
  { file: 'dnstap.fstrm', format: 'dnstap', records: (e: Excerpt) => e.dnstap.messages },
] as const;

/** Tools with a signature in rules/signatures.yaml: their alerts must name them. */
const SIGNED_TOOLS = new Set(['iodine', 'dns2tcp']);

function readJson<T>(relative: string): T {
  return JSON.parse(readFileSync(fixturePath(relative), 'utf8')) as T;
}

async function detect(path: string): Promise<{ alerts: Alert[]; summary: DetectSummary; log: string }> {
  return withTmpDir(async (dir) => {
    const alerts: Alert[] = [];
    let log = '';
    const config = validateConfig({ output: { alerts: join(dir, 'alerts.jsonl'), quarantine: join(dir, 'quarantine.jsonl') } });
    const summary = await runDetect({ config, inputs: [path], onAlert: (a) => alerts.push(a), log: (text) => (log += text + '\n') });
    return { alerts, summary, log };
  });
}

/** Runs the detector on each of a scenario's three files and checks what every run must hold. */
async function detectScenario(scenario: string): Promise<Array<{ file: string; alerts: Alert[] }>> {
  const excerpt = readJson<Excerpt>(`lab/${scenario}/excerpt.json`);
  const runs: Array<{ file: string; alerts: Alert[] }> = [];
  for (const input of INPUTS) {
    const path = fixturePath(`lab/${scenario}/${input.file}`);
    // What `detect` without --format reads the file as (it sniffs the file's start the same way).
    assert.equal(sniffFormat(readFileSync(path).subarray(0, 65_536)), input.format, `${scenario}/${input.file}: auto-detected as ${input.format}`);
    const { alerts, summary, log } = await detect(path);
    assert.equal(summary.lines, input.records(excerpt), `${scenario}/${input.file}: every record of the excerpt read\n${log}`);
    assert.equal(summary.quarantined, 0, `${scenario}/${input.file}: nothing quarantined\n${log}`);
    assert.ok(summary.parsed > 0, `${scenario}/${input.file}: events parsed`);
    runs.push({ file: input.file, alerts });
  }
  return runs;
}

/** Each session alerted on every input, on its domain, its client on top, its tool named; nothing else alerted. */
async function assertSessionsAlerted(scenario: string): Promise<void> {
  const labels = readJson<LabLabels>(`lab/${scenario}/labels.json`);
  assert.equal(labels.expectAlerts, true);
  assert.ok(labels.malicious.length > 0, `${scenario}: the fixture has tunnel sessions`);
  for (const { file, alerts } of await detectScenario(scenario)) {
    for (const s of labels.malicious) {
      const alert = alerts.find((a) => a.registeredDomain === s.domain);
      assert.ok(alert !== undefined, `${s.id}: no alert on ${s.domain} from ${file} (alerts: ${alerts.map((a) => a.registeredDomain).join(', ') || 'none'})`);
      assert.equal(alert.clients[0]?.ip, s.client, `${s.id}: the ${file} alert's top client is the tunnel's client`);
      assert.equal(alert.question.client, s.client, `${s.id}: the ${file} alert's crossing query came from the tunnel's client`);
      assert.ok(alert.question.name.toLowerCase().endsWith(`.${s.tunnelDomain}`), `${s.id}: the ${file} alert's crossing query is under ${s.tunnelDomain}`);
      if (SIGNED_TOOLS.has(s.tool)) assert.equal(alert.tool, s.tool, `${s.id}: the ${file} alert names the tool`);
    }
    const domains = new Set(labels.malicious.map((s) => s.domain));
    for (const a of alerts) assert.ok(domains.has(a.registeredDomain), `${file}: false alert on ${a.registeredDomain}`);
  }
}

test('lab fixtures: iodine NULL, TXT, CNAME and A sessions alerted on query log, pcap and dnstap, each with its domain, client and tool', async () => {
  const labels = readJson<LabLabels>('lab/iodine/labels.json');
  assert.deepEqual(labels.malicious.map((s) => s.queryType).sort(), ['A', 'CNAME', 'NULL', 'TXT']);
  await assertSessionsAlerted('iodine');
});

test('lab fixtures: dns2tcp TXT and KEY sessions alerted on query log, pcap and dnstap, each with its domain, client and tool', async () => {
  const labels = readJson<LabLabels>('lab/dns2tcp/labels.json');
  assert.deepEqual(labels.malicious.map((s) => s.queryType).sort(), ['KEY', 'TXT']);
  await assertSessionsAlerted('dns2tcp');
});

test('lab fixtures: the slow exfiltration (12 queries over ~95 s) alerted on query log, pcap and dnstap', async () => {
  const [session] = readJson<LabLabels>('lab/slow-exfil/labels.json').malicious;
  assert.equal(session?.tool, 'exfil');
  await assertSessionsAlerted('slow-exfil');
});

test('lab fixtures: the benign office traffic raises no alert on query log, pcap or dnstap', async () => {
  const labels = readJson<LabLabels>('lab/benign/labels.json');
  assert.equal(labels.expectAlerts, false);
  assert.deepEqual(labels.malicious, []);
  for (const { file, alerts } of await detectScenario('benign')) {
    assert.deepEqual(
      alerts.map((a) => a.registeredDomain),
      [],
      `no alert on the benign ${file}`,
    );
  }
});
