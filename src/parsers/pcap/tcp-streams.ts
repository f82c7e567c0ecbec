/**
 * DNS over TCP (RFC 1035 §4.2.2, RFC 7766): each direction of a connection is a byte stream of
 * messages, each preceded by its length in two bytes. A message may span segments and a segment
 * may carry several messages, so each direction keeps the bytes of its unfinished message.
 *
 *   segment ─▶ flow (by src, sport, dst, dport) ─▶ in sequence? ─▶ buffer ─▶ [len][message][len][mess…
 *                                                  early: held (a few) │ old: trimmed or dropped
 *
 * Bounded: a flow holds at most one unfinished message (< 64 KiB + 2) and a few early segments;
 * the table holds at most `maxFlows` flows and `maxBytes` buffered bytes in all, giving up the
 * least recently used flow first. A flow seen without its SYN (the capture started mid-stream)
 * is assumed to start at a message boundary; a gap that does not fill is treated the same way.
 */
import type { Rejection } from '../parser.js';
import { PCAP } from './reasons.js';

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;

/** Early segments held per flow while waiting for a gap to fill, and their bytes. */
const MAX_EARLY_SEGMENTS = 8;
const MAX_EARLY_BYTES = 65_536;

interface Flow {
  /** Sequence number of the next byte expected. */
  next: number;
  /** Bytes of the unfinished message (owned, not a view into a read buffer). */
  pending: Buffer | null;
  early: Array<{ seq: number; data: Buffer }>;
  earlyBytes: number;
}

export interface MessageSink {
  /** One whole DNS message (without its length prefix); valid only during the call. */
  message(message: Buffer): void;
}

export class DnsTcpStreams {
  private readonly flows = new Map<string, Flow>();
  private bufferedBytes = 0;
  /** Flows given up to keep within the bounds (their unfinished messages are lost). */
  evicted = 0;

  constructor(
    private readonly maxFlows = 4096,
    private readonly maxBytes = 16 << 20,
  ) {}

  get size(): number {
    return this.flows.size;
  }

  get buffered(): number {
    return this.bufferedBytes;
  }

  /**
   * One segment of the flow `key`. Whole messages go to `sink`; returns null when at least one
   * did, else why this segment completed none (the packet's outcome).
   */
  segment(key: string, seq: number, flags: number, payload: Buffer, sink: MessageSink): Rejection | null {
    let flow = this.flows.get(key);
    if (flow !== undefined) {
      // Most recently used last: Map order is the eviction order.
      this.flows.delete(key);
      this.flows.set(key, flow);
    }
    let dataSeq = seq;
    if ((flags & TCP_SYN) !== 0) {
      if (flow !== undefined) this.drop(key, flow);
      dataSeq = (seq + 1) >>> 0;
      flow = this.open(key, dataSeq);
    }
    const closing = (flags & (TCP_FIN | TCP_RST)) !== 0;
    if (payload.length === 0) {
      if (closing && flow !== undefined) this.drop(key, flow);
      return PCAP.tcpNoPayload;
    }
    flow ??= this.open(key, dataSeq);

    let delivered = 0;
    const ahead = (dataSeq - flow.next) | 0;
    let outcome: Rejection | null = null;
    if (ahead > 0) {
      if (flow.early.length < MAX_EARLY_SEGMENTS && flow.earlyBytes + payload.length <= MAX_EARLY_BYTES) {
        flow.early.push({ seq: dataSeq, data: Buffer.from(payload) });
        flow.earlyBytes += payload.length;
        this.bufferedBytes += payload.length;
        outcome = PCAP.tcpOutOfOrder;
      } else {
        // The gap is not going to fill: start over at this segment.
        this.release(flow);
        flow.next = dataSeq;
        delivered += this.append(flow, payload, sink);
      }
    } else if (-ahead >= payload.length) {
      outcome = PCAP.tcpRetransmission;
    } else {
      delivered += this.append(flow, payload.subarray(-ahead), sink);
      delivered += this.appendEarly(flow, sink);
    }
    if (closing) this.drop(key, flow);
    else this.enforceBounds();
    if (delivered > 0) return null;
    return outcome ?? PCAP.tcpPartial;
  }

  clear(): void {
    this.flows.clear();
    this.bufferedBytes = 0;
  }

  private open(key: string, next: number): Flow {
    const flow: Flow = { next, pending: null, early: [], earlyBytes: 0 };
    this.flows.set(key, flow);
    return flow;
  }

  /** Appends in-sequence bytes and hands out the messages they complete; returns how many. */
  private append(flow: Flow, data: Buffer, sink: MessageSink): number {
    flow.next = (flow.next + data.length) >>> 0;
    const held = flow.pending;
    let bytes = data;
    if (held !== null) {
      this.bufferedBytes -= held.length;
      bytes = Buffer.concat([held, data]);
    }
    let p = 0;
    let count = 0;
    while (bytes.length - p >= 2) {
      const length = bytes.readUInt16BE(p);
      if (bytes.length - p - 2 < length) break;
      sink.message(bytes.subarray(p + 2, p + 2 + length));
      count++;
      p += 2 + length;
    }
    flow.pending = p < bytes.length ? Buffer.from(bytes.subarray(p)) : null;
    if (flow.pending !== null) this.bufferedBytes += flow.pending.length;
    return count;
  }

  /** Early segments that the stream has now reached. */
  private appendEarly(flow: Flow, sink: MessageSink): number {
    let count = 0;
    for (let progressed = true; progressed && flow.early.length > 0; ) {
      progressed = false;
      for (let i = 0; i < flow.early.length; i++) {
        const segment = flow.early[i]!;
        const ahead = (segment.seq - flow.next) | 0;
        if (ahead > 0) continue;
        flow.early.splice(i, 1);
        flow.earlyBytes -= segment.data.length;
        this.bufferedBytes -= segment.data.length;
        if (-ahead < segment.data.length) count += this.append(flow, segment.data.subarray(-ahead), sink);
        progressed = true;
        break;
      }
    }
    return count;
  }

  private release(flow: Flow): void {
    this.bufferedBytes -= (flow.pending?.length ?? 0) + flow.earlyBytes;
    flow.pending = null;
    flow.early = [];
    flow.earlyBytes = 0;
  }

  private drop(key: string, flow: Flow): void {
    this.release(flow);
    this.flows.delete(key);
  }

  private enforceBounds(): void {
    while (this.flows.size > this.maxFlows || this.bufferedBytes > this.maxBytes) {
      const oldest = this.flows.entries().next().value;
      if (oldest === undefined) break;
      this.drop(oldest[0], oldest[1]);
      this.evicted++;
    }
  }
}
