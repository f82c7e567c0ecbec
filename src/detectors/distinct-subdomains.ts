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
import { extractFeatures, newQueryFeatures } from '../features/query-features.js';
import { NEW_FOR_CLIENT, NEW_FOR_DOMAIN, type DomainWindow } from '../windows/windowed-domains.js';
import type { WindowSpec } from '../windows/window-spec.js';
import { Cooldowns } from './cooldown.js';

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

/** Client ids are the engine's interned numbers; rules need the address back for alerts. */
export type ClientAddress = (client: number) => string;

export class DistinctSubdomainsRule {
  readonly type = 'distinct_subdomains';
  /** Per key; the engine prunes and checkpoints it. */
  readonly cooldowns: Cooldowns;

  constructor(readonly options: DistinctSubdomainsRuleOptions, private readonly address: ClientAddress) {
    this.cooldowns = new Cooldowns(options.cooldownMs);
  }

  /** Returns the alert to emit, 'suppressed', or null when this event crossed nothing. */
  check(event: DnsEvent, window: DomainWindow, client: number, changed: number): Alert | 'suppressed' | null {
    const o = this.options;
    if (o.key === 'domain') {
      if ((changed & NEW_FOR_DOMAIN) === 0 || window.crossed & o.bit) return null;
      const count = window.distinctSubdomains;
      if (count < o.threshold) return null;
      window.crossed |= o.bit;
      return this.crossing(event, window, window.registeredDomain, count, window.distinctExact, undefined);
    }
    if ((changed & NEW_FOR_CLIENT) === 0) return null;
    const count = window.clientDistinct(client);
    if (count < o.threshold) return null;
    const crossed = (window.clientCrossed ??= new Map());
    const bits = crossed.get(client) ?? 0;
    if (bits & o.bit) return null;
    crossed.set(client, bits | o.bit);
    const key = `${event.clientIp} ${window.registeredDomain}`;
    return this.crossing(event, window, key, count, window.distinctExact, client);
  }


  private crossing(
    event: DnsEvent,
    window: DomainWindow,
    key: string,
    count: number,
    exact: boolean,
    client: number | undefined,
  ): Alert | 'suppressed' {
    window.alerted = true;
    if (this.cooldowns.suppresses(key, event.time)) return 'suppressed';
    return this.buildAlert(event, window, key, count, exact, client);
  }

  private buildAlert(
    event: DnsEvent,
    window: DomainWindow,
    key: string,
    count: number,
    exact: boolean,
    client: number | undefined,
  ): Alert {
    const o = this.options;
    const samples = window.samples(o.samples, client);
    if (!samples.includes(event.subdomain)) {
      if (samples.length >= o.samples && samples.length > 0) samples.pop();
      samples.push(event.subdomain);
    }
    const who = client === undefined ? '' : ` from client ${event.clientIp}`;
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
      queries: window.queries,
      clients: topClients(window, 5, this.address),
      samples,
      question: { name: event.qname, type: event.qtype, client: event.clientIp },
      features: extractFeatures(event, newQueryFeatures()),
      position: event.position,
      reason:
        `${count} distinct subdomains of ${window.registeredDomain}${who} within the ${o.spec.name} window ` +
        `starting ${new Date(window.start).toISOString()} reached the threshold of ${o.threshold}`,
    };
    if (client !== undefined) alert.clientIp = event.clientIp;
    return alert;
  }
}

/** The window's clients with the most distinct subdomains (then by address, for a stable order). */
export function topClients(window: DomainWindow, n: number, address: ClientAddress, shares = window.shares()): AlertClient[] {
  const all: AlertClient[] = shares.map((s) => ({ ip: address(s.client), distinctSubdomains: s.distinctSubdomains }));
  all.sort((a, b) => b.distinctSubdomains - a.distinctSubdomains || (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0));
  return all.slice(0, n);
}
