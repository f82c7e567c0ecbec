/**
 * Trains the character trigram model behind `englishLikeness` and renders it
 * as the TypeScript module src/features/ngram-model.generated.ts.
 *
 * Run by scripts/build-ngram-model.mjs (after `tsc`); test/features.test.ts
 * runs it again on the same input and requires the committed module to be
 * byte-identical, so everything here is deterministic: integer counts, a fixed
 * iteration order, a seeded generator for the random anchor, fixed-precision
 * numbers in the output.
 *
 * Training text: the benign popular names of the Cisco Umbrella top list
 * (../shared/data/names/umbrella-top-100k.txt). From each name that splits as
 * `normal` (src/domain/name-facts.ts): every label left of its registered
 * domain (`www`, `login`, `e1234`…), and once per distinct registered domain
 * its first label (`google` of google.com). Reverse, IP, suffix-only and
 * invalid names are left out. A name's subdomain is one "unit" and each
 * distinct registered-domain label is one unit.
 *
 * Smoothing: add-k over the 40 symbols. k is chosen among K_CANDIDATES by
 * held-out log-likelihood (every tenth unit held out, the rest counted), then
 * the table is counted again on all units with that k.
 *
 * Normalisation anchors, stored with the table: `benignBits`, the median
 * bits per predicted symbol of the training units under the final table, and
 * `randomBits`, the median for 2,000 random 32-character base32 labels
 * (seeded). The scorer maps benignBits → 1 and randomBits → 0.
 */
import { createHash } from 'node:crypto';
import { emptyNameFields, fillNameFacts } from '../domain/name-facts.js';
import { BOUNDARY, COST_SCALE, MAX_COST, SYMBOLS, SYMBOL_OF_BYTE, TABLE_SIZE, walkPresentation } from './ngram-alphabet.js';

export const K_CANDIDATES: readonly number[] = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1];
const RANDOM_ANCHOR_COUNT = 2000;
const RANDOM_ANCHOR_LENGTH = 32;
const RANDOM_ANCHOR_SEED = 20240501;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** A unit: its labels, each as symbols (no boundaries). */
type Unit = Uint8Array[];

export interface TrainedModel {
  costs: Uint8Array;
  k: number;
  /** Non-empty lines read, names used (split `normal`), units (subdomains + distinct registered-domain labels), labels, symbols. */
  lines: number;
  names: number;
  units: number;
  labels: number;
  symbols: number;
  /** Held-out bits per predicted symbol for every candidate k. */
  heldOut: Array<{ k: number; bits: number }>;
  benignBits: number;
  randomBits: number;
  sourceSha256: string;
}

/** Trains on the text of a names file (one FQDN per line, presentation form; blank lines and `#` comments ignored). */
export function trainModel(text: string): TrainedModel {
  const { units, lines, names } = collectUnits(text);
  let labels = 0;
  let symbols = 0;
  for (const u of units) {
    labels += u.length;
    for (const l of u) symbols += l.length;
  }

  const trainCounts = new Uint32Array(TABLE_SIZE);
  const heldOutUnits: Unit[] = [];
  for (let i = 0; i < units.length; i++) {
    if (i % 10 === 9) heldOutUnits.push(units[i]!);
    else countUnit(units[i]!, trainCounts);
  }
  const trainTotals = contextTotals(trainCounts);
  const heldOut: Array<{ k: number; bits: number }> = [];
  let bestK = K_CANDIDATES[0]!;
  let bestBits = Infinity;
  for (const k of K_CANDIDATES) {
    let bits = 0;
    let n = 0;
    for (const u of heldOutUnits) {
      forEachTrigram(u, (idx) => {
        const ctx = (idx / SYMBOLS) | 0;
        bits -= Math.log2((trainCounts[idx]! + k) / (trainTotals[ctx]! + k * SYMBOLS));
        n++;
      });
    }
    const perSymbol = n === 0 ? 0 : bits / n;
    heldOut.push({ k, bits: perSymbol });
    if (perSymbol < bestBits) {
      bestBits = perSymbol;
      bestK = k;
    }
  }

  const counts = new Uint32Array(TABLE_SIZE);
  for (const u of units) countUnit(u, counts);
  const totals = contextTotals(counts);
  const costs = new Uint8Array(TABLE_SIZE);
  for (let idx = 0; idx < TABLE_SIZE; idx++) {
    const ctx = (idx / SYMBOLS) | 0;
    const bits = -Math.log2((counts[idx]! + bestK) / (totals[ctx]! + bestK * SYMBOLS));
    costs[idx] = Math.min(MAX_COST, Math.round(bits * COST_SCALE));
  }

  const benign = units.map((u) => unitBits(u, costs));
  const random = seeded(RANDOM_ANCHOR_SEED);
  const randomScores: number[] = [];
  for (let i = 0; i < RANDOM_ANCHOR_COUNT; i++) {
    const label = new Uint8Array(RANDOM_ANCHOR_LENGTH);
    for (let j = 0; j < label.length; j++) label[j] = SYMBOL_OF_BYTE[BASE32.charCodeAt(Math.floor(random() * 32))]!;
    randomScores.push(unitBits([label], costs));
  }

  return {
    costs,
    k: bestK,
    lines,
    names,
    units: units.length,
    labels,
    symbols,
    heldOut,
    benignBits: median(benign),
    randomBits: median(randomScores),
    sourceSha256: createHash('sha256').update(text, 'latin1').digest('hex'),
  };
}

function collectUnits(text: string): { units: Unit[]; lines: number; names: number } {
  const target = emptyNameFields();
  const units: Unit[] = [];
  const seenDomains = new Set<string>();
  let lines = 0;
  let names = 0;
  let start = 0;
  while (start < text.length) {
    let nl = text.indexOf('\n', start);
    if (nl < 0) nl = text.length;
    let s = start;
    let e = nl;
    while (s < e && text.charCodeAt(s) <= 0x20) s++;
    while (e > s && text.charCodeAt(e - 1) <= 0x20) e--;
    start = nl + 1;
    if (s === e || text.charCodeAt(s) === 0x23) continue;
    lines++;
    if (fillNameFacts(target, text, s, e) !== '' || target.nameKind !== 'normal') continue;
    names++;
    if (target.subdomain.length > 0) units.push(labelsOf(target.subdomain));
    if (!seenDomains.has(target.registeredDomain)) {
      seenDomains.add(target.registeredDomain);
      const first = labelsOf(target.registeredDomain)[0];
      if (first !== undefined && first.length > 0) units.push([first]);
    }
  }
  return { units, lines, names };
}

function labelsOf(presentation: string): Unit {
  const labels: Uint8Array[] = [];
  let current: number[] = [];
  walkPresentation(presentation, 0, presentation.length, (b) => {
    if (b < 0) {
      labels.push(Uint8Array.from(current));
      current = [];
    } else current.push(SYMBOL_OF_BYTE[b]!);
  });
  labels.push(Uint8Array.from(current));
  return labels;
}

/** Calls `f(tableIndex)` for every prediction of the unit: each symbol, then the label end. */
function forEachTrigram(unit: Unit, f: (idx: number) => void): void {
  for (const label of unit) {
    let p1 = BOUNDARY;
    let p2 = BOUNDARY;
    for (let i = 0; i < label.length; i++) {
      const s = label[i]!;
      f((p1 * SYMBOLS + p2) * SYMBOLS + s);
      p1 = p2;
      p2 = s;
    }
    f((p1 * SYMBOLS + p2) * SYMBOLS + BOUNDARY);
  }
}

function countUnit(unit: Unit, counts: Uint32Array): void {
  forEachTrigram(unit, (idx) => {
    counts[idx]!++;
  });
}

function contextTotals(counts: Uint32Array): Float64Array {
  const totals = new Float64Array(SYMBOLS * SYMBOLS);
  for (let idx = 0; idx < TABLE_SIZE; idx++) totals[(idx / SYMBOLS) | 0]! += counts[idx]!;
  return totals;
}

/** Bits per predicted symbol of a unit under a quantized table (what the scorer computes). */
function unitBits(unit: Unit, costs: Uint8Array): number {
  let cost = 0;
  let n = 0;
  forEachTrigram(unit, (idx) => {
    cost += costs[idx]!;
    n++;
  });
  return cost / COST_SCALE / n;
}

function median(values: number[]): number {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) return 0;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** mulberry32, as test/helpers.ts. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The generated module's exact text: the scorer reads `NGRAM_MODEL`. */
export function renderModelModule(model: TrainedModel, sourceName: string): string {
  const b64 = Buffer.from(model.costs.buffer, model.costs.byteOffset, model.costs.byteLength).toString('base64');
  const chunks: string[] = [];
  for (let i = 0; i < b64.length; i += 120) chunks.push(`  '${b64.slice(i, i + 120)}',`);
  const heldOut = model.heldOut.map((h) => `{ k: ${h.k}, bits: ${h.bits.toFixed(6)} }`).join(', ');
  return [
    '// GENERATED by scripts/build-ngram-model.mjs (src/features/ngram-train.ts); do not edit.',
    '// Regenerate: npx tsc -p tsconfig.json && node scripts/build-ngram-model.mjs',
    '// test/features.test.ts regenerates it and requires this file byte for byte.',
    '/* eslint-disable */',
    '',
    '/** Character trigram costs (1/8 bit, uint8, layout in src/features/ngram-alphabet.ts), base64. */',
    'export const NGRAM_MODEL = {',
    `  source: '${sourceName.replace(/[\\']/g, '')}',`,
    `  sourceSha256: '${model.sourceSha256}',`,
    `  lines: ${model.lines},`,
    `  names: ${model.names},`,
    `  units: ${model.units},`,
    `  labels: ${model.labels},`,
    `  symbols: ${model.symbols},`,
    `  k: ${model.k},`,
    `  heldOutBitsPerSymbol: [${heldOut}],`,
    '  /** Median bits per predicted symbol: training units (→ englishLikeness 1), random 32-char base32 labels (→ 0). */',
    `  benignBits: ${model.benignBits.toFixed(6)},`,
    `  randomBits: ${model.randomBits.toFixed(6)},`,
    '  costsBase64: [',
    ...chunks,
    "  ].join(''),",
    '} as const;',
    '',
  ].join('\n');
}
