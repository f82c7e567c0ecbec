/**
 * A domain window's evidence so far, added to once per new subdomain (repeats carry no new data)
 * and read by the scoring rule at each change. Allocated only for windows that see a scored query,
 * so the many quiet domains of ordinary traffic cost nothing here.
 */
import type { QueryFacts, SignatureMatch } from './query-facts.js';

const CONFIDENCE_RANK = { low: 1, medium: 2, high: 3 } as const;
/** Encoded subdomains kept per window for the alert's samples and decoded preview. */
export const ENCODED_SAMPLES = 8;

export class EvidenceTally {
  /** New subdomains that were not shaped like a benign class. */
  scored = 0;
  encoded = 0;
  /** Information content of the encoded subdomains. */
  bits = 0;
  rareType = 0;
  benign = 0;
  /** Scored subdomains whose answer code the source gave, and of them the NXDOMAINs. */
  answered = 0;
  nxdomain = 0;
  /** Scored subdomains asked by traffic-outlier clients, and the first outlier's explanation. */
  outlierAsked = 0;
  outlierWhy = '';
  /** First benign class seen, for the explanation of what was left out. */
  benignClass = '';
  signatureHits = 0;
  /** The strongest signature seen (first of equals). */
  signature: SignatureMatch | null = null;
  /** Queries each tool's signatures matched: a medium-confidence shape names a tool only when most queries have it. */
  readonly hitsByTool = new Map<string, number>();
  readonly encodedSamples: string[] = [];

  /** `subdomain` in its original case where the source kept it (base64 needs it for the preview). */
  add(facts: QueryFacts, subdomain: string): void {
    if (facts.benign !== null) {
      this.benign++;
      if (this.benignClass === '') this.benignClass = facts.benign.benignClass;
      return;
    }
    this.scored++;
    if (facts.rareType) this.rareType++;
    if (facts.clientOutlier !== null) {
      this.outlierAsked++;
      if (this.outlierWhy === '') this.outlierWhy = facts.clientOutlier;
    }
    if (facts.rcode !== undefined && facts.rcode !== '') {
      this.answered++;
      if (facts.rcode === 'NXDOMAIN') this.nxdomain++;
    }
    if (facts.encoded) {
      this.encoded++;
      // Only data-shaped names: CDN and cloud host ids are information-rich too, but short and not data.
      this.bits += facts.bits;
      if (this.encodedSamples.length < ENCODED_SAMPLES) this.encodedSamples.push(subdomain);
    }
    const s = facts.signature;
    if (s !== null) {
      this.signatureHits++;
      this.hitsByTool.set(s.tool, (this.hitsByTool.get(s.tool) ?? 0) + 1);
      if (this.signature === null || CONFIDENCE_RANK[s.confidence] > CONFIDENCE_RANK[this.signature.confidence]) this.signature = s;
    }
  }

  /**
   * The tool the window's queries point to: a high-confidence signature names it at once; a
   * medium one only when that tool's shapes are at least half of the scored names (a random
   * base32 tunnel fits iodine's data shape now and then, a real iodine session nearly always).
   */
  get tool(): string | undefined {
    const s = this.signature;
    if (s === null) return undefined;
    if (s.confidence === 'high') return s.tool;
    let best: string | undefined;
    let most = 0;
    for (const [tool, hits] of this.hitsByTool) if (hits > most) [best, most] = [tool, hits];
    return most >= 3 && most >= this.scored / 2 ? best : undefined;
  }

  get encodedShare(): number {
    return this.scored === 0 ? 0 : this.encoded / this.scored;
  }

  get estimatedBytes(): number {
    return Math.round(this.bits / 8);
  }
}
