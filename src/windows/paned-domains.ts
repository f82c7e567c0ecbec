/**
 * Window state for sliding windows whose length is a whole number of slides
 * (the design's 10m/5m): one map per registered domain instead of one per
 * window, so an event costs one subdomain lookup however many windows
 * overlap.
 *
 *   pane = one slide of time; window starting at pane a = panes a … a+k−1
 *
 *   registered domain ──▶ PanedDomain
 *                           askers: subdomain ──▶ client·256 + pane mask      (one client asked it)
 *                                              └▶ { mask, client ──▶ pane mask } (several did)
 *                           windows: its open windows, each with running counts
 *
 * A pane mask has one bit per pane slot (pane index mod 8) in which the
 * subdomain (or that client's query of it) was seen. A subdomain is new to a
 * window exactly when its mask has no bit among the window's panes. Slots are
 * reused only after the pane's last window has closed, when its bit is
 * cleared from every entry: this needs every pane that can still receive an
 * event to fit in 8 slots, which `fitsPanes` checks (else windowed-domains.ts
 * is used). Past the exact limit a domain switches to per-window sketches, as
 * windowed-domains.ts does.
 */
import type { DnsEvent } from '../event.js';
import { DistinctCounter } from './distinct-counter.js';
import { NEW_FOR_CLIENT, NEW_FOR_DOMAIN, type ClientShare, type DomainWindowState, type DomainWindowStore, type WindowVisitor } from './domain-window.js';
import type { WindowSpec } from './window-spec.js';

const SLOTS = 8;
const APEX = '';
/** Client ids below this pack with an 8-bit mask into one small integer. */
const PACKABLE_CLIENTS = 1 << 22;

interface SharedAskers {
  mask: number;
  clients: Map<number, number>;
}

type Askers = number | SharedAskers;

/** Whether a spec's live panes (window panes, plus lateness, plus the pane being filled) fit the slot ring. */
export function fitsPanes(spec: WindowSpec, latenessMs: number): boolean {
  if (spec.lengthMs % spec.slideMs !== 0) return false;
  const panes = spec.lengthMs / spec.slideMs;
  return panes + Math.ceil(latenessMs / spec.slideMs) + 1 <= SLOTS - 1;
}

class PanedWindow implements DomainWindowState {
  queries = 0;
  distinct = 0;
  crossed = 0;
  clientCrossed: Map<number, number> | null = null;
  alerted = false;
  /** Running per-client distinct counts, only for per-client rules. */
  readonly clientCounts: Map<number, number> | null;
  /** Per-window counting once the domain passed the exact limit. */
  sketch: DistinctCounter | null = null;
  sketchShares: Map<number, number> | null = null;
  samplesKept: string[] = [];

  constructor(
    readonly spec: WindowSpec,
    readonly domain: PanedDomain,
    readonly start: number,
    /** Bits of this window's panes in the slot ring. */
    readonly mask: number,
    trackClients: boolean,
  ) {
    this.clientCounts = trackClients ? new Map() : null;
  }

  get registeredDomain(): string {
    return this.domain.registeredDomain;
  }

  get end(): number {
    return this.start + this.spec.lengthMs;
  }

  get distinctSubdomains(): number {
    return this.sketch === null ? this.distinct : this.sketch.size;
  }

  get distinctExact(): boolean {
    return this.sketch === null;
  }

  countClient(client: number): void {
    if (this.sketchShares !== null) this.sketchShares.set(client, (this.sketchShares.get(client) ?? 0) + 1);
    if (this.clientCounts !== null) this.clientCounts.set(client, (this.clientCounts.get(client) ?? 0) + 1);
  }

  clientDistinct(client: number): number {
    if (this.clientCounts !== null) return this.clientCounts.get(client) ?? 0;
    return this.shares().find((s) => s.client === client)?.distinctSubdomains ?? 0;
  }

  shares(): ClientShare[] {
    const byClient = new Map<number, number>();
    const credit = (client: number, n: number): void => {
      byClient.set(client, (byClient.get(client) ?? 0) + n);
    };
    if (this.sketchShares !== null) {
      for (const [client, n] of this.sketchShares) credit(client, n);
    } else {
      for (const [sub, askers] of this.domain.askers!) {
        const n = sub === APEX ? 0 : 1;
        if (typeof askers === 'number') {
          if (askers & this.mask) credit(Math.floor(askers / 256), n);
        } else {
          for (const [client, m] of askers.clients) if (m & this.mask) credit(client, n);
        }
      }
    }
    return [...byClient].map(([client, distinctSubdomains]) => ({ client, distinctSubdomains }));
  }

  samples(n: number, client?: number): string[] {
    if (this.sketch !== null) return this.samplesKept.slice(0, n);
    const out: string[] = [];
    for (const [sub, askers] of this.domain.askers!) {
      if (out.length >= n) break;
      if (sub === APEX) continue;
      let seen: boolean;
      if (typeof askers === 'number') seen = (askers & this.mask) !== 0 && (client === undefined || Math.floor(askers / 256) === client);
      else seen = client === undefined ? (askers.mask & this.mask) !== 0 : ((askers.clients.get(client) ?? 0) & this.mask) !== 0;
      if (seen) out.push(sub);
    }
    return out;
  }
}

class PanedDomain {
  /** null once the domain passed the exact limit: its windows count with sketches. */
  askers: Map<string, Askers> | null = new Map();
  readonly windows: PanedWindow[] = [];
  constructor(readonly registeredDomain: string) {}
}

export class PanedDomains implements DomainWindowStore {
  private readonly byDomain = new Map<string, PanedDomain>();
  private readonly byStart = new Map<number, PanedWindow[]>();
  private nextEnd = Infinity;
  private readonly panes: number;
  domainWindows = 0;

  constructor(readonly spec: WindowSpec, private readonly exactLimit: number, private readonly trackClients: boolean) {
    this.panes = spec.lengthMs / spec.slideMs;
  }

  add(event: DnsEvent, client: number, watermark: number, visit: WindowVisitor): number {
    const slide = this.spec.slideMs;
    const pane = Math.floor(event.time / slide);
    // The pane's last window (starting at the pane) ends last: if it is closed, so are the others.
    if ((pane + this.panes) * slide <= watermark) return 0;
    const name = event.registeredDomain;
    let domain = this.byDomain.get(name);
    if (domain === undefined) {
      domain = new PanedDomain(name);
      this.byDomain.set(name, domain);
    }
    const windows = this.windowsFor(domain, pane, watermark);
    const sub = event.subdomain;
    for (let i = 0; i < windows.length; i++) windows[i]!.queries++;

    const askers = domain.askers;
    if (askers === null) return this.addToSketches(windows, sub, client, visit);
    const bit = 1 << (pane % SLOTS);
    const before = askers.get(sub);
    let domainMask = 0;
    let clientMask = 0;
    if (before === undefined) {
      askers.set(sub, client < PACKABLE_CLIENTS ? client * 256 + bit : { mask: bit, clients: new Map([[client, bit]]) });
    } else if (typeof before === 'number') {
      const owner = Math.floor(before / 256);
      domainMask = before & 255;
      if (owner === client) {
        if (domainMask & bit) return windows.length;
        clientMask = domainMask;
        askers.set(sub, before | bit);
      } else {
        askers.set(sub, { mask: domainMask | bit, clients: new Map([[owner, domainMask], [client, bit]]) });
      }
    } else {
      domainMask = before.mask;
      clientMask = before.clients.get(client) ?? 0;
      if (clientMask & bit) return windows.length;
      before.mask = domainMask | bit;
      before.clients.set(client, clientMask | bit);
    }
    if (sub === APEX) return windows.length;
    for (let i = 0; i < windows.length; i++) {
      const w = windows[i]!;
      let changed = 0;
      if ((domainMask & w.mask) === 0) {
        w.distinct++;
        changed = NEW_FOR_DOMAIN;
      }
      if ((clientMask & w.mask) === 0) {
        changed |= NEW_FOR_CLIENT;
        if (w.clientCounts !== null) w.clientCounts.set(client, (w.clientCounts.get(client) ?? 0) + 1);
      }
      if (changed !== 0) visit(w, client, changed);
    }
    if (askers.size > this.exactLimit) this.switchToSketches(domain);
    return windows.length;
  }

  closeThrough(watermark: number, onClose: (window: DomainWindowState) => void): void {
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
        this.free(w);
      }
      this.domainWindows -= closing.length;
    }
  }

  get openWindows(): number {
    return this.byStart.size;
  }

  /** The domain's open windows containing `pane`, opening the missing ones. */
  private windowsFor(domain: PanedDomain, pane: number, watermark: number): PanedWindow[] {
    const out: PanedWindow[] = [];
    const slide = this.spec.slideMs;
    // Latest window first, the order windowed-domains.ts visits them in (it decides which of two windows
    // crossing on the same event alerts and which is suppressed).
    for (let first = pane; first > pane - this.panes; first--) {
      const start = first * slide;
      if (start + this.spec.lengthMs <= watermark) continue;
      let w: PanedWindow | undefined;
      for (let i = 0; i < domain.windows.length; i++) {
        if (domain.windows[i]!.start === start) {
          w = domain.windows[i];
          break;
        }
      }
      if (w === undefined) {
        let mask = 0;
        for (let p = first; p < first + this.panes; p++) mask |= 1 << (p % SLOTS);
        w = new PanedWindow(this.spec, domain, start, mask, this.trackClients);
        if (domain.askers === null) {
          w.sketch = new DistinctCounter(0);
          w.sketchShares = new Map();
        }
        domain.windows.push(w);
        let list = this.byStart.get(start);
        if (list === undefined) {
          list = [];
          this.byStart.set(start, list);
          const end = start + this.spec.lengthMs;
          if (end < this.nextEnd) this.nextEnd = end;
        }
        list.push(w);
        this.domainWindows++;
      }
      out.push(w);
    }
    return out;
  }

  /** The window's first pane dies with it (every window holding that pane starts earlier): clear its bit everywhere. */
  private free(w: PanedWindow): void {
    const domain = w.domain;
    domain.windows.splice(domain.windows.indexOf(w), 1);
    if (domain.windows.length === 0) {
      this.byDomain.delete(domain.registeredDomain);
      return;
    }
    const askers = domain.askers;
    if (askers === null) return;
    const keep = ~(1 << ((w.start / this.spec.slideMs) % SLOTS)) & 255;
    for (const [sub, a] of askers) {
      if (typeof a === 'number') {
        const m = a & 255 & keep;
        if (m === 0) askers.delete(sub);
        else askers.set(sub, a - (a & 255) + m);
      } else {
        a.mask &= keep;
        if (a.mask === 0) {
          askers.delete(sub);
          continue;
        }
        for (const [client, m] of a.clients) {
          if ((m & keep) === 0) a.clients.delete(client);
          else a.clients.set(client, m & keep);
        }
      }
    }
  }

  private addToSketches(windows: PanedWindow[], sub: string, client: number, visit: WindowVisitor): number {
    if (sub === APEX) return windows.length;
    for (const w of windows) {
      // Past the exact limit, who asked what is no longer kept: a new subdomain is credited to the client asking it.
      if (!w.sketch!.add(sub)) continue;
      w.countClient(client);
      visit(w, client, NEW_FOR_DOMAIN | NEW_FOR_CLIENT);
    }
    return windows.length;
  }

  private switchToSketches(domain: PanedDomain): void {
    for (const w of domain.windows) {
      w.samplesKept = w.samples(16);
      w.sketchShares = new Map(w.shares().map((s) => [s.client, s.distinctSubdomains]));
      const sketch = new DistinctCounter(0);
      for (const [sub, a] of domain.askers!) {
        if (sub === APEX) continue;
        const mask = typeof a === 'number' ? a & 255 : a.mask;
        if (mask & w.mask) sketch.add(sub);
      }
      w.sketch = sketch;
    }
    domain.askers = null;
  }
}
