/**
 * Renders an alert as one JSON line with Elastic Common Schema field names
 * where ECS has one (`@timestamp`, `event.*`, `rule.*`, `dns.question.*`,
 * `source.ip`) and our own under `tunnelwatch.*`. JSON.stringify escapes
 * every control character and lone surrogate, so hostile log bytes always
 * yield valid JSON.
 */
import type { Alert } from './alert.js';

export function toEcs(alert: Alert): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    '@timestamp': new Date(alert.time).toISOString(),
    message: alert.reason,
    event: {
      kind: 'alert',
      id: alert.id,
      created: new Date(alert.created).toISOString(),
      category: ['network'],
      type: ['info'],
      dataset: 'tunnelwatch.alert',
      module: 'tunnelwatch',
    },
    rule: { name: alert.rule, category: alert.ruleType },
    dns: {
      question: {
        name: alert.question.name,
        type: alert.question.type,
        registered_domain: alert.registeredDomain,
      },
    },
    tunnelwatch: {
      window: {
        name: alert.window.name,
        start: new Date(alert.window.start).toISOString(),
        end: new Date(alert.window.end).toISOString(),
      },
      threshold: alert.threshold,
      distinct_subdomains: alert.distinctSubdomains,
      distinct_exact: alert.distinctExact,
      queries: alert.queries,
      clients: alert.clients.map((c) => ({ ip: c.ip, distinct_subdomains: c.distinctSubdomains })),
      samples: alert.samples,
      input: { source: alert.position.source, line: alert.position.line, offset: alert.position.offset },
      question_features: {
        subdomain_bytes: alert.features.subdomainBytes,
        labels: alert.features.labels,
        longest_label: alert.features.longestLabel,
        entropy: round(alert.features.entropy),
        charset: alert.features.charset,
        english_likeness: round(alert.features.englishLikeness),
        digit_ratio: round(alert.features.digitRatio),
        rare_type: alert.features.rareType,
      },
    },
  };
  if (alert.clientIp !== undefined) doc.source = { ip: alert.clientIp };
  if (alert.score !== undefined) addVerdict(doc, alert);
  return doc;
}

const SEVERITY_NUMBER = { low: 1, medium: 2, high: 3, critical: 4 } as const;

/** Score rules' verdict: ECS `event.risk_score`/`event.severity`, the tool as `threat.software.name`, the evidence under `tunnelwatch`. */
function addVerdict(doc: Record<string, unknown>, alert: Alert): void {
  const event = doc.event as Record<string, unknown>;
  event.risk_score = alert.score;
  if (alert.severity !== undefined) event.severity = SEVERITY_NUMBER[alert.severity];
  if (alert.tool !== undefined) doc.threat = { software: { name: alert.tool } };
  const tw = doc.tunnelwatch as Record<string, unknown>;
  tw.score = alert.score;
  tw.severity = alert.severity;
  if (alert.tool !== undefined) tw.tool = alert.tool;
  tw.evidence = (alert.evidence ?? []).map((e) => ({ detector: e.detector, what: e.what, value: e.value, threshold: e.threshold, weight: e.weight, points: e.points }));
  if (alert.estimatedBytes !== undefined) tw.estimated_bytes = alert.estimatedBytes;
  if (alert.decodedPreview !== undefined) tw.decoded_preview = { ...alert.decodedPreview };
  if (alert.benignExcluded !== undefined) tw.benign_excluded = { queries: alert.benignExcluded.queries, first_class: alert.benignExcluded.firstClass };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export function toEcsLine(alert: Alert): string {
  return JSON.stringify(toEcs(alert));
}
