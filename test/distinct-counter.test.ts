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

test('counters merge: exact with exact is the exact union; with sketches the union estimate stays within 2%', () => {
  const a = new DistinctCounter(100);
  const b = new DistinctCounter(100);
  for (let i = 0; i < 40; i++) a.add(`v${i}`);
  for (let i = 20; i < 70; i++) b.add(`v${i}`);
  a.merge(b);
  assert.equal(a.size, 70);
  assert.equal(a.isExact, true);

  // Two partitions of one stream, overlapping by a third, each past the exact limit.
  const n = 300_000;
  const left = new DistinctCounter(64);
  const right = new DistinctCounter(64);
  for (let i = 0; i < (2 * n) / 3; i++) left.add(`sub${i}`);
  for (let i = n / 3; i < n; i++) right.add(`sub${i}`);
  const small = new DistinctCounter(64);
  for (let i = 0; i < 10; i++) small.add(`sub${i}`);
  small.merge(right); // an exact counter taking a sketch becomes one
  left.merge(right);
  for (const [counter, expected] of [[left, n], [small, (2 * n) / 3 + 10]] as const) {
    const error = Math.abs(counter.size - expected) / expected;
    assert.ok(error <= 0.02, `estimate ${counter.size} for ${expected}: ${(error * 100).toFixed(2)}%`);
    assert.equal(counter.isExact, false);
  }
  assert.deepEqual(small.samples(2), ['sub0', 'sub1'], 'the exact side keeps its samples');
});
