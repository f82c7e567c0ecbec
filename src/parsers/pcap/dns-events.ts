/**
 * DNS messages to events, with each query paired with its response:
 *
 *   query    ─▶ event (name facts filled now) ─▶ waiting table, by (transport, client, port, id, name)
 *   response ─▶ its query waiting? ─ yes ─▶ response facts into that event ─▶ emitted; the response is skipped (`response_paired`)
 *                                  └ no ──▶ an event of its own from its question, with response facts
 *   no response within the timeout, the table full, or the end of the source ─▶ the event is emitted without response facts
 *
 * So every query packet is one event, emitted once, when its fate is known; a response seen
 * without its query (the capture started after it) still counts its name.
 */
import { fillNameFacts } from '../../domain/name-facts.js';
import { newEvent, type DnsEvent, type SourcePosition } from '../../event.js';
import { nameRejection, type Rejection } from '../parser.js';
import { PendingQueries } from '../pending-queries.js';
import type { DecodedRecords } from '../record-decoder.js';
import { decodeBody, FLAG_CD, FLAG_RD, newDnsHead, rcodeName, readHead, typeNumberName, type DnsBody } from './dns-message.js';
import { classMnemonic } from '../tokens.js';
import { PCAP } from './reasons.js';

/** Where the message being mapped came from; the decoder fills it per packet. */
export interface PacketContext {
  source: string;
  line: number;
  offset: number;
  /** Capture time, epoch ms. */
  time: number;
  tcp: boolean;
  sourceIp: string;
  sourcePort: number;
  destinationIp: string;
  destinationPort: number;
  /** What quarantine shows for this packet's rejections. */
  raw: Uint8Array;
}

export interface PairingOptions {
  /** Queries waiting at most; the oldest is given up beyond. */
  maxPending: number;
  /** A query unanswered for this long in capture time is given up. */
  timeoutMs: number;
}

/** 50,000 waiting queries cost about 25 MB; 10 s covers a resolver's retries and stays well inside the default 60 s watermark. */
export const DEFAULT_PAIRING: PairingOptions = { maxPending: 50_000, timeoutMs: 10_000 };

const MDNS_PORT = 5353;

export class DnsEventMapper {
  private readonly pending: PendingQueries<DnsEvent>;
  private readonly head = newDnsHead();
  private out: DecodedRecords | null = null;
  private readonly giveUp = (event: DnsEvent): void => this.out?.event(event);

  constructor(options: PairingOptions = DEFAULT_PAIRING) {
    this.pending = new PendingQueries<DnsEvent>(options.maxPending, options.timeoutMs);
  }

  /** Queries waiting for a response now. */
  get waiting(): number {
    return this.pending.size;
  }

  /** Queries given up because the table was full. */
  get evicted(): number {
    return this.pending.evicted;
  }

  setOutput(out: DecodedRecords): void {
    this.out = out;
  }

  /** Capture time moved to `time`: queries unanswered for too long are emitted without a response. */
  expire(time: number): void {
    this.pending.expire(time, this.giveUp);
  }

  /** End of a source: every waiting query is emitted. */
  drain(): void {
    this.pending.drain(this.giveUp);
  }

  /**
   * One DNS message. `declaredLength` is its size on the wire; `message` may be shorter when the
   * capture cut it (then only the header and question are read).
   */
  message(ctx: PacketContext, message: Buffer, declaredLength: number): void {
    const head = this.head;
    const cut = message.length < declaredLength;
    const rejected = readHead(message, head);
    if (rejected !== null) return this.reject(ctx, cut ? PCAP.truncatedCapture : rejected);
    if (head.opcode !== 0) return this.reject(ctx, PCAP.dnsOpcode);
    const body = cut ? null : decodeBody(message, head);
    if (head.response) this.response(ctx, declaredLength, body);
    else this.query(ctx, declaredLength, body);
  }

  private query(ctx: PacketContext, bytes: number, body: DnsBody | null): void {
    const head = this.head;
    const event = this.newEvent(ctx, ctx.sourceIp, ctx.sourcePort, queryFlags(head.flags, body, ctx.tcp), ctx.destinationIp);
    if (event === null) return;
    event.queryBytes = bytes;
    this.pending.add(pairingKey(ctx.tcp, event.clientIp, event.clientPort, head.id, event.qnameLower), event, ctx.time, this.giveUp);
  }

  private response(ctx: PacketContext, bytes: number, body: DnsBody | null): void {
    const head = this.head;
    const key = pairingKey(ctx.tcp, ctx.destinationIp, ctx.destinationPort, head.id, head.qname.toLowerCase());
    const query = this.pending.take(key);
    if (query !== undefined) {
      const event = query.value;
      setResponseFacts(event, head.flags, head.answers, bytes, body);
      // Microseconds: what a µs capture records, and about what an epoch-ms double keeps of a ns one.
      event.latencyMs = Math.round((ctx.time - query.time) * 1000) / 1000;
      this.out!.event(event);
      return this.reject(ctx, PCAP.responsePaired);
    }
    // The query was not captured: the response still tells who asked what.
    const event = this.newEvent(ctx, ctx.destinationIp, ctx.destinationPort, '', ctx.sourceIp);
    if (event === null) return;
    setResponseFacts(event, head.flags, head.answers, bytes, body);
    this.out!.event(event);
  }

  /** The event for the current head's question, or null after rejecting a name `fillNameFacts` refuses. */
  private newEvent(ctx: PacketContext, clientIp: string, clientPort: number, flags: string, serverIp: string): DnsEvent | null {
    const head = this.head;
    // mDNS uses the top bit of the class for "unicast response wanted" (RFC 6762 §5.4), not as class.
    const qclass = ctx.sourcePort === MDNS_PORT || ctx.destinationPort === MDNS_PORT ? head.qclass & 0x7fff : head.qclass;
    const event = newEvent(ctx.time, clientIp, clientPort, classMnemonic(qclass), typeNumberName(head.qtype), flags, serverIp, ctx.source, ctx.line, ctx.offset);
    const bad = nameRejection(fillNameFacts(event, head.qname, 0, head.qname.length));
    if (bad === null) return event;
    this.reject(ctx, bad);
    return null;
  }

  private reject(ctx: PacketContext, rejection: Rejection): void {
    const position: SourcePosition = { source: ctx.source, line: ctx.line, offset: ctx.offset };
    this.out!.reject(rejection, ctx.raw, position, ctx.time);
  }
}

function pairingKey(tcp: boolean, clientIp: string, clientPort: number, id: number, qnameLower: string): string {
  return `${tcp ? 't' : 'u'} ${clientIp} ${clientPort} ${id} ${qnameLower}`;
}

function setResponseFacts(event: DnsEvent, flags: number, answers: number, bytes: number, body: DnsBody | null): void {
  event.rcode = rcodeName(flags, body?.extendedRcode ?? 0);
  event.answerCount = answers;
  event.responseBytes = bytes;
  if (body !== null) event.answerTypes = body.answerTypes;
}

/**
 * The query's flags the way BIND's query log writes them: `+`/`-` for recursion desired, then
 * `E(version)` with EDNS, `T` over TCP, `D` for DNSSEC OK, `C` for checking disabled, `K` when the
 * query carries a cookie (BIND writes `V` for a cookie it validated, which a capture cannot know).
 */
function queryFlags(flags: number, body: DnsBody | null, tcp: boolean): string {
  let text = (flags & FLAG_RD) !== 0 ? '+' : '-';
  if (body !== null && body.ednsVersion >= 0) text += `E(${body.ednsVersion})`;
  if (tcp) text += 'T';
  if (body?.dnssecOk === true) text += 'D';
  if ((flags & FLAG_CD) !== 0) text += 'C';
  if (body?.cookie === true) text += 'K';
  return text;
}
