/**
 * The evaluation on real tunnels: the query logs of one run of the lab (real iodine and dns2tcp
 * through a real BIND, test/fixtures/lab/, labelled by the lab), detected with the default
 * configuration, reported per session: alerted, the tool named, and the time from the session's
 * first query to the alert. The benign scenario counts its false alerts.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Alert } from '../alerts/alert.js';
import type { Config } from '../config/schema.js';
import { runDetect } from './detect.js';

/** Where the lab fixtures are in a checkout (dist/src/commands → the repository root). */
export const LAB_FIXTURES = fileURLToPath(new URL('../../../test/fixtures/lab/', import.meta.url));

/** One tunnel session of a lab scenario, as lab/lab.sh writes it in `labels.json` (the fields read here and by the tests). */
export interface LabSession {
  id: string;
  tool: string;
  queryType: string;
  /** The registered domain the session's queries fall under. */
  domain: string;
  tunnelDomain: string;
  client: string;
  startMs: number;
  endMs: number;
  verified: { pingReplies?: number; queries?: number; file: { bytes: number; sha256: string; receivedSha256: string } };
}

/** A lab scenario's `labels.json`. */
export interface LabLabels {
  scenario: string;
  startMs: number;
  endMs: number;
  expectAlerts: boolean;
  malicious: LabSession[];
  counts: { queryLogQueries: number; dnstapMessages: number; pcapPackets: number };
  benign?: { queries: number; noerror: number; nxdomain: number };
}

export interface LabSessionScore {
  scenario: string;
  session: string;
  tool: string;
  queryType: string;
  alerted: boolean;
  toolNamed: string | null;
  secondsToAlert: number | null;
}

export interface LabScore {
  sessions: LabSessionScore[];
  /** Alerts on domains that no session of the scenario used. */
  falseAlerts: number;
  benignQueries: number;
}

/** Event time of the first query for `domain` (or below it) from `client` in a BIND query log. */
function firstQueryMs(lines: string[], domain: string, client: string): number {
  const suffix = `.${domain} `;
  for (const line of lines) {
    const q = line.indexOf(': query: ');
    if (q < 0 || line.indexOf(` ${client}#`) < 0 || line.toLowerCase().indexOf(suffix, q) < 0) continue;
    return Date.parse(line.slice(0, line.indexOf(' ')));
  }
  return Number.NaN;
}

export async function scoreLab(config: Config, dir = LAB_FIXTURES): Promise<LabScore | null> {
  if (!existsSync(dir)) return null;
  const work = mkdtempSync(join(tmpdir(), 'tunnelwatch-eval-lab-'));
  const score: LabScore = { sessions: [], falseAlerts: 0, benignQueries: 0 };
  try {
    for (const scenario of readdirSync(dir).sort()) {
      const log = join(dir, scenario, 'query.log');
      const labelsFile = join(dir, scenario, 'labels.json');
      if (!existsSync(log) || !existsSync(labelsFile)) continue;
      const labels = JSON.parse(readFileSync(labelsFile, 'utf8')) as LabLabels;
      const alerts: Alert[] = [];
      const runConfig: Config = { ...config, output: { ...config.output, alerts: join(work, `${scenario}.jsonl`), quarantine: join(work, `${scenario}-q.jsonl`) } };
      const summary = await runDetect({ config: runConfig, inputs: [log], onAlert: (a) => alerts.push(a), log: () => {} });
      const lines = readFileSync(log, 'latin1').split('\n');
      const malicious = new Set(labels.malicious.map((s) => s.domain));
      if (labels.malicious.length === 0) score.benignQueries += summary.parsed;
      score.falseAlerts += alerts.filter((a) => !malicious.has(a.registeredDomain)).length;
      for (const s of labels.malicious) {
        const first = alerts.find((a) => a.registeredDomain === s.domain);
        const start = firstQueryMs(lines, s.domain, s.client);
        score.sessions.push({
          scenario,
          session: s.id,
          tool: s.tool,
          queryType: s.queryType,
          alerted: first !== undefined,
          toolNamed: first?.tool ?? null,
          secondsToAlert: first === undefined || Number.isNaN(start) ? null : (first.time - start) / 1000,
        });
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return score;
}
