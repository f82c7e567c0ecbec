/**
 * Indicators as a DNS response-policy zone (RPZ) file, loadable by BIND
 * (`response-policy { zone "rpz.tunnelwatch"; };`), Unbound (`rpz:`) and Knot
 * Resolver. SOA and NS at the apex, then for each domain a QNAME trigger for
 * the domain itself and one for all its subdomains (`*.domain`):
 *
 *   nxdomain  `CNAME .`       the name does not exist
 *   nodata    `CNAME *.`      the name exists but has no records of the asked type
 *   sinkhole  `A`/`AAAA` ADDR  answers with the sinkhole address (A queries get
 *                             an IPv4 sinkhole, AAAA queries an IPv6 one)
 *
 * Owner names are relative to `$ORIGIN` (the zone). Only names that pass
 * `checkDomain` are written (strict letters-digits-hyphens for sinkhole
 * address records, which BIND's `check-names` would otherwise reject with the
 * whole zone); the rest are refused through `onRefused`. Comments carry only
 * numbers and dates, never attacker text.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { DomainIndicator } from '../indicators/rollup.js';
import { asciiLower, exportable, type Refusal } from './hostname.js';

export type RpzAction = 'nxdomain' | 'nodata' | 'sinkhole';

export const DEFAULT_RPZ_ZONE = 'rpz.tunnelwatch.';
export const DEFAULT_SINKHOLE = '0.0.0.0';

export interface RpzOptions {
  /** SOA serial, 1 … 2^32−1 (e.g. YYYYMMDDnn or epoch seconds). */
  serial: number;
  /** Zone name; default `rpz.tunnelwatch.`. */
  zone?: string;
  action?: RpzAction;
  /** Sinkhole address (IPv4 or IPv6) for `action: 'sinkhole'`; default 0.0.0.0. */
  sinkhole?: string;
  /** TTL of every record, seconds; default 300. */
  ttl?: number;
  /** When the file is generated (epoch ms), for the header comment only. */
  now?: number;
  onRefused?: (refusal: Refusal) => void;
}

/** The zone name, lower-cased and fully qualified; throws RangeError unless it is a plain host name. */
export function normalizeZoneName(zone: string): string {
  let z = asciiLower(zone);
  if (!z.endsWith('.')) z += '.';
  const body = z.slice(0, -1);
  if (body.length === 0 || body.length > 253 || !body.split('.').every((label) => /^[a-z0-9_-]{1,63}$/.test(label))) {
    throw new RangeError(`invalid RPZ zone name ${JSON.stringify(zone)}: labels of 1-63 characters [a-z0-9-_], 253 characters at most`);
  }
  return z;
}

export function checkSerial(serial: number): number {
  if (!Number.isInteger(serial) || serial < 1 || serial > 0xffffffff) throw new RangeError(`RPZ serial must be an integer from 1 to 4294967295, not ${serial}`);
  return serial;
}

/** A serial from a time: epoch seconds (valid until 2106). */
export function serialFromTime(ms: number): number {
  return Math.max(1, Math.floor(ms / 1000) % 0x100000000);
}

function iso(ms: number): string {
  const d = new Date(ms);
  return Number.isFinite(d.getTime()) ? d.toISOString() : 'unknown';
}

export function toRpz(indicators: readonly DomainIndicator[], options: RpzOptions): string {
  const zone = normalizeZoneName(options.zone ?? DEFAULT_RPZ_ZONE);
  const serial = checkSerial(options.serial);
  const action = options.action ?? 'nxdomain';
  const ttl = options.ttl ?? 300;
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > 0x7fffffff) throw new RangeError(`RPZ TTL must be an integer number of seconds, not ${ttl}`);
  let rdata: string;
  switch (action) {
    case 'nxdomain':
      rdata = 'CNAME .';
      break;
    case 'nodata':
      rdata = 'CNAME *.';
      break;
    case 'sinkhole': {
      const address = options.sinkhole ?? DEFAULT_SINKHOLE;
      if (isIPv4(address)) rdata = `A ${address}`;
      else if (isIPv6(address) && !address.includes('%')) rdata = `AAAA ${address}`;
      else throw new RangeError(`sinkhole must be an IPv4 or IPv6 address, not ${JSON.stringify(address)}`);
      break;
    }
    default:
      throw new RangeError(`unknown RPZ action ${JSON.stringify(action)}`);
  }

  const entries = exportable(indicators, { strictLdh: action === 'sinkhole', onRefused: options.onRefused });
  const lines: string[] = [
    `; tunnelwatch response-policy zone ${zone}`,
    `; action ${action}, ${entries.length} domain${entries.length === 1 ? '' : 's'}${options.now === undefined ? '' : `, generated ${iso(options.now)}`}`,
    `$ORIGIN ${zone}`,
    `$TTL ${ttl}`,
    `@ IN SOA localhost. hostmaster.localhost. ${serial} 3600 600 864000 60`,
    `@ IN NS localhost.`,
  ];
  for (const { indicator, name } of entries) {
    lines.push(
      '',
      `; first seen ${iso(indicator.firstSeen)}, last seen ${iso(indicator.lastSeen)}, score ${indicator.score.toFixed(3)}, ` +
        `${indicator.alerts} alert${indicator.alerts === 1 ? '' : 's'}, expires ${iso(indicator.expires)}`,
      `${name} ${rdata}`,
      `*.${name} ${rdata}`,
    );
  }
  return lines.join('\n') + '\n';
}
