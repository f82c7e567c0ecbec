/**
 * `tunnelwatch demo`: the main job on an embedded default. Simulates an hour
 * of a network's DNS with tunnels in it (long enough for the slow leak to add up), runs the detector on the log
 * exactly as `detect` would on a file, prints the alerts (ECS JSON on stdout)
 * and a scorecard against the simulator's ground truth (stderr).
 */
import { toEcsLine } from '../alerts/ecs.js';
import { validateConfig } from '../config/load.js';
import { defaultSimulationOptions } from '../simulate/simulator.js';
import { scoreSimulation } from './scoring.js';

export async function runDemo(options: { seed: number; log?: (text: string) => void }): Promise<boolean> {
  const log = options.log ?? ((text: string) => process.stderr.write(text + '\n'));
  const sim = defaultSimulationOptions({ seed: options.seed, outOfOrderMs: 500, durationMs: 60 * 60_000 });
  log(`demo: simulating ${sim.durationMs / 60_000} min of BIND query log (seed ${sim.seed}, ${sim.benignQueriesPerMinute} benign q/min, ${sim.tunnels.length} tunnels)`);
  const config = validateConfig({});
  const score = await scoreSimulation(sim, config, log, (alert) => process.stdout.write(toEcsLine(alert) + '\n'));
  const rows = score.tunnels.map((t) => {
    const outcome = t.detected ? 'detected' : t.reachable ? 'MISSED' : `not alerted (${t.queries} queries in the demo's hour: too few distinct names for any evidence)`;
    const latency = t.secondsToAlert === null ? '' : `, first alert ${t.secondsToAlert.toFixed(1)} s of log time after its first query`;
    return { ok: t.detected || !t.reachable, text: `  ${t.domain.padEnd(20)} ${t.client.padEnd(12)} ${String(t.queries).padStart(5)} queries  ${outcome}${latency}` };
  });
  log(['demo: scorecard (tunnel domain, client, queries, outcome)', ...rows.map((r) => r.text), `  false alerts on benign domains: ${score.falseAlerts}`].join('\n'));
  return rows.every((r) => r.ok) && score.falseAlerts === 0;
}
