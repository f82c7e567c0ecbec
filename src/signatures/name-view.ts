/**
 * What a rule condition or a named check sees of one event: the name in both
 * cases, its label spans, and how many of the leading labels form the
 * subdomain. Filled once per event by the matcher, only when some rule is a
 * candidate for it, and reused (one object per matcher).
 */
import { newLabelSpans, scanLabels, subdomainLabelCount, type LabelSpans } from '../domain/labels.js';
import type { DnsEvent } from '../event.js';
import { extractFeatures, newQueryFeatures, type QueryFeatures } from '../features/query-features.js';

export interface NameView {
  event: DnsEvent;
  /** The name as logged (original case); `lower` when the event's two forms disagree in length. */
  name: string;
  /** ASCII-lower-cased name (`event.qnameLower`). */
  lower: string;
  labels: LabelSpans;
  /** Leading labels that make up `event.subdomain` (0 when it is empty). */
  subLabels: number;
  /** The event's per-query features, computed on first use (`viewFeatures`); `featuresReady` says whether they are. */
  features: QueryFeatures;
  featuresReady: boolean;
}

export function newNameView(): NameView {
  return {
    event: undefined as unknown as DnsEvent,
    name: '',
    lower: '',
    labels: newLabelSpans(),
    subLabels: 0,
    features: newQueryFeatures(),
    featuresReady: false,
  };
}

/**
 * The subdomain's features (entropy, English-likeness…), computed once per event
 * and only for the few events a check gets far enough to need them.
 */
export function viewFeatures(view: NameView): QueryFeatures {
  if (!view.featuresReady) {
    extractFeatures(view.event, view.features);
    view.featuresReady = true;
  }
  return view.features;
}

/** Fills `view` for `event`. Never throws. */
export function fillNameView(view: NameView, event: DnsEvent): NameView {
  const lower = event.qnameLower;
  // Spans index both strings, so they must have the same length (ASCII lower-casing keeps it).
  const name = event.qname.length === lower.length ? event.qname : lower;
  view.event = event;
  view.name = name;
  view.lower = lower;
  scanLabels(lower, view.labels);
  view.subLabels = subdomainLabelCount(view.labels, event.subdomain.length);
  view.featuresReady = false;
  return view;
}

/** Whether label `k` of the view's lower-cased name equals `literal` (lower-case ASCII). */
export function labelEquals(view: NameView, k: number, literal: string): boolean {
  const spans = view.labels;
  if (k < 0 || k >= spans.count) return false;
  const start = spans.start[k]!;
  if (spans.end[k]! - start !== literal.length) return false;
  return view.lower.startsWith(literal, start);
}
