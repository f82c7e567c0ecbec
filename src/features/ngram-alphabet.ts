/**
 * The character trigram model's alphabet and table layout, shared by the
 * trainer (src/features/ngram-train.ts, run by scripts/build-ngram-model.mjs)
 * and the scorer (src/features/ngram-model.ts). Kept apart from the generated
 * table so that training never depends on a previous model.
 *
 * Symbols: a–z (case folded), 0–9, `-`, `_`, one OTHER symbol for every other
 * byte (escaped dots, `+`, `/`, raw binary…), and BOUNDARY, which pads the
 * context at a label's start and is predicted at its end. A label `ab` is
 * scored as P(a | ^ ^) · P(b | ^ a) · P($ | a b): bytes + 1 predictions.
 *
 * The table holds, for every context (s1, s2) and next symbol s3, the cost
 * −log2 P(s3 | s1 s2) in units of 1/COST_SCALE bit, rounded, clamped to 255,
 * at index (s1 · SYMBOLS + s2) · SYMBOLS + s3. Integer costs make a name's
 * score an integer sum: exact, order-independent, and cheap.
 */

/** a–z: 0–25, 0–9: 26–35, `-`: 36, `_`: 37, other: 38, boundary: 39. */
export const SYMBOLS = 40;
export const SYMBOL_HYPHEN = 36;
export const SYMBOL_UNDERSCORE = 37;
export const SYMBOL_OTHER = 38;
export const BOUNDARY = 39;
/** Costs are stored in 1/8 bit: 255 units = 31.9 bits, the largest cost representable. */
export const COST_SCALE = 8;
export const MAX_COST = 255;
export const TABLE_SIZE = SYMBOLS * SYMBOLS * SYMBOLS;

/** Byte → symbol (A–Z fold onto a–z). */
export const SYMBOL_OF_BYTE: Uint8Array = (() => {
  const t = new Uint8Array(256).fill(SYMBOL_OTHER);
  for (let c = 0x61; c <= 0x7a; c++) t[c] = c - 0x61;
  for (let c = 0x41; c <= 0x5a; c++) t[c] = c - 0x41;
  for (let c = 0x30; c <= 0x39; c++) t[c] = 26 + c - 0x30;
  t[0x2d] = SYMBOL_HYPHEN;
  t[0x5f] = SYMBOL_UNDERSCORE;
  return t;
})();

/**
 * Calls `emit(byte)` for every byte of the presentation-form span `text[start, end)`
 * and `emit(-1)` at every label-separating dot. `\DDD` is one byte (value & 0xff),
 * `\X` is X (so `\.` is a 0x2e byte inside a label). Not for the hot path: the
 * extractor inlines the same walk. Tolerates malformed input (a trailing `\` is a byte).
 */
export function walkPresentation(text: string, start: number, end: number, emit: (byte: number) => void): void {
  let i = start;
  while (i < end) {
    let c = text.charCodeAt(i);
    if (c === 0x2e) {
      emit(-1);
      i++;
      continue;
    }
    if (c === 0x5c && i + 1 < end) {
      const d1 = text.charCodeAt(i + 1);
      const d2 = i + 2 < end ? text.charCodeAt(i + 2) : 0;
      const d3 = i + 3 < end ? text.charCodeAt(i + 3) : 0;
      if (isDigit(d1) && isDigit(d2) && isDigit(d3)) {
        c = (d1 - 0x30) * 100 + (d2 - 0x30) * 10 + (d3 - 0x30);
        i += 4;
      } else {
        c = d1;
        i += 2;
      }
    } else {
      i++;
    }
    emit(c & 0xff);
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
