/** Input formats a parser exists for (the registry is src/parsers/create.ts). */
/** `unbound` takes query lines (log-queries); `unbound-replies` takes reply lines (log-replies only), with rcode and size. */
export const FORMATS = ['bind', 'zeek-tsv', 'zeek-json', 'suricata-eve', 'windows-dns', 'route53', 'clouddns', 'json', 'dnsmasq', 'unbound', 'unbound-replies'] as const;
export type Format = (typeof FORMATS)[number];
