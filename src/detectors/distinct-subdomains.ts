/**
 * The design's rule, done at the crossing: alert on the query that brings a
 * window's distinct-subdomain count (per registered domain, or per client and
 * registered domain) to the threshold — while the window is still open.
 *
 * Duplicate rule: overlapping windows of one burst cross one after another.
 * After an alert for (rule, key), further crossings for the same rule and key
 * whose event time is within the cool-down (default: the window length) are
 * suppressed and counted, not emitted. A tunnel that keeps running therefore
 * alerts once per cool-down, each alert carrying its window's evidence.
 */
import type { Alert, AlertClient } from '../alerts/alert.js';
import { alertId } from '../alerts/alert.js';
import type { DnsEvent } from '../event.js';
import type { ClientWindow, DomainWindow } from '../windows/windowed-domains.js';
import type { WindowSpec } from '../windows/window-spec.js';

export interface DistinctSubdomainsRuleOptions {
  name: string;
  key: 'domain' | 'client_domain';
  spec: WindowSpec;
  threshold: number;
  cooldownMs: number;
  samples: number;
  /** Bit of this rule in the per-window `crossed` masks. */
  bit: number;
}

export class DistinctSubdomainsRule {
  readonly type = 'distinct_subdomains';
  private readonly lastAlert = new Map<string, number>();

  constructor(readonly options: DistinctSubdomainsRuleOptions) {}

  /** Returns the alert to emit, 'suppressed', or null when this event crossed nothing. */
  check(event: DnsEvent, window: DomainWindow, client: ClientWindow, newSubdomain: boolean, newClientSubdomain: boolean): Alert | 'suppressed' | null {
    const o = this.options;
    const perClient = o.key === 'client_domain';
    const isNew = perClient ? newClientSubdomain : newSubdomain;
    if (!isNew) return null;
    const holder = perClient ? client : window;
    if (holder.crossed & o.bit) return null;
    const count = perClient ? client.distinctSubdomains : window.subdomains.size;
    if (count < o.threshold) return null;
    holder.crossed |= o.bit;
    window.alerted = true;

    const key = perClient ? `${event.clientIp} ${window.registeredDomain}` : window.registeredDomain;
    const last = this.lastAlert.get(key);
    // abs(): a crossing in an overlapping window may arrive slightly out of event-time order.
    if (last !== undefined && Math.abs(event.time - last) < o.cooldownMs) return 'suppressed';
    this.lastAlert.set(key, event.time);
    return this.buildAlert(event, window, perClient || window.subdomains.isExact, count, perClient ? client.queries : window.queries, key);
  }

  /** Forgets cool-downs that ended before `watermark`, keeping the table bounded by active keys. */
  prune(watermark: number): void {
    for (const [key, time] of this.lastAlert) if (time + this.options.cooldownMs < watermark) this.lastAlert.delete(key);
  }

  get trackedKeys(): number {
    return this.lastAlert.size;
  }

  private buildAlert(event: DnsEvent, window: DomainWindow, exact: boolean, count: number, queries: number, key: string): Alert {
    const o = this.options;
    const perClient = o.key === 'client_domain';
    const samples = (perClient ? window.client(event.clientIp) : window.subdomains).samples(o.samples);
    if (!samples.includes(event.subdomain)) {
      if (samples.length >= o.samples && samples.length > 0) samples.pop();
      samples.push(event.subdomain);
    }
    const who = perClient ? ` from client ${event.clientIp}` : '';
    const alert: Alert = {
      id: alertId(o.name, key, o.spec.name, window.start),
      rule: o.name,
      ruleType: this.type,
      time: event.time,
      created: Date.now(),
      registeredDomain: window.registeredDomain,
      window: { name: o.spec.name, start: window.start, end: window.end },
      threshold: o.threshold,
      distinctSubdomains: count,
      distinctExact: exact,
      queries,
      clients: topClients(window, 5),
      samples,
      question: { name: event.qname, type: event.qtype, client: event.clientIp },
      position: event.position,
      reason:
        `${count} distinct subdomains of ${window.registeredDomain}${who} within the ${o.spec.name} window ` +
        `starting ${new Date(window.start).toISOString()} reached the threshold of ${o.threshold}`,
    };
    if (perClient) alert.clientIp = event.clientIp;
    return alert;
  }
}

function topClients(window: DomainWindow, n: number): AlertClient[] {
  const all: AlertClient[] = [];
  for (const [ip, c] of window.clients) all.push({ ip, queries: c.queries, distinctSubdomains: c.distinctSubdomains });
  all.sort((a, b) => b.distinctSubdomains - a.distinctSubdomains || b.queries - a.queries || (a.ip < b.ip ? -1 : 1));
  return all.slice(0, n);
}
