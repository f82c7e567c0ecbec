/**
 * How CDN and cloud providers name the hosts under their zones, as named
 * patterns a zone entry in rules/benign-zones.yaml refers to (`hosts:`). Each
 * looks at the host labels left of the zone, shapes taken from the providers'
 * documented naming and checked against the Umbrella top list:
 *
 *   akamai-edge          e6858.dsce9, dscb   (akamaiedge.net: [e<number>.]<edge map>)
 *   akamai-net           a1864.gi3, dscg1    (akamai.net: [a<number>.]<map>)
 *   cloudfront           d32d2sytd7gh6k      (cloudfront.net: d + 11–13 of a-z 0-9)
 *   azure-front-door     name-g9adcnhhakgydwg8.b02, vscode-cdn.z01, fp-afd
 *                        (azurefd.net: <endpoint>[-<13–16 id>][.<letter><2 digits>])
 *   fastly               moloco.map, j.sni.global, shared.global, ssl   (fastly.net service maps)
 *   aws-elb              name-457481513.us-east-1    (elb.amazonaws.com: [dualstack.]<name ≤ 32>-<id>.<region>)
 *   hex-probe            00dd9f942231b2012112cd2f5aca3ee4.clo   (footprintdns.com: Microsoft 365
 *                        network measurement, a 32-hex-digit probe id and a short service label)
 *   customer-hostname    alicdn.com, servedby.flashtalking.com-v1   (edgekey.net, edgesuite.net,
 *                        akadns.net, trafficmanager.net, azureedge.net: a customer's own host
 *                        name, 1–10 word-like labels)
 *
 * A tunnel can put data under these zones only in these shapes, which leave it a
 * few short, structured labels per query.
 */
import { isWordLikeLabel, type LabelRun } from './shapes.js';

export const CDN_HOST_PATTERNS = ['akamai-edge', 'akamai-net', 'cloudfront', 'azure-front-door', 'fastly', 'aws-elb', 'hex-probe', 'customer-hostname'] as const;
export type CdnHostPattern = (typeof CDN_HOST_PATTERNS)[number];

function len(r: LabelRun, k: number): number {
  return r.spans.end[k]! - r.spans.start[k]!;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isAlnum(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || isDigit(c);
}

/** Label k is `letter` followed by `minDigits..maxDigits` digits. */
function letterNumber(r: LabelRun, k: number, letter: number, minDigits: number, maxDigits: number): boolean {
  const start = r.spans.start[k]!;
  const n = len(r, k) - 1;
  if (n < minDigits || n > maxDigits || r.name.charCodeAt(start) !== letter) return false;
  for (let i = start + 1; i <= start + n; i++) if (!isDigit(r.name.charCodeAt(i))) return false;
  return true;
}

/** Label k is 1..max characters of a-z 0-9. */
function shortAlnum(r: LabelRun, k: number, max: number): boolean {
  const start = r.spans.start[k]!;
  const n = len(r, k);
  if (n < 1 || n > max) return false;
  for (let i = start; i < start + n; i++) if (!isAlnum(r.name.charCodeAt(i))) return false;
  return true;
}

function labelIs(r: LabelRun, k: number, literal: string): boolean {
  return len(r, k) === literal.length && r.name.startsWith(literal, r.spans.start[k]!);
}

function wordLike(r: LabelRun, k: number): boolean {
  return isWordLikeLabel(r.name, r.spans.start[k]!, r.spans.end[k]!);
}

/** Index of the last '-' in label k, or -1. */
function lastHyphen(r: LabelRun, k: number): number {
  const start = r.spans.start[k]!;
  for (let i = r.spans.end[k]! - 1; i > start; i--) if (r.name.charCodeAt(i) === 0x2d) return i;
  return -1;
}

/** AWS region label: <2 letters>-[gov-|iso-…]<word>-<digit(s)>, e.g. us-east-1, ap-southeast-2, us-gov-west-1. */
function isRegion(r: LabelRun, k: number): boolean {
  const start = r.spans.start[k]!;
  const end = r.spans.end[k]!;
  const n = end - start;
  if (n < 6 || n > 20) return false;
  if (!(r.name.charCodeAt(start) >= 0x61 && r.name.charCodeAt(start + 1) >= 0x61 && r.name.charCodeAt(start + 2) === 0x2d)) return false;
  const h = lastHyphen(r, k);
  if (h < start + 3 || h === end - 1) return false;
  for (let i = h + 1; i < end; i++) if (!isDigit(r.name.charCodeAt(i))) return false;
  for (let i = start + 3; i < h; i++) {
    const c = r.name.charCodeAt(i);
    if (!((c >= 0x61 && c <= 0x7a) || c === 0x2d)) return false;
  }
  return true;
}

/** Front Door endpoint: word-like, or word-like with a trailing -<13–16 of a-z 0-9> endpoint id. */
function wordLikeOrFrontDoorId(r: LabelRun, k: number): boolean {
  if (wordLike(r, k)) return true;
  const h = lastHyphen(r, k);
  const end = r.spans.end[k]!;
  const idLength = end - h - 1;
  if (h < 0 || idLength < 13 || idLength > 16) return false;
  for (let i = h + 1; i < end; i++) if (!isAlnum(r.name.charCodeAt(i))) return false;
  return isWordLikeLabel(r.name, r.spans.start[k]!, h);
}

/** Front Door shard label: a letter and two digits (b01, z01). */
function isFrontDoorShard(r: LabelRun, k: number): boolean {
  const start = r.spans.start[k]!;
  const c = r.name.charCodeAt(start);
  return len(r, k) === 3 && c >= 0x61 && c <= 0x7a && isDigit(r.name.charCodeAt(start + 1)) && isDigit(r.name.charCodeAt(start + 2));
}

/** Whether the host labels `r` fit `pattern`. */
export function cdnHostFits(pattern: CdnHostPattern, r: LabelRun): boolean {
  const count = r.last - r.first + 1;
  if (count < 1) return false;
  const f = r.first;
  switch (pattern) {
    case 'akamai-edge':
      if (count === 1) return shortAlnum(r, f, 10);
      return count === 2 && letterNumber(r, f, 0x65, 1, 7) && shortAlnum(r, f + 1, 10);
    case 'akamai-net':
      if (count === 1) return shortAlnum(r, f, 12);
      return count === 2 && letterNumber(r, f, 0x61, 1, 7) && shortAlnum(r, f + 1, 12);
    case 'cloudfront': {
      const n = len(r, f);
      return count === 1 && n >= 12 && n <= 14 && r.name.charCodeAt(r.spans.start[f]!) === 0x64 && shortAlnum(r, f, 14);
    }
    case 'azure-front-door': {
      if (count > 2 || !wordLikeOrFrontDoorId(r, f)) return false;
      return count === 1 || isFrontDoorShard(r, f + 1);
    }
    case 'fastly': {
      for (let k = f; k <= r.last; k++) if (!wordLike(r, k)) return false;
      return labelIs(r, r.last, 'map') || labelIs(r, r.last, 'global') || labelIs(r, r.last, 'ssl');
    }
    case 'aws-elb': {
      const first = count === 3 && labelIs(r, f, 'dualstack') ? f + 1 : f;
      if (r.last - first + 1 !== 2 || !isRegion(r, first + 1)) return false;
      // <name>-<id>: AWS load balancer names are at most 32 letters, digits and hyphens.
      const h = lastHyphen(r, first);
      const start = r.spans.start[first]!;
      const idLength = r.spans.end[first]! - h - 1;
      if (h < 0 || h - start < 1 || h - start > 32 + 'internal-'.length || idLength < 6 || idLength > 10) return false;
      for (let i = start; i < h; i++) {
        const c = r.name.charCodeAt(i);
        if (!(isAlnum(c) || c === 0x2d)) return false;
      }
      for (let i = h + 1; i < r.spans.end[first]!; i++) if (!isDigit(r.name.charCodeAt(i))) return false;
      return true;
    }
    case 'hex-probe': {
      if (count !== 2 || len(r, f) !== 32 || len(r, f + 1) < 1 || len(r, f + 1) > 4) return false;
      for (let i = r.spans.start[f]!; i < r.spans.end[f]!; i++) {
        const c = r.name.charCodeAt(i);
        if (!(isDigit(c) || (c >= 0x61 && c <= 0x66))) return false;
      }
      return wordLike(r, f + 1);
    }
    case 'customer-hostname': {
      if (count > 10) return false;
      for (let k = f; k <= r.last; k++) if (!wordLike(r, k)) return false;
      return true;
    }
  }
}
