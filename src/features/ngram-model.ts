/**
 * The trained character trigram model (src/features/ngram-model.generated.ts),
 * decoded once at import into a flat cost table, and the normalisation from
 * bits per symbol to `englishLikeness`.
 *
 *   englishLikeness = clamp01((randomBits − bits) / (randomBits − benignBits))
 *
 * where `bits` is the mean cost (−log2 P) per predicted symbol of a name's
 * labels, `benignBits` the median over the benign training names (≈ 3.5 bits)
 * and `randomBits` the median over random 32-character base32 labels (≈ 6.8
 * bits). So a typical benign name scores 1 (half of them are clamped there), a
 * typical base32 payload 0, and anything in between is linear in bits.
 */
import { COST_SCALE, TABLE_SIZE } from './ngram-alphabet.js';
import { NGRAM_MODEL } from './ngram-model.generated.js';

/** −log2 P(s3 | s1 s2) in 1/COST_SCALE bit at (s1 · SYMBOLS + s2) · SYMBOLS + s3. */
export const TRIGRAM_COSTS: Uint8Array = (() => {
  const bytes = Buffer.from(NGRAM_MODEL.costsBase64, 'base64');
  if (bytes.length !== TABLE_SIZE) throw new Error(`ngram-model.generated.ts: ${bytes.length} costs, expected ${TABLE_SIZE}; regenerate it`);
  return new Uint8Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
})();

export const BENIGN_BITS: number = NGRAM_MODEL.benignBits;
export const RANDOM_BITS: number = NGRAM_MODEL.randomBits;
const SPAN = RANDOM_BITS - BENIGN_BITS;

/** `englishLikeness` from a summed integer cost (table units) over `predictions` predicted symbols; 1 when there is nothing to score. */
export function likenessFromCost(cost: number, predictions: number): number {
  if (predictions === 0) return 1;
  const bits = cost / (COST_SCALE * predictions);
  const x = (RANDOM_BITS - bits) / SPAN;
  return x <= 0 ? 0 : x >= 1 ? 1 : x;
}
