import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClientActivity, ClientProfiles, medianMad } from '../src/scoring/client-profiles.js';

/** The engine interns client addresses into activity records; the tests do the same. */
function interned(): (address: string) => ClientActivity {
  const table = new Map<string, ClientActivity>();
  return (address) => {
    let c = table.get(address);
    if (c === undefined) table.set(address, (c = new ClientActivity(address)));
    return c;
  };
}

const MIN = 60_000;
const OPTIONS = { bucketMs: 10 * MIN, populationZ: 6, historyZ: 6, minQueries: 200, minNxdomain: 50, warmupBuckets: 3, maxClients: 1000, forgetAfterBuckets: 144 };

test('median and MAD', () => {
  assert.deepEqual(medianMad([]), [0, 0]);
  assert.deepEqual(medianMad([5]), [5, 0]);
  assert.deepEqual(medianMad([1, 2, 3, 4, 100]), [3, 1]);
  assert.deepEqual(medianMad([1, 2, 3, 4]), [2.5, 1]);
});

test('a client far above the population and its own history is an outlier; an always-busy gateway is not, once its history is known', () => {
  const p = new ClientProfiles(OPTIONS);
  const c = interned();
  const feed = (bucket: number, client: string, n: number, nx = 0): void => {
    for (let i = 0; i < n; i++) p.observe(c(client), bucket * 10 * MIN + i, i < nx ? 'NXDOMAIN' : 'NOERROR');
  };
  for (let b = 0; b < 8; b++) {
    for (let c = 0; c < 50; c++) feed(b, `10.0.0.${c}`, 20 + (c % 7));
    feed(b, '10.0.5.25', 2000); // the mail gateway, always this busy
    feed(b, '10.0.0.99', b === 6 ? 900 : 25); // a workstation that starts a tunnel in bucket 6
    feed(b, '10.0.0.98', b === 6 ? 150 : 30, b === 6 ? 120 : 0); // and one that suddenly gets many NXDOMAINs
    if (b === 2) assert.match(p.outlier(c('10.0.5.25')) ?? '', /2000 queries/, 'without history the population test alone applies');
  }
  // Bucket 7's first query closed bucket 6: its outliers stand until bucket 7 closes.
  assert.equal(p.outlier(c('10.0.5.25')), null, 'busy, but as busy as always');
  assert.match(p.outlier(c('10.0.0.99')) ?? '', /^900 queries in 10 min: .* robust deviations above the population's median of \d+, .* above its own mean of 25/);
  assert.match(p.outlier(c('10.0.0.98')) ?? '', /^120 NXDOMAIN answers/);
  assert.equal(p.outlier(c('10.0.0.3')), null);
});

test('the history is bounded: idle clients are forgotten, the least recently active go past the cap', () => {
  const p = new ClientProfiles({ ...OPTIONS, maxClients: 100, forgetAfterBuckets: 2 });
  const client = interned();
  for (let b = 0; b < 10; b++) for (let c = 0; c < 500; c++) p.observe(client(`2001:db8::${b}:${c}`), b * 10 * MIN, undefined);
  assert.ok(p.snapshot().history.size <= 100, String(p.snapshot().history.size));
});

test('a bucket flooded by ever-new client addresses stays within the table, and the busy client in it is still found', () => {
  const p = new ClientProfiles({ ...OPTIONS, maxClients: 1000, warmupBuckets: 0 });
  const c = interned();
  for (let i = 0; i < 200_000; i++) {
    p.observe(c(`2001:db8::${i.toString(16)}`), i, undefined);
    if (i % 100 === 0) p.observe(c('10.0.0.99'), i, undefined);
    if (i % 97 === 0) assert.ok(p.snapshot().queries.size <= 1000);
  }
  p.observe(c('10.0.0.1'), 10 * MIN, undefined); // closes the bucket
  assert.match(p.outlier(c('10.0.0.99')) ?? '', /^2000 queries/);
  assert.ok(p.pruned > 0);
});
