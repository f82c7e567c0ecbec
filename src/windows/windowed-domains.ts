/**
 * Per-window, per-registered-domain state for one window spec.
 *
 *   registered domain ──▶ its open windows (≤ ⌈length/slide⌉, by start) ──▶ DomainWindow
 *                                                                            ├─ queries, distinct subdomains
 *                                                                            └─ client ──▶ queries, distinct subdomains
 *   window start ──▶ the DomainWindows to close when the watermark passes its end
 *
 * Keyed by domain first: one hash lookup per event finds all of the domain's
 * windows, and state can later be partitioned by domain across workers
 * without splitting any window's counts.
 */
import type { DnsEvent } from '../event.js';
import { DistinctCounter } from './distinct-counter.js';
import { latestWindowStart, type WindowSpec } from './window-spec.js';

/**
 * One client's share of a domain window. Most clients ask a domain for one
 * or two names, so the first name is held inline and a counter is only made
 * for the second distinct one: this is the most numerous object in the state.
 */
export class ClientWindow {
  queries = 0;
  /** Bit per rule that has crossed for this client in this window. */
  crossed = 0;
  private first: string | null = null;
  private more: DistinctCounter | null = null;

  constructor(private readonly exactLimit: number) {}

  addSubdomain(sub: string): boolean {
    if (this.more !== null) return this.more.add(sub);
    if (this.first === null) {
      this.first = sub;
      return true;
    }
    if (this.first === sub) return false;
    this.more = new DistinctCounter(this.exactLimit);
    this.more.add(this.first);
    return this.more.add(sub);
  }

  get distinctSubdomains(): number {
    return this.more !== null ? this.more.size : this.first === null ? 0 : 1;
  }

  samples(n: number): string[] {
    if (this.more !== null) return this.more.samples(n);
    return this.first === null || n === 0 ? [] : [this.first];
  }
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
      c = new ClientWindow(this.exactLimit);
      this.clients.set(ip, c);
    }
    return c;
  }
}

/** Called once per (event, open window) with what the event changed. */
export type WindowVisitor = (window: DomainWindow, client: ClientWindow, newSubdomain: boolean, newClientSubdomain: boolean) => void;

export class WindowedDomains {
  private readonly byDomain = new Map<string, DomainWindow[]>();
  private readonly byStart = new Map<number, DomainWindow[]>();
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
      w.queries++;
      const c = w.client(event.clientIp);
      c.queries++;
      // A query for the apex itself carries no encoded data: it counts as a query, not a distinct subdomain.
      const isNew = sub.length > 0 && w.subdomains.add(sub);
      const isNewForClient = sub.length > 0 && c.addSubdomain(sub);
      visit(w, c, isNew, isNewForClient);
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
