/**
 * Why a packet did not become an event, one fixed set for the whole pcap decoder (the reasons
 * are counted by name in the run summary, so they must not be built from input bytes).
 * Skips are valid traffic that is not a DNS query; the rest are malformed or cut-off records.
 */
import { Rejection } from '../parser.js';

export const PCAP = {
  // The capture file itself.
  badMagic: Rejection.of('pcap_bad_magic'),
  truncatedFile: Rejection.of('pcap_truncated_record'),
  badRecordLength: Rejection.of('pcap_bad_record_length'),
  badBlock: Rejection.of('pcapng_bad_block'),
  unknownInterface: Rejection.of('pcapng_unknown_interface'),
  unknownBlock: Rejection.of('pcapng_unknown_block', true),
  noTimestamp: Rejection.of('pcapng_no_timestamp'),
  // Link, network and transport layers.
  linkUnsupported: Rejection.of('link_unsupported', true),
  notIp: Rejection.of('not_ip', true),
  truncatedLink: Rejection.of('truncated_link'),
  badIp: Rejection.of('bad_ip_header'),
  ipFragment: Rejection.of('ip_fragment', true),
  notDns: Rejection.of('not_dns', true),
  badUdp: Rejection.of('bad_udp_header'),
  badTcp: Rejection.of('bad_tcp_header'),
  truncatedCapture: Rejection.of('truncated_capture'),
  // DNS over TCP.
  tcpNoPayload: Rejection.of('tcp_no_payload', true),
  tcpPartial: Rejection.of('tcp_partial_message', true),
  tcpRetransmission: Rejection.of('tcp_retransmission', true),
  tcpOutOfOrder: Rejection.of('tcp_out_of_order', true),
  // DNS messages.
  dnsShort: Rejection.of('dns_short_header'),
  dnsBadQuestion: Rejection.of('dns_bad_question'),
  dnsNoQuestion: Rejection.of('dns_no_question', true),
  dnsOpcode: Rejection.of('dns_not_query_opcode', true),
  responsePaired: Rejection.of('response_paired', true),
} as const;
