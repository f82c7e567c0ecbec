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
  })
  .strict()
  .refine((w) => parseDuration(w.slide) <= parseDuration(w.length), { message: 'slide must not exceed length' });

const ruleSchema = z
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
        pollInterval: duration.default('250ms').describe('How often --follow checks a file for new lines and rotation.'),
      })
      .strict()
      .prefault({}),
    windows: z
      .array(windowSchema)
      .min(1)
      .default([{ length: '10m', slide: '5m' }])
      .describe('Event-time sliding windows; each is named `length/slide` for rules to refer to.'),
    watermark: z
      .object({ lateness: duration.default('60s').describe('How far behind the newest event time a line may arrive and still count.') })
      .strict()
      .prefault({}),
    state: z
      .object({
        exactDistinctLimit: z.number().int().min(16).max(1_000_000).default(4096).describe('Distinct counts are exact up to this size, then a HyperLogLog (~0.8% error).'),
      })
      .strict()
      .prefault({}),
    rules: z
      .array(ruleSchema)
      .describe('Alerting rules, checked on every event that changes a count.')
      .default([
        { name: 'dns_distinct_subdomains', type: 'distinct_subdomains', key: 'domain', threshold: 180, enabled: true },
        { name: 'dns_client_distinct_subdomains', type: 'distinct_subdomains', key: 'client_domain', threshold: 180, enabled: false },
      ]),
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
        syslog: z.string().optional().describe('Also send alerts as RFC 5424 syslog: udp://HOST:PORT or tcp://HOST:PORT; add ?format=cef for CEF.'),
        quarantine: z.string().default('tunnelwatch-quarantine.jsonl').describe('Lines that did not parse, with their position and reason (created on first use).'),
        quarantineSkipped: z.boolean().default(true).describe('Also write valid non-query lines (other log categories) to quarantine.'),
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
