/**
 * From a captured frame to its IP packet, for the link types a DNS capture comes in:
 *
 *   0    NULL (BSD loopback)  [address family, 4 bytes, the capturing host's byte order]
 *   1    Ethernet             [dst 6][src 6]([TPID 8100/88a8/9100][TCI])*[ethertype]   802.1Q, QinQ
 *   12, 14, 101               raw IP (101 is LINKTYPE_RAW; old files carry DLT_RAW's 12 or 14)
 *   108  LOOP (OpenBSD)       [address family, 4 bytes, network order]
 *   113  Linux cooked (SLL)   [16 bytes, ethertype at 14]          `tcpdump -i any`
 *   228, 229                  raw IPv4, raw IPv6
 *   276  Linux cooked v2      [ethertype 2][2][ifindex 4][hatype 2][pkttype 1][halen 1][addr 8]
 */
import type { Rejection } from '../parser.js';
import { PCAP } from './reasons.js';

export interface NetworkStart {
  /** 4 or 6. */
  version: number;
  /** Offset of the IP header in the frame. */
  start: number;
}

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
/** More stacked VLAN tags than this is not a real frame. */
const MAX_VLAN_TAGS = 8;

export function findNetworkLayer(linkType: number, frame: Buffer, out: NetworkStart): Rejection | null {
  switch (linkType) {
    case 1:
      if (frame.length < 14) return PCAP.truncatedLink;
      return ethertype(frame, 12, out);
    case 113:
      if (frame.length < 16) return PCAP.truncatedLink;
      return ethertype(frame, 14, out);
    case 276:
      if (frame.length < 20) return PCAP.truncatedLink;
      return afterEthertype(frame.readUInt16BE(0), frame, 20, out);
    case 12:
    case 14:
    case 101:
      return rawIp(frame, 0, out);
    case 228:
      return fixedIp(4, 0, out);
    case 229:
      return fixedIp(6, 0, out);
    case 0:
    case 108: {
      if (frame.length < 4) return PCAP.truncatedLink;
      // NULL is in the writer's byte order: a family fits in 16 bits, so the order that gives a small value is right.
      let family = linkType === 108 ? frame.readUInt32BE(0) : frame.readUInt32LE(0);
      if (family > 0xffff) family = frame.readUInt32BE(0);
      if (family === 2) return fixedIp(4, 4, out);
      // AF_INET6 is 10 on Linux, 24 on NetBSD/OpenBSD, 28 on FreeBSD, 30 on macOS.
      if (family === 10 || family === 24 || family === 28 || family === 30) return fixedIp(6, 4, out);
      return PCAP.notIp;
    }
    default:
      return PCAP.linkUnsupported;
  }
}

/** The ethertype at `at`, after any VLAN tags. */
function ethertype(frame: Buffer, at: number, out: NetworkStart): Rejection | null {
  let p = at;
  let type = frame.readUInt16BE(p);
  for (let tags = 0; type === 0x8100 || type === 0x88a8 || type === 0x9100; tags++) {
    if (tags === MAX_VLAN_TAGS) return PCAP.notIp;
    p += 4;
    if (p + 2 > frame.length) return PCAP.truncatedLink;
    type = frame.readUInt16BE(p);
  }
  return afterEthertype(type, frame, p + 2, out);
}

function afterEthertype(type: number, frame: Buffer, start: number, out: NetworkStart): Rejection | null {
  if (type === ETHERTYPE_IPV4) return fixedIp(4, start, out);
  if (type === ETHERTYPE_IPV6) return fixedIp(6, start, out);
  if (type === 0x8100 || type === 0x88a8 || type === 0x9100) return ethertype(frame, start - 2, out);
  return PCAP.notIp;
}

function rawIp(frame: Buffer, start: number, out: NetworkStart): Rejection | null {
  if (frame.length <= start) return PCAP.truncatedLink;
  const version = frame[start]! >> 4;
  if (version !== 4 && version !== 6) return PCAP.notIp;
  return fixedIp(version, start, out);
}

function fixedIp(version: number, start: number, out: NetworkStart): null {
  out.version = version;
  out.start = start;
  return null;
}
