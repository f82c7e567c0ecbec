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
import { WindowedDomains, type DomainWindow, type WindowVisitor } from './windows/windowed-domains.js';
import { TunnelwatchError } from './errors.js';

export interface EngineOutputs {
  alert(alert: Alert): void;
  /** Closed windows' per-domain summaries; omit to skip building them. */
  aggregate?(row: WindowAggregate): void;
  /** Events behind the watermark. */
  late?(event: DnsEvent): void;
}

export interface EngineCounters extends DetectorCounters {
  /** Events behind the watermark (still applied to any of their windows that were open). */
  late: number;
  /** Late events all of whose windows had already closed: counted and reported, not applied. */
  lateUnapplied: number;
  windowsClosed: number;
}

interface SpecState {
  windows: WindowedDomains;
  rules: DistinctSubdomainsRule[];
  visit: WindowVisitor;
}

export class DetectionEngine {
  readonly counters: EngineCounters = { eventsIn: 0, alerts: 0, suppressed: 0, late: 0, lateUnapplied: 0, windowsClosed: 0 };
  private readonly specs: SpecState[] = [];
  private readonly latenessMs: number;
  private maxEventTime = -Infinity;
  private current: DnsEvent | null = null;
  /**
   * Client addresses interned to small integers: window state keys per-client
   * counts by number, so each event hashes its client address once.
   */
  private readonly clientIds = new Map<string, number>();
  private readonly clientAddresses: string[] = [];
  private readonly address = (id: number): string => this.clientAddresses[id] ?? '';
  private readonly closeWindow: (w: DomainWindow) => void;

  watermark = -Infinity;

  constructor(config: Config, private readonly outputs: EngineOutputs) {
    this.latenessMs = parseDuration(config.watermark.lateness);
    const specsByName = new Map<string, WindowSpec>();
    for (const w of config.windows) {
      const spec = windowSpec(parseDuration(w.length), parseDuration(w.slide));
      specsByName.set(spec.name, spec);
    }
    const firstSpec = [...specsByName.values()][0]!;
    const rulesBySpec = new Map<string, DistinctSubdomainsRule[]>();
    let bit = 1;
    for (const r of config.rules) {
      if (!r.enabled) continue;
      const spec = r.window === undefined ? firstSpec : specsByName.get(r.window);
      if (spec === undefined) {
        throw new TunnelwatchError('TW_CONFIG', `rule ${r.name}: window ${r.window} is not one of the configured windows (${[...specsByName.keys()].join(', ')})`);
      }
      if (bit > 2 ** 30) throw new TunnelwatchError('TW_CONFIG', 'at most 31 rules are supported');
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
    for (const spec of specsByName.values()) {
      const rules = rulesBySpec.get(spec.name) ?? [];
      const trackClients = rules.some((r) => r.options.key === 'client_domain');
      this.specs.push({ windows: new WindowedDomains(spec, config.state.exactDistinctLimit, trackClients), rules, visit: this.visitorFor(rules) });
    }
    const aggregate = outputs.aggregate;
    this.closeWindow = aggregate === undefined ? () => {} : (w) => aggregate(toAggregate(w, this.address));
  }

  process(event: DnsEvent): void {
    this.counters.eventsIn++;
    const isLate = event.time < this.watermark;
    this.current = event;
    const client = this.clientId(event.clientIp);
    let applied = 0;
    for (const s of this.specs) applied += s.windows.add(event, client, this.watermark, s.visit);
    this.current = null;
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

  get openDomainWindows(): number {
    let n = 0;
    for (const s of this.specs) n += s.windows.domainWindows;
    return n;
  }

  private clientId(ip: string): number {
    let id = this.clientIds.get(ip);
    if (id === undefined) {
      id = this.clientAddresses.length;
      this.clientIds.set(ip, id);
      this.clientAddresses.push(ip);
    }
    return id;
  }

  private advanceWatermark(watermark: number): void {
    if (watermark <= this.watermark) return;
    this.watermark = watermark;
    for (const s of this.specs) {
      const before = s.windows.openWindows;
      s.windows.closeThrough(watermark, this.closeWindow);
      if (s.windows.openWindows !== before) {
        this.counters.windowsClosed += before - s.windows.openWindows;
        for (const r of s.rules) r.prune(watermark);
      }
    }
  }

  private visitorFor(rules: DistinctSubdomainsRule[]): WindowVisitor {
    if (rules.length === 0) return () => {};
    return (window: DomainWindow, client: number, changed: number) => {
      const event = this.current!;
      for (const rule of rules) {
        const result = rule.check(event, window, client, changed);
        if (result === null) continue;
        if (result === 'suppressed') {
          this.counters.suppressed++;
          continue;
        }
        this.counters.alerts++;
        this.outputs.alert(result);
      }
    };
  }
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
