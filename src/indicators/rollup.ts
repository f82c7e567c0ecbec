/**
 * Rolls alerts up into one indicator (IOC) per registered domain, for
 * blocklists and threat-intel exports.
 *
 * Input: ECS alert JSON lines as `toEcs` (src/alerts/ecs.ts) writes them.
 * Each line is validated defensively: a line that is not JSON, not an object,
 * or lacks a valid `@timestamp`, `event.kind: alert`, `rule.name`,
 * `dns.question.registered_domain`, `tunnelwatch.distinct_subdomains` or
 * `tunnelwatch.threshold` is a bad line: counted, a few kept as examples,
 * never thrown. Malformed optional fields (clients, samples, source.ip, …)
 * are ignored one by one without discarding the alert. The same alert
 * (`event.id`) seen twice — e.g. in a rotated file and its copy — counts once.
 *
 * Domains are keyed by their ASCII-lower-cased form without trailing dot; they
 * are NOT validated here (alerts may name anything): exporters that write
 * names into DNS software's input validate them (src/export/hostname.ts).
 *
 * Score, in [0, 1]:
 *
 *     score = 1 − 0.5^r · 0.8^(n − 1)
 *
 * where r is the largest `tunnelwatch.score / threshold` (score rules) or
 * `distinct_subdomains / threshold` (distinct-subdomain rules) of the domain's
 * alerts (clamped to [0, 20]) and n the number of alerts. Each multiple of
 * the threshold halves the distance to 1, each further alert shrinks it by a
 * fifth: one alert just at the threshold scores 0.5, one at twice the
 * threshold 0.75, three alerts at twice the threshold 0.84. Rounded to three
 * decimals.
 *
 * Expiry: `expires = lastSeen + ttlDays` (default 7 days). An indicator with
 * `expires < now` is expired and dropped unless `includeExpired`.
 */
import { isIP } from 'node:net';

export interface DomainIndicator {
  /** Registered domain, ASCII-lower-cased, no trailing dot. Attacker-influenced: validate before use. */
  domain: string;
  /** Event time (epoch ms) of the earliest and latest alert. */
  firstSeen: number;
  lastSeen: number;
  /** Distinct alerts (by event id). */
  alerts: number;
  /** Rule names that fired, sorted. */
  rules: string[];
  maxDistinctSubdomains: number;
  /** Distinct client addresses, most distinct subdomains first, at most `maxClients`. */
  clients: string[];
  /** How many distinct client addresses in all. */
  clientCount: number;
  /** A few example query names (presentation form, as logged; hostile). */
  samples: string[];
  /** The tunnelling tool, when a signature named one (`tunnelwatch.tool`). */
  tool?: string;
  /**
   * The evidence of the domain's strongest scored alert (`tunnelwatch.evidence`), as
   * `detector=value` terms, strongest first; empty for alerts without evidence.
   */
  evidence: string;
  score: number;
  /** lastSeen + TTL (epoch ms). */
  expires: number;
}

export interface RollupOptions {
  /** Reference time for expiry (epoch ms); default Date.now(). */
  now?: number;
  /** Indicator lifetime after its last alert, in days; default 7. */
  ttlDays?: number;
  includeExpired?: boolean;
  /** Client addresses listed per indicator; default 10. */
  maxClients?: number;
  /** Example names per indicator; default 5. */
  maxSamples?: number;
  /** Bad-line examples kept for the report; default 10. */
  maxBadLineExamples?: number;
}

export interface BadLine {
  source: string;
  line: number;
  reason: string;
}

export interface RollupResult {
  indicators: DomainIndicator[];
  /** Distinct valid alerts read. */
  alerts: number;
  /** Valid alerts whose event id had been seen already. */
  duplicates: number;
  badLines: number;
  badLineExamples: BadLine[];
  /** Indicators dropped as expired (0 with includeExpired). */
  expired: number;
}

export const DEFAULT_TTL_DAYS = 7;
const DAY_MS = 86_400_000;
/** Longer lines are bad lines without being parsed. */
export const MAX_LINE_CHARS = 1 << 20;
const MAX_DOMAIN_CHARS = 1024;
const MAX_RULE_CHARS = 256;
const MAX_RULES = 64;
const MAX_SAMPLE_CHARS = 1024;
const MAX_TOOL_CHARS = 128;
const MAX_RATIO = 20;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

/** Longest evidence summary kept: the terms are few, but an alert line is attacker-reachable input. */
const MAX_EVIDENCE_CHARS = 300;

/** `detector=value` for each well-formed term, in the alert's order (strongest first). */
function evidenceSummary(raw: unknown): string {
  if (!Array.isArray(raw)) return '';
  const terms: string[] = [];
  for (const e of raw) {
    if (!isObject(e) || typeof e.detector !== 'string' || typeof e.value !== 'number' || !Number.isFinite(e.value)) continue;
    if (e.detector.length === 0 || e.detector.length > 40) continue;
    terms.push(`${e.detector}=${e.value}`);
  }
  const text = terms.join(' ');
  return text.length <= MAX_EVIDENCE_CHARS ? text : text.slice(0, MAX_EVIDENCE_CHARS);
}

/** The documented score (see the module comment). */
export function indicatorScore(maxRatio: number, alerts: number): number {
  const r = Number.isFinite(maxRatio) ? Math.min(Math.max(maxRatio, 0), MAX_RATIO) : 0;
  const n = Math.max(alerts, 1);
  const score = 1 - Math.pow(0.5, r) * Math.pow(0.8, n - 1);
  return Math.round(Math.min(Math.max(score, 0), 1) * 1000) / 1000;
}

interface Accumulator {
  domain: string;
  firstSeen: number;
  lastSeen: number;
  alerts: number;
  rules: Set<string>;
  maxDistinct: number;
  maxRatio: number;
  /** Client address → the most distinct subdomains any alert credited it with. */
  clients: Map<string, number>;
  samples: string[];
  tool: string | undefined;
  /** Score and evidence terms of the strongest scored alert so far. */
  bestScore: number;
  evidence: string;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function field(doc: Record<string, unknown>, ...path: string[]): unknown {
  let v: unknown = doc;
  for (const key of path) {
    if (!isObject(v) || !Object.hasOwn(v, key)) return undefined;
    v = v[key];
  }
  return v;
}

function asciiLowerNoDot(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += c >= 0x41 && c <= 0x5a ? String.fromCharCode(c | 0x20) : s[i];
  }
  return out.length > 1 && out.endsWith('.') ? out.slice(0, -1) : out;
}

function validIp(v: unknown): v is string {
  return typeof v === 'string' && v.length <= 64 && isIP(v) !== 0;
}

/** Incremental roll-up: `addLine` for every line of every input, then `finish`. */
export class IndicatorRollup {
  private readonly byDomain = new Map<string, Accumulator>();
  private readonly seenIds = new Set<string>();
  private alerts = 0;
  private duplicates = 0;
  private badLines = 0;
  private readonly badLineExamples: BadLine[] = [];
  private readonly maxClients: number;
  private readonly maxSamples: number;
  private readonly maxBadLineExamples: number;

  constructor(private readonly options: RollupOptions = {}) {
    this.maxClients = options.maxClients ?? 10;
    this.maxSamples = options.maxSamples ?? 5;
    this.maxBadLineExamples = options.maxBadLineExamples ?? 10;
  }

  /** One line of input; `source`/`line` only label bad-line reports. Blank lines are ignored. Never throws. */
  addLine(text: string, source = '-', line = 0): void {
    if (typeof text !== 'string') return this.bad(source, line, 'not text');
    if (text.length > MAX_LINE_CHARS) return this.bad(source, line, `longer than ${MAX_LINE_CHARS} characters`);
    if (text.trim() === '') return;
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      return this.bad(source, line, 'not JSON');
    }
    if (!isObject(doc)) return this.bad(source, line, 'not a JSON object');
    const why = this.addDoc(doc);
    if (why !== null) this.bad(source, line, why);
  }

  /** One parsed ECS alert document; returns why it is invalid, or null when taken. */
  addDoc(doc: Record<string, unknown>): string | null {
    const timestamp = field(doc, '@timestamp');
    if (typeof timestamp !== 'string' || !ISO_TIME.test(timestamp)) return 'missing or invalid @timestamp';
    const time = Date.parse(timestamp);
    if (!Number.isFinite(time)) return 'missing or invalid @timestamp';
    if (field(doc, 'event', 'kind') !== 'alert') return 'event.kind is not "alert"';
    const rule = field(doc, 'rule', 'name');
    if (typeof rule !== 'string' || rule.length === 0 || rule.length > MAX_RULE_CHARS) return 'missing or invalid rule.name';
    const rawDomain = field(doc, 'dns', 'question', 'registered_domain');
    if (typeof rawDomain !== 'string' || rawDomain.length === 0 || rawDomain.length > MAX_DOMAIN_CHARS) {
      return 'missing or invalid dns.question.registered_domain';
    }
    const distinct = field(doc, 'tunnelwatch', 'distinct_subdomains');
    if (typeof distinct !== 'number' || !Number.isFinite(distinct) || distinct < 0) return 'missing or invalid tunnelwatch.distinct_subdomains';
    const threshold = field(doc, 'tunnelwatch', 'threshold');
    if (typeof threshold !== 'number' || !Number.isFinite(threshold) || threshold <= 0) return 'missing or invalid tunnelwatch.threshold';

    const id = field(doc, 'event', 'id');
    if (typeof id === 'string' && id.length > 0 && id.length <= 256) {
      if (this.seenIds.has(id)) {
        this.duplicates++;
        return null;
      }
      this.seenIds.add(id);
    }
    this.alerts++;

    const domain = asciiLowerNoDot(rawDomain);
    let acc = this.byDomain.get(domain);
    if (acc === undefined) {
      acc = {
        domain,
        firstSeen: time,
        lastSeen: time,
        alerts: 0,
        rules: new Set(),
        maxDistinct: 0,
        maxRatio: 0,
        clients: new Map(),
        samples: [],
        tool: undefined,
        bestScore: -1,
        evidence: '',
      };
      this.byDomain.set(domain, acc);
    }
    acc.alerts++;
    acc.firstSeen = Math.min(acc.firstSeen, time);
    acc.lastSeen = Math.max(acc.lastSeen, time);
    if (acc.rules.size < MAX_RULES) acc.rules.add(rule);
    acc.maxDistinct = Math.max(acc.maxDistinct, distinct);
    const score = field(doc, 'tunnelwatch', 'score');
    const ratio = typeof score === 'number' && Number.isFinite(score) && score >= 0 ? score / threshold : distinct / threshold;
    acc.maxRatio = Math.max(acc.maxRatio, ratio);

    const clients = field(doc, 'tunnelwatch', 'clients');
    if (Array.isArray(clients)) {
      for (const c of clients) {
        if (!isObject(c) || !validIp(c.ip)) continue;
        const d = typeof c.distinct_subdomains === 'number' && Number.isFinite(c.distinct_subdomains) ? c.distinct_subdomains : 0;
        acc.clients.set(c.ip, Math.max(acc.clients.get(c.ip) ?? 0, d));
      }
    }
    const sourceIp = field(doc, 'source', 'ip');
    if (validIp(sourceIp)) acc.clients.set(sourceIp, Math.max(acc.clients.get(sourceIp) ?? 0, distinct));

    const question = field(doc, 'dns', 'question', 'name');
    if (typeof question === 'string') this.addSample(acc, question);
    const samples = field(doc, 'tunnelwatch', 'samples');
    if (Array.isArray(samples)) {
      for (const s of samples) if (typeof s === 'string' && s.length > 0) this.addSample(acc, `${s}.${rawDomain}`);
    }
    const tool = field(doc, 'tunnelwatch', 'tool');
    if (acc.tool === undefined && typeof tool === 'string' && tool.length > 0 && tool.length <= MAX_TOOL_CHARS) acc.tool = tool;
    if (typeof score === 'number' && Number.isFinite(score) && score > acc.bestScore) {
      acc.bestScore = score;
      acc.evidence = evidenceSummary(field(doc, 'tunnelwatch', 'evidence'));
    }
    return null;
  }

  finish(): RollupResult {
    const now = this.options.now ?? Date.now();
    const ttlDays = this.options.ttlDays ?? DEFAULT_TTL_DAYS;
    if (!Number.isFinite(ttlDays) || ttlDays < 0) throw new RangeError(`ttlDays must be a non-negative number, not ${ttlDays}`);
    const ttlMs = ttlDays * DAY_MS;
    const indicators: DomainIndicator[] = [];
    let expired = 0;
    for (const acc of this.byDomain.values()) {
      const expires = acc.lastSeen + ttlMs;
      if (expires < now && this.options.includeExpired !== true) {
        expired++;
        continue;
      }
      const clients = [...acc.clients].sort((a, b) => b[1] - a[1] || compare(a[0], b[0]));
      const indicator: DomainIndicator = {
        domain: acc.domain,
        firstSeen: acc.firstSeen,
        lastSeen: acc.lastSeen,
        alerts: acc.alerts,
        rules: [...acc.rules].sort(compare),
        maxDistinctSubdomains: acc.maxDistinct,
        clients: clients.slice(0, this.maxClients).map(([ip]) => ip),
        clientCount: clients.length,
        samples: [...acc.samples],
        score: indicatorScore(acc.maxRatio, acc.alerts),
        expires,
        evidence: acc.evidence,
      };
      if (acc.tool !== undefined) indicator.tool = acc.tool;
      indicators.push(indicator);
    }
    indicators.sort(compareIndicators);
    return {
      indicators,
      alerts: this.alerts,
      duplicates: this.duplicates,
      badLines: this.badLines,
      badLineExamples: [...this.badLineExamples],
      expired,
    };
  }

  private addSample(acc: Accumulator, name: string): void {
    if (acc.samples.length >= this.maxSamples || name.length > MAX_SAMPLE_CHARS || acc.samples.includes(name)) return;
    acc.samples.push(name);
  }

  private bad(source: string, line: number, reason: string): void {
    this.badLines++;
    if (this.badLineExamples.length < this.maxBadLineExamples) this.badLineExamples.push({ source, line, reason });
  }
}

/** Code-unit order (never locale-dependent), so output is the same everywhere. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Highest score first, then domain. */
export function compareIndicators(a: DomainIndicator, b: DomainIndicator): number {
  return b.score - a.score || compare(a.domain, b.domain);
}

/** Rolls up every line of `lines` (one source); see IndicatorRollup. */
export async function rollupAlerts(
  lines: AsyncIterable<string> | Iterable<string>,
  options: RollupOptions & { source?: string } = {},
): Promise<RollupResult> {
  const rollup = new IndicatorRollup(options);
  let n = 0;
  for await (const line of lines) rollup.addLine(line, options.source ?? '-', ++n);
  return rollup.finish();
}
