/**
 * The `pcap` record format: DNS queries from packet captures (classic pcap and pcapng).
 *
 *   bytes ─▶ CaptureFileReader ─▶ packet ─▶ link layer ─▶ IPv4/IPv6 ─▶ UDP ───────────────┬─▶ DnsEventMapper ─▶ events
 *            (records, any         (link type,               (fragments     └▶ TCP ─▶ DnsTcpStreams ┘   (pairs queries
 *             chunking)             time, offset)             skipped)                (length-prefixed)     and responses)
 *
 * A record is a packet, numbered from 1 in `position.line` as Wireshark numbers frames (a damaged
 * or unknown pcapng block, when reported, takes a number too); `position.offset` is the byte
 * offset of its record in the file. Every packet ends in one event or one rejection, except a TCP
 * segment that completes several DNS messages, which counts once per message.
 *
 * DNS is recognised by port: 53 (DNS), 5353 (mDNS), 5355 (LLMNR), on either side.
 */
import type { Config } from '../../config/schema.js';
import type { SourcePosition } from '../../event.js';
import type { Rejection } from '../parser.js';
import type { DecodedRecords, RecordDecoder } from '../record-decoder.js';
import { CaptureFileReader, type CaptureSink } from './capture-file.js';
import { DEFAULT_PAIRING, DnsEventMapper, type PacketContext, type PairingOptions } from './dns-events.js';
import { addressText } from '../address-text.js';
import { PROTO_TCP, PROTO_UDP, readIp, type IpPacket } from './ip.js';
import { findNetworkLayer, type NetworkStart } from './link-layer.js';
import { PCAP } from './reasons.js';
import { DnsTcpStreams, type MessageSink } from './tcp-streams.js';

export const DNS_PORTS: readonly number[] = [53, 5353, 5355];

function isDnsPort(port: number): boolean {
  return port === 53 || port === 5353 || port === 5355;
}

export interface PcapDecoderOptions {
  pairing?: PairingOptions;
  /** Bounds of the DNS-over-TCP flow table. */
  maxTcpFlows?: number;
  maxTcpBytes?: number;
}

export class PcapDecoder implements RecordDecoder, CaptureSink, MessageSink {
  readonly format = 'pcap';
  private readonly reader = new CaptureFileReader(this);
  private readonly dns: DnsEventMapper;
  private readonly tcp: DnsTcpStreams;
  private out: DecodedRecords | null = null;
  private source = '';
  private records = 0;
  private readonly network: NetworkStart = { version: 0, start: 0 };
  private readonly ip: IpPacket = { version: 0, source: 0, destination: 0, protocol: 0, payloadStart: 0, declaredEnd: 0, capturedEnd: 0 };
  private readonly ctx: PacketContext = {
    source: '',
    line: 0,
    offset: 0,
    time: 0,
    tcp: false,
    sourceIp: '',
    sourcePort: 0,
    destinationIp: '',
    destinationPort: 0,
    raw: new Uint8Array(0),
  };

  constructor(options: PcapDecoderOptions = {}) {
    this.dns = new DnsEventMapper(options.pairing ?? DEFAULT_PAIRING);
    this.tcp = new DnsTcpStreams(options.maxTcpFlows, options.maxTcpBytes);
  }

  /** Queries waiting for their response, and DNS-over-TCP flows held (both bounded). */
  get state(): { waitingQueries: number; evictedQueries: number; tcpFlows: number; tcpBufferedBytes: number } {
    return { waitingQueries: this.dns.waiting, evictedQueries: this.dns.evicted, tcpFlows: this.tcp.size, tcpBufferedBytes: this.tcp.buffered };
  }

  push(data: Buffer, offset: number, source: string, out: DecodedRecords): void {
    this.bind(source, out);
    this.reader.push(data, offset);
  }

  end(source: string, out: DecodedRecords, stopped = false): void {
    this.bind(source, out);
    this.reader.end(stopped);
    this.dns.drain();
    this.tcp.clear();
    this.records = 0;
  }

  private bind(source: string, out: DecodedRecords): void {
    this.out = out;
    this.source = source;
    this.dns.setOutput(out);
  }

  bad(reason: Rejection, raw: Buffer, offset: number): void {
    const position: SourcePosition = { source: this.source, line: ++this.records, offset };
    this.out!.reject(reason, raw, position, NaN);
  }

  packet(linkType: number, frame: Buffer, _originalLength: number, time: number, offset: number): void {
    const ctx = this.ctx;
    ctx.source = this.source;
    ctx.line = ++this.records;
    ctx.offset = offset;
    ctx.time = time;
    ctx.raw = frame;
    if (time !== time) return this.reject(PCAP.noTimestamp); // NaN: an SPB before any timestamp
    this.dns.expire(time);

    const network = this.network;
    const ip = this.ip;
    const notIp = findNetworkLayer(linkType, frame, network) ?? readIp(frame, network.start, network.version, ip);
    if (notIp !== null) return this.reject(notIp);
    if (ip.protocol === PROTO_UDP) this.udp(frame, ip);
    else if (ip.protocol === PROTO_TCP) this.tcpSegment(frame, ip);
    else this.reject(PCAP.notDns);
  }

  private udp(frame: Buffer, ip: IpPacket): void {
    const p = ip.payloadStart;
    if (p + 8 > ip.declaredEnd) return this.reject(PCAP.badUdp);
    if (p + 8 > ip.capturedEnd) return this.reject(PCAP.truncatedCapture);
    const sourcePort = frame.readUInt16BE(p);
    const destinationPort = frame.readUInt16BE(p + 2);
    if (!isDnsPort(sourcePort) && !isDnsPort(destinationPort)) return this.reject(PCAP.notDns);
    const length = frame.readUInt16BE(p + 4);
    if (length < 8 || p + length > ip.declaredEnd) return this.reject(PCAP.badUdp);
    this.setEndpoints(frame, ip, sourcePort, destinationPort, false);
    this.dns.message(this.ctx, frame.subarray(p + 8, Math.min(p + length, ip.capturedEnd)), length - 8);
  }

  private tcpSegment(frame: Buffer, ip: IpPacket): void {
    const p = ip.payloadStart;
    if (p + 20 > ip.declaredEnd) return this.reject(PCAP.badTcp);
    if (p + 20 > ip.capturedEnd) return this.reject(PCAP.truncatedCapture);
    const sourcePort = frame.readUInt16BE(p);
    const destinationPort = frame.readUInt16BE(p + 2);
    if (!isDnsPort(sourcePort) && !isDnsPort(destinationPort)) return this.reject(PCAP.notDns);
    const headerBytes = (frame[p + 12]! >> 4) * 4;
    if (headerBytes < 20 || p + headerBytes > ip.declaredEnd) return this.reject(PCAP.badTcp);
    if (ip.capturedEnd < ip.declaredEnd) return this.reject(PCAP.truncatedCapture);
    const ctx = this.setEndpoints(frame, ip, sourcePort, destinationPort, true);
    const key = `${ctx.sourceIp} ${sourcePort} ${ctx.destinationIp} ${destinationPort}`;
    const payload = frame.subarray(p + headerBytes, ip.declaredEnd);
    const none = this.tcp.segment(key, frame.readUInt32BE(p + 4), frame[p + 13]!, payload, this);
    if (none !== null) this.reject(none);
  }

  /** A whole DNS message reassembled from TCP (MessageSink). */
  message(message: Buffer): void {
    // Quarantine shows the message: it may span packets, and the one at hand holds only its end.
    this.ctx.raw = message;
    this.dns.message(this.ctx, message, message.length);
  }

  private setEndpoints(frame: Buffer, ip: IpPacket, sourcePort: number, destinationPort: number, tcp: boolean): PacketContext {
    const ctx = this.ctx;
    ctx.tcp = tcp;
    const length = ip.version === 4 ? 4 : 16;
    ctx.sourceIp = addressText(frame, ip.source, length)!;
    ctx.destinationIp = addressText(frame, ip.destination, length)!;
    ctx.sourcePort = sourcePort;
    ctx.destinationPort = destinationPort;
    return ctx;
  }

  private reject(rejection: Rejection): void {
    const ctx = this.ctx;
    const position: SourcePosition = { source: ctx.source, line: ctx.line, offset: ctx.offset };
    this.out!.reject(rejection, ctx.raw, position, ctx.time);
  }
}

export function createPcapDecoder(_config: Config): PcapDecoder {
  return new PcapDecoder();
}
