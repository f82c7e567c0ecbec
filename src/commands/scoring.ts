/**
 * Scores a detect run against the simulator's ground truth: per tunnel,
 * whether and how fast it was alerted; alerts on other domains are false.
 * Shared by `demo` and `eval`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Alert } from '../alerts/alert.js';
import type { Config } from '../config/schema.js';
import { groundTruth, simulateChunks, type SimulationOptions } from '../simulate/simulator.js';
import { parseDuration } from '../windows/window-spec.js';
import { runDetect, type DetectSummary } from './detect.js';

export interface TunnelScore {
  domain: string;
  client: string;
  encoding: string;
  qtype: string;
  queriesPerMinute: number;
  queries: number;
  detected: boolean;
  /** Log time from the tunnel's first query to its first alert, seconds. */
  secondsToAlert: number | null;
  /** Whether a distinct-subdomain threshold in one window of `windowMinutes` can be reached at this rate at all. */
  reachable: boolean;
}

export interface RunScore {
  tunnels: TunnelScore[];
  falseAlerts: number;
  benignQueries: number;
  summary: DetectSummary;
}

/** Simulates `sim` into a temporary log, runs detect with `config` (outputs redirected there), scores it. */
export async function scoreSimulation(
  sim: SimulationOptions,
  config: Config,
  log: (text: string) => void = () => {},
  onAlert: (alert: Alert) => void = () => {},
): Promise<RunScore> {
  const dir = mkdtempSync(join(tmpdir(), 'tunnelwatch-eval-'));
  try {
    const path = join(dir, 'named-queries.log');
    writeFileSync(path, [...simulateChunks(sim)].join(''));
    const alerts: Alert[] = [];
    const runConfig: Config = { ...config, output: { ...config.output, quarantine: join(dir, 'quarantine.jsonl'), alerts: join(dir, 'alerts.jsonl') } };
    const summary = await runDetect({
      config: runConfig,
      inputs: [path],
      onAlert: (a) => {
        alerts.push(a);
        onAlert(a);
      },
      log,
    });
    const truth = groundTruth(sim);
    const rule = config.rules.find((r) => r.enabled);
    const threshold = rule === undefined ? 0 : rule.type === 'score' ? config.scoring.distinctSubdomains.threshold : rule.threshold;
    const windowMinutes = parseDuration(config.windows[0]?.length ?? '10m') / 60_000;
    const tunnelDomains = new Set(truth.map((t) => t.domain));
    const tunnels = truth.map((t, i): TunnelScore => {
      const spec = sim.tunnels[i]!;
      const first = alerts.find((a) => a.registeredDomain === t.domain);
      return {
        domain: t.domain,
        client: t.client,
        encoding: spec.encoding,
        qtype: spec.qtype ?? 'TXT',
        queriesPerMinute: spec.queriesPerMinute,
        queries: t.queries,
        detected: first !== undefined,
        secondsToAlert: first === undefined ? null : (first.time - t.firstMs) / 1000,
        // The score rule needs a handful of distinct names (the share terms' minimum) before data-shaped
        // evidence can add up; the classic rule needs its threshold within one window.
        reachable:
          rule?.type === 'score'
            ? t.distinctSubdomains >= config.scoring.encodedShare.minSubdomains
            : Math.min(spec.queriesPerMinute * windowMinutes, t.distinctSubdomains) >= threshold,
      };
    });
    const tunnelQueries = truth.reduce((n, t) => n + t.queries, 0);
    return { tunnels, falseAlerts: alerts.filter((a) => !tunnelDomains.has(a.registeredDomain)).length, benignQueries: summary.parsed - tunnelQueries, summary };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
