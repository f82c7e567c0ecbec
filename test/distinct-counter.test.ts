import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DistinctCounter } from '../src/windows/distinct-counter.js';

test('exact below the limit, with first-seen samples', () => {
  const c = new DistinctCounter(100);
  assert.equal(c.size, 0);
  assert.equal(c.add('a'), true);
  assert.equal(c.add('a'), false);
  assert.equal(c.add('b'), true);
  for (let i = 0; i < 50; i++) c.add(`x${i % 25}`);
  assert.equal(c.size, 27);
  assert.equal(c.isExact, true);
  assert.deepEqual(c.samples(3), ['a', 'b', 'x0']);
});

test('switches to a sketch past the limit and stays within 2% from 10^2 to 10^7', () => {
  for (const n of [100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000]) {
    const c = new DistinctCounter(64);
    for (let i = 0; i < n; i++) c.add(`sub${i}.payload`);
    // Re-adding values must not move the estimate.
    for (let i = 0; i < Math.min(n, 1000); i++) c.add(`sub${i}.payload`);
    const error = Math.abs(c.size - n) / n;
    assert.ok(error <= 0.02, `n=${n}: estimate ${c.size}, error ${(error * 100).toFixed(2)}%`);
    assert.equal(c.isExact, n <= 64);
    assert.deepEqual(c.samples(2), ['sub0.payload', 'sub1.payload'], 'samples survive the switch');
  }
});
