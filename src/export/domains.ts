/**
 * Indicators as a plain domain list, one lower-cased name per line, nothing
 * else (for dnsmasq/Pi-hole/firewall feeds). Same validation as RPZ: names
 * that are not plain host names are refused through `onRefused`.
 */
import type { DomainIndicator } from '../indicators/rollup.js';
import { exportable, type Refusal } from './hostname.js';

export interface DomainsOptions {
  onRefused?: (refusal: Refusal) => void;
}

export function toDomains(indicators: readonly DomainIndicator[], options: DomainsOptions = {}): string {
  return exportable(indicators, { onRefused: options.onRefused })
    .map((e) => `${e.name}\n`)
    .join('');
}
