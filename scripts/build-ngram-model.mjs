#!/usr/bin/env node
// build-ngram-model.mjs - trains the character trigram model behind the
// `englishLikeness` query feature and writes src/features/ngram-model.generated.ts.
//
// Input: ../shared/data/names/umbrella-top-100k.txt (relative to the repository
// root; benign popular FQDNs, see ../shared/data/README.md). The training code
// is src/features/ngram-train.ts, so build first:
//
//   npx tsc -p tsconfig.json && node scripts/build-ngram-model.mjs          # (re)write the module
//   npx tsc -p tsconfig.json && node scripts/build-ngram-model.mjs --check  # exit 1 if the committed module differs
//
// Deterministic: the same input gives the same bytes (test/features.test.ts checks it).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const SOURCE = 'names/umbrella-top-100k.txt';
const input = fileURLToPath(new URL(`../../shared/data/${SOURCE}`, import.meta.url));
const output = fileURLToPath(new URL('../src/features/ngram-model.generated.ts', import.meta.url));

let trainer;
try {
  trainer = await import(new URL('../dist/src/features/ngram-train.js', import.meta.url).href);
} catch (err) {
  console.error(`build-ngram-model: cannot load dist/src/features/ngram-train.js (run \`npx tsc -p tsconfig.json\` in ${root} first): ${err.message}`);
  process.exit(2);
}
const { trainModel: train, renderModelModule: render } = trainer;

const text = readFileSync(input, 'latin1');
const started = performance.now();
const model = train(text);
const module = render(model, SOURCE);
const ms = performance.now() - started;

const summary =
  `${model.names} names (${model.lines} lines) → ${model.units} units, ${model.labels} labels, ${model.symbols} symbols; ` +
  `k = ${model.k} (held-out bits/symbol: ${model.heldOut.map((h) => `${h.k}: ${h.bits.toFixed(3)}`).join(', ')}); ` +
  `benign ${model.benignBits.toFixed(3)} bits/symbol, random base32 ${model.randomBits.toFixed(3)}; ` +
  `${module.length} bytes; ${ms.toFixed(0)} ms`;

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(output, 'utf8');
  } catch {
    // missing: differs
  }
  if (current !== module) {
    console.error(`build-ngram-model: ${output} is not what the trainer produces; regenerate with node scripts/build-ngram-model.mjs`);
    process.exit(1);
  }
  console.error(`build-ngram-model: up to date. ${summary}`);
} else {
  writeFileSync(output, module);
  console.error(`build-ngram-model: wrote ${output}. ${summary}`);
}
