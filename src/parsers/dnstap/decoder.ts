/**
 * dnstap as a record format: Frame Streams bytes in, DNS events out.
 *
 *   bytes ─▶ FrameStreamReader ─▶ data frame ─▶ protobuf (schema.ts) ─▶ dnstap.Message
 *                 │                                                        │ by Message.type
 *                 └─ control frames: START's content type gates the data   ▼
 *     CLIENT_QUERY ─────────▶ event, held in PendingQueries until its response (or timeout, eviction, end)
 *     CLIENT_RESPONSE ──────▶ paired: response facts added to the held query's event, record skipped
 *                             (`response_paired`); unpaired: an event of its own from its question
 *     RESOLVER_QUERY/RESPONSE  skipped (`resolver_query`…) unless input.dnstapResolverEvents, then as above
 *     AUTH_*, FORWARDER_*…     skipped by a reason named after the type
 *
 * Records are the data frames (and frames that cannot be read), numbered from 1 in
 * `position.line`, with the frame's byte offset in `position.offset`; control frames are framing,
 * not records. Every record ends in exactly one `event` or `reject` (a query's when its event is
 * emitted), so read = parsed + skipped + quarantined. Each source is its own stream with its own
 * reader and pairing table: the live receiver gives every connection its own source name.
 *
 * Mapping (the resolver's own queries map the same way: the resolver is the client, the authority
 * the server): time = query_time (epoch ms); client = query_address, query_port;
 * server = response_address; name, type, class, id and flags from query_message; queryBytes = its
 * length. From the response: rcode, answerCount, answerTypes (each type once), responseBytes, and latencyMs =
 * response_time − query_time of the paired query.
 */
import { newEvent, type DnsEvent } from '../../event.js';
import { fillNameFacts } from '../../domain/name-facts.js';
import { nameRejection, Rejection } from '../parser.js';
import { PendingQueries } from '../pending-queries.js';
import { RESPONSE_PAIRED, type DecodedRecords, type RecordDecoder } from '../record-decoder.js';
import { addressText } from '../address-text.js';
import { readDnsMessage, type DnsFacts } from './dns-message.js';
import {
  CONTENT_TYPE_DNSTAP,
  CONTROL,
  DEFAULT_MAX_FRAME_BYTES,
  FrameStreamReader,
  type BadFrameReason,
  type ControlFrame,
  type FrameHandler,
} from './frame-stream.js';
import { decodeDnstap, DNSTAP_MESSAGE, epochMs, epochMsExact, MESSAGE_TYPE, SOCKET_PROTOCOL_TCP, type DnstapMessage } from './schema.js';

export interface DnstapDecoderOptions {
  /** Map RESOLVER_QUERY (and pair RESOLVER_RESPONSE) to events instead of skipping them. */
  resolverEvents?: boolean;
  /** Longest frame read; longer ones are quarantined and passed over. */
  maxFrameBytes?: number;
  /** Queries waiting for their response, per stream; the oldest is emitted without one when full. */
  maxPending?: number;
  /** A query unanswered this long (in capture time) is emitted without response facts. */
  pendingTimeoutMs?: number;
}

const DEFAULT_MAX_PENDING = 8192;
const DEFAULT_PENDING_TIMEOUT_MS = 5000;
/** 9999-12-31T23:59:59Z: later capture times are corrupt (text formats cannot write them either). */
const MAX_EPOCH_SECONDS = 253_402_300_799;

const R = {
  paired: Rejection.of(RESPONSE_PAIRED, true),
  foreignContent: Rejection.of('foreign_content_type', true),
  notMessage: Rejection.of('not_message', true),
  unknownType: Rejection.of('unknown_message_type', true),
  badProtobuf: Rejection.of('bad_protobuf'),
  noMessage: Rejection.of('no_message'),
  noQueryMessage: Rejection.of('no_query_message'),
  noResponseMessage: Rejection.of('no_response_message'),
  noTime: Rejection.of('no_time'),
  badTime: Rejection.of('bad_time'),
  badAddress: Rejection.of('bad_address'),
  badPort: Rejection.of('bad_port'),
  bad_dns_message: Rejection.of('bad_dns_message'),
  no_question: Rejection.of('no_question'),
  frame_too_large: Rejection.of('frame_too_large'),
  bad_control_frame: Rejection.of('bad_control_frame'),
  truncated_frame: Rejection.of('truncated_frame'),
} as const;

/** Skip reasons named after the message type (index = Message.Type number). */
const TYPE_SKIPS: readonly (Rejection | undefined)[] = [
  undefined,
  Rejection.of('auth_query', true),
  Rejection.of('auth_response', true),
  Rejection.of('resolver_query', true),
  Rejection.of('resolver_response', true),
  undefined, // CLIENT_QUERY and CLIENT_RESPONSE are always read
  undefined,
  Rejection.of('forwarder_query', true),
  Rejection.of('forwarder_response', true),
  Rejection.of('stub_query', true),
  Rejection.of('stub_response', true),
  Rejection.of('tool_query', true),
  Rejection.of('tool_response', true),
  Rejection.of('update_query', true),
  Rejection.of('update_response', true),
];

interface HeldQuery {
  event: DnsEvent;
  /** Query time with its sub-millisecond part, for the latency. */
  exactMs: number;
}

export class DnstapDecoder implements RecordDecoder {
  readonly format = 'dnstap';
  private readonly streams = new Map<string, DnstapStream>();

  constructor(private readonly options: DnstapDecoderOptions = {}) {}

  push(data: Buffer, offset: number, source: string, out: DecodedRecords): void {
    let stream = this.streams.get(source);
    if (stream === undefined) {
      stream = new DnstapStream(source, this.options);
      this.streams.set(source, stream);
    }
    stream.push(data, offset, out);
  }

  end(source: string, out: DecodedRecords, stopped = false): void {
    const stream = this.streams.get(source);
    if (stream === undefined) return;
    this.streams.delete(source);
    stream.end(out, stopped);
  }
}

/** One Frame Streams stream (a file, a connection): its reader, record count and pairing table. */
class DnstapStream implements FrameHandler {
  private readonly reader: FrameStreamReader;
  private readonly pending: PendingQueries<HeldQuery>;
  private readonly resolverEvents: boolean;
  private records = 0;
  /** False after a START whose content type is not dnstap: its data frames are not ours to read. */
  private dnstapContent = true;
  private out: DecodedRecords | null = null;
  private readonly emitHeld = (held: HeldQuery): void => this.out?.event(held.event);

  constructor(
    private readonly source: string,
    options: DnstapDecoderOptions,
  ) {
    this.reader = new FrameStreamReader({ maxFrameBytes: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES });
    this.pending = new PendingQueries(options.maxPending ?? DEFAULT_MAX_PENDING, options.pendingTimeoutMs ?? DEFAULT_PENDING_TIMEOUT_MS);
    this.resolverEvents = options.resolverEvents ?? false;
  }

  push(data: Buffer, offset: number, out: DecodedRecords): void {
    this.out = out;
    this.reader.push(data, this, offset);
  }

  end(out: DecodedRecords, stopped: boolean): void {
    this.out = out;
    this.reader.end(this, stopped);
    this.pending.drain(this.emitHeld);
  }

  controlFrame(frame: ControlFrame): void {
    if (frame.type === CONTROL.START) {
      this.dnstapContent = frame.contentTypes.length === 0 || frame.contentTypes.includes(CONTENT_TYPE_DNSTAP);
    }
  }

  badFrame(reason: BadFrameReason, sample: Buffer, offset: number): void {
    this.reject(R[reason], sample, ++this.records, offset, NaN);
  }

  dataFrame(payload: Buffer, _length: number, offset: number): void {
    const line = ++this.records;
    if (!this.dnstapContent) return this.reject(R.foreignContent, payload, line, offset, NaN);
    let message: DnstapMessage | undefined;
    try {
      const frame = decodeDnstap(payload);
      if (frame.type !== DNSTAP_MESSAGE) return this.reject(R.notMessage, payload, line, offset, NaN);
      message = frame.message;
    } catch {
      // protobufjs throws on any malformed input (bad varint, wire type, length, missing required field).
      return this.reject(R.badProtobuf, payload, line, offset, NaN);
    }
    if (message === undefined) return this.reject(R.noMessage, payload, line, offset, NaN);

    const type = message.type;
    const isClient = type === MESSAGE_TYPE.CLIENT_QUERY || type === MESSAGE_TYPE.CLIENT_RESPONSE;
    const isResolver = type === MESSAGE_TYPE.RESOLVER_QUERY || type === MESSAGE_TYPE.RESOLVER_RESPONSE;
    if (!isClient && !(isResolver && this.resolverEvents)) {
      const time = recordTime(message);
      if (time === time) this.pending.expire(time, this.emitHeld);
      return this.reject(TYPE_SKIPS[type] ?? R.unknownType, payload, line, offset, time);
    }
    const kind = isClient ? 'c' : 'r';
    if (type === MESSAGE_TYPE.CLIENT_QUERY || type === MESSAGE_TYPE.RESOLVER_QUERY) this.query(message, kind, payload, line, offset);
    else this.response(message, kind, payload, line, offset);
  }

  private query(m: DnstapMessage, kind: string, payload: Buffer, line: number, offset: number): void {
    const time = epochMs(m.queryTimeSec, m.queryTimeNsec);
    const problem = checkTime(time, m.queryTimeNsec);
    if (problem !== null) return this.reject(problem, payload, line, offset, NaN);
    this.pending.expire(time, this.emitHeld);

    const ends = endpoints(m);
    if (ends === null) return this.reject(R.badAddress, payload, line, offset, time);
    if (ends.port > 65535) return this.reject(R.badPort, payload, line, offset, time);
    const bytes = m.queryMessage;
    if (bytes === undefined) return this.reject(R.noQueryMessage, payload, line, offset, time);
    const facts = readDnsMessage(bytes, m.socketProtocol === SOCKET_PROTOCOL_TCP);
    if (typeof facts === 'string') return this.reject(R[facts], payload, line, offset, time);

    const event = newEvent(time, ends.client, ends.port, facts.qclass, facts.qtype, facts.flags, ends.server, this.source, line, offset);
    const badName = nameRejection(fillNameFacts(event, facts.qname, 0, facts.qname.length));
    if (badName !== null) return this.reject(badName, payload, line, offset, time);
    event.queryBytes = bytes.length;
    if (ends.port < 0) {
      this.out?.event(event);
      return;
    }
    const held: HeldQuery = { event, exactMs: epochMsExact(m.queryTimeSec, m.queryTimeNsec) };
    this.pending.add(pairKey(kind, ends.client, ends.port, facts), held, time, this.emitHeld);
  }

  private response(m: DnstapMessage, kind: string, payload: Buffer, line: number, offset: number): void {
    const responseTime = epochMs(m.responseTimeSec, m.responseTimeNsec);
    const queryTime = epochMs(m.queryTimeSec, m.queryTimeNsec);
    const time = responseTime === responseTime ? responseTime : queryTime;
    const problem = checkTime(time, responseTime === responseTime ? m.responseTimeNsec : m.queryTimeNsec);
    if (problem !== null) return this.reject(problem, payload, line, offset, NaN);
    this.pending.expire(time, this.emitHeld);

    const ends = endpoints(m);
    if (ends === null) return this.reject(R.badAddress, payload, line, offset, time);
    if (ends.port > 65535) return this.reject(R.badPort, payload, line, offset, time);
    const bytes = m.responseMessage;
    if (bytes === undefined) return this.reject(R.noResponseMessage, payload, line, offset, time);
    const facts = readDnsMessage(bytes, m.socketProtocol === SOCKET_PROTOCOL_TCP);
    if (typeof facts === 'string') return this.reject(R[facts], payload, line, offset, time);
    const responseExact = epochMsExact(m.responseTimeSec, m.responseTimeNsec);

    const held = ends.port < 0 ? undefined : this.pending.take(pairKey(kind, ends.client, ends.port, facts));
    if (held !== undefined) {
      const event = held.value.event;
      addResponseFacts(event, facts, bytes.length, responseExact - held.value.exactMs);
      this.out?.event(event);
      return this.reject(R.paired, payload, line, offset, time);
    }
    // A response whose query was not seen (or was given up): an event of its own, at query time
    // when the frame carries it.
    const eventTime = queryTime === queryTime && checkTime(queryTime, m.queryTimeNsec) === null ? queryTime : time;
    const event = newEvent(eventTime, ends.client, ends.port, facts.qclass, facts.qtype, facts.flags, ends.server, this.source, line, offset);
    const badName = nameRejection(fillNameFacts(event, facts.qname, 0, facts.qname.length));
    if (badName !== null) return this.reject(badName, payload, line, offset, time);
    addResponseFacts(event, facts, bytes.length, responseExact - epochMsExact(m.queryTimeSec, m.queryTimeNsec));
    this.out?.event(event);
  }

  private reject(rejection: Rejection, raw: Uint8Array, line: number, offset: number, time: number): void {
    this.out?.reject(rejection, raw, { source: this.source, line, offset }, time);
  }
}

function addResponseFacts(event: DnsEvent, facts: DnsFacts, responseBytes: number, latencyMs: number): void {
  event.rcode = facts.rcode;
  event.answerCount = facts.answerCount;
  event.answerTypes = facts.answerTypes;
  event.responseBytes = responseBytes;
  // Microseconds are what the nanosecond clocks of a dnstap sender are good for.
  if (latencyMs === latencyMs && latencyMs >= 0) event.latencyMs = Math.round(latencyMs * 1000) / 1000;
}

/** The pairing key: who asked (client address and port), the DNS id and the lower-cased name. */
function pairKey(kind: string, client: string, port: number, facts: DnsFacts): string {
  return `${kind}|${client}|${port}|${facts.id}|${facts.qname.toLowerCase()}`;
}

/** Client (query_address, required) and server (response_address, '' when absent); null for a bad address. */
function endpoints(m: DnstapMessage): { client: string; port: number; server: string } | null {
  if (m.queryAddress === undefined) return null;
  const client = addressText(m.queryAddress);
  if (client === null) return null;
  let server = '';
  if (m.responseAddress !== undefined) {
    const text = addressText(m.responseAddress);
    if (text === null) return null;
    server = text;
  }
  return { client, port: m.queryPort ?? -1, server };
}

function checkTime(time: number, nsec: number | undefined): Rejection | null {
  if (time !== time) return R.noTime;
  if (time > MAX_EPOCH_SECONDS * 1000 || (nsec !== undefined && nsec >= 1e9)) return R.badTime;
  return null;
}

/** The capture time of a message that is only skipped (to move the watermark); NaN when it has none. */
function recordTime(m: DnstapMessage): number {
  const response = epochMs(m.responseTimeSec, m.responseTimeNsec);
  const time = response === response ? response : epochMs(m.queryTimeSec, m.queryTimeNsec);
  return time <= MAX_EPOCH_SECONDS * 1000 ? time : NaN;
}
