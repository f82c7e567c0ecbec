/**
 * Per-window, per-registered-domain state for one window spec.
 *
 *   registered domain ──▶ its open windows (≤ ⌈length/slide⌉) ──▶ DomainWindow
 *   window start      ──▶ the DomainWindows to close when the watermark passes its end
 *
 *   DomainWindow
 *     owners:         subdomain ──▶ the client id that asked it, or the set of ids when several did (the exact distinct set)
 *     clients:        client id ──▶ { queries, distinct subdomains, rules crossed }
 *
 * Per-client distinct counts come from who asked each subdomain, not from a
 * set per client: there is a (client, domain, window) triple for about every
 * other query in busy traffic, and one object per triple cost three times the
 * rest of the engine. Keyed by domain first, so state can later be partitioned
 * by domain across workers without splitting any window's counts.
 */
import type { DnsEvent } from '../event.js';
import { DistinctCounter } from './distinct-counter.js';
import { latestWindowStart, type WindowSpec } from './window-spec.js';

/** One client's share of a domain window. */
export interface ClientCounts {
  queries: number;
  distinct: number;
  /** Bit per rule that has crossed for this client in this window. */
  crossed: number;
}

/** `DomainWindow.add` result bits. */
export const NEW_FOR_DOMAIN = 1;
export const NEW_FOR_CLIENT = 2;

export class DomainWindow {
  queries = 0;
  /** Exact distinct subdomains with their asking client, until `exactLimit`; then null and `sketch` counts. */
  private owners: Map<string, number | Set<number>> | null = new Map();
  private sketch: DistinctCounter | null = null;
  /** Evidence kept from the exact phase once the sketch takes over. */
  private samplesKept: string[] = [];
  readonly clients = new Map<number, ClientCounts>();
  /** Bit per rule that has crossed for this domain in this window. */
  crossed = 0;
  alerted = false;

  constructor(
    readonly spec: WindowSpec,
    readonly registeredDomain: string,
    readonly start: number,
    private readonly exactLimit: number,
  ) {}

  get end(): number {
    return this.start + this.spec.lengthMs;
  }

  get distinctSubdomains(): number {
    return this.owners !== null ? this.owners.size : this.sketch!.size;
  }

  get distinctExact(): boolean {
    return this.owners !== null;
  }

  get distinctClients(): number {
    return this.clients.size;
  }

  /** Records one query; returns bit 1 if the subdomain is new to the window, bit 2 if new for this client. */
  add(sub: string, client: number): number {
    this.queries++;
    let counts = this.clients.get(client);
    if (counts === undefined) {
      counts = { queries: 0, distinct: 0, crossed: 0 };
      this.clients.set(client, counts);
    }
    counts.queries++;
    // A query for the apex itself carries no encoded data: it counts as a query, not a distinct subdomain.
    if (sub.length === 0) return 0;
    const owners = this.owners;
    if (owners === null) {
      // Past the exact limit, who asked what is no longer kept: a new subdomain is credited to the client asking it.
      if (!this.sketch!.add(sub)) return 0;
      counts.distinct++;
      return NEW_FOR_DOMAIN | NEW_FOR_CLIENT;
    }
    const owner = owners.get(sub);
    if (owner === undefined) {
      owners.set(sub, client);
      counts.distinct++;
      if (owners.size > this.exactLimit) this.switchToSketch(owners);
      return NEW_FOR_DOMAIN | NEW_FOR_CLIENT;
    }
    if (owner === client) return 0;
    if (typeof owner === 'number') {
      owners.set(sub, new Set([owner, client]));
    } else {
      if (owner.has(client)) return 0;
      owner.add(client);
    }
    counts.distinct++;
    return NEW_FOR_CLIENT;
  }

  /** Up to `n` subdomains in the order first seen; with a client, only that client's. */
  samples(n: number, client?: number): string[] {
    const out: string[] = [];
    if (this.owners === null) return this.samplesKept.slice(0, n);
    for (const [sub, owner] of this.owners) {
      if (out.length >= n) break;
      if (client === undefined || owner === client || (typeof owner !== 'number' && owner.has(client))) out.push(sub);
    }
    return out;
  }

  private switchToSketch(owners: Map<string, number | Set<number>>): void {
    this.samplesKept = this.samples(16);
    const sketch = new DistinctCounter(0);
    for (const sub of owners.keys()) sketch.add(sub);
    this.sketch = sketch;
    this.owners = null;
  }
}

/** Called once per (event, open window) with what the event changed (`add`'s bits). */
export type WindowVisitor = (window: DomainWindow, client: number, changed: number) => void;

export class WindowedDomains {
  private readonly byDomain = new Map<string, DomainWindow[]>();
  private readonly byStart = new Map<number, DomainWindow[]>();
  /** Smallest end among open windows; closing is skipped until the watermark reaches it. */
  private nextEnd = Infinity;
  domainWindows = 0;

  constructor(readonly spec: WindowSpec, private readonly exactLimit: number) {}

  /**
   * Applies the event (from the client with id `client`) to each of its windows that is still open
   * (end > watermark). Returns how many windows it was applied to.
   */
  add(event: DnsEvent, client: number, watermark: number, visit: WindowVisitor): number {
    const { lengthMs, slideMs } = this.spec;
    const domain = event.registeredDomain;
    let windows = this.byDomain.get(domain);
    let applied = 0;
    for (let start = latestWindowStart(event.time, this.spec); start > event.time - lengthMs; start -= slideMs) {
      if (start + lengthMs <= watermark) break;
      let w: DomainWindow | undefined;
      if (windows !== undefined) {
        for (let i = 0; i < windows.length; i++) {
          if (windows[i]!.start === start) {
            w = windows[i];
            break;
          }
        }
      }
      if (w === undefined) {
        if (windows === undefined) {
          windows = [];
          this.byDomain.set(domain, windows);
        }
        w = this.open(domain, start);
        windows.push(w);
      }
      const changed = w.add(event.subdomain, client);
      if (changed !== 0) visit(w, client, changed);
      applied++;
    }
    return applied;
  }

  /** Closes every window whose end ≤ watermark, oldest first, handing each domain's state to `onClose` before freeing it. */
  closeThrough(watermark: number, onClose: (window: DomainWindow) => void): void {
    if (watermark < this.nextEnd) return;
    const starts = [...this.byStart.keys()].sort((a, b) => a - b);
    this.nextEnd = Infinity;
    for (const start of starts) {
      const end = start + this.spec.lengthMs;
      if (end > watermark) {
        if (end < this.nextEnd) this.nextEnd = end;
        continue;
      }
      const closing = this.byStart.get(start)!;
      this.byStart.delete(start);
      for (const w of closing) {
        onClose(w);
        const list = this.byDomain.get(w.registeredDomain)!;
        if (list.length === 1) this.byDomain.delete(w.registeredDomain);
        else list.splice(list.indexOf(w), 1);
      }
      this.domainWindows -= closing.length;
    }
  }

  get openWindows(): number {
    return this.byStart.size;
  }

  private open(domain: string, start: number): DomainWindow {
    const w = new DomainWindow(this.spec, domain, start, this.exactLimit);
    let list = this.byStart.get(start);
    if (list === undefined) {
      list = [];
      this.byStart.set(start, list);
      const end = start + this.spec.lengthMs;
      if (end < this.nextEnd) this.nextEnd = end;
    }
    list.push(w);
    this.domainWindows++;
    return w;
  }
}
