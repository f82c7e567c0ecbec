/**
 * Which indicator domains may be written into outputs that DNS software
 * parses (RPZ zone files, plain domain lists). Every byte of a domain came
 * from DNS traffic an attacker controls, so a name is exported only if it is
 * plainly a host name:
 *
 *   - ASCII A–Z lower-cased first (DNS is case-insensitive); one trailing dot dropped;
 *   - labels of 1–63 characters from [a-z0-9-_], total ≤ 253 characters,
 *     no label starting or ending with `-` (no registry allows it, and a line
 *     starting with `-` reads as an option to the tools that consume lists);
 *   - at least two labels, and not itself a public suffix (`com`, `co.uk`,
 *     `github.io`): one bad alert must not black-hole a whole TLD;
 *   - no label starting with `rpz-`: in a response-policy zone such owner
 *     names are IP, NSDNAME, NSIP or client-IP triggers and policy actions,
 *     not QNAME triggers, so a domain like `8.0.0.0.10.rpz-ip` would block
 *     every answer in 10/8;
 *   - with `strictLdh` (A/AAAA records, where BIND's default
 *     `check-names primary fail` rejects the whole zone otherwise): only
 *     letters, digits and inner hyphens.
 *
 * Anything else is refused: skipped, counted and reported, never repaired.
 * So no newline, `;`, `$`, `(`, space, quote or backslash can reach a zone
 * file, and no `*` can widen a trigger.
 */
import { getPublicSuffix } from 'tldts';
import type { DomainIndicator } from '../indicators/rollup.js';

export type RefusalReason =
  | 'empty'
  | 'too-long'
  | 'empty-label'
  | 'label-too-long'
  | 'bad-character'
  | 'hyphen-edge'
  | 'single-label'
  | 'public-suffix'
  | 'rpz-reserved'
  | 'not-ldh'
  | 'duplicate';

export interface Refusal {
  /** The domain exactly as the indicator had it (hostile: escape before printing). */
  domain: string;
  reason: RefusalReason;
}

export type DomainCheck = { ok: true; name: string } | { ok: false; reason: RefusalReason };

export interface DomainCheckOptions {
  /** Letters, digits and inner hyphens only (RFC 952/1123 host names), for address records. */
  strictLdh?: boolean;
}

const MAX_NAME = 253;
const MAX_LABEL = 63;

const TLDTS_OPTIONS = {
  allowPrivateDomains: true,
  extractHostname: false,
  validateHostname: false,
  detectIp: false,
  mixedInputs: false,
} as const;

function isLower(c: number): boolean {
  return c >= 0x61 && c <= 0x7a;
}
function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** `s` with only ASCII A–Z lower-cased (never locale- or Unicode-dependent). */
export function asciiLower(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += c >= 0x41 && c <= 0x5a ? String.fromCharCode(c | 0x20) : s[i];
  }
  return out;
}

/** Validates one domain for export; on success `name` is its lower-cased form without trailing dot. */
export function checkDomain(raw: string, options: DomainCheckOptions = {}): DomainCheck {
  if (typeof raw !== 'string' || raw.length === 0) return { ok: false, reason: 'empty' };
  // Length first, so hostile megabyte strings cost nothing more.
  if (raw.length > MAX_NAME + 1) return { ok: false, reason: 'too-long' };
  let name = asciiLower(raw);
  if (name.length > 1 && name.endsWith('.')) name = name.slice(0, -1);
  if (name.length > MAX_NAME) return { ok: false, reason: 'too-long' };

  let labelStart = 0;
  let labels = 0;
  for (let i = 0; i <= name.length; i++) {
    const c = i < name.length ? name.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      const length = i - labelStart;
      if (length === 0) return { ok: false, reason: 'empty-label' };
      if (length > MAX_LABEL) return { ok: false, reason: 'label-too-long' };
      if (name.charCodeAt(labelStart) === 0x2d || name.charCodeAt(i - 1) === 0x2d) return { ok: false, reason: 'hyphen-edge' };
      labels++;
      labelStart = i + 1;
      continue;
    }
    if (!(isLower(c) || isDigit(c) || c === 0x2d || c === 0x5f)) return { ok: false, reason: 'bad-character' };
  }
  if (labels < 2) return { ok: false, reason: 'single-label' };

  const parts = name.split('.');
  if (parts.some((label) => label.startsWith('rpz-'))) return { ok: false, reason: 'rpz-reserved' };
  if (options.strictLdh === true) {
    const ldh = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
    if (!parts.every((label) => ldh.test(label))) return { ok: false, reason: 'not-ldh' };
  }
  if (getPublicSuffix(name, TLDTS_OPTIONS) === name) return { ok: false, reason: 'public-suffix' };
  return { ok: true, name };
}

export interface ExportableIndicator {
  indicator: DomainIndicator;
  /** The validated, lower-cased name to write. */
  name: string;
}

/**
 * The indicators whose domains pass `checkDomain`, in input order, each name once
 * (a later indicator with the same name is refused as `duplicate`).
 */
export function exportable(
  indicators: readonly DomainIndicator[],
  options: DomainCheckOptions & { onRefused?: (refusal: Refusal) => void } = {},
): ExportableIndicator[] {
  const seen = new Set<string>();
  const out: ExportableIndicator[] = [];
  for (const indicator of indicators) {
    const check = checkDomain(indicator.domain, options);
    if (!check.ok) {
      options.onRefused?.({ domain: indicator.domain, reason: check.reason });
      continue;
    }
    if (seen.has(check.name)) {
      options.onRefused?.({ domain: indicator.domain, reason: 'duplicate' });
      continue;
    }
    seen.add(check.name);
    out.push({ indicator, name: check.name });
  }
  return out;
}
