/**
 * One explained verdict: every detector states what it measured, the value, the threshold at which
 * that measurement alone is full evidence, and its weight. A domain window's score is the sum of
 * weight × min(1, value / threshold) over its evidence, capped at 100, so a measurement half-way to
 * its threshold counts half and several weak signals can add up to one strong one — and the alert
 * shows each term, so an analyst can see which ones carried it.
 */

export interface Evidence {
  /** Detector id, stable for machines (`signature`, `distinct_subdomains`, `upstream_bytes`…). */
  detector: string;
  /** What was measured, for people. */
  what: string;
  value: number;
  threshold: number;
  weight: number;
  /** weight × min(1, value / threshold), rounded to 0.1. */
  points: number;
}

export type Severity = 'low' | 'medium' | 'high' | 'critical';

export function evidence(detector: string, what: string, value: number, threshold: number, weight: number): Evidence {
  return { detector, what, value, threshold, weight, points: points(value, threshold, weight) };
}

/** weight × min(1, value / threshold), rounded to 0.1. */
export function points(value: number, threshold: number, weight: number): number {
  const share = threshold <= 0 ? (value > 0 ? 1 : 0) : Math.min(1, value / threshold);
  return Math.round(weight * share * 10) / 10;
}

/** 0–100. */
export function scoreOf(items: readonly Evidence[]): number {
  let total = 0;
  for (const e of items) total += e.points;
  return Math.min(100, Math.round(total));
}

export function severityOf(score: number): Severity {
  if (score >= 90) return 'critical';
  if (score >= 75) return 'high';
  if (score >= 50) return 'medium';
  return 'low';
}
