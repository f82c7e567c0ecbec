/**
 * The benign-zone data file (rules/benign-zones.yaml and users' extra files):
 * which zones hold DNSBL/URIBL lookups, antivirus and reputation hash lookups,
 * and CDN hosts, and what their lookups look like. A zone here is never
 * benign by name alone: src/benign/classify.ts also checks the labels below it
 * against the shapes named here. docs/SIGNATURES.md describes the format.
 */
import { z } from 'zod';
import { invalidFileError, packagedRulesPath, readYamlFile } from '../signatures/rules-file.js';
import { CDN_HOST_PATTERNS } from './cdn-hosts.js';
import { HASH_SHAPES } from './shapes.js';

const zoneName = z
  .string()
  .min(3)
  .max(200)
  .transform((s) => (s.endsWith('.') ? s.slice(0, -1) : s).toLowerCase())
  .refine(isZoneName, { message: 'expected a zone name such as zen.spamhaus.org (at least two labels of a-z 0-9 - _)' });

/** Two or more non-empty labels of a-z 0-9 - _ (a character loop: no regex). */
function isZoneName(s: string): boolean {
  let labels = 1;
  let length = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2e) {
      if (length === 0) return false;
      labels++;
      length = 0;
    } else if ((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f) {
      if (++length > 63) return false;
    } else return false;
  }
  return labels >= 2 && length > 0;
}

const label = z.string().min(1).max(63).transform((s) => s.toLowerCase());

const dnsblEntry = z
  .object({
    zone: zoneName,
    list: z.string().min(1).max(120).describe('The list’s name, shown in explanations.'),
    lookups: z
      .array(z.enum(['ipv4', 'ipv6', 'domain', 'hash']))
      .min(1)
      .describe('What is looked up: a reversed IPv4 address, reversed IPv6 nibbles, a domain name, a hash.'),
    hashes: z.array(z.enum(HASH_SHAPES)).default([]).describe('For `hash` lookups: the hash shapes accepted.'),
    markers: z.array(label).default([]).describe('For `hash` lookups: labels allowed right after the hash that say what was hashed (_email, _file).'),
    key: z.enum(['dqs']).optional().describe('A subscriber key label sits between the lookup and the zone (Spamhaus DQS: 26 of a-z 0-9).'),
  })
  .strict()
  .refine((e) => !e.lookups.includes('hash') || e.hashes.length > 0, { message: '`hash` lookups need `hashes`', path: ['hashes'] });

const reputationEntry = z
  .object({
    zone: zoneName,
    vendor: z.string().min(1).max(120),
    hashes: z.array(z.enum(HASH_SHAPES)).min(1).describe('Hash shapes accepted as the looked-up object.'),
    extraLabels: z.number().int().min(0).max(8).default(0).describe('Short tokens (1–8 of a-z 0-9 -) allowed beside the hash: versions, products, flags.'),
  })
  .strict();

const cdnEntry = z
  .object({
    zone: zoneName,
    provider: z.string().min(1).max(120),
    hosts: z.enum(CDN_HOST_PATTERNS).describe('How the provider names hosts under the zone (src/benign/cdn-hosts.ts).'),
  })
  .strict();

const fileSchema = z
  .object({
    version: z.literal(1),
    dnsbl: z.array(dnsblEntry).max(5000).default([]),
    reputation: z.array(reputationEntry).max(5000).default([]),
    cdn: z.array(cdnEntry).max(5000).default([]),
  })
  .strict();

export type DnsblZone = z.output<typeof dnsblEntry>;
export type ReputationZone = z.output<typeof reputationEntry>;
export type CdnZone = z.output<typeof cdnEntry>;

export interface BenignZones {
  dnsbl: DnsblZone[];
  reputation: ReputationZone[];
  cdn: CdnZone[];
}

export function defaultBenignZoneFile(): string {
  return packagedRulesPath('benign-zones.yaml');
}

/** Validates the parsed contents of a zone file; errors name `path` and every bad field. */
export function validateBenignZoneFile(raw: unknown, path: string): BenignZones {
  const result = fileSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  throw invalidFileError('benign zone file', path, result.error, raw);
}

/**
 * The packaged zones, then each extra file: an entry for a zone already listed
 * in the same section replaces it, new zones are added.
 */
export function loadBenignZones(extraFiles: readonly string[] = []): BenignZones {
  const merged: BenignZones = { dnsbl: [], reputation: [], cdn: [] };
  for (const file of [defaultBenignZoneFile(), ...extraFiles]) {
    const zones = validateBenignZoneFile(readYamlFile(file, 'benign zone file'), file);
    mergeSection(merged.dnsbl, zones.dnsbl);
    mergeSection(merged.reputation, zones.reputation);
    mergeSection(merged.cdn, zones.cdn);
  }
  return merged;
}

function mergeSection<T extends { zone: string }>(into: T[], from: readonly T[]): void {
  for (const entry of from) {
    const at = into.findIndex((e) => e.zone === entry.zone);
    if (at >= 0) into[at] = entry;
    else into.push(entry);
  }
}
