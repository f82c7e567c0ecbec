/**
 * Tunnel traffic: one source per `TunnelSpec`, each with its own random
 * stream (seeded from the simulation seed and the spec's index), so its lines
 * are the same whether or not benign traffic is generated around it. That is
 * what lets `groundTruth` run the tunnels alone.
 */

import { makeClient, type ClientInfo, type LineSource } from './benign.js';
import { bytesForChars, encodePayload, type PayloadEncoding } from './encode.js';
import { BindTimeFormatter, escapeLabel } from './format.js';
import { Rng } from './random.js';

export interface TunnelSpec {
  /** Registered domain of the attacker, e.g. `cdn-sync.net`; names are `<payload>.<zonePrefix?>.<domain>`. */
  domain: string;
  /** Optional label(s) between payload and domain, e.g. `t` as in iodine's `t.example.com`. */
  zonePrefix?: string;
  /** Client IP of the victim. */
  client: string;
  encoding: PayloadEncoding;
  /** Rate; may be fractional (0.1 = one query every 10 minutes) for slow exfiltration. */
  queriesPerMinute: number;
  /** Epoch ms. */
  startMs: number;
  durationMs: number;
  /** Default `TXT` (`NULL` for iodine-like). */
  qtype?: string;
  /** Maximum payload label length, default 52 (1..63). */
  labelLength?: number;
  /** Number of payload labels (at most), default 1. */
  labels?: number;
}

/** The smallest payload capacity (characters) accepted: enough for the 4-byte sequence number and random bytes. */
const MIN_CAPACITY_CHARS = 16;
const MAX_NAME_BYTES = 253;

function checkDomainText(what: string, text: string): string[] {
  const labels = text.split('.');
  for (const l of labels) {
    if (l.length === 0) throw new RangeError(`${what} '${text}' has an empty label`);
    if (l.length > 63) throw new RangeError(`${what} '${text}' has a label longer than 63 characters`);
    if (escapeLabel(l) !== l) throw new RangeError(`${what} '${text}' has characters that would need escaping`);
  }
  return labels;
}

/** Validates a spec (throws `RangeError`) and returns its effective settings. */
export function resolveTunnel(spec: TunnelSpec, index: number) {
  const where = `tunnels[${index}]`;
  checkDomainText(`${where}.domain`, spec.domain);
  if (spec.zonePrefix !== undefined && spec.zonePrefix !== '') checkDomainText(`${where}.zonePrefix`, spec.zonePrefix);
  if (typeof spec.client !== 'string' || spec.client.length === 0) throw new RangeError(`${where}.client is empty`);
  if (spec.encoding !== 'base32' && spec.encoding !== 'hex' && spec.encoding !== 'base64')
    throw new RangeError(`${where}.encoding must be base32, hex or base64`);
  if (!Number.isFinite(spec.queriesPerMinute) || spec.queriesPerMinute < 0)
    throw new RangeError(`${where}.queriesPerMinute must be a finite number >= 0`);
  if (!Number.isFinite(spec.startMs)) throw new RangeError(`${where}.startMs must be finite`);
  if (!Number.isFinite(spec.durationMs) || spec.durationMs < 0) throw new RangeError(`${where}.durationMs must be >= 0`);
  const labelLength = spec.labelLength ?? 52;
  const labels = spec.labels ?? 1;
  if (!Number.isInteger(labelLength) || labelLength < 1 || labelLength > 63)
    throw new RangeError(`${where}.labelLength must be an integer in 1..63`);
  if (!Number.isInteger(labels) || labels < 1) throw new RangeError(`${where}.labels must be a positive integer`);
  const zonePrefix = spec.zonePrefix ?? '';
  const suffix = (zonePrefix ? '.' + zonePrefix : '') + '.' + spec.domain;
  const iodine = spec.encoding === 'base32' && (spec.qtype ?? 'TXT').toUpperCase() === 'NULL';
  const capacity = labels * labelLength - (iodine ? 1 : 0);
  if (capacity < MIN_CAPACITY_CHARS)
    throw new RangeError(`${where}: labels * labelLength must leave at least ${MIN_CAPACITY_CHARS} payload characters`);
  const longest = labels * (labelLength + 1) - 1 + suffix.length;
  if (longest > MAX_NAME_BYTES)
    throw new RangeError(`${where}: names could reach ${longest} bytes (max ${MAX_NAME_BYTES}); lower labels or labelLength`);
  return {
    spec,
    labelLength,
    labels,
    zonePrefix,
    suffix,
    capacity,
    iodine,
    qtype: (spec.qtype ?? 'TXT').toUpperCase(),
  };
}

export type ResolvedTunnel = ReturnType<typeof resolveTunnel>;

/**
 * Queries at a steady rate with a small forward jitter (under 30% of the
 * interval, at most 30 s), so times stay increasing. Query k carries a 4-byte
 * scrambled sequence number followed by random bytes, so every name is unique.
 */
export class TunnelSource implements LineSource {
  t = Infinity;
  /** Lower-cased labels left of the registered domain for the current query (payload + zone prefix). */
  subdomain = '';
  /** Presentation-form name of the current query. */
  name = '';
  private port = 0;
  private k: number;
  private readonly interval: number;
  private readonly maxJitter: number;
  private readonly rng: Rng;
  private readonly client: ClientInfo;
  private readonly fixedPort: number;
  private readonly flags: string;
  private readonly from: number;
  private readonly until: number;
  private readonly userId: string;
  private readonly seqKey: number;

  constructor(
    private readonly r: ResolvedTunnel,
    seed: number,
    index: number,
    simStartMs: number,
    simEndMs: number,
    private readonly fmt: BindTimeFormatter,
  ) {
    const spec = r.spec;
    this.rng = Rng.stream(seed, 'tunnel:' + index);
    this.client = makeClient(spec.client, seed ^ 0x7a11);
    this.interval = spec.queriesPerMinute > 0 ? 60_000 / spec.queriesPerMinute : Infinity;
    this.maxJitter = Math.min(this.interval * 0.3, 30_000);
    this.from = Math.max(simStartMs, spec.startMs);
    this.until = Math.min(simEndMs, spec.startMs + spec.durationMs);
    // iodine keeps one socket (one source port) for the session; stub-resolver-based tools do not.
    this.fixedPort = r.iodine ? this.rng.int(1024, 65535) : -1;
    this.userId = r.iodine ? '0123456789abcdef'.charAt(this.rng.below(16)) : '';
    this.seqKey = this.rng.u32();
    this.flags = r.iodine ? '+E(0)' : spec.encoding === 'hex' ? '+' : '+E(0)K';
    // Skip straight to the schedule slots that can fall inside [from, until).
    this.k = Number.isFinite(this.interval) ? Math.max(0, Math.floor((this.from - spec.startMs) / this.interval) - 1) : 0;
    if (Number.isFinite(this.interval) && this.until > this.from) this.advance();
  }

  /** Moves to the next query (all randomness is drawn here, none in `take`). */
  advance(): void {
    const spec = this.r.spec;
    for (;;) {
      const base = spec.startMs + this.k * this.interval;
      if (base >= this.until) {
        this.t = Infinity;
        return;
      }
      const t = Math.floor(base + this.rng.float() * this.maxJitter);
      const seq = this.k;
      this.k++;
      if (t < this.from) continue;
      if (t >= this.until) {
        this.t = Infinity;
        return;
      }
      this.t = t;
      this.makeName(seq);
      this.port = this.fixedPort >= 0 ? this.fixedPort : this.rng.int(1024, 65535);
      return;
    }
  }

  private makeName(seq: number): void {
    const r = this.r;
    const rng = this.rng;
    // Fill 75-100% of the capacity, like a tool sending whatever data it has.
    const chars = r.capacity - rng.below(Math.floor(r.capacity / 4) + 1);
    const nBytes = Math.max(5, bytesForChars(chars, r.spec.encoding));
    const bytes = new Uint8Array(nBytes);
    rng.bytes(bytes);
    // The sequence number through a keyed bijection of 32-bit integers: unique, but not a visible counter.
    let s = (seq ^ this.seqKey) >>> 0;
    s = Math.imul(s, 0x9e3779b1) >>> 0;
    s = (s ^ (s >>> 16)) >>> 0;
    s = Math.imul(s, 0x85ebca6b) >>> 0;
    s = (s ^ (s >>> 13)) >>> 0;
    bytes[0] = s >>> 24;
    bytes[1] = (s >>> 16) & 0xff;
    bytes[2] = (s >>> 8) & 0xff;
    bytes[3] = s & 0xff;
    const payload = this.userId + encodePayload(bytes, r.spec.encoding);
    let labelsText = '';
    for (let i = 0; i < payload.length; i += r.labelLength) {
      if (i > 0) labelsText += '.';
      labelsText += escapeLabel(payload.slice(i, i + r.labelLength));
    }
    this.name = labelsText + r.suffix;
    this.subdomain = (labelsText + (r.zonePrefix ? '.' + r.zonePrefix : '')).toLowerCase();
  }

  take(): string {
    const c = this.client;
    const line =
      this.fmt.format(this.t) +
      c.prefix +
      this.port +
      ' (' +
      this.name +
      '): query: ' +
      this.name +
      ' IN ' +
      this.r.qtype +
      ' ' +
      this.flags +
      c.server0;
    this.advance();
    return line;
  }
}
