import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PendingQueries } from '../src/parsers/pending-queries.js';

test('a response takes its query; unanswered queries are given up by age, oldest first', () => {
  const table = new PendingQueries<string>(10, 1000);
  const givenUp: string[] = [];
  const giveUp = (v: string): void => void givenUp.push(v);
  table.add('a', 'qa', 0, giveUp);
  table.add('b', 'qb', 500, giveUp);
  table.add('c', 'qc', 900, giveUp);
  assert.equal(table.take('b')?.value, 'qb');
  assert.equal(table.take('b'), undefined);
  table.expire(1499, giveUp);
  assert.deepEqual(givenUp, ['qa']);
  table.expire(5000, giveUp);
  assert.deepEqual(givenUp, ['qa', 'qc']);
  assert.equal(table.timedOut, 2);
  assert.equal(table.size, 0);
});

test('a full table gives up its oldest query, and a retransmission gives up the earlier copy: each query is handed back once', () => {
  const table = new PendingQueries<number>(3, 60_000);
  const givenUp: number[] = [];
  const giveUp = (v: number): void => void givenUp.push(v);
  for (let i = 0; i < 100; i++) table.add(`k${i}`, i, i, giveUp);
  assert.equal(table.size, 3);
  assert.equal(table.evicted, 97);
  table.add('k99', 1000, 100, giveUp); // retransmission of k99
  const answered = table.take('k98')?.value;
  table.drain(giveUp);
  assert.equal(answered, 98);
  const all = [...givenUp, answered].sort((x, y) => x - y);
  assert.deepEqual(all, [...Array.from({ length: 100 }, (_, i) => i), 1000]);
});
