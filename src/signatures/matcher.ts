/**
 * Matches events against signature rules. Runs on every event, so the rules
 * are compiled once into an index and the common case (no rule applies) costs
 * a map lookup and an array load:
 *
 *   event ──qtype──▶ bucket (rules allowing that type) ──first character──▶ candidates
 *                                                                             │ (usually none)
 *                     sizes from the event's fields ◀─────────────────────────┘
 *                     then label spans (scanned once, only now) ─▶ label tests ─▶ named checks
 *
 * A rule's possible first characters come from its conditions on the first
 * label (prefix, equals, charset), so a rule for `v…`, `dnscat` or hex labels
 * is never tried on a name starting with `w`. Candidates are tried in rule
 * order (the rules file puts the most specific structures first); the first
 * match wins. Confidence is reported, not used to order.
 */
import type { DnsEvent } from '../event.js';
import { CHARSET_TABLES, spanFits, type CharsetTable } from './charsets.js';
import { NAMED_CHECKS, type NamedCheck } from './checks/index.js';
import { fillNameView, newNameView, type NameView } from './name-view.js';
import { canonicalQtype } from './qtype.js';
import type { Confidence, LabelCondition, SignatureRule } from './rule.js';

export interface SignatureMatch {
  ruleId: string;
  tool: string;
  why: string;
  confidence: Confidence;
}

const AT_INDEX = 0;
const AT_ANY = 1;
const AT_FROM_DOMAIN = 2;

interface LabelTest {
  mode: number;
  index: number;
  equals: readonly string[] | null;
  prefix: readonly string[] | null;
  suffix: string | null;
  contains: string | null;
  caseSensitive: boolean;
  charset: CharsetTable | null;
  minBytes: number;
  maxBytes: number;
}

interface CompiledRule {
  qtypes: ReadonlySet<string> | null;
  /** Lower-cased first characters the name can start with (0–127, 128 = anything else); null: any. */
  firstChars: ReadonlySet<number> | null;
  minNameBytes: number;
  maxNameBytes: number;
  minNameLabels: number;
  maxNameLabels: number;
  minSubBytes: number;
  maxSubBytes: number;
  minSubLabels: number;
  maxSubLabels: number;
  labelTests: readonly LabelTest[];
  checks: readonly NamedCheck[];
  result: SignatureMatch;
}

const OTHER_CHAR = 128;
const NONE: readonly CompiledRule[] = Object.freeze([]);

export class SignatureMatcher {
  private readonly byQtype = new Map<string, readonly (readonly CompiledRule[])[]>();
  private readonly otherQtypes: readonly (readonly CompiledRule[])[];
  private readonly view: NameView = newNameView();

  constructor(rules: readonly SignatureRule[]) {
    const compiled = rules.filter((r) => r.enabled).map(compile);
    const qtypes = new Set<string>();
    for (const r of compiled) if (r.qtypes !== null) for (const q of r.qtypes) qtypes.add(q);
    for (const q of qtypes) this.byQtype.set(q, buildBuckets(compiled, q));
    this.otherQtypes = buildBuckets(compiled, null);
  }

  /** The first rule, in order, that `event` satisfies, or null. Never throws. */
  match(event: DnsEvent): SignatureMatch | null {
    const buckets = this.byQtype.get(canonicalQtype(event.qtype)) ?? this.otherQtypes;
    const lower = event.qnameLower;
    const c = lower.length === 0 ? OTHER_CHAR : lower.charCodeAt(0);
    const candidates = buckets[c < OTHER_CHAR ? c : OTHER_CHAR]!;
    if (candidates.length === 0) return null;
    let viewReady = false;
    for (let i = 0; i < candidates.length; i++) {
      const rule = candidates[i]!;
      if (!sizesFit(rule, event)) continue;
      if (!viewReady) {
        fillNameView(this.view, event);
        viewReady = true;
      }
      if (matches(rule, this.view)) return rule.result;
    }
    return null;
  }
}

function buildBuckets(rules: readonly CompiledRule[], qtype: string | null): readonly (readonly CompiledRule[])[] {
  const buckets: (readonly CompiledRule[])[] = [];
  for (let c = 0; c <= OTHER_CHAR; c++) {
    const list = rules.filter((r) => (r.qtypes === null || (qtype !== null && r.qtypes.has(qtype))) && (r.firstChars === null || r.firstChars.has(c)));
    buckets.push(list.length === 0 ? NONE : list);
  }
  return buckets;
}

function sizesFit(r: CompiledRule, e: DnsEvent): boolean {
  return (
    e.qnameBytes >= r.minNameBytes &&
    e.qnameBytes <= r.maxNameBytes &&
    e.labels >= r.minNameLabels &&
    e.labels <= r.maxNameLabels &&
    e.subdomainBytes >= r.minSubBytes &&
    e.subdomainBytes <= r.maxSubBytes
  );
}

function matches(r: CompiledRule, v: NameView): boolean {
  if (v.subLabels < r.minSubLabels || v.subLabels > r.maxSubLabels) return false;
  const tests = r.labelTests;
  for (let i = 0; i < tests.length; i++) if (!labelTestHolds(tests[i]!, v)) return false;
  const checks = r.checks;
  for (let i = 0; i < checks.length; i++) if (!checks[i]!(v)) return false;
  return true;
}

function labelTestHolds(t: LabelTest, v: NameView): boolean {
  const count = v.labels.count;
  if (t.mode === AT_ANY) {
    for (let k = 0; k < count; k++) if (labelFits(t, v, k)) return true;
    return false;
  }
  const k = t.mode === AT_INDEX ? t.index : v.subLabels - t.index;
  return k >= 0 && k < count && labelFits(t, v, k);
}

function labelFits(t: LabelTest, v: NameView, k: number): boolean {
  const spans = v.labels;
  const bytes = spans.bytes[k]!;
  if (bytes < t.minBytes || bytes > t.maxBytes) return false;
  const start = spans.start[k]!;
  const end = spans.end[k]!;
  const s = t.caseSensitive ? v.name : v.lower;
  if (t.equals !== null) {
    let any = false;
    for (const e of t.equals) if (e.length === end - start && s.startsWith(e, start)) any = true;
    if (!any) return false;
  }
  let from = start;
  if (t.prefix !== null) {
    let matched = -1;
    for (const p of t.prefix) if (p.length <= end - start && s.startsWith(p, start)) matched = Math.max(matched, p.length);
    if (matched < 0) return false;
    from = start + matched;
  }
  let to = end;
  if (t.suffix !== null) {
    if (end - t.suffix.length < from || !s.startsWith(t.suffix, end - t.suffix.length)) return false;
    to = end - t.suffix.length;
  }
  if (t.contains !== null && !spanIncludes(s, start, end, t.contains)) return false;
  if (t.charset !== null && !spanFits(v.name, from, to, t.charset)) return false;
  return true;
}

/** Whether `needle` occurs within `s[start, end)`; looks no further than the label (≤ 63 × 63 steps). */
function spanIncludes(s: string, start: number, end: number, needle: string): boolean {
  const last = end - needle.length;
  for (let i = start; i <= last; i++) if (s.startsWith(needle, i)) return true;
  return false;
}

function compile(rule: SignatureRule): CompiledRule {
  const m = rule.match;
  const labelTests = m.labels.map(compileLabelTest);
  return {
    qtypes: m.qtypes === undefined ? null : new Set(m.qtypes.map(canonicalQtype)),
    firstChars: firstCharacters(m.labels),
    minNameBytes: m.name?.minBytes ?? 0,
    maxNameBytes: m.name?.maxBytes ?? Number.MAX_SAFE_INTEGER,
    minNameLabels: m.name?.minLabels ?? 0,
    maxNameLabels: m.name?.maxLabels ?? Number.MAX_SAFE_INTEGER,
    minSubBytes: m.subdomain?.minBytes ?? 0,
    maxSubBytes: m.subdomain?.maxBytes ?? Number.MAX_SAFE_INTEGER,
    minSubLabels: m.subdomain?.minLabels ?? 0,
    maxSubLabels: m.subdomain?.maxLabels ?? Number.MAX_SAFE_INTEGER,
    labelTests,
    checks: m.checks.map((id) => NAMED_CHECKS[id]),
    result: Object.freeze({ ruleId: rule.id, tool: rule.tool, why: rule.why, confidence: rule.confidence }),
  };
}

function list(v: string | readonly string[] | undefined, caseSensitive: boolean): readonly string[] | null {
  if (v === undefined) return null;
  const values = typeof v === 'string' ? [v] : [...v];
  return caseSensitive ? values : values.map(asciiLower);
}

function asciiLower(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += String.fromCharCode(c >= 0x41 && c <= 0x5a ? c | 0x20 : c);
  }
  return out;
}

function compileLabelTest(c: LabelCondition): LabelTest {
  const mode = c.fromDomain !== undefined ? AT_FROM_DOMAIN : c.at === 'any' ? AT_ANY : AT_INDEX;
  const index = c.fromDomain !== undefined ? c.fromDomain : typeof c.at === 'number' ? c.at : 0;
  return {
    mode,
    index,
    equals: list(c.equals, c.caseSensitive),
    prefix: list(c.prefix, c.caseSensitive),
    suffix: c.suffix === undefined ? null : c.caseSensitive ? c.suffix : asciiLower(c.suffix),
    contains: c.contains === undefined ? null : c.caseSensitive ? c.contains : asciiLower(c.contains),
    caseSensitive: c.caseSensitive,
    charset: c.charset === undefined ? null : CHARSET_TABLES[c.charset],
    minBytes: c.length ?? c.minLength ?? 0,
    maxBytes: c.length ?? c.maxLength ?? Number.MAX_SAFE_INTEGER,
  };
}

/**
 * The lower-cased characters a name can start with under `conditions`: each
 * condition on the first label narrows the set (a prefix or literal to its first
 * characters, a charset to its alphabet when no prefix precedes it). null: any.
 */
function firstCharacters(conditions: readonly LabelCondition[]): ReadonlySet<number> | null {
  let allowed = null as Set<number> | null;
  for (const c of conditions) {
    if (c.fromDomain !== undefined || (c.at !== undefined && c.at !== 'first' && c.at !== 0)) continue;
    let these: Set<number> | null = null;
    const starts = c.prefix ?? c.equals;
    if (starts !== undefined) {
      these = new Set();
      for (const s of typeof starts === 'string' ? [starts] : starts) these.add(lowerCode(s.charCodeAt(0)));
    } else if (c.charset !== undefined) {
      these = new Set();
      const t = CHARSET_TABLES[c.charset];
      for (let b = 0; b < 128; b++) if (t[b] === 1) these.add(lowerCode(b));
    }
    if (these === null) continue;
    if (allowed === null) allowed = these;
    else for (const x of [...allowed]) if (!these.has(x)) allowed.delete(x);
  }
  return allowed;
}

function lowerCode(c: number): number {
  if (c >= 0x41 && c <= 0x5a) return c | 0x20;
  return c < OTHER_CHAR ? c : OTHER_CHAR;
}
