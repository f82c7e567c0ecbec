import { createHash } from 'node:crypto';
import type { SourcePosition } from '../event.js';
import type { QueryFeatures } from '../features/query-features.js';
import type { Evidence, Severity } from '../scoring/evidence.js';
import type { DecodedPreview } from '../scoring/preview.js';

export interface AlertClient {
  ip: string;
  distinctSubdomains: number;
}

/** What a rule found, with the evidence an analyst needs to judge it. */
export interface Alert {
  /** Deterministic: the same rule, key and window always give the same id, so any consumer can de-duplicate. */
  id: string;
  rule: string;
  ruleType: string;
  /** Event time of the query that crossed the threshold. */
  time: number;
  /** Wall-clock time the alert was raised. */
  created: number;
  registeredDomain: string;
  /** Set for per-client rules. */
  clientIp?: string;
  window: { name: string; start: number; end: number };
  threshold: number;
  distinctSubdomains: number;
  /** Whether `distinctSubdomains` is exact (it becomes a ~0.8% estimate past the exact limit). */
  distinctExact: boolean;
  queries: number;
  /** Top clients of the domain in the window, by distinct subdomains (queries per client are not kept: see windowed-domains.ts). */
  clients: AlertClient[];
  /** Example subdomains (presentation form), the crossing one last. */
  samples: string[];
  /** The crossing query. */
  question: { name: string; type: string; client: string };
  /** What the crossing query's name looks like (evidence for the analyst; not part of this rule's decision). */
  features: QueryFeatures;
  position: SourcePosition;
  /** One sentence saying why it fired. */
  reason: string;
  /** Score rules: the 0–100 score, its severity and every evidence term that gave points. */
  score?: number;
  severity?: Severity;
  evidence?: Evidence[];
  /** The tool a signature named. */
  tool?: string;
  /** Information content of the window's distinct subdomains, bytes. */
  estimatedBytes?: number;
  decodedPreview?: DecodedPreview;
  /** Queries of the window left out of the score because they were shaped like a benign class. */
  benignExcluded?: { queries: number; firstClass: string };
}

export function alertId(rule: string, key: string, windowName: string, windowStart: number): string {
  return createHash('sha256').update(`${rule}\u0000${key}\u0000${windowName}\u0000${windowStart}`).digest('hex').slice(0, 32);
}
