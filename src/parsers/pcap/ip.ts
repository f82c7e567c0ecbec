/**
 * IPv4 and IPv6 headers, as far as finding the transport header: addresses, protocol, and where
 * the payload ends by the header's own length (Ethernet pads short frames) and by the capture
 * (a snapshot length may cut it). Fragments are reported, not reassembled: DNS over UDP stays
 * under the path MTU since DNS Flag Day 2020, and a fragment other than the first has no ports.
 */
import type { Rejection } from '../parser.js';
import { PCAP } from './reasons.js';

export interface IpPacket {
  version: number;
  /** Offsets of the source and destination addresses in the frame. */
  source: number;
  destination: number;
  protocol: number;
  /** Transport header offset, and where the payload ends as declared and as captured. */
  payloadStart: number;
  declaredEnd: number;
  capturedEnd: number;
}

export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
/** IPv6 extension headers walked before giving up: more is not a real packet. */
const MAX_EXTENSION_HEADERS = 16;

export function readIp(frame: Buffer, start: number, version: number, out: IpPacket): Rejection | null {
  return version === 4 ? readIpv4(frame, start, out) : readIpv6(frame, start, out);
}

function readIpv4(frame: Buffer, start: number, out: IpPacket): Rejection | null {
  if (frame.length < start + 20) return PCAP.truncatedCapture;
  const first = frame[start]!;
  const headerBytes = (first & 0x0f) * 4;
  const total = frame.readUInt16BE(start + 2);
  if (first >> 4 !== 4 || headerBytes < 20 || total < headerBytes) return PCAP.badIp;
  if (frame.length < start + headerBytes) return PCAP.truncatedCapture;
  // More-fragments flag or a fragment offset: part of a datagram.
  if ((frame.readUInt16BE(start + 6) & 0x3fff) !== 0) return PCAP.ipFragment;
  out.version = 4;
  out.source = start + 12;
  out.destination = start + 16;
  out.protocol = frame[start + 9]!;
  out.payloadStart = start + headerBytes;
  out.declaredEnd = start + total;
  out.capturedEnd = Math.min(frame.length, start + total);
  return null;
}

function readIpv6(frame: Buffer, start: number, out: IpPacket): Rejection | null {
  if (frame.length < start + 40) return PCAP.truncatedCapture;
  if (frame[start]! >> 4 !== 6) return PCAP.badIp;
  const payloadLength = frame.readUInt16BE(start + 4);
  // Payload length 0 is a jumbogram (RFC 2675): the capture is all there is to go by.
  const declaredEnd = payloadLength === 0 ? frame.length : start + 40 + payloadLength;
  let next = frame[start + 6]!;
  let p = start + 40;
  for (let n = 0; ; n++) {
    if (next === PROTO_UDP || next === PROTO_TCP) break;
    // Hop-by-hop, routing, destination options, mobility, HIP, shim6: [next][length in 8-byte units − 1].
    const generic = next === 0 || next === 43 || next === 60 || next === 135 || next === 139 || next === 140;
    if (!(generic || next === 44 || next === 51) || n === MAX_EXTENSION_HEADERS) return PCAP.notDns;
    if (p + 8 > declaredEnd) return PCAP.badIp;
    if (p + 8 > frame.length) return PCAP.truncatedCapture;
    const following = frame[p]!;
    let length: number;
    if (next === 44) {
      // Fragment header: an atomic fragment (offset 0, no more fragments) is a whole packet.
      if ((frame.readUInt16BE(p + 2) & 0xfff9) !== 0) return PCAP.ipFragment;
      length = 8;
    } else if (next === 51) {
      length = (frame[p + 1]! + 2) * 4; // AH counts 4-byte units
    } else {
      length = (frame[p + 1]! + 1) * 8;
    }
    next = following;
    p += length;
  }
  if (p > declaredEnd) return PCAP.badIp;
  out.version = 6;
  out.source = start + 8;
  out.destination = start + 24;
  out.protocol = next;
  out.payloadStart = p;
  out.declaredEnd = declaredEnd;
  out.capturedEnd = Math.min(frame.length, declaredEnd);
  return null;
}
