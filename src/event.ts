/**
 * The one event type that flows through tunnelwatch:
 *
 *   source ──bytes/lines──▶ parser ──DnsEvent──▶ domain split ──▶ windows/detectors ──Alert──▶ sinks
 *
 * Parsers fill the wire facts (time, client, name, type…); `splitDomain` fills
 * `registeredDomain`, `subdomain` and `nameKind`. Response fields are optional
 * because query logs (BIND) do not carry them while pcap, dnstap and Zeek do.
 */

/** Where a record came from, precise enough to find it again and to resume. */
export interface SourcePosition {
  /** File path, `-` for stdin, or a stream name such as `syslog:udp:5514`. */
  source: string;
  /** 1-based line (or record) number within the source. */
  line: number;
  /** Byte offset of the first byte of the record within the source. */
  offset: number;
}

/**
 * How the registered domain was derived; detectors use it to treat reverse
 * lookups, bare suffixes and broken names differently from ordinary names.
 */
export type NameKind =
  | 'normal' // registered domain from the public suffix list
  | 'reverse' // in-addr.arpa / ip6.arpa: the zone a network owner is delegated
  | 'suffix' // the name is itself a public suffix or a single label (com, co.uk, localhost)
  | 'ip' // an IP literal queried as a name
  | 'root' // "."
  | 'invalid'; // empty label, label > 63 bytes, name > 253 bytes, escaped bytes in the domain part

export interface DnsEvent {
  /** Event time, epoch milliseconds (from the log, never from the wall clock). */
  time: number;
  clientIp: string;
  /** -1 when the log does not say. */
  clientPort: number;
  /** The name as written by the log, in presentation form (BIND escapes such as `\.` and `\DDD` kept). */
  qname: string;
  /** `qname` with ASCII letters lower-cased: the grouping key. Escapes are kept, so it stays unambiguous. */
  qnameLower: string;
  /** Length of the name after un-escaping (`\DDD` counts 1), dots included, no trailing dot. */
  qnameBytes: number;
  /** Label count and longest label in bytes, after un-escaping. */
  labels: number;
  longestLabel: number;
  qclass: string;
  /** Mnemonic as logged, upper-case (`A`, `NULL`, `TYPE65399`). */
  qtype: string;
  /** Query flags as logged by the resolver (`+E(0)K`); empty when unknown. */
  flags: string;
  /** The server address the query was sent to; empty when unknown. */
  serverIp: string;

  /** Lower-cased registered domain (eTLD+1, or the rule-defined equivalent for other `nameKind`s). */
  registeredDomain: string;
  /** Lower-cased labels left of `registeredDomain`, without the joining dot; empty when none. */
  subdomain: string;
  /** Un-escaped byte length of `subdomain` (what an attacker could encode into it). */
  subdomainBytes: number;
  nameKind: NameKind;

  /** Response facts, present only when the source carries them. */
  rcode?: string;
  answerCount?: number;
  responseBytes?: number;
  queryBytes?: number;
  /** Types of the answer records, each once, in order of first appearance (pcap: when the answer section decoded). */
  answerTypes?: string[];
  /** Response capture time minus query capture time, ms (pcap: only for a query paired with its response). */
  latencyMs?: number;

  position: SourcePosition;
}

/**
 * A query event with the name fields still empty, for a parser to fill through `fillNameFacts`.
 * Every parser builds its events here, so they all have one shape (one V8 hidden class for the
 * engine's hot path) and a new field is added in one place.
 */
export function newEvent(
  time: number,
  clientIp: string,
  clientPort: number,
  qclass: string,
  qtype: string,
  flags: string,
  serverIp: string,
  source: string,
  line: number,
  offset: number,
): DnsEvent {
  return {
    time,
    clientIp,
    clientPort,
    qname: '',
    qnameLower: '',
    qnameBytes: 0,
    labels: 0,
    longestLabel: 0,
    qclass,
    qtype,
    flags,
    serverIp,
    registeredDomain: '',
    subdomain: '',
    subdomainBytes: 0,
    nameKind: 'normal',
    position: { source, line, offset },
  };
}
