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
  return doc;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export function toEcsLine(alert: Alert): string {
  return JSON.stringify(toEcs(alert));
}
