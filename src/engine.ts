/**
 * Event time, watermark and rules around the windowed state:
 *
 *   event ─▶ late? (time < watermark: counted, still applied to open windows)
 *         ─▶ each window spec: update every open window containing it ─▶ rules check the crossing ─▶ alert
 *         ─▶ watermark = max event time − lateness ─▶ close windows with end ≤ watermark ─▶ aggregates
 */
import type { Alert } from './alerts/alert.js';
import type { Config } from './config/schema.js';
import type { DetectorCounters } from './counters.js';
import { DistinctSubdomainsRule, topClients } from './detectors/distinct-subdomains.js';
import type { DnsEvent } from './event.js';
import type { WindowAggregate } from './windows/aggregate.js';
import { parseDuration, windowSpec, type WindowSpec } from './windows/window-spec.js';
import { NEW_FOR_DOMAIN, WindowedDomains, type DomainWindow, type DomainWindowState, type WindowVisitor } from './windows/windowed-domains.js';
import { ScoreRule } from './detectors/score.js';
import { DomainPatterns } from './scoring/domain-patterns.js';
import { classifiersFor, queryFacts, type EncodedCriteria, type QueryClassifiers, type QueryFacts } from './scoring/query-facts.js';
import { TunnelwatchError } from './errors.js';
import { MemoryGuard } from './state/memory-guard.js';
import { ClientActivity, ClientProfiles, type ClientProfileState } from './scoring/client-profiles.js';

export interface EngineOutputs {
  alert(alert: Alert): void;
  /** Closed windows' per-domain summaries; omit to skip building them. */
  aggregate?(row: WindowAggregate): void;
  /** Events behind the watermark. */
  late?(event: DnsEvent): void;
}

/** What a checkpoint holds of the engine (src/state/). */
export interface EngineState {
  counters: EngineCounters;
  maxEventTime: number;
  watermark: number;
  /** Interned client addresses, by id. */
  clients: string[];
  /** Per window spec name, its open windows. */
  windows: Map<string, DomainWindowState[]>;
  /** Per rule name, its cool-downs. */
  rules: Map<string, Map<string, number>>;
  clientProfiles: ClientProfileState;
}

interface SpecState {
  windows: WindowedDomains;
  /** Counts only suspicious queries (see `windows[].events`). */
  suspiciousOnly: boolean;
  rules: DistinctSubdomainsRule[];
  visit: WindowVisitor;
}

export interface EngineCounters extends DetectorCounters {
  /** Events behind the watermark (still applied to any of their windows that were open). */
  late: number;
  /** Late events all of whose windows had already closed: counted and reported, not applied. */
  lateUnapplied: number;
  windowsClosed: number;
  /** Alerts not emitted because their client was muted (`detection.mutes`). */
  muted: number;
  /** Domain windows freed early, least suspicious first, to keep state within `state.maxStateMb`. */
  evictedWindows: number;
}

/**
 * Bytes of state per held item, measured on V8 (node 20) with --expose-gc: a domain window with one
 * entry about 560 B, each further subdomain entry about 80 B plus its string; a sketch 16 KiB of
 * registers plus samples; an interned client (address, table entry and its profile counts) about
 * 200 B; a client's profile history about 120 B.
 */
const WINDOW_BYTES = 500;
const ENTRY_BYTES = 100;
const SKETCH_BYTES = 17_000;
const CLIENT_BYTES = 200;
const HISTORY_BYTES = 120;
/** Client tables smaller than this are never compacted. */
const MIN_CLIENT_COMPACTION = 65_536;
/** Events between two budget checks: the check is O(1), the eviction it may start is not. */
const BUDGET_CHECK_EVERY = 4096;
/** An eviction frees state down to this share of the budget, so the next one is far off. */
const EVICT_TO = 0.7;

export class DetectionEngine {
  readonly counters: EngineCounters = { eventsIn: 0, alerts: 0, suppressed: 0, muted: 0, late: 0, lateUnapplied: 0, windowsClosed: 0, evictedWindows: 0 };
  private readonly memory: MemoryGuard;
  private readonly profiles: ClientProfiles;
  private untilBudgetCheck = BUDGET_CHECK_EVERY;
  /** All-event specs first: a query's short-window evidence decides whether it enters the suspicious-only ones. */
  private readonly specs: SpecState[] = [];
  private readonly latenessMs: number;
  private maxEventTime = -Infinity;
  private current: DnsEvent | null = null;
  /** The current event's facts, computed at most once, when a window first finds its subdomain new. */
  private facts: QueryFacts | null = null;
  /** Highest encoded share among the current event's all-event windows. */
  private shortShare = 0;
  private readonly scoreRule: ScoreRule | null;
  private readonly classifiers: QueryClassifiers;
  private readonly encodedCriteria: EncodedCriteria;
  private readonly suspiciousShare: number;
  private readonly mutes: Array<{ client: string; until: number; domains: DomainPatterns | null }>;
  /**
   * Client addresses interned to small integers: window state keys per-client counts by number,
   * and the record carries the client's profile counts, so each event looks its address up once.
   */
  private clients = new Map<string, InternedClient>();
  private clientRecords: InternedClient[] = [];
  /** The current event's client. */
  private client: InternedClient | null = null;
  /** The table is compacted to the clients open windows and profiles still hold when it grows past this. */
  private compactClientsAt = MIN_CLIENT_COMPACTION;
  private readonly address = (id: number): string => this.clientRecords[id]?.address ?? '';
  private readonly closeWindow: (w: DomainWindow) => void;

  watermark = -Infinity;

  constructor(config: Config, private readonly outputs: EngineOutputs, classifiers: QueryClassifiers = classifiersFor(config)) {
    this.latenessMs = parseDuration(config.watermark.lateness);
    this.memory = new MemoryGuard(config.state.maxStateMb * 1_048_576, config.runtime.workers);
    const co = config.scoring.clientOutliers;
    // Profiles take at most a tenth of the memory budget: half for the clients of the current bucket
    // (interned records), half for histories.
    const budget = (config.state.maxStateMb * 1_048_576) / config.runtime.workers;
    const maxClients = budget > 0 ? Math.min(co.maxClients, Math.max(1000, Math.floor((budget * 0.05) / CLIENT_BYTES))) : co.maxClients;
    this.profiles = new ClientProfiles({ ...co, maxClients, bucketMs: parseDuration(co.bucket), forgetAfterBuckets: Math.ceil(86_400_000 / parseDuration(co.bucket)) });
    const specsByName = new Map<string, { spec: WindowSpec; suspiciousOnly: boolean }>();
    for (const w of config.windows) {
      const spec = windowSpec(parseDuration(w.length), parseDuration(w.slide));
      specsByName.set(spec.name, { spec, suspiciousOnly: w.events === 'suspicious' });
    }
    const firstSpec = [...specsByName.values()].find((s) => !s.suspiciousOnly);
    if (firstSpec === undefined) throw new TunnelwatchError('TW_CONFIG', 'windows: at least one window must count all events (events: all)');
    const rulesBySpec = new Map<string, DistinctSubdomainsRule[]>();
    let scoreRule: ScoreRule | null = null;
    let bit = 1;
    for (const r of config.rules) {
      if (!r.enabled) continue;
      if (bit > 2 ** 30) throw new TunnelwatchError('TW_CONFIG', 'at most 31 rules are supported');
      if (r.type === 'score') {
        if (scoreRule !== null) throw new TunnelwatchError('TW_CONFIG', `rule ${r.name}: only one score rule may be enabled (${scoreRule.options.name} is)`);
        scoreRule = new ScoreRule({ name: r.name, cooldownMs: parseDuration(r.cooldown), scoring: config.scoring, samples: config.output.samples, bit }, this.address);
        bit <<= 1;
        continue;
      }
      const named = r.window === undefined ? firstSpec : specsByName.get(r.window);
      if (named === undefined) {
        throw new TunnelwatchError('TW_CONFIG', `rule ${r.name}: window ${r.window} is not one of the configured windows (${[...specsByName.keys()].join(', ')})`);
      }
      if (named.suspiciousOnly) throw new TunnelwatchError('TW_CONFIG', `rule ${r.name}: window ${r.window} counts only suspicious queries; distinct_subdomains rules need a window that counts all`);
      const spec = named.spec;
      const rule = new DistinctSubdomainsRule(
        {
          name: r.name,
          key: r.key,
          spec,
          threshold: r.threshold,
          cooldownMs: r.cooldown === undefined ? spec.lengthMs : parseDuration(r.cooldown),
          samples: config.output.samples,
          bit,
        },
        this.address,
      );
      bit <<= 1;
      const list = rulesBySpec.get(spec.name) ?? [];
      list.push(rule);
      rulesBySpec.set(spec.name, list);
    }
    this.scoreRule = scoreRule;
    const allow = new DomainPatterns(config.detection.allowlist);
    this.classifiers =
      allow.size === 0
        ? classifiers
        : {
            signature: (e) => classifiers.signature(e),
            benign: (e) => {
              const hit = allow.match(e.qnameLower);
              return hit === null ? classifiers.benign(e) : { benignClass: 'allowlist', why: `allowlisted by the pattern ${hit}` };
            },
          };
    this.encodedCriteria = config.scoring.encoded;
    this.suspiciousShare = config.scoring.suspiciousShare;
    this.mutes = config.detection.mutes.map((m) => ({ client: m.client, until: Date.parse(m.until), domains: m.domain === undefined ? null : new DomainPatterns([m.domain]) }));
    const ordered = [...specsByName.values()].sort((a, b) => Number(a.suspiciousOnly) - Number(b.suspiciousOnly));
    for (const { spec, suspiciousOnly } of ordered) {
      // A suspicious-only window without the score rule would count for nobody.
      if (suspiciousOnly && scoreRule === null) continue;
      const rules = rulesBySpec.get(spec.name) ?? [];
      const trackClients = rules.some((r) => r.options.key === 'client_domain');
      this.specs.push({
        windows: new WindowedDomains(spec, config.state.exactDistinctLimit, trackClients),
        suspiciousOnly,
        rules,
        visit: this.visitorFor(rules, suspiciousOnly),
      });
    }
    const aggregate = outputs.aggregate;
    this.closeWindow = aggregate === undefined ? () => {} : (w) => aggregate(toAggregate(w, this.address));
  }

  process(event: DnsEvent): void {
    this.counters.eventsIn++;
    const isLate = event.time < this.watermark;
    this.current = event;
    this.facts = null;
    this.shortShare = 0;
    const client = (this.client = this.intern(event.clientIp));
    if (this.scoreRule !== null) this.profiles.observe(client, event.time, event.rcode);
    let applied = 0;
    for (const s of this.specs) {
      if (s.suspiciousOnly && !this.suspicious()) break; // suspicious-only specs come last
      applied += s.windows.add(event, client.id, this.watermark, s.visit);
    }
    this.current = null;
    this.client = null;
    this.facts = null;
    if (isLate) {
      this.counters.late++;
      if (applied === 0) this.counters.lateUnapplied++;
      this.outputs.late?.(event);
      return;
    }
    if (event.time > this.maxEventTime) {
      this.maxEventTime = event.time;
      this.advanceWatermark(event.time - this.latenessMs);
    }
    if (--this.untilBudgetCheck === 0) {
      this.untilBudgetCheck = BUDGET_CHECK_EVERY;
      this.memory.check();
      const limit = this.memory.stateLimit;
      if (limit > 0 && this.stateBytes > limit) this.evictLeastSuspicious(this.stateBytes - limit * EVICT_TO);
      if (this.clientRecords.length >= this.compactClientsAt) this.compactClients();
    }
  }

  /**
   * Forgets clients neither an open window nor the profiles hold, renumbering the rest: a flood of
   * one-off client addresses (spoofed, or IPv6 privacy addresses) must not grow the table for ever.
   */
  private compactClients(): void {
    const records = this.clientRecords;
    const remap = new Int32Array(records.length).fill(-1);
    const kept: InternedClient[] = [];
    const mark = (c: number): void => {
      if (remap[c] === -1) {
        remap[c] = kept.length;
        kept.push(records[c]!);
      }
    };
    for (const s of this.specs) for (const w of s.windows.all()) w.forEachClient(mark);
    for (const r of records) if (r.held) mark(r.id);
    for (const s of this.specs) for (const w of s.windows.all()) w.remapClients(remap);
    kept.forEach((r, id) => (r.id = id));
    this.clientRecords = kept;
    this.clients = new Map(kept.map((r) => [r.address, r]));
    this.compactClientsAt = Math.max(MIN_CLIENT_COMPACTION, 2 * kept.length);
  }

  /** Estimated bytes of window state and the client table (see the constants above). */
  get stateBytes(): number {
    // The profiles' current bucket is made of interned records, counted with the client table.
    let bytes = this.clientRecords.length * CLIENT_BYTES + this.profiles.historyEntries * HISTORY_BYTES;
    for (const s of this.specs) {
      const h = s.windows.held;
      bytes += h.windows * WINDOW_BYTES + h.entries * ENTRY_BYTES + h.sketches * SKETCH_BYTES;
    }
    return bytes;
  }

  /**
   * Frees about `bytes` of window state, least suspicious windows first: by evidence (signature
   * hits, encoded names), then distinct subdomains. A flood of one-off names is what goes; a
   * tunnel's window, which has the evidence, stays. Windows that alerted are kept.
   */
  private evictLeastSuspicious(bytes: number): void {
    // Rounds of rising suspicion (1, 2, 4, …) instead of a sort: a flood is millions of windows of
    // one name each, and the first round frees them without ranking them.
    let freed = 0;
    for (let ceiling = 1; freed < bytes && ceiling < 2 ** 40; ceiling *= 2) {
      for (const spec of this.specs) {
        const victims = new Set<DomainWindow>();
        for (const w of spec.windows.all()) {
          if (freed >= bytes) break;
          if (w.alerted || suspicion(w) > ceiling) continue;
          victims.add(w);
          freed += WINDOW_BYTES + w.heldEntries * ENTRY_BYTES + (w.distinctExact ? 0 : SKETCH_BYTES);
        }
        if (victims.size > 0) this.counters.evictedWindows += spec.windows.evict(victims);
      }
    }
  }


  /** A record that carried a time but no event (rejected, or another partition's): event time still moves on. */
  observeTime(time: number): void {
    if (time > this.maxEventTime) {
      this.maxEventTime = time;
      this.advanceWatermark(time - this.latenessMs);
    }
  }

  /** End of input: every open window is complete. */
  finish(): void {
    this.advanceWatermark(Infinity);
  }

  /** The engine's whole state for a checkpoint; serialise it at once (live Maps, not copies). */
  snapshot(): EngineState {
    const rules = new Map<string, Map<string, number>>();
    for (const spec of this.specs) for (const r of spec.rules) rules.set(r.options.name, r.cooldowns.snapshot());
    if (this.scoreRule !== null) rules.set(this.scoreRule.options.name, this.scoreRule.cooldowns.snapshot());
    return {
      counters: { ...this.counters },
      maxEventTime: this.maxEventTime,
      watermark: this.watermark,
      clients: this.clientRecords.map((r) => r.address),
      windows: new Map(this.specs.map((s) => [s.windows.spec.name, s.windows.snapshot()])),
      rules,
      clientProfiles: this.profiles.snapshot(),
    };
  }

  /** Continues from a checkpoint taken with the same windows and rules (a fresh engine only). */
  restore(state: EngineState): void {
    if (this.counters.eventsIn !== 0) throw new Error('DetectionEngine.restore: the engine has already processed events');
    for (const ip of state.clients) this.intern(ip); // first: window state refers to clients by these ids
    for (const s of this.specs) {
      const windows = state.windows.get(s.windows.spec.name);
      if (windows === undefined) throw new TunnelwatchError('TW_CONFIG', `the checkpoint has no window ${s.windows.spec.name}: the windows changed since it was taken`);
      s.windows.restore(windows);
      for (const r of s.rules) r.cooldowns.restore(state.rules.get(r.options.name) ?? new Map());
    }
    this.scoreRule?.cooldowns.restore(state.rules.get(this.scoreRule.options.name) ?? new Map());
    this.profiles.restore(state.clientProfiles, (ip) => this.intern(ip));
    Object.assign(this.counters, state.counters);
    this.maxEventTime = state.maxEventTime;
    this.watermark = state.watermark;
  }

  get openDomainWindows(): number {
    let n = 0;
    for (const s of this.specs) n += s.windows.domainWindows;
    return n;
  }

  private intern(ip: string): InternedClient {
    let r = this.clients.get(ip);
    if (r === undefined) {
      r = new InternedClient(ip, this.clientRecords.length);
      this.clients.set(ip, r);
      this.clientRecords.push(r);
    }
    return r;
  }

  private advanceWatermark(watermark: number): void {
    if (watermark <= this.watermark) return;
    this.watermark = watermark;
    // Cool-downs are pruned when windows close (every slide), not on every advance: the watermark
    // moves on nearly every event, and a scan of every cool-down per event would let many alerting
    // domains slow the engine down quadratically.
    let closed = false;
    for (const s of this.specs) {
      const before = s.windows.openWindows;
      s.windows.closeThrough(watermark, this.closeWindow);
      if (s.windows.openWindows !== before) {
        closed = true;
        this.counters.windowsClosed += before - s.windows.openWindows;
        for (const r of s.rules) r.cooldowns.prune(watermark);
      }
    }
    if (closed) this.scoreRule?.cooldowns.prune(watermark);
  }

  /** Whether the current event enters suspicious-only windows: a signature, or encoded data under a mostly-encoded domain. */
  private suspicious(): boolean {
    const f = this.facts;
    if (f === null || f.benign !== null) return false;
    return f.signature !== null || (f.encoded && this.shortShare >= this.suspiciousShare);
  }

  private emit(alert: Alert): void {
    if (this.isMuted(alert)) {
      this.counters.muted++;
      return;
    }
    this.counters.alerts++;
    this.outputs.alert(alert);
  }

  private isMuted(alert: Alert): boolean {
    for (const m of this.mutes) {
      if (m.client !== alert.question.client || alert.time >= m.until) continue;
      if (m.domains === null || m.domains.match(alert.registeredDomain) !== null) return true;
    }
    return false;
  }

  private visitorFor(rules: DistinctSubdomainsRule[], suspiciousOnly: boolean): WindowVisitor {
    const scoreRule = this.scoreRule;
    if (rules.length === 0 && scoreRule === null) return () => {};
    return (window: DomainWindow, client: number, changed: number) => {
      const event = this.current!;
      for (const rule of rules) this.report(rule.check(event, window, client, changed));
      if (scoreRule === null || (changed & NEW_FOR_DOMAIN) === 0 || event.subdomain === '') return;
      const facts = (this.facts ??= queryFacts(event, this.classifiers, this.encodedCriteria, this.profiles.outlier(this.client!)));
      this.report(scoreRule.check(event, window, facts, suspiciousOnly));
      if (!suspiciousOnly) {
        const share = window.tally!.encodedShare;
        if (share > this.shortShare) this.shortShare = share;
      }
    };
  }

  private report(result: Alert | 'suppressed' | null): void {
    if (result === null) return;
    if (result === 'suppressed') this.counters.suppressed++;
    else this.emit(result);
  }
}

/** A client address and its number in window state (renumbered when the table is compacted). */
class InternedClient extends ClientActivity {
  constructor(address: string, public id: number) {
    super(address);
  }
}

/** How much a window is worth keeping: evidence first (signature hits, encoded names), then distinct names. */
function suspicion(w: DomainWindow): number {
  const t = w.tally;
  return w.distinctSubdomains + (t === null ? 0 : 10 * t.encoded + 1000 * t.signatureHits);
}

function toAggregate(w: DomainWindow, address: (id: number) => string): WindowAggregate {
  const shares = w.shares();
  const top = topClients(w, 1, address, shares)[0];
  return {
    window: w.spec.name,
    windowStart: w.start,
    windowEnd: w.end,
    registeredDomain: w.registeredDomain,
    queries: w.queries,
    distinctSubdomains: w.distinctSubdomains,
    distinctClients: shares.length,
    maxClientDistinctSubdomains: top?.distinctSubdomains ?? 0,
    topClient: top?.ip ?? '',
    alerted: w.alerted,
  };
}
