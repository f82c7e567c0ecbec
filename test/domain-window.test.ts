/**
 * DomainWindow's exact phase (src/windows/windowed-domains.ts) against a plain model of who asked
 * what (subdomain → set of clients): the distinct count, every client's share, samples, the
 * checkpoint's form and a window restored from it, through the asker log's compaction and growth
 * and a renumbering of clients; with a per-client rule, the NEW_FOR_CLIENT bit of every add.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DomainWindow, NEW_FOR_CLIENT, NEW_FOR_DOMAIN } from '../src/windows/windowed-domains.js';
import { windowSpec } from '../src/windows/window-spec.js';
import { seededRandom } from './helpers.js';

const SPEC = windowSpec(600_000, 300_000);

type Model = Map<string, Set<number>>;

function modelShares(model: Model): Array<[number, number]> {
  const by = new Map<number, number>();
  for (const [sub, clients] of model) for (const c of clients) by.set(c, (by.get(c) ?? 0) + (sub === '' ? 0 : 1));
  return [...by].sort((a, b) => a[0] - b[0]);
}

function windowShares(w: DomainWindow): Array<[number, number]> {
  return w
    .shares()
    .map((s): [number, number] => [s.client, s.distinctSubdomains])
    .sort((a, b) => a[0] - b[0]);
}

function modelSamples(model: Model, n: number, client?: number): string[] {
  const out: string[] = [];
  for (const [sub, clients] of model) {
    if (out.length >= n) break;
    if (sub !== '' && (client === undefined || clients.has(client))) out.push(sub);
  }
  return out;
}

function sameAsModel(w: DomainWindow, model: Model, clients: number, note: string): void {
  const subs = [...model.keys()].filter((s) => s !== '').length;
  assert.equal(w.distinctSubdomains, subs, `${note}: distinct`);
  assert.deepEqual(windowShares(w), modelShares(model), `${note}: shares`);
  assert.deepEqual(w.samples(7), modelSamples(model, 7), `${note}: samples`);
  for (let c = 0; c < clients; c += 3) assert.deepEqual(w.samples(5, c), modelSamples(model, 5, c), `${note}: samples of client ${c}`);
  const askers = w.snapshot().askers!;
  assert.deepEqual([...askers.keys()], [...model.keys()], `${note}: checkpoint order`);
  for (const [sub, clients] of model) {
    const a = askers.get(sub)!;
    assert.deepEqual(typeof a === 'number' ? [a] : [...a].sort((x, y) => x - y), [...clients].sort((x, y) => x - y), `${note}: checkpoint askers of ${sub}`);
  }
}

for (const trackClients of [false, true]) {
  test(`many clients per subdomain, log compacted and grown, checkpointed, renumbered (per-client rule: ${trackClients})`, () => {
    const rng = seededRandom(trackClients ? 11 : 7);
    const clients = 40;
    const subAt = (i: number): string => (i === 0 ? '' : `s${i}`);
    let w = new DomainWindow(SPEC, 'example.com', 0, 1_000_000, trackClients);
    const model: Model = new Map();
    for (let i = 0; i < 30_000; i++) {
      // Skewed: a few popular subdomains asked by many clients, a tail asked once or twice.
      const sub = subAt(Math.floor(rng() ** 3 * 400));
      const client = Math.floor(rng() * clients);
      const known = model.get(sub);
      const newForDomain = known === undefined && sub !== '';
      const newForClient = sub !== '' && !(known?.has(client) ?? false);
      if (known === undefined) model.set(sub, new Set([client]));
      else known.add(client);
      const bits = w.add(sub, client);
      assert.equal((bits & NEW_FOR_DOMAIN) !== 0, newForDomain, `add ${i}: NEW_FOR_DOMAIN`);
      // Without per-client rules only a new subdomain reports its client as new.
      if (trackClients || newForDomain) assert.equal((bits & NEW_FOR_CLIENT) !== 0, newForClient, `add ${i}: NEW_FOR_CLIENT`);
      else assert.equal(bits & NEW_FOR_CLIENT, 0, `add ${i}: NEW_FOR_CLIENT without per-client rules`);
      if (trackClients && sub !== '') assert.equal(w.clientDistinct(client), modelShares(model).find(([c]) => c === client)![1]);
      if (i % 5_000 === 4_999) {
        sameAsModel(w, model, clients, `after ${i + 1}`);
        // A restored window carries on as the original would.
        w = DomainWindow.restore(SPEC, 1_000_000, w.snapshot());
        sameAsModel(w, model, clients, `restored after ${i + 1}`);
      }
    }
    assert.equal(w.queries, 30_000);
    // Clients renumbered in reverse, as the engine's compaction may.
    const remap = new Int32Array(clients).map((_, c) => clients - 1 - c);
    w.remapClients(remap);
    const renumbered: Model = new Map([...model].map(([sub, cs]) => [sub, new Set([...cs].map((c) => clients - 1 - c))]));
    sameAsModel(w, renumbered, clients, 'renumbered');
    const seen = new Set<number>();
    w.forEachClient((c) => seen.add(c));
    for (const [c] of modelShares(renumbered)) assert.ok(seen.has(c), `forEachClient misses ${c}`);
  });
}

test('queries count every add, also across a checkpoint', () => {
  let w = new DomainWindow(SPEC, 'example.com', 0, 4096, false);
  for (let i = 0; i < 100; i++) w.add(`a${i % 7}`, i % 5);
  w = DomainWindow.restore(SPEC, 4096, w.snapshot());
  for (let i = 0; i < 50; i++) w.add(`a${i % 9}`, i % 3);
  assert.equal(w.queries, 150);
  assert.equal(w.distinctSubdomains, 9);
});

test('the sketch takes over at the exact limit with the clients and samples of the exact phase', () => {
  const w = new DomainWindow(SPEC, 'example.com', 0, 16, false);
  for (let i = 0; i < 16; i++) {
    w.add(`n${i}`, 1);
    w.add(`n${i}`, 2);
    w.add(`n${i}`, 2);
  }
  assert.ok(w.distinctExact);
  w.add('n16', 3);
  assert.ok(!w.distinctExact);
  assert.deepEqual(windowShares(w), [
    [1, 16],
    [2, 16],
    [3, 1],
  ]);
  assert.deepEqual(w.samples(3), ['n0', 'n1', 'n2']);
});
