/**
 * Scores a detect run against the simulator's ground truth: per tunnel,
 * whether and how fast it was alerted; alerts on other domains are false.
 * Shared by `demo` and `eval`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Alert } from '../alerts/alert.js';
import type { Config } from '../config/schema.js';
import type { DnsEvent } from '../event.js';
import { BindQueryParser } from '../parsers/bind.js';
import { Rejection } from '../parsers/parser.js';
import { classifiersFor } from '../scoring/query-facts.js';
import { AV_ZONE, CDN_DOMAINS, DNSBL_ZONES, groundTruth, simulateChunks, type SimulationOptions } from '../simulate/simulator.js';
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

/** Benign traffic of one kind the simulator makes: how much, how much the benign classes recognised, and false alerts on it. */
export interface BenignClassScore {
  name: string;
  queries: number;
  /** Queries a benign class (src/benign/) recognised by zone and shape: they add no evidence. */
  recognised: number;
  falseAlerts: number;
}

export interface RunScore {
  tunnels: TunnelScore[];
  falseAlerts: number;
  benignQueries: number;
  benignClasses: BenignClassScore[];
  summary: DetectSummary;
}

/** The simulator's benign kinds, told apart by their domains (src/simulate/benign.ts). */
function simulatedKind(event: DnsEvent): string {
  const d = event.registeredDomain;
  if (DNSBL_DOMAINS.has(d)) return 'DNSBL lookups (mail gateway)';
  if (AV_DOMAIN === d) return 'antivirus reputation (hex hashes)';
  if ((CDN_DOMAINS as readonly string[]).includes(d)) return 'CDN hashed hosts';
  if (event.nameKind === 'reverse') return 'reverse lookups (PTR)';
  return 'ordinary browsing and services';
}

const DNSBL_DOMAINS = new Set(DNSBL_ZONES.map((z) => z.split('.').slice(-2).join('.')));
const AV_DOMAIN = AV_ZONE.split('.').slice(-2).join('.');

/** Re-reads the simulated log to count benign queries per kind, and what the benign classes recognised. */
function scoreBenignKinds(path: string, config: Config, tunnelDomains: Set<string>, alerts: Alert[]): BenignClassScore[] {
  const parser = new BindQueryParser();
  const benign = classifiersFor(config).benign;
  const byKind = new Map<string, BenignClassScore>();
  const kindOfDomain = new Map<string, string>();
  const lines = readFileSync(path, 'latin1').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const e = parser.parse(lines[i]!, path, i + 1, 0);
    if (e instanceof Rejection || tunnelDomains.has(e.registeredDomain)) continue;
    const kind = simulatedKind(e);
    kindOfDomain.set(e.registeredDomain, kind);
    let row = byKind.get(kind);
    if (row === undefined) byKind.set(kind, (row = { name: kind, queries: 0, recognised: 0, falseAlerts: 0 }));
    row.queries++;
    if (benign(e) !== null) row.recognised++;
  }
  for (const a of alerts) {
    if (tunnelDomains.has(a.registeredDomain)) continue;
    const row = byKind.get(kindOfDomain.get(a.registeredDomain) ?? '');
    if (row !== undefined) row.falseAlerts++;
  }
  return [...byKind.values()].sort((a, b) => b.queries - a.queries);
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
    return {
      tunnels,
      falseAlerts: alerts.filter((a) => !tunnelDomains.has(a.registeredDomain)).length,
      benignQueries: summary.parsed - tunnelQueries,
      benignClasses: scoreBenignKinds(path, config, tunnelDomains, alerts),
      summary,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
