/**
 * Per-window, per-registered-domain state for one window spec.
 *
 *   open windows (by start) ──▶ registered domain ──▶ DomainWindow
 *                                                       ├─ queries, distinct subdomains
 *                                                       └─ client ──▶ queries, distinct subdomains
 *
 * An event updates every open window that contains it. A window closes once
 * the watermark passes its end: its aggregates go out and its state is freed.
 * State is keyed by registered domain first, so it can be partitioned by
 * domain across workers later without splitting any window's counts.
 */
import type { DnsEvent } from '../event.js';
import { DistinctCounter } from './distinct-counter.js';
import { latestWindowStart, type WindowSpec } from './window-spec.js';

export interface ClientWindow {
  queries: number;
  subdomains: DistinctCounter;
  /** Bit per rule that has crossed for this client in this window. */
  crossed: number;
}

export class DomainWindow {
  queries = 0;
  readonly subdomains: DistinctCounter;
  readonly clients = new Map<string, ClientWindow>();
  /** Bit per rule that has crossed for this domain in this window. */
  crossed = 0;
  alerted = false;

  constructor(
    readonly spec: WindowSpec,
    readonly registeredDomain: string,
    readonly start: number,
    private readonly exactLimit: number,
  ) {
    this.subdomains = new DistinctCounter(exactLimit);
  }

  get end(): number {
    return this.start + this.spec.lengthMs;
  }

  client(ip: string): ClientWindow {
    let c = this.clients.get(ip);
    if (c === undefined) {
      c = { queries: 0, subdomains: new DistinctCounter(this.exactLimit), crossed: 0 };
      this.clients.set(ip, c);
    }
    return c;
  }
}

/** Called once per (event, open window) with what the event changed. */
export type WindowVisitor = (window: DomainWindow, client: ClientWindow, newSubdomain: boolean, newClientSubdomain: boolean) => void;

export class WindowedDomains {
  private readonly open = new Map<number, Map<string, DomainWindow>>();
  /** Smallest end among open windows; closing is skipped until the watermark reaches it. */
  private nextEnd = Infinity;
  domainWindows = 0;

  constructor(readonly spec: WindowSpec, private readonly exactLimit: number) {}

  /**
   * Applies the event to each of its windows that is still open (end > watermark).
   * Returns how many windows it was applied to.
   */
  add(event: DnsEvent, watermark: number, visit: WindowVisitor): number {
    const { lengthMs, slideMs } = this.spec;
    const domain = event.registeredDomain;
    const sub = event.subdomain;
    let applied = 0;
    for (let start = latestWindowStart(event.time, this.spec); start > event.time - lengthMs; start -= slideMs) {
      const end = start + lengthMs;
      if (end <= watermark) break;
      let byDomain = this.open.get(start);
      if (byDomain === undefined) {
        byDomain = new Map();
        this.open.set(start, byDomain);
        if (end < this.nextEnd) this.nextEnd = end;
      }
      let w = byDomain.get(domain);
      if (w === undefined) {
        w = new DomainWindow(this.spec, domain, start, this.exactLimit);
        byDomain.set(domain, w);
        this.domainWindows++;
      }
      w.queries++;
      const c = w.client(event.clientIp);
      c.queries++;
      // Names with no subdomain (the apex itself) carry no encoded data: count the query, not a distinct subdomain.
      const isNew = sub.length > 0 && w.subdomains.add(sub);
      const isNewForClient = sub.length > 0 && c.subdomains.add(sub);
      visit(w, c, isNew, isNewForClient);
      applied++;
    }
    return applied;
  }

  /** Closes every window whose end ≤ watermark, oldest first, handing each domain's state to `onClose` before freeing it. */
  closeThrough(watermark: number, onClose: (window: DomainWindow) => void): void {
    if (watermark < this.nextEnd) return;
    const starts = [...this.open.keys()].sort((a, b) => a - b);
    this.nextEnd = Infinity;
    for (const start of starts) {
      const end = start + this.spec.lengthMs;
      if (end > watermark) {
        if (end < this.nextEnd) this.nextEnd = end;
        continue;
      }
      const byDomain = this.open.get(start)!;
      this.open.delete(start);
      for (const w of byDomain.values()) onClose(w);
      this.domainWindows -= byDomain.size;
    }
  }

  get openWindows(): number {
    return this.open.size;
  }
}
