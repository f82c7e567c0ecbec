/**
 * Per-window, per-registered-domain state for one window spec.
 *
 *   registered domain ──▶ its open windows (≤ ⌈length/slide⌉) ──▶ DomainWindow
 *   window start      ──▶ the DomainWindows to close when the watermark passes its end
 *
 *   DomainWindow: subdomain ──▶ its position (order first seen) ──▶ the first client that asked it,
 *                 and a log of further (position, client) pairs, collapsed to distinct pairs when read
 *                 (the apex is kept under '' so its clients count, but it is not a subdomain)
 *
 * Per-client figures (distinct subdomains, distinct clients) are derived from
 * who asked each subdomain when an alert or a closing window needs them, not
 * kept per event: in busy traffic there is a (client, domain, window) triple
 * for about every other query, and per-event client bookkeeping cost more
 * than the rest of the engine. Only a per-client rule keeps running counts,
 * and only of new (client, subdomain) pairs. Keyed by domain first, so state
 * can later be partitioned by domain across workers without splitting any
 * window's counts.
 */
import type { DnsEvent } from '../event.js';
import { EvidenceTally } from '../scoring/tally.js';
import { DistinctCounter, type DistinctCounterState } from './distinct-counter.js';
import { latestWindowStart, type WindowSpec } from './window-spec.js';

/** `DomainWindow.add` result bits. */
export const NEW_FOR_DOMAIN = 1;
export const NEW_FOR_CLIENT = 2;
/** A key entered the exact-phase state (the apex too): for the state estimate. */
const ENTRY_ADDED = 4;
/** This add passed the exact limit: the exact entries are gone, a sketch counts. */
const SWITCHED_TO_SKETCH = 8;
const VISITED = NEW_FOR_DOMAIN | NEW_FOR_CLIENT;

const APEX = '';
/**
 * Clients a sketch-phase window credits by name: the biggest askers when the sketch took over,
 * then newcomers while there is room. Alerts show the top five; the rest is the flood.
 */
const MAX_SKETCH_SHARES = 256;

/** One client's share of a domain window, as derived for alerts and aggregates. */
export interface ClientShare {
  client: number;
  distinctSubdomains: number;
}

export class DomainWindow {
  queries = 0;
  /**
   * Exact phase: each subdomain's position in `subs`, in the order first seen. Made at the second
   * (subdomain, client) pair: most domain windows of a busy log — and all of a flood of one-off
   * names — see one, and a Map each was most of their memory. Until then the pair is held inline.
   * Null again once the sketch counts.
   */
  private positions: Map<string, number> | null = null;
  /** Shared empty arrays until `promote` (a flood of one-off domains opens millions of windows). */
  private subs: string[] = NO_SUBS;
  /** Per position, the first client that asked it. */
  private firstClients: number[] = NO_CLIENTS;
  /**
   * Further askers, as PAIR_CLIENT × position + client, appended as they come, repeats (and the
   * first asker again) included:
   * who asked what is read only for alerts, closing windows and checkpoints, and an append costs
   * less than keeping a set per subdomain up to date on nearly every event of a busy log (the
   * per-name client sets were a fifth of the engine's time in an ablation). Collapsed to its
   * distinct pairs when it fills or before it is read (`compactAskers`), so it holds at most about
   * twice the distinct pairs.
   */
  private askerLog: Float64Array | null = null;
  private askerLogLength = 0;
  /** Per-client rules only: the distinct further pairs, to tell a new one at once. */
  private askerPairs: Set<number> | null = null;
  private firstSub: string | null = null;
  private firstClient = -1;
  private hasApex = false;
  private sketch: DistinctCounter | null = null;
  /** After the switch to the sketch: new subdomains credited per client, and evidence kept from the exact phase. */
  private sketchShares: Map<number, number> | null = null;
  private samplesKept: string[] = [];
  /** Running distinct counts per client, kept only for per-client rules. */
  clientCounts: Map<number, number> | null;
  /** Bit per rule that has crossed for this domain in this window. */
  crossed = 0;
  /** Bits per client of the per-client rules that have crossed. */
  clientCrossed: Map<number, number> | null = null;
  alerted = false;
  /** Score rules' evidence so far (src/scoring/tally.ts); null until a scored query arrives. */
  tally: EvidenceTally | null = null;

  constructor(
    readonly spec: WindowSpec,
    readonly registeredDomain: string,
    readonly start: number,
    private readonly exactLimit: number,
    trackClients: boolean,
  ) {
    this.clientCounts = trackClients ? new Map() : null;
  }

  get end(): number {
    return this.start + this.spec.lengthMs;
  }

  /** The state, for a checkpoint serialised at once (v8 serialisation keeps Maps and Sets). */
  snapshot(): DomainWindowState {
    return {
      domain: this.registeredDomain,
      start: this.start,
      queries: this.queries,
      askers: this.sketch === null ? this.askersBySubdomain() : null,
      hasApex: this.hasApex,
      sketch: this.sketch === null ? null : this.sketch.snapshot(),
      sketchShares: this.sketchShares,
      samplesKept: this.samplesKept,
      clientCounts: this.clientCounts,
      crossed: this.crossed,
      clientCrossed: this.clientCrossed,
      alerted: this.alerted,
      tally: this.tally === null ? null : { ...this.tally },
    };
  }

  static restore(spec: WindowSpec, exactLimit: number, s: DomainWindowState): DomainWindow {
    const w = new DomainWindow(spec, s.domain, s.start, exactLimit, false);
    w.queries = s.queries;
    w.hasApex = s.hasApex;
    w.sketch = s.sketch === null ? null : DistinctCounter.restore(0, s.sketch);
    w.sketchShares = s.sketchShares;
    w.samplesKept = s.samplesKept;
    w.clientCounts = s.clientCounts;
    w.crossed = s.crossed;
    w.clientCrossed = s.clientCrossed;
    w.alerted = s.alerted;
    w.tally = s.tally === null ? null : Object.assign(new EvidenceTally(), s.tally);
    if (s.askers !== null) {
      w.positions = new Map();
      w.subs = [];
      w.firstClients = [];
      if (w.clientCounts !== null) w.askerPairs = new Set();
      for (const [sub, asker] of s.askers) {
        const at = w.newPosition(sub, typeof asker === 'number' ? asker : first(asker));
        if (typeof asker === 'number') continue;
        for (const c of asker) {
          if (c === w.firstClients[at]) continue;
          w.askerPairs?.add(packPair(at, c));
          w.logAsker(at, c);
        }
      }
    }
    return w;
  }

  get distinctSubdomains(): number {
    if (this.sketch !== null) return this.sketch.size;
    if (this.positions === null) return this.firstSub === null || this.firstSub === APEX ? 0 : 1;
    return this.subs.length - (this.hasApex ? 1 : 0);
  }

  get distinctExact(): boolean {
    return this.sketch === null;
  }

  /** Entries of the exact phase held in memory (0 once the sketch counts). */
  get heldEntries(): number {
    if (this.sketch !== null) return 0;
    return this.positions !== null ? this.subs.length : this.firstSub === null ? 0 : 1;
  }

  /**
   * Records one query; returns NEW_FOR_DOMAIN / NEW_FOR_CLIENT bits. A further client of a known
   * subdomain is reported (NEW_FOR_CLIENT) only where per-client rules keep running counts: nothing
   * else reads that bit, and telling it would need the set this window does not keep.
   */
  add(sub: string, client: number): number {
    this.queries++;
    if (this.sketch !== null) return this.addToSketch(sub, client);
    let positions = this.positions;
    if (positions === null) {
      if (this.firstSub === null) {
        this.firstSub = sub;
        this.firstClient = client;
        if (sub === APEX) {
          this.hasApex = true;
          return ENTRY_ADDED;
        }
        const counts = this.clientCounts;
        if (counts !== null) counts.set(client, (counts.get(client) ?? 0) + 1);
        return NEW_FOR_DOMAIN | NEW_FOR_CLIENT | ENTRY_ADDED;
      }
      if (sub === this.firstSub && client === this.firstClient) return 0;
      positions = this.promote();
    }
    const at = positions.get(sub);
    let changed: number;
    if (at === undefined) {
      this.newPosition(sub, client);
      const apex = sub === APEX;
      if (apex) this.hasApex = true;
      if (this.subs.length > this.exactLimit) {
        // The entry that passes the limit (the apex too) ends the exact phase.
        this.switchToSketch();
        if (apex) return SWITCHED_TO_SKETCH;
        changed = NEW_FOR_DOMAIN | NEW_FOR_CLIENT | SWITCHED_TO_SKETCH;
      } else {
        if (apex) return ENTRY_ADDED;
        changed = NEW_FOR_DOMAIN | NEW_FOR_CLIENT | ENTRY_ADDED;
      }
    } else {
      const pairs = this.askerPairs;
      if (pairs === null) {
        // Not even the first client is compared here: one less memory access on nearly every event,
        // and a repeat costs only its place in the log until compaction drops it.
        this.logAsker(at, client);
        return 0;
      }
      if (this.firstClients[at] === client) return 0;
      const before = pairs.size;
      if (pairs.add(packPair(at, client)).size === before) return 0;
      this.logAsker(at, client);
      if (sub === APEX) return 0;
      changed = NEW_FOR_CLIENT;
    }
    const counts = this.clientCounts;
    if (counts !== null) counts.set(client, (counts.get(client) ?? 0) + 1);
    return changed;
  }

  /** Distinct subdomains of one client (running count for per-client rules, else derived). */
  clientDistinct(client: number): number {
    if (this.clientCounts !== null) return this.clientCounts.get(client) ?? 0;
    return this.shares().find((s) => s.client === client)?.distinctSubdomains ?? 0;
  }

  /** Every client of the window with its distinct subdomains (derived: for alerts and closing windows). */
  shares(): ClientShare[] {
    const byClient = new Map<number, number>();
    const credit = (client: number, n: number): void => {
      byClient.set(client, (byClient.get(client) ?? 0) + n);
    };
    if (this.sketch === null) {
      if (this.positions === null) this.promote();
      const subs = this.subs;
      for (let at = 0; at < subs.length; at++) credit(this.firstClients[at]!, subs[at] === APEX ? 0 : 1);
      const log = this.compactAskers();
      for (let i = 0; i < this.askerLogLength; i++) {
        const pair = log[i]!;
        credit(pairClient(pair), subs[pairPosition(pair)] === APEX ? 0 : 1);
      }
    } else {
      for (const [client, n] of this.sketchShares!) credit(client, n);
    }
    return [...byClient].map(([client, distinctSubdomains]) => ({ client, distinctSubdomains }));
  }

  /** Up to `n` subdomains in the order first seen; with a client, only that client's. */
  samples(n: number, client?: number): string[] {
    const out: string[] = [];
    if (this.sketch !== null) return this.samplesKept.slice(0, n);
    if (this.positions === null) this.promote();
    let asked: Set<number> | null = null;
    if (client !== undefined) {
      asked = new Set();
      const log = this.compactAskers();
      for (let i = 0; i < this.askerLogLength; i++) {
        const pair = log[i]!;
        if (pairClient(pair) === client) asked.add(pairPosition(pair));
      }
    }
    const subs = this.subs;
    for (let at = 0; at < subs.length && out.length < n; at++) {
      const sub = subs[at]!;
      if (sub === APEX) continue;
      if (asked === null || this.firstClients[at] === client || asked.has(at)) out.push(sub);
    }
    return out;
  }

  /** Past the exact limit, who asked what is no longer kept: a new subdomain is credited to the client asking it. */
  private addToSketch(sub: string, client: number): number {
    if (sub === APEX || !this.sketch!.add(sub)) return 0;
    const shares = this.sketchShares!;
    const share = shares.get(client);
    // Bounded: a flood from ever-new client addresses must not grow every window it touches.
    if (share !== undefined) shares.set(client, share + 1);
    else if (shares.size < MAX_SKETCH_SHARES) shares.set(client, 1);
    const counts = this.clientCounts;
    if (counts !== null) counts.set(client, (counts.get(client) ?? 0) + 1);
    return NEW_FOR_DOMAIN | NEW_FOR_CLIENT;
  }

  /** Calls `f` with every client id the window holds (maybe more than once). */
  forEachClient(f: (client: number) => void): void {
    if (this.firstSub !== null) f(this.firstClient);
    for (const c of this.firstClients) f(c);
    const log = this.askerLog;
    for (let i = 0; i < this.askerLogLength; i++) f(pairClient(log![i]!));
    if (this.sketchShares !== null) for (const c of this.sketchShares.keys()) f(c);
    if (this.clientCounts !== null) for (const c of this.clientCounts.keys()) f(c);
    if (this.clientCrossed !== null) for (const c of this.clientCrossed.keys()) f(c);
  }

  /** Renumbers client ids (the engine compacting its client table): `remap[old]` is the new id. */
  remapClients(remap: Int32Array): void {
    const to = (c: number): number => remap[c]!;
    const keys = (m: Map<number, number> | null): Map<number, number> | null => (m === null ? null : new Map([...m].map(([c, n]) => [to(c), n])));
    if (this.firstSub !== null) this.firstClient = to(this.firstClient);
    this.firstClients = this.firstClients.map(to);
    const log = this.askerLog;
    for (let i = 0; i < this.askerLogLength; i++) {
      const pair = log![i]!;
      log![i] = packPair(pairPosition(pair), to(pairClient(pair)));
    }
    if (this.askerPairs !== null) this.askerPairs = new Set(log === null ? [] : log.subarray(0, this.askerLogLength));
    this.sketchShares = keys(this.sketchShares);
    this.clientCounts = keys(this.clientCounts);
    this.clientCrossed = keys(this.clientCrossed);
  }

  /** The exact phase as subdomain → client, or the set of clients when several asked (the checkpoint's form). */
  private askersBySubdomain(): Map<string, number | Set<number>> {
    if (this.positions === null) this.promote();
    const m = new Map<string, number | Set<number>>();
    const subs = this.subs;
    for (let at = 0; at < subs.length; at++) m.set(subs[at]!, this.firstClients[at]!);
    const log = this.compactAskers();
    for (let i = 0; i < this.askerLogLength; i++) {
      const pair = log[i]!;
      const sub = subs[pairPosition(pair)]!;
      const asker = m.get(sub)!;
      if (typeof asker === 'number') m.set(sub, new Set([asker, pairClient(pair)]));
      else asker.add(pairClient(pair));
    }
    return m;
  }

  private newPosition(sub: string, client: number): number {
    const at = this.subs.length;
    this.positions!.set(sub, at);
    this.subs.push(sub);
    this.firstClients.push(client);
    return at;
  }

  private logAsker(at: number, client: number): void {
    let log = this.askerLog;
    if (log === null) log = this.askerLog = new Float64Array(MIN_ASKER_LOG);
    else if (this.askerLogLength === log.length) {
      log = this.compactAskers();
      // Still more than half full of distinct pairs: grow, so compaction stays amortised O(log n) per append.
      if (this.askerLogLength * 2 > log.length) {
        const grown = new Float64Array(log.length * 2);
        grown.set(log.subarray(0, this.askerLogLength));
        log = this.askerLog = grown;
      }
    }
    log[this.askerLogLength++] = packPair(at, client);
  }

  /** Collapses the asker log to its distinct pairs (sorted); returns it. */
  private compactAskers(): Float64Array {
    const log = this.askerLog;
    if (log === null) return EMPTY_LOG;
    const used = log.subarray(0, this.askerLogLength).sort();
    const firstClients = this.firstClients;
    let n = 0;
    for (let i = 0; i < used.length; i++) {
      const pair = used[i]!;
      if (n > 0 && pair === log[n - 1]) continue;
      if (pairClient(pair) === firstClients[pairPosition(pair)]) continue; // the first asker, asking again
      log[n++] = pair;
    }
    this.askerLogLength = n;
    return log;
  }

  /** The exact phase's table, made from the inline pair. */
  private promote(): Map<string, number> {
    const m = new Map<string, number>();
    this.positions = m;
    this.subs = [];
    this.firstClients = [];
    if (this.clientCounts !== null) this.askerPairs = new Set();
    if (this.firstSub !== null) this.newPosition(this.firstSub, this.firstClient);
    this.firstSub = null;
    return m;
  }

  private switchToSketch(): void {
    this.samplesKept = this.samples(16);
    const top = this.shares().sort((a, b) => b.distinctSubdomains - a.distinctSubdomains || a.client - b.client);
    this.sketchShares = new Map(top.slice(0, MAX_SKETCH_SHARES).map((s) => [s.client, s.distinctSubdomains]));
    const sketch = new DistinctCounter(0);
    for (const sub of this.subs) if (sub !== APEX) sketch.add(sub);
    this.sketch = sketch;
    this.positions = null;
    this.subs = NO_SUBS;
    this.firstClients = NO_CLIENTS;
    this.askerLog = null;
    this.askerLogLength = 0;
    this.askerPairs = null;
  }
}

/**
 * An asker pair packed into one number: position × 2^32 + client id. Positions stay below 2^21
 * (`state.exactDistinctLimit` ≤ 1,000,000) and client ids below 2^31, so every pair is exact in a double.
 */
const PAIR_CLIENT = 2 ** 32;

function packPair(position: number, client: number): number {
  return position * PAIR_CLIENT + client;
}

function pairPosition(pair: number): number {
  return Math.floor(pair / PAIR_CLIENT);
}

function pairClient(pair: number): number {
  return pair % PAIR_CLIENT;
}
const MIN_ASKER_LOG = 8;
/** Frozen, never written: `promote` gives a window arrays of its own before the first position. */
const NO_SUBS = Object.freeze([]) as unknown as string[];
const NO_CLIENTS = Object.freeze([]) as unknown as number[];
const EMPTY_LOG = new Float64Array(0);

function first(set: Set<number>): number {
  for (const c of set) return c;
  throw new Error('DomainWindow.restore: an empty asker set');
}

export interface DomainWindowState {
  domain: string;
  start: number;
  queries: number;
  askers: Map<string, number | Set<number>> | null;
  hasApex: boolean;
  sketch: DistinctCounterState | null;
  sketchShares: Map<number, number> | null;
  samplesKept: string[];
  clientCounts: Map<number, number> | null;
  crossed: number;
  clientCrossed: Map<number, number> | null;
  alerted: boolean;
  tally: Record<string, unknown> | null;
}

/** Called once per (event, open window) with what the event changed (`add`'s bits). */
export type WindowVisitor = (window: DomainWindow, client: number, changed: number) => void;

/** What open windows hold, for the engine's state budget (src/engine.ts). */
export interface HeldState {
  windows: number;
  /** Subdomain entries of exact-phase windows. */
  entries: number;
  /** Windows counting with a sketch (16 KiB of registers each). */
  sketches: number;
}

export class WindowedDomains {
  private readonly byDomain = new Map<string, DomainWindow[]>();
  private readonly byStart = new Map<number, DomainWindow[]>();
  /** Smallest end among open windows; closing is skipped until the watermark reaches it. */
  private nextEnd = Infinity;
  domainWindows = 0;
  /** Kept as windows change, so the budget check costs nothing per event. */
  private entries = 0;
  private sketches = 0;

  constructor(readonly spec: WindowSpec, private readonly exactLimit: number, private readonly trackClients: boolean) {}

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
      if (changed !== 0) {
        if (changed & ENTRY_ADDED) this.entries++;
        else if (changed & SWITCHED_TO_SKETCH) {
          // The exact phase held `exactLimit` counted entries (the one that passed it was not counted).
          this.entries -= this.exactLimit;
          this.sketches++;
        }
        if (changed & VISITED) visit(w, client, changed & VISITED);
      }
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
        this.release(w);
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

  get held(): HeldState {
    return { windows: this.domainWindows, entries: this.entries, sketches: this.sketches };
  }

  /** Every open domain window (for the budget's choice of what to evict). */
  *all(): IterableIterator<DomainWindow> {
    for (const list of this.byStart.values()) yield* list;
  }

  /** Frees the given windows without closing them (no aggregate): the state budget's eviction. */
  evict(victims: ReadonlySet<DomainWindow>): number {
    let evicted = 0;
    for (const [start, list] of this.byStart) {
      const kept = list.filter((w) => !victims.has(w));
      if (kept.length === list.length) continue;
      evicted += list.length - kept.length;
      if (kept.length === 0) this.byStart.delete(start);
      else this.byStart.set(start, kept);
    }
    for (const w of victims) {
      const list = this.byDomain.get(w.registeredDomain);
      if (list === undefined) continue;
      const at = list.indexOf(w);
      if (at < 0) continue;
      this.release(w);
      if (list.length === 1) this.byDomain.delete(w.registeredDomain);
      else list.splice(at, 1);
    }
    this.domainWindows -= evicted;
    return evicted;
  }

  private release(w: DomainWindow): void {
    const held = w.heldEntries;
    this.entries -= held;
    if (!w.distinctExact) this.sketches--;
  }

  /** Every open window, oldest start first and in opening order within a start (the order closing visits them). */
  snapshot(): DomainWindowState[] {
    const out: DomainWindowState[] = [];
    for (const start of [...this.byStart.keys()].sort((a, b) => a - b)) for (const w of this.byStart.get(start)!) out.push(w.snapshot());
    return out;
  }

  /** Replaces the state with a checkpoint's (this instance must be fresh). */
  restore(windows: DomainWindowState[]): void {
    for (const s of windows) {
      const w = DomainWindow.restore(this.spec, this.exactLimit, s);
      let list = this.byDomain.get(w.registeredDomain);
      if (list === undefined) this.byDomain.set(w.registeredDomain, (list = []));
      list.push(w);
      let starts = this.byStart.get(w.start);
      if (starts === undefined) this.byStart.set(w.start, (starts = []));
      starts.push(w);
      this.domainWindows++;
      this.entries += w.heldEntries;
      if (!w.distinctExact) this.sketches++;
      if (w.end < this.nextEnd) this.nextEnd = w.end;
    }
  }

  private open(domain: string, start: number): DomainWindow {
    const w = new DomainWindow(this.spec, domain, start, this.exactLimit, this.trackClients);
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
