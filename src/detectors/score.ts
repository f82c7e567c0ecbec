/**
 * The explained verdict: each domain window's evidence (src/scoring/tally.ts) becomes a 0–100
 * score, and the rule alerts on the query that brings the score to `scoring.alertScore` — so one
 * tool-signature query can alert at once, while data-shaped traffic alerts when enough of it adds
 * up. The same rule watches every window spec; one cool-down per domain across all of them keeps a
 * running tunnel to one alert per cool-down instead of one per overlapping window.
 */
import type { Alert } from '../alerts/alert.js';
import { alertId } from '../alerts/alert.js';
import type { ScoringConfig } from '../config/schema.js';
import type { DnsEvent } from '../event.js';
import { evidence, points, severityOf, type Evidence } from '../scoring/evidence.js';
import { decodedPreview } from '../scoring/preview.js';
import type { QueryFacts } from '../scoring/query-facts.js';
import { EvidenceTally } from '../scoring/tally.js';
import type { DomainWindow } from '../windows/windowed-domains.js';
import { Cooldowns } from './cooldown.js';
import { topClients, type ClientAddress } from './distinct-subdomains.js';

export interface ScoreRuleOptions {
  name: string;
  cooldownMs: number;
  scoring: ScoringConfig;
  samples: number;
  /** Bit of this rule in the per-window `crossed` masks. */
  bit: number;
}

const SIGNATURE_HITS = { high: 1, medium: 3, low: 10 } as const;

export class ScoreRule {
  readonly type = 'score';
  /** Per key; the engine prunes and checkpoints it. */
  readonly cooldowns: Cooldowns;

  constructor(readonly options: ScoreRuleOptions, private readonly address: ClientAddress) {
    this.cooldowns = new Cooldowns(options.cooldownMs);
  }

  /**
   * Adds a query whose subdomain is new to `window` and returns the alert to emit, 'suppressed', or
   * null. `suspiciousOnly` windows count only suspicious queries, so shares mean nothing there.
   */
  check(event: DnsEvent, window: DomainWindow, facts: QueryFacts, suspiciousOnly: boolean): Alert | 'suppressed' | null {
    const tally = (window.tally ??= new EvidenceTally());
    tally.add(facts, facts.encoded ? originalCaseSubdomain(event) : event.subdomain);
    if (facts.benign !== null || window.crossed & this.options.bit) return null;
    // Checked on every new subdomain of every window: the score alone first, the explained terms only for an alert.
    const score = this.collect(tally, suspiciousOnly, null);
    if (score < this.options.scoring.alertScore) return null;
    const items = this.evidence(tally, suspiciousOnly);
    window.crossed |= this.options.bit;
    window.alerted = true;
    const key = window.registeredDomain;
    if (this.cooldowns.suppresses(key, event.time)) return 'suppressed';
    return this.buildAlert(event, window, tally, items, score, facts);
  }


  /** The window's evidence terms that give points, strongest first. */
  evidence(tally: EvidenceTally, suspiciousOnly: boolean): Evidence[] {
    const items: Evidence[] = [];
    this.collect(tally, suspiciousOnly, items);
    return items.filter((e) => e.points > 0).sort((a, b) => b.points - a.points);
  }

  /** The window's score (as `scoreOf` of its evidence); with `out`, each term is also pushed there, explained. */
  private collect(tally: EvidenceTally, suspiciousOnly: boolean, out: Evidence[] | null): number {
    const s = this.options.scoring;
    let total = 0;
    const term = (detector: string, what: string, value: number, threshold: number, weight: number): void => {
      if (out === null) total += points(value, threshold, weight);
      else total += out[out.push(evidence(detector, what, value, threshold, weight)) - 1]!.points;
    };
    const sig = tally.signature;
    if (sig !== null) {
      const what = out === null ? '' : `${sig.tool} signature ${sig.ruleId} (${sig.confidence} confidence): ${sig.why}`;
      term('signature', what, tally.signatureHits, SIGNATURE_HITS[sig.confidence], s.signature[sig.confidence]);
    }
    if (!suspiciousOnly) {
      term('distinct_subdomains', 'distinct subdomains not shaped like a benign class', tally.scored, s.distinctSubdomains.threshold, s.distinctSubdomains.weight);
    }
    term('encoded_subdomains', 'distinct subdomains that look like encoded data', tally.encoded, s.encodedSubdomains.threshold, s.encodedSubdomains.weight);
    term('upstream_bytes', 'estimated bytes carried upstream in encoded-looking distinct subdomains', tally.estimatedBytes, s.upstreamBytes.threshold, s.upstreamBytes.weight);
    if (!suspiciousOnly && tally.scored >= s.encodedShare.minSubdomains) {
      term('encoded_share', 'share of distinct subdomains that look encoded', round(tally.encodedShare), s.encodedShare.threshold, s.encodedShare.weight);
    }
    if (!suspiciousOnly && tally.scored >= s.rareTypes.minSubdomains) {
      term('rare_types', 'share of distinct subdomains asked with rare record types', round(tally.rareType / tally.scored), s.rareTypes.threshold, s.rareTypes.weight);
    }
    const co = s.clientOutliers;
    if (!suspiciousOnly && tally.outlierAsked > 0 && tally.scored >= co.minSubdomains) {
      const what = out === null ? '' : `share of distinct subdomains asked by traffic-outlier clients (${tally.outlierWhy})`;
      term('client_outliers', what, round(tally.outlierAsked / tally.scored), co.threshold, co.weight);
    }
    if (!suspiciousOnly && tally.answered >= s.nxdomainShare.minSubdomains) {
      term('nxdomain_share', 'share of answered distinct subdomains that were NXDOMAIN', round(tally.nxdomain / tally.answered), s.nxdomainShare.threshold, s.nxdomainShare.weight);
    }
    return Math.min(100, Math.round(total));
  }

  private buildAlert(event: DnsEvent, window: DomainWindow, tally: EvidenceTally, items: Evidence[], score: number, facts: QueryFacts): Alert {
    const o = this.options;
    const samples = tally.encodedSamples.length > 0 ? tally.encodedSamples.slice(0, o.samples) : window.samples(o.samples);
    const preview = tally.encodedSamples.length > 0 ? decodedPreview(tally.encodedSamples) : null;
    const severity = severityOf(score);
    const tool = tally.tool;
    const terms = items.map((e) => `${e.detector} ${e.value} (${e.points} of ${e.weight})`).join(', ');
    const alert: Alert = {
      id: alertId(o.name, window.registeredDomain, window.spec.name, window.start),
      rule: o.name,
      ruleType: this.type,
      time: event.time,
      created: Date.now(),
      registeredDomain: window.registeredDomain,
      window: { name: window.spec.name, start: window.start, end: window.end },
      threshold: o.scoring.alertScore,
      distinctSubdomains: window.distinctSubdomains,
      distinctExact: window.distinctExact,
      queries: window.queries,
      clients: topClients(window, 5, this.address),
      samples,
      question: { name: event.qname, type: event.qtype, client: event.clientIp },
      features: facts.features,
      position: event.position,
      score,
      severity,
      evidence: items,
      estimatedBytes: tally.estimatedBytes,
      reason:
        `score ${score} (${severity}) for ${window.registeredDomain}${tool === undefined ? '' : `, ${tool} signature`} in the ${window.spec.name} window ` +
        `starting ${new Date(window.start).toISOString()} reached ${o.scoring.alertScore}: ${terms}`,
    };
    if (tool !== undefined) alert.tool = tool;
    if (preview !== null) alert.decodedPreview = preview;
    if (tally.benign > 0) alert.benignExcluded = { queries: tally.benign, firstClass: tally.benignClass };
    return alert;
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** The subdomain as logged (its case kept): a prefix of `qname` of the same length, when the event keeps that contract. */
function originalCaseSubdomain(event: DnsEvent): string {
  const sub = event.subdomain;
  return event.qname.length === event.qnameLower.length && event.qnameLower.startsWith(sub) ? event.qname.slice(0, sub.length) : sub;
}
