/** One closed window's summary for one registered domain: what the Parquet sink and later the store write. */
export interface WindowAggregate {
  /** The window spec's name, e.g. `10m/5m`. */
  window: string;
  /** Epoch ms, inclusive. */
  windowStart: number;
  /** Epoch ms, exclusive. */
  windowEnd: number;
  registeredDomain: string;
  queries: number;
  distinctSubdomains: number;
  distinctClients: number;
  /** The largest distinct-subdomain count of any single client for this domain in this window. */
  maxClientDistinctSubdomains: number;
  /** The client with that count. */
  topClient: string;
  /** Whether any rule alerted on this domain in this window. */
  alerted: boolean;
}
