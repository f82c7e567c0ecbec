/**
 * dns-packet's own mnemonic tables (plain CommonJS modules in the package, without types of their
 * own): the pcap decoder names question types and rcodes with them, as dns-packet names the
 * types of the records it decodes.
 */
declare module 'dns-packet/types.js' {
  /** The mnemonic of a type number, `UNKNOWN_<n>` for one it does not know. */
  export function toString(type: number): string;
}

declare module 'dns-packet/rcodes.js' {
  /** The mnemonic of a 4-bit rcode, `RCODE_<n>` for an unassigned one. */
  export function toString(rcode: number): string;
}
