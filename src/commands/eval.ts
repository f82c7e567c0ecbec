/**
 * `tunnelwatch eval`: the detector against labelled traffic. One seeded
 * simulation holds a benign population (DNSBL, antivirus hex, CDN, PTR and
 * ordinary lookups) and tunnels shaped like the real tools (iodine's base32
 * over NULL, dnscat2's hex, dns2tcp's base64 over TXT and KEY) at several
 * rates, down to slow exfiltration; it reports, per tunnel, whether and how
 * fast it was alerted, and false alerts per million benign queries.
 */
import { validateConfig } from '../config/load.js';
import { DEFAULT_START_MS, defaultSimulationOptions, type TunnelSpec } from '../simulate/simulator.js';
import { scoreLab } from './eval-lab.js';
import { scoreSimulation } from './scoring.js';

const MINUTE = 60_000;

export function evalTunnels(start: number): Array<TunnelSpec & { tool: string }> {
  const t = (tool: string, spec: Omit<TunnelSpec, 'startMs'> & { startMinute: number }): TunnelSpec & { tool: string } => {
    const { startMinute, ...rest } = spec;
    return { ...rest, tool, startMs: start + startMinute * MINUTE };
  };
  return [
    t('iodine-like, interactive', { domain: 'sync-cdn.net', zonePrefix: 't', client: '10.10.0.11', encoding: 'base32', qtype: 'NULL', queriesPerMinute: 60, startMinute: 5, durationMs: 20 * MINUTE, labels: 2 }),
    t('iodine-like, idle', { domain: 'update-mirror.org', zonePrefix: 't', client: '10.10.0.12', encoding: 'base32', qtype: 'NULL', queriesPerMinute: 12, startMinute: 10, durationMs: 90 * MINUTE }),
    t('dnscat2-like', { domain: 'stats-relay.com', client: '10.10.0.13', encoding: 'hex', qtype: 'TXT', queriesPerMinute: 30, startMinute: 20, durationMs: 15 * MINUTE, labels: 2 }),
    t('dns2tcp-like (TXT)', { domain: 'api-gateway.io', client: '10.10.0.14', encoding: 'base64', qtype: 'TXT', queriesPerMinute: 40, startMinute: 30, durationMs: 15 * MINUTE }),
    t('dns2tcp-like (KEY)', { domain: 'tile-cache.net', client: '10.10.0.15', encoding: 'base64', qtype: 'KEY', queriesPerMinute: 25, startMinute: 50, durationMs: 20 * MINUTE }),
    t('slow exfiltration', { domain: 'pixel-metrics.io', client: '10.10.0.16', encoding: 'base32', qtype: 'TXT', queriesPerMinute: 0.15, startMinute: 1, durationMs: 118 * MINUTE }),
  ];
}

export async function runEval(options: { seed: number; log?: (text: string) => void }): Promise<string> {
  const log = options.log ?? ((text: string) => process.stderr.write(text + '\n'));
  const tunnels = evalTunnels(DEFAULT_START_MS);
  const sim = defaultSimulationOptions({ seed: options.seed, durationMs: 120 * MINUTE, benignQueriesPerMinute: 8500, tunnels, outOfOrderMs: 500 });
  log(`eval: simulating 2 h of BIND query log, ${sim.benignQueriesPerMinute} benign q/min plus DNSBL and AV lookups, ${tunnels.length} tunnels (seed ${sim.seed})`);
  const score = await scoreSimulation(sim, validateConfig({}), log);
  const rows = score.tunnels.map((s, i) => {
    const reach = s.detected ? '' : s.reachable ? ' MISSED' : ' (too few distinct names for any evidence)';
    return [
      tunnels[i]!.tool.padEnd(26),
      `${s.encoding}/${s.qtype}`.padEnd(12),
      String(s.queriesPerMinute).padStart(6),
      String(s.queries).padStart(7),
      (s.detected ? 'yes' : 'no').padEnd(8),
      (s.secondsToAlert === null ? '-' : s.secondsToAlert.toFixed(1)).padStart(9) + reach,
    ].join('  ');
  });
  const perMillion = (score.falseAlerts / Math.max(score.benignQueries, 1)) * 1e6;
  const lab = await scoreLab(validateConfig({}));
  const labRows =
    lab === null
      ? ['(no lab fixtures here: test/fixtures/lab/ comes with a checkout of the repository)']
      : [
          `${'real tool (lab run, test/fixtures/lab)'.padEnd(38)}  ${'type'.padEnd(6)}  ${'alerted'.padEnd(8)}  ${'tool named'.padEnd(10)}  ${'s to alert'.padStart(10)}`,
          ...lab.sessions.map(
            (s) =>
              `${`${s.tool} ${s.session}`.padEnd(38)}  ${s.queryType.padEnd(6)}  ${(s.alerted ? 'yes' : 'no').padEnd(8)}  ${(s.toolNamed ?? '-').padEnd(10)}  ${(s.secondsToAlert === null ? '-' : s.secondsToAlert.toFixed(1)).padStart(10)}`,
          ),
          `benign lab traffic: ${lab.benignQueries} queries; false alerts in all lab scenarios: ${lab.falseAlerts}`,
        ];
  return [
    `${'tunnel'.padEnd(26)}  ${'encoding'.padEnd(12)}  ${'q/min'.padStart(6)}  ${'queries'.padStart(7)}  ${'alerted'.padEnd(8)}  ${'s to alert'.padStart(9)}`,
    ...rows,
    '',
    `${'benign traffic'.padEnd(34)}  ${'queries'.padStart(8)}  ${'recognised'.padStart(10)}  ${'false alerts'.padStart(12)}  ${'per million'.padStart(11)}`,
    ...score.benignClasses.map(
      (c) =>
        `${c.name.padEnd(34)}  ${String(c.queries).padStart(8)}  ${String(c.recognised).padStart(10)}  ${String(c.falseAlerts).padStart(12)}  ${((c.falseAlerts / Math.max(c.queries, 1)) * 1e6).toFixed(2).padStart(11)}`,
    ),
    '',
    `benign queries ${score.benignQueries}, false alerts ${score.falseAlerts} (${perMillion.toFixed(2)} per million)`,
    '',
    ...labRows,
    '',
  ].join('\n');
}
