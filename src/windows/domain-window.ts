/**
 * What rules and aggregates see of one registered domain in one window, and
 * the store contract both window-state implementations meet
 * (windowed-domains.ts: a map per window, any spec; paned-domains.ts: one map
 * per domain with pane bitmasks, for the common short sliding windows).
 */
import type { DnsEvent } from '../event.js';
import type { WindowSpec } from './window-spec.js';

/** `add`/visitor result bits: the subdomain is new to the window, and/or new for this client in the window. */
export const NEW_FOR_DOMAIN = 1;
export const NEW_FOR_CLIENT = 2;

/** One client's share of a domain window, as derived for alerts and aggregates. */
export interface ClientShare {
  client: number;
  distinctSubdomains: number;
}

export interface DomainWindowState {
  readonly spec: WindowSpec;
  readonly registeredDomain: string;
  readonly start: number;
  readonly end: number;
  readonly queries: number;
  readonly distinctSubdomains: number;
  /** False once the count is a HyperLogLog estimate. */
  readonly distinctExact: boolean;
  /** Bit per rule that has crossed for this domain in this window. */
  crossed: number;
  /** Bits per client of the per-client rules that have crossed. */
  clientCrossed: Map<number, number> | null;
  alerted: boolean;
  /** Distinct subdomains of one client (running for per-client rules, else derived). */
  clientDistinct(client: number): number;
  /** Every client of the window with its distinct subdomains (derived: alerts and closing windows). */
  shares(): ClientShare[];
  /** Up to `n` subdomains in the order first seen; with a client, only that client's. */
  samples(n: number, client?: number): string[];
}

/** Called once per (event, open window) that the event changed, with the NEW_FOR_* bits. */
export type WindowVisitor = (window: DomainWindowState, client: number, changed: number) => void;

export interface DomainWindowStore {
  readonly spec: WindowSpec;
  /** Applies the event from client id `client` to its open windows (end > watermark); returns how many. */
  add(event: DnsEvent, client: number, watermark: number, visit: WindowVisitor): number;
  /** Closes every window with end ≤ watermark, oldest first, handing each domain's state to `onClose`. */
  closeThrough(watermark: number, onClose: (window: DomainWindowState) => void): void;
  readonly openWindows: number;
  readonly domainWindows: number;
}
