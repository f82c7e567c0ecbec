/**
 * Indicators as a STIX 2.1 bundle (JSON): an `identity` for tunnelwatch and
 * one `indicator` per domain, created by it, with a STIX pattern
 * `[domain-name:value = '…']` (`\` and `'` escaped as STIX patterning
 * requires), `valid_from` = first seen, `valid_until` = expiry.
 *
 * Ids are UUIDv5 (RFC 9562 §5.5) under a fixed tunnelwatch namespace: the
 * indicator's from its domain, the identity's from a constant, the bundle's
 * from `now` and the indicator ids, so exporting the same indicators again
 * yields the same ids (a newer `modified` makes it a new version of the same
 * object). `created`/`modified` are `now`.
 *
 * Domains are written as rolled up (not validated); JSON.stringify escapes
 * every control character, so hostile names stay inert data.
 */
import { createHash } from 'node:crypto';
import type { DomainIndicator } from '../indicators/rollup.js';

/** UUIDv5 namespace of tunnelwatch objects: uuidv5(NAMESPACE_DNS, "tunnelwatch"). */
export const TUNNELWATCH_UUID_NAMESPACE = 'e3425591-bee3-5927-8404-2eb206782629';

/** RFC 9562 UUIDv5 (SHA-1, name-based) of `name` under `namespace`. */
export function uuidv5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replaceAll('-', ''), 'hex');
  if (ns.length !== 16) throw new RangeError(`invalid UUID namespace ${namespace}`);
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  const b = hash.subarray(0, 16);
  b[6] = ((b[6] as number) & 0x0f) | 0x50;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A string literal for a STIX pattern: `\` and `'` backslash-escaped, in single quotes. */
export function stixString(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

export function indicatorId(domain: string): string {
  return `indicator--${uuidv5(TUNNELWATCH_UUID_NAMESPACE, `indicator:domain-name:${domain}`)}`;
}

export const IDENTITY_ID = `identity--${uuidv5(TUNNELWATCH_UUID_NAMESPACE, 'identity:tunnelwatch')}`;

export interface StixOptions {
  /** created/modified of every object (epoch ms). */
  now: number;
}

function stixTime(ms: number): string {
  const d = new Date(ms);
  if (!Number.isFinite(d.getTime())) throw new RangeError(`not a valid time: ${ms}`);
  return d.toISOString();
}

export function toStix(indicators: readonly DomainIndicator[], options: StixOptions): string {
  const now = stixTime(options.now);
  const identity = {
    type: 'identity',
    spec_version: '2.1',
    id: IDENTITY_ID,
    created: now,
    modified: now,
    name: 'tunnelwatch',
    description: 'tunnelwatch DNS tunnel and DNS exfiltration detector',
    identity_class: 'system',
  };
  const objects: Record<string, unknown>[] = [identity];
  const seen = new Set<string>();
  for (const i of indicators) {
    const id = indicatorId(i.domain);
    if (seen.has(id)) continue;
    seen.add(id);
    const rules = i.rules.join(', ');
    const indicator: Record<string, unknown> = {
      type: 'indicator',
      spec_version: '2.1',
      id,
      created_by_ref: IDENTITY_ID,
      created: now,
      modified: now,
      name: `DNS tunnel domain ${i.domain}`,
      description:
        `tunnelwatch raised ${i.alerts} alert${i.alerts === 1 ? '' : 's'} (${rules}) for this registered domain, ` +
        `with up to ${i.maxDistinctSubdomains} distinct subdomains in one window, from ${i.clientCount} ` +
        `client${i.clientCount === 1 ? '' : 's'}${i.tool === undefined ? '' : `; tool: ${i.tool}`}${i.evidence === '' ? '' : `; evidence: ${i.evidence}`}.`,
      indicator_types: ['malicious-activity'],
      labels: ['malicious-activity', 'dns-tunneling'],
      pattern: `[domain-name:value = ${stixString(i.domain)}]`,
      pattern_type: 'stix',
      pattern_version: '2.1',
      valid_from: stixTime(i.firstSeen),
      // STIX: valid_until MUST be later than valid_from.
      ...(i.expires > i.firstSeen ? { valid_until: stixTime(i.expires) } : {}),
      confidence: Math.round(Math.min(Math.max(i.score, 0), 1) * 100),
      kill_chain_phases: [{ kill_chain_name: 'mitre-attack', phase_name: 'command-and-control' }],
      external_references: [
        { source_name: 'mitre-attack', external_id: 'T1071.004', url: 'https://attack.mitre.org/techniques/T1071/004/' },
      ],
    };
    objects.push(indicator);
  }
  const bundleName = `bundle:${now}:${objects.map((o) => o.id as string).join(',')}`;
  const bundle = { type: 'bundle', id: `bundle--${uuidv5(TUNNELWATCH_UUID_NAMESPACE, bundleName)}`, objects };
  return JSON.stringify(bundle, null, 2) + '\n';
}
