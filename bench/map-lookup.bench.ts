/**
 * `npm run bench:lookups`: what one `Map.get` by string costs in V8, the operation the window
 * state does several times per event. Keys look like query names; each lookup takes either a
 * freshly cut string with the key's characters (what a parser hands the engine) or the very
 * string object stored in the table. Tables of 2,000, 20,000 and 200,000 keys, 1,000,000 lookups
 * in random order, best of 3 passes; the cost of cutting the string is measured alone and
 * subtracted. Reported, not asserted.
 */

const LOOKUPS = 1_000_000;
const PASSES = 3;

function nsPerLookup(keys: string[], order: Int32Array, probe: (k: number) => string, table: Map<string, number>): number {
  let best = Infinity;
  let sink = 0;
  for (let pass = 0; pass < PASSES; pass++) {
    const t0 = performance.now();
    for (let i = 0; i < order.length; i++) sink += probe(order[i]!).length;
    const t1 = performance.now();
    for (let i = 0; i < order.length; i++) sink += table.get(probe(order[i]!)) ?? 0;
    const t2 = performance.now();
    best = Math.min(best, t2 - t1 - (t1 - t0));
  }
  if (sink === -1) process.stdout.write(''); // keeps the loops observable
  return (best / order.length) * 1e6;
}

function row(size: number): string {
  const keys: string[] = [];
  for (let i = 0; i < size; i++) keys.push(`host-${i}.example${i % 97}.com`);
  const table = new Map<string, number>(keys.map((k, i) => [k, i]));
  const text = keys.join(' ');
  const starts = new Int32Array(size);
  for (let i = 0, at = 0; i < size; i++) {
    starts[i] = at;
    at += keys[i]!.length + 1;
  }
  const order = new Int32Array(LOOKUPS);
  let x = 12345;
  for (let i = 0; i < LOOKUPS; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    order[i] = x % size;
  }
  const fresh = nsPerLookup(keys, order, (k) => text.slice(starts[k], starts[k]! + keys[k]!.length), table);
  const same = nsPerLookup(keys, order, (k) => keys[k]!, table);
  return `${String(size).padStart(9)}  ${fresh.toFixed(0).padStart(17)}  ${same.toFixed(0).padStart(18)}`;
}

process.stdout.write(`Map.get by string, ns per lookup (${LOOKUPS.toLocaleString('en')} lookups, best of ${PASSES}; node ${process.version})\n`);
process.stdout.write('     keys  fresh string (ns)  stored object (ns)\n');
for (const size of [2_000, 20_000, 200_000]) process.stdout.write(`${row(size)}\n`);
