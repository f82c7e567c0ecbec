/**
 * The configuration: one file (YAML or JSON), validated here. Defaults live in
 * this schema and nowhere else; `tunnelwatch config --print-defaults` shows them.
 */
import { z } from 'zod';
import { FORMATS } from '../parsers/formats.js';
import { parseDuration } from '../windows/window-spec.js';

const duration = z
  .string()
  .refine((v) => !Number.isNaN(parseDuration(v)) && parseDuration(v) > 0, { message: 'expected a duration such as 500ms, 90s, 10m, 1h, 1d' });

const timeZone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected an IANA time zone such as UTC or Europe/Berlin' },
);

const windowSchema = z
  .object({
    length: duration.describe('Window length.'),
    slide: duration.describe('How often a new window starts; equal to length for tumbling windows.'),
    events: z
      .enum(['all', 'suspicious'])
      .default('all')
      .describe(
        'Which queries the window counts: all, or only suspicious ones (a tool signature, or encoded-looking data under a domain whose short-window queries are mostly encoded), which keeps long windows cheap.',
      ),
  })
  .strict()
  .refine((w) => parseDuration(w.slide) <= parseDuration(w.length), { message: 'slide must not exceed length' });

const distinctRuleSchema = z
  .object({
    name: z.string().min(1).max(100).describe('Rule name, written as rule.name in alerts.'),
    type: z.literal('distinct_subdomains').describe('The rule kind: distinct subdomains in a window reach a threshold.'),
    key: z.enum(['domain', 'client_domain']).describe('Count per registered domain, or per (client, registered domain).'),
    window: z.string().optional().describe('Window name (`length/slide`, e.g. 10m/5m); default: the first window.'),
    threshold: z.number().int().positive().describe('Alert when the distinct-subdomain count reaches this.'),
    cooldown: duration.optional().describe('After an alert, further crossings for the same rule and key within this event-time span are suppressed; default: the window length.'),
    enabled: z.boolean().default(true).describe('Whether the rule runs.'),
  })
  .strict();

const scoreRuleSchema = z
  .object({
    name: z.string().min(1).max(100).describe('Rule name, written as rule.name in alerts.'),
    type: z.literal('score').describe('The rule kind: the evidence score of a domain in any window reaches scoring.alertScore.'),
    cooldown: duration.default('1h').describe('After an alert for a domain, further crossings for it (in any window) within this event-time span are suppressed.'),
    enabled: z.boolean().default(true).describe('Whether the rule runs.'),
  })
  .strict();

const ruleSchema = z.discriminatedUnion('type', [distinctRuleSchema, scoreRuleSchema]);

/** An evidence term: its value counts weight × min(1, value / threshold) points. */
const term = (threshold: number, weight: number, what: string) =>
  z
    .object({
      threshold: z.number().positive().default(threshold).describe(`${what}: the value at which the term gives its full weight.`),
      weight: z.number().min(0).max(100).default(weight).describe('Points at the threshold (linear below it).'),
    })
    .strict()
    .prefault({});

const shareTerm = (threshold: number, weight: number, what: string) =>
  z
    .object({
      threshold: z.number().positive().max(1).default(threshold).describe(`${what}: the share at which the term gives its full weight.`),
      weight: z.number().min(0).max(100).default(weight).describe('Points at the threshold (linear below it).'),
      minSubdomains: z.number().int().min(1).default(8).describe('Scored subdomains a window needs before the share counts.'),
    })
    .strict()
    .prefault({});

const scoringSchema = z
  .object({
    alertScore: z.number().min(1).max(100).default(60).describe('A score rule alerts when a domain window’s score (0–100) reaches this.'),
    encoded: z
      .object({
        minPayloadBytes: z.number().int().min(1).default(16).describe('Subdomain bytes (without dots) below which a name is never called encoded data.'),
        maxEnglishLikeness: z.number().min(0).max(1).default(0.5).describe('English-likeness at or above which a name is never called encoded data.'),
        minTextEntropy: z
          .number()
          .min(0)
          .max(8)
          .default(3.8)
          .describe('Entropy (bits per byte) from which a name outside the hex/base32/base64 alphabets (a tool header in front of the data) is still called encoded.'),
      })
      .strict()
      .prefault({}),
    suspiciousShare: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe('An encoded query enters `suspicious` windows when at least this share of its domain’s scored subdomains in the short windows is encoded.'),
    signature: z
      .object({
        high: z.number().min(0).max(100).default(70).describe('Points for one query matching a high-confidence tool signature.'),
        medium: z.number().min(0).max(100).default(40).describe('Points for three queries matching a medium-confidence signature.'),
        low: z.number().min(0).max(100).default(20).describe('Points for ten queries matching a low-confidence signature.'),
      })
      .strict()
      .prefault({}),
    distinctSubdomains: term(180, 60, 'Distinct subdomains not shaped like a benign class'),
    encodedSubdomains: term(16, 40, 'Distinct subdomains that look like encoded data'),
    upstreamBytes: term(320, 30, 'Estimated bytes carried upstream (information content of the distinct subdomains)'),
    encodedShare: shareTerm(0.9, 25, 'Share of the scored subdomains that look encoded'),
    rareTypes: shareTerm(0.9, 15, 'Share of the scored subdomains asked with rare record types (TXT, NULL, KEY, MX, CNAME, SRV…)'),
    clientOutliers: z
      .object({
        bucket: duration.default('10m').describe('Per-client query and NXDOMAIN counts are compared bucket by bucket of this length.'),
        populationZ: z.number().positive().default(6).describe('Robust z-score (against the median and MAD of the clients active in the bucket) a count must reach.'),
        historyZ: z.number().positive().default(6).describe('Deviations above the client’s own mean (of its earlier buckets) a count must reach.'),
        minQueries: z.number().int().min(1).default(200).describe('Queries per bucket below which a client is never an outlier.'),
        minNxdomain: z.number().int().min(1).default(50).describe('NXDOMAIN answers per bucket below which a client is never an NXDOMAIN outlier.'),
        warmupBuckets: z.number().int().min(0).default(3).describe('Buckets of a client’s history before its own-history test applies.'),
        maxClients: z.number().int().min(100).default(200_000).describe('Clients profiled at most, in the current bucket and in history each (the quietest and the least recently active go first); also at most 5% of state.maxStateMb each.'),
        threshold: z.number().positive().max(1).default(0.9).describe('Share of a domain’s scored subdomains asked by outlier clients at which the term gives its full weight.'),
        weight: z.number().min(0).max(100).default(10).describe('Points at the threshold (linear below it).'),
        minSubdomains: z.number().int().min(1).default(8).describe('Scored subdomains a window needs before the share counts.'),
      })
      .strict()
      .prefault({})
      .describe('Clients far above the population and their own history (query volume or NXDOMAIN answers).'),
    nxdomainShare: shareTerm(0.9, 15, 'Share of the scored subdomains answered NXDOMAIN (sources with answer codes: pcap, dnstap, Zeek, Suricata, unbound replies…)'),
  })
  .strict()
  .prefault({});

const muteSchema = z
  .object({
    client: z.string().min(1).describe('Client address whose alerts are muted.'),
    reason: z.string().min(1).describe('Why (shown in the run summary).'),
    until: z.iso.datetime({ offset: true }).describe('Event time (ISO 8601) after which the mute no longer applies.'),
    domain: z.string().optional().describe('Mute only this domain pattern (allowlist syntax); default: every domain.'),
  })
  .strict();

const detectionSchema = z
  .object({
    allowlist: z
      .array(z.string().min(1))
      .default([])
      .describe('Domains never scored: `example.com` is the name and every name below it, `*.example.com` only the names below it.'),
    mutes: z.array(muteSchema).default([]).describe('Per-client mutes with a reason and an expiry: their alerts are counted as muted, not emitted.'),
    signatureFiles: z
      .array(z.string().min(1))
      .default([])
      .describe('Extra tool-signature rule files (YAML, docs/SIGNATURES.md) after rules/signatures.yaml; a rule with an existing id replaces it.'),
    benignZoneFiles: z
      .array(z.string().min(1))
      .default([])
      .describe('Extra benign zone files (YAML, docs/SIGNATURES.md) after rules/benign-zones.yaml; an entry for an existing zone replaces it.'),
  })
  .strict()
  .prefault({});

export const configSchema = z
  .object({
    input: z
      .object({
        format: z.enum(['auto', ...FORMATS]).default('auto').describe('Input format; auto reads it off the first lines of the first input.'),
        timeZone: timeZone.default('UTC').describe('Zone of log timestamps that carry no offset.'),
        syslogYear: z.number().int().min(1970).max(9999).optional().describe('Year for RFC 3164 syslog timestamps (they carry none); default: current year.'),
        follow: z.boolean().default(false).describe('Keep reading files as they grow and across rotation (tail -F).'),
        jsonFields: z
          .object({
            time: z.string().min(1),
            client: z.string().min(1),
            name: z.string().min(1),
            type: z.string().min(1),
            clientPort: z.string().optional(),
            class: z.string().optional(),
            rcode: z.string().optional(),
            server: z.string().optional(),
            answers: z.string().optional(),
          })
          .strict()
          .optional()
          .describe('For format json: dotted paths of the fields in each record (time: ISO 8601 or epoch seconds/ms).'),
        windowsDateOrder: z.enum(['mdy', 'dmy', 'ymd']).default('mdy').describe('Field order of dates in a Windows DNS debug log (the server locale’s short date).'),
        listenSyslog: z
          .array(z.string())
          .default([])
          .describe('Receive log lines as syslog messages: udp://HOST:PORT or tcp://HOST:PORT (RFC 6587 framing).'),
        listenDnstap: z
          .array(z.string())
          .default([])
          .describe('Receive dnstap over Frame Streams (bidirectional handshake): unix:/path/to/socket or tcp:HOST:PORT; several allowed.'),
        dnstapResolverEvents: z
          .boolean()
          .default(false)
          .describe('dnstap: also turn RESOLVER_QUERY messages (a resolver\'s own queries to authorities: the resolver is the client) into events, paired with RESOLVER_RESPONSE; by default they are skipped, as they repeat the clients\' names.'),
        pollInterval: duration.default('250ms').describe('How often --follow checks a file for new lines and rotation, and --watch-dir the directory for new files.'),
        watchDir: z
          .string()
          .optional()
          .describe('Watch this directory for new log files: each is read once, when it has stopped growing, oldest first; with state.dir, finished files are remembered across restarts.'),
        watchPattern: z.string().min(1).default('*').describe('File names --watch-dir takes (`*` and `?` wildcards).'),
      })
      .strict()
      .prefault({}),
    windows: z
      .array(windowSchema)
      .min(1)
      .default([
        { length: '10m', slide: '5m', events: 'all' },
        { length: '1h', slide: '10m', events: 'suspicious' },
        { length: '24h', slide: '1h', events: 'suspicious' },
      ])
      .describe('Event-time sliding windows; each is named `length/slide` for rules to refer to.'),
    watermark: z
      .object({ lateness: duration.default('60s').describe('How far behind the newest event time a line may arrive and still count.') })
      .strict()
      .prefault({}),
    state: z
      .object({
        exactDistinctLimit: z.number().int().min(16).max(1_000_000).default(4096).describe('Distinct counts are exact up to this size, then a HyperLogLog (~0.8% error).'),
        maxStateMb: z
          .number()
          .min(0)
          .default(1024)
          .describe(
            'Memory budget (MiB of resident memory): window state is kept to a share of it by freeing the least suspicious domain windows early (counted), and garbage is collected as it nears the budget. 0: no budget.',
          ),
        dir: z
          .string()
          .optional()
          .describe('Checkpoint directory: a run given the same directory again resumes where the last one stopped, without losing or repeating alerts.'),
        checkpointInterval: duration.default('5s').describe('How often a checkpoint is written (also at the end of a run and on SIGTERM/SIGINT).'),
      })
      .strict()
      .prefault({}),
    rules: z
      .array(ruleSchema)
      .describe('Alerting rules, checked on every event that changes a count.')
      .default([
        { name: 'dns_tunnel_score', type: 'score', cooldown: '1h', enabled: true },
        { name: 'dns_distinct_subdomains', type: 'distinct_subdomains', key: 'domain', threshold: 180, enabled: false },
        { name: 'dns_client_distinct_subdomains', type: 'distinct_subdomains', key: 'client_domain', threshold: 180, enabled: false },
      ]),
    scoring: scoringSchema.describe('How evidence becomes a 0–100 score (src/scoring/).'),
    detection: detectionSchema.describe('What is never scored, and who is muted.'),
    runtime: z
      .object({
        workers: z
          .number()
          .int()
          .min(1)
          .max(64)
          .default(1)
          .describe('Detection worker threads, each owning a partition of registered domains; 1 runs everything in the main thread.'),
      })
      .strict()
      .prefault({}),
    output: z
      .object({
        alerts: z.string().optional().describe('Append alerts as JSON lines to this file; default stdout.'),
        alertsMaxMb: z.number().min(0).default(0).describe('Rotate the alerts file when it would pass this size (MiB); 0 never rotates.'),
        alertsKeep: z.number().int().min(1).max(1000).default(5).describe('Rotated alert files kept (FILE.1 … FILE.n).'),
        webhook: z.string().optional().describe('Also POST alerts, in batches, to this http(s) URL (retried; spilled to disk while it is down).'),
        webhookSpillDir: z.string().default('tunnelwatch-spill').describe('Where undelivered webhook alerts wait while the endpoint is down.'),
        syslog: z.string().optional().describe('Also send alerts as RFC 5424 syslog: udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT (RFC 5425; ?ca=PEM-FILE to trust a private CA); add ?format=cef for CEF.'),
        quarantine: z.string().default('tunnelwatch-quarantine.jsonl').describe('Lines that did not parse, with their position and reason (created on first use).'),
        quarantineSkipped: z.boolean().default(true).describe('Also write valid non-query lines (other log categories) to quarantine (text formats; skipped packets and frames of pcap/dnstap are only counted).'),
        late: z.string().optional().describe('Write late events (behind the watermark) here as JSON lines.'),
        aggregates: z.string().optional().describe('Directory for Parquet files of closed windows’ per-domain aggregates.'),
        store: z.string().optional().describe('DuckDB file for alerts and per-window aggregates, read by `report` and `query`.'),
        samples: z.number().int().min(0).max(50).default(8).describe('Example subdomains shown in each alert.'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type Config = z.output<typeof configSchema>;
export type RuleConfig = Config['rules'][number];
export type ScoringConfig = Config['scoring'];
export type DetectionConfig = Config['detection'];
