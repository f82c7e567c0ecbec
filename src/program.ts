/**
 * The `tunnelwatch` command line: subcommands, flags and their help. Exit
 * statuses: 0 ok, 1 internal error, 2 usage, 3 configuration, 4 input,
 * 5 output (see src/errors.ts). Commands other than detect and export are loaded when run, so a
 * detect run does not pay for DuckDB or the simulator at start-up.
 */
import { availableParallelism, homedir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { loadConfigFile, validateConfig } from './config/load.js';
import { configReference } from './config/reference.js';
import { FORMATS } from './parsers/formats.js';
import type { Config } from './config/schema.js';
import { runDetect } from './commands/detect.js';
import type { OutputFormat } from './commands/store-commands.js';
import { EXPORT_FORMATS, RPZ_ACTIONS, runExport, type ExportOptions } from './commands/export.js';
import type { SimulateCliOptions } from './commands/simulate.js';

interface DetectCliOptions {
  config?: string;
  format?: Config['input']['format'];
  follow?: boolean;
  alerts?: string;
  alertsMaxMb?: number;
  quarantine?: string;
  late?: string;
  aggregates?: string;
  store?: string | true;
  timezone?: string;
  lateness?: string;
  window?: string[];
  threshold?: number;
  workers?: number;
  listenSyslog?: string[];
  listenDnstap?: string[];
  webhook?: string;
  syslog?: string;
  stateDir?: string;
  checkpointInterval?: string;
  maxStateMb?: number;
  watchDir?: string;
  pattern?: string;
}

function intArg(name: string, min = 0) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}`);
    return n;
  };
}

function numberArg(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a non-negative number');
  return n;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Config file (or defaults), then command-line flags on top; the result is validated as a whole. */
export function resolveDetectConfig(o: DetectCliOptions): Config {
  const base = o.config === undefined ? validateConfig({}) : loadConfigFile(o.config);
  const raw: Config = structuredClone(base);
  if (o.format !== undefined) raw.input.format = o.format;
  if (o.follow === true) raw.input.follow = true;
  if (o.timezone !== undefined) raw.input.timeZone = o.timezone;
  if (o.lateness !== undefined) raw.watermark.lateness = o.lateness;
  if (o.alerts !== undefined) raw.output.alerts = o.alerts;
  if (o.alertsMaxMb !== undefined) raw.output.alertsMaxMb = o.alertsMaxMb;
  if (o.quarantine !== undefined) raw.output.quarantine = o.quarantine;
  if (o.late !== undefined) raw.output.late = o.late;
  if (o.aggregates !== undefined) raw.output.aggregates = o.aggregates;
  if (o.store !== undefined) raw.output.store = o.store === true ? defaultStorePath() : o.store;
  if (o.window !== undefined && o.window.length > 0) {
    raw.windows = o.window.map((w) => {
      const [length, slide] = w.split('/');
      return { length: length ?? '', slide: slide ?? length ?? '', events: 'all' as const };
    });
  }
  if (o.workers !== undefined) raw.runtime.workers = o.workers;
  if (o.stateDir !== undefined) raw.state.dir = o.stateDir;
  if (o.watchDir !== undefined) raw.input.watchDir = o.watchDir;
  if (o.pattern !== undefined) raw.input.watchPattern = o.pattern;
  if (o.maxStateMb !== undefined) raw.state.maxStateMb = o.maxStateMb;
  if (o.checkpointInterval !== undefined) raw.state.checkpointInterval = o.checkpointInterval;
  if (o.listenSyslog !== undefined) raw.input.listenSyslog = o.listenSyslog;
  if (o.listenDnstap !== undefined && o.listenDnstap.length > 0) raw.input.listenDnstap = o.listenDnstap;
  if (o.webhook !== undefined) raw.output.webhook = o.webhook;
  if (o.syslog !== undefined) raw.output.syslog = o.syslog;
  if (o.threshold !== undefined) {
    for (const rule of raw.rules) if (rule.type === 'distinct_subdomains') rule.threshold = o.threshold;
    raw.scoring.distinctSubdomains.threshold = o.threshold;
  }
  return validateConfig(raw, o.config === undefined ? 'command-line options' : `config file ${o.config} with command-line options`);
}

/**
 * Where `detect --store` keeps its DuckDB file when given no path, and where `report` and `query`
 * look: $TUNNELWATCH_STORE, else the XDG data directory (~/.local/share/tunnelwatch/tunnelwatch.duckdb).
 */
export function defaultStorePath(): string {
  const explicit = process.env.TUNNELWATCH_STORE;
  if (explicit !== undefined && explicit !== '') return explicit;
  const data = process.env.XDG_DATA_HOME !== undefined && process.env.XDG_DATA_HOME !== '' ? process.env.XDG_DATA_HOME : join(homedir(), '.local', 'share');
  return join(data, 'tunnelwatch', 'tunnelwatch.duckdb');
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('tunnelwatch')
    .description('Detects DNS tunneling and DNS data exfiltration in DNS logs, and explains every alert.')
    .version('0.1.0')
    .showHelpAfterError()
    // Throw instead of exiting, so cli.ts maps usage errors to exit status 2 like every other error.
    .exitOverride()
    .addHelpText(
      'after',
      `
Exit status: 0 ok, 1 internal error, 2 usage error, 3 invalid configuration, 4 input error, 5 output error.

Try:  tunnelwatch demo                                  simulate a log with tunnels and detect them
      tunnelwatch simulate --duration 1h > dns.log      write a seeded BIND query log
      tunnelwatch detect dns.log                        alerts as ECS JSON lines on stdout
      tunnelwatch detect dns.log | tunnelwatch export --format rpz -o tunnel.rpz`,
    );

  program
    .command('detect')
    .description('Read DNS query logs (files, or stdin when none or "-") and write alerts as ECS JSON lines.')
    .argument('[files...]', 'log files (plain or gzip); "-" or nothing for stdin')
    .option('-c, --config <file>', 'configuration file (YAML or JSON); flags override it')
    .addOption(new Option('--format <format>', 'input format (default auto: read off the first lines)').choices(['auto', ...FORMATS]))
    .option('-f, --follow', 'keep reading files as they grow, across rotation (tail -F)')
    .option('--alerts <file>', 'append alerts to this JSONL file instead of stdout')
    .option('--alerts-max-mb <mib>', 'rotate the alerts file at this size (FILE.1 … FILE.5 kept; default: never)', numberArg)
    .option('--quarantine <file>', 'where unparsed and non-query lines go, with position and reason')
    .option('--late <file>', 'write events that arrive behind the watermark to this JSONL file')
    .option('--aggregates <dir>', 'write closed windows\' per-domain aggregates to Parquet files in this directory')
    .option('--store [file]', `also keep alerts and per-window aggregates in this DuckDB file, for report and query (no file: ${defaultStorePath()})`)
    .option('--timezone <zone>', 'IANA zone of timestamps without an offset (default UTC)')
    .option('--lateness <duration>', 'allowed lateness behind the newest event time (default 60s)')
    .option('--window <length/slide>', 'window spec, repeatable (default 10m/5m); rules use the first', collect)
    .option('--threshold <n>', 'distinct-subdomain threshold: of every distinct-subdomain rule and of the score\'s distinct-subdomain term (default 180)', intArg('--threshold', 1))
    .option('--listen-syslog <url>', 'receive log lines as syslog messages instead of files: udp://HOST:PORT or tcp://HOST:PORT (repeatable: UDP and TCP at once)', collect)
    .option('--listen-dnstap <endpoint>', 'receive dnstap (Frame Streams) from a DNS server instead of files: unix:/path/to/socket or tcp:HOST:PORT, repeatable', collect)
    .option('--webhook <url>', 'also POST alerts in batches to this http(s) URL (retried; spilled to disk while down)')
    .option('--syslog <url>', 'also send alerts as RFC 5424 syslog: udp://, tcp:// or tls://HOST:PORT (?ca=PEM-FILE), ?format=cef for CEF')
    .option(
      '--workers <n>',
      'detection threads, each owning a partition of registered domains (default 1: all in the main thread; auto: one per core, at most 16)',
      (value: string) => (value === 'auto' ? Math.min(16, Math.max(1, availableParallelism())) : intArg('--workers', 1)(value)),
    )
    .option('--watch-dir <dir>', 'read new log files as they appear in this directory, each once (remembered across restarts with --state-dir)')
    .option('--pattern <glob>', 'with --watch-dir: file names to take, e.g. "query.log.*" (default *)')
    .option('--state-dir <dir>', 'checkpoint here; run again with the same directory to resume where the last run stopped (or was killed), alerts neither lost nor repeated')
    .option('--checkpoint-interval <duration>', 'how often to checkpoint with --state-dir (default 5s)')
    .option('--max-state-mb <n>', 'budget for window state in MiB (default 1024; 0: none): past it the least suspicious domain windows are freed early', numberArg)
    .action(async (files: string[], o: DetectCliOptions) => {
      const config = resolveDetectConfig(o);
      await runDetect({ config, inputs: files, handleSignals: true });
    });

  program
    .command('simulate')
    .description('Write a seeded, realistic BIND query log with DNS tunnels in it (to stdout or --out).')
    .option('--seed <n>', 'random seed; the same seed gives the same log', intArg('--seed'), 1)
    .option('--start <time>', 'first timestamp, ISO 8601 or "now" (default 2026-11-22T00:00:00Z)')
    .option('--duration <duration>', 'simulated time span', '30m')
    .option('--rate <qpm>', 'benign queries per minute', numberArg, 2000)
    .option('--domains <n>', 'benign registered domains', intArg('--domains', 1), 5000)
    .option('--clients <n>', 'benign clients', intArg('--clients', 1), 200)
    .option('--dnsbl <qpm>', 'DNSBL lookups per minute from the mail gateway', numberArg, 8)
    .option('--av <qpm>', 'antivirus reputation lookups per minute from the AV appliance', numberArg, 4)
    .option(
      '--tunnel <spec>',
      'a tunnel, repeatable, replacing the defaults: domain=D,client=IP,encoding=base32|hex|base64,rate=QPM,duration=15m[,start=5m][,qtype=NULL][,prefix=t][,labels=2][,label-length=57]',
      collect,
      [],
    )
    .option('--no-tunnels', 'benign traffic only')
    .option('--out-of-order <duration>', 'write lines up to this far out of time order, as BIND\'s threads do', '0')
    .option('--lines <n>', 'stop after this many lines', intArg('--lines', 1))
    .option('-o, --out <file>', 'output file (default stdout)')
    .option('--truth <file>', 'write the tunnels\' ground truth (domain, client, first/last time, queries) as JSON')
    .option('--realtime', 'stream like the design\'s generator: one batch per simulated minute')
    .option('--batch-interval <duration>', 'wall time between batches with --realtime', '60s')
    .action(async (o: SimulateCliOptions) => {
      const { runSimulate } = await import('./commands/simulate.js');
      await runSimulate({ ...o, realtime: o.realtime === true, tunnels: o.tunnels !== false });
    });

  program
    .command('demo')
    .description('Simulate 30 minutes of DNS traffic with three tunnels, detect them, and print the alerts and a scorecard.')
    .option('--seed <n>', 'random seed', intArg('--seed'), 1)
    .action(async (o: { seed: number }) => {
      const { runDemo } = await import('./commands/demo.js');
      const ok = await runDemo({ seed: o.seed });
      if (!ok) process.exitCode = 1;
    });

  program
    .command('eval')
    .description('Run the detector on a labelled simulation (tool-shaped tunnels at several rates, benign DNSBL/AV/CDN/PTR traffic) and score it.')
    .option('--seed <n>', 'random seed', intArg('--seed'), 1)
    .action(async (o: { seed: number }) => {
      const { runEval } = await import('./commands/eval.js');
      process.stdout.write(await runEval({ seed: o.seed }));
    });

  program
    .command('export')
    .description('Roll alerts up into one indicator per domain and write an RPZ zone, a domain list, CSV or a STIX 2.1 bundle.')
    .addOption(new Option('--format <format>', 'output format').choices([...EXPORT_FORMATS]).makeOptionMandatory())
    .option('--alerts <file>', 'alert JSONL file written by detect (plain or gzip), repeatable; default stdin', collect)
    .option('--store <file>', 'read the alerts of a store written by detect --store')
    .option('-o, --out <file>', 'output file, replaced atomically (default stdout)')
    .option('--ttl-days <days>', 'an indicator expires this many days after its last alert (default 7)', numberArg)
    .option('--include-expired', 'also export expired indicators')
    .option('--zone <name>', 'RPZ zone name (default rpz.tunnelwatch)')
    .addOption(new Option('--action <action>', 'RPZ policy (default nxdomain)').choices([...RPZ_ACTIONS]))
    .option('--sinkhole <ip>', 'RPZ: answer this address instead (implies --action sinkhole)')
    .option('--serial <n>', 'RPZ SOA serial (default: now, in epoch seconds)', intArg('--serial'))
    .action(async (o: { format: ExportOptions['format']; alerts?: string[]; store?: string; out?: string; ttlDays?: number; includeExpired?: boolean; zone?: string; action?: ExportOptions['action']; sinkhole?: string; serial?: number }) => {
      const options: ExportOptions = { format: o.format, alerts: o.alerts ?? [] };
      if (o.store !== undefined) options.store = o.store;
      if (o.out !== undefined) options.out = o.out;
      if (o.ttlDays !== undefined) options.ttlDays = o.ttlDays;
      if (o.includeExpired === true) options.includeExpired = true;
      if (o.zone !== undefined) options.zone = o.zone;
      if (o.action !== undefined) options.action = o.action;
      if (o.sinkhole !== undefined) options.sinkhole = o.sinkhole;
      if (o.serial !== undefined) options.serial = o.serial;
      await runExport(options);
    });

  const outputFormat = new Option('--format <format>', 'output format').choices(['table', 'json', 'csv']).default('table');
  program
    .command('report')
    .description('Summarise a store: top suspicious domains and clients, or one domain\'s access curve per window.')
    .option('--store <file>', 'DuckDB file written by detect --store', defaultStorePath())
    .option('--domain <domain>', 'show this registered domain\'s windows: queries and distinct subdomains over time')
    .option('--top <n>', 'rows per list', intArg('--top', 1), 20)
    .addOption(outputFormat)
    .action(async (o: { store: string; domain?: string; top: number; format: OutputFormat }) => {
      const options: { top: number; format: OutputFormat; domain?: string } = { top: o.top, format: o.format };
      if (o.domain !== undefined) options.domain = o.domain;
      const { runReport } = await import('./commands/store-commands.js');
      process.stdout.write(await runReport(o.store, options));
    });

  program
    .command('query')
    .description('Run read-only SQL on a store (tables: alerts, windows).')
    .argument('<sql>', 'the SQL, e.g. "SELECT registered_domain, count(*) FROM alerts GROUP BY 1"')
    .option('--store <file>', 'DuckDB file written by detect --store', defaultStorePath())
    .addOption(outputFormat)
    .action(async (sql: string, o: { store: string; format: OutputFormat }) => {
      const { runQuery } = await import('./commands/store-commands.js');
      process.stdout.write(await runQuery(o.store, sql, o.format));
    });

  program
    .command('config')
    .description('Print the effective configuration (defaults, or a file merged with defaults) after validating it.')
    .argument('[file]', 'configuration file to validate')
    .option('--reference', 'print the reference of every key (Markdown) instead')
    .action((file: string | undefined, o: { reference?: boolean }) => {
      if (o.reference === true) {
        process.stdout.write(configReference());
        return;
      }
      const config = file === undefined ? validateConfig({}) : loadConfigFile(file);
      process.stdout.write(JSON.stringify(config, null, 2) + '\n');
    });

  return program;
}
