/**
 * What one query contributes to its domain's evidence, computed at most once per event and only
 * when a window found its subdomain new (repeats carry no new data). The per-query features
 * (src/features/query-features.ts) decide whether the subdomain looks like encoded data and how
 * much information it can hold; the signature and benign-class matchers are asked here too, so the
 * scoring rule sees one object per query.
 */
import { BenignClassifier, type BenignMatch } from '../benign/classify.js';
import { loadBenignZones } from '../benign/zones.js';
import type { Config } from '../config/schema.js';
import type { DnsEvent } from '../event.js';
import { loadSignatureRules } from '../signatures/load.js';
import { SignatureMatcher, type SignatureMatch } from '../signatures/matcher.js';
import { extractFeatures, newQueryFeatures, type Charset, type QueryFeatures } from '../features/query-features.js';

export type { BenignMatch, SignatureMatch };

export interface QueryClassifiers {
  signature(event: DnsEvent): SignatureMatch | null;
  benign(event: DnsEvent): BenignMatch | null;
}

export const NO_CLASSIFIERS: QueryClassifiers = { signature: () => null, benign: () => null };

/** Loaded rule and zone files, by the list of extra files, so engines made in one process share them. */
const loaded = new Map<string, QueryClassifiers>();

/** The tool signatures (rules/signatures.yaml + `detection.signatureFiles`) and benign classes (rules/benign-zones.yaml + `detection.benignZoneFiles`). */
export function classifiersFor(config: Config): QueryClassifiers {
  const { signatureFiles, benignZoneFiles } = config.detection;
  const key = JSON.stringify([signatureFiles, benignZoneFiles]);
  let classifiers = loaded.get(key);
  if (classifiers === undefined) {
    const matcher = new SignatureMatcher(loadSignatureRules(signatureFiles));
    const benign = new BenignClassifier(loadBenignZones(benignZoneFiles));
    classifiers = { signature: (e) => matcher.match(e), benign: (e) => benign.classify(e) };
    loaded.set(key, classifiers);
  }
  return classifiers;
}

export interface QueryFacts {
  benign: BenignMatch | null;
  signature: SignatureMatch | null;
  features: QueryFeatures;
  /** The subdomain looks like encoded data (see `isEncoded`). */
  encoded: boolean;
  /** Estimated information in the subdomain, bits (see `informationBits`). */
  bits: number;
  rareType: boolean;
  /** Answer code when the source has it: NXDOMAIN for unique names is how many exfiltration tools' queries end. */
  rcode: string | undefined;
  /** Why the asking client is a traffic outlier (src/scoring/client-profiles.ts), or null. */
  clientOutlier: string | null;
}

export interface EncodedCriteria {
  /** Payload bytes (subdomain without its separating dots) below which a name is not called encoded. */
  minPayloadBytes: number;
  /** English-likeness (0 random … 1 typical name) at or above which it is not called encoded. */
  maxEnglishLikeness: number;
  /** Entropy (bits per byte) from which a name outside the encoding alphabets is called encoded. */
  minTextEntropy: number;
}

/** Bits one character of each alphabet can carry. */
const ALPHABET_BITS: Record<Charset, number> = { hex: 4, base32: 5, base64: 6, base64url: 6, binary: 8, text: 5.2, mixed: 6.5 };

/**
 * Information content of a subdomain: payload bytes × min(observed entropy, what its alphabet can
 * carry) × (1 − English-likeness). Length alone would credit `accounts.login.example.com` with as
 * much as a base32 blob; this credits words with little and random data with nearly all of it.
 */
export function informationBits(f: QueryFeatures): number {
  const payload = f.subdomainBytes - Math.max(0, f.labels - 1);
  if (payload <= 0) return 0;
  return payload * Math.min(f.entropy, ALPHABET_BITS[f.charset]) * (1 - f.englishLikeness);
}

/**
 * Long, not English-like, and either in an encoding's alphabet or as varied as random data. The
 * entropy alternative matters: tools put headers in front of their data (iodine's hex user id, a
 * sequence number), which knocks a label out of the strict base32 alphabet without making it text.
 */
export function isEncoded(f: QueryFeatures, criteria: EncodedCriteria): boolean {
  const payload = f.subdomainBytes - Math.max(0, f.labels - 1);
  if (payload < criteria.minPayloadBytes || f.englishLikeness >= criteria.maxEnglishLikeness) return false;
  return (f.charset !== 'text' && f.charset !== 'mixed') || f.entropy >= criteria.minTextEntropy;
}

export function queryFacts(event: DnsEvent, classifiers: QueryClassifiers, criteria: EncodedCriteria, clientOutlier: string | null = null): QueryFacts {
  const features = extractFeatures(event, newQueryFeatures());
  return {
    benign: classifiers.benign(event),
    signature: classifiers.signature(event),
    features,
    encoded: isEncoded(features, criteria),
    bits: informationBits(features),
    rareType: features.rareType,
    rcode: event.rcode,
    clientOutlier,
  };
}
