/**
 * Input formats. Line formats have a `LineParser` (registry: src/parsers/create.ts); record
 * formats are binary and have a `RecordDecoder` (registry: src/parsers/decoders.ts).
 * `pcap` reads classic pcap and pcapng captures (src/parsers/pcap/); `dnstap` Frame Streams (src/parsers/dnstap/).
 * `unbound` takes query lines (log-queries); `unbound-replies` takes reply lines (log-replies only), with rcode and size.
 */
export const LINE_FORMATS = ['bind', 'zeek-tsv', 'zeek-json', 'suricata-eve', 'windows-dns', 'route53', 'clouddns', 'json', 'dnsmasq', 'unbound', 'unbound-replies'] as const;
export const RECORD_FORMATS = ['pcap', 'dnstap'] as const;
export const FORMATS = [...LINE_FORMATS, ...RECORD_FORMATS] as const;
export type LineFormat = (typeof LINE_FORMATS)[number];
export type RecordFormat = (typeof RECORD_FORMATS)[number];
export type Format = (typeof FORMATS)[number];

export function isRecordFormat(format: string): format is RecordFormat {
  return (RECORD_FORMATS as readonly string[]).includes(format);
}
