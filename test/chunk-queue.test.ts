/**
 * The listeners' bounded queue on its own: how pulls merge what is queued. Pausing and resuming
 * sockets at the bound is tested through the listeners, with real connections
 * (syslog-source.test.ts, dnstap-listener.test.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BoundedChunkQueue } from '../src/sources/chunk-queue.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');

test('a pull merges the queued chunks of one stream that follow each other, and stops at another stream or an end of stream', async () => {
  const q = new BoundedChunkQueue(1 << 20);
  q.push({ data: bytes('a1 '), offset: 0, stream: 'a' });
  q.push({ data: bytes('a2 '), offset: 3, stream: 'a' });
  q.push({ data: bytes('b1 '), offset: 0, stream: 'b' });
  q.push({ data: bytes('b2'), offset: 3, stream: 'b', endOfStream: true });
  q.push({ data: bytes('b3'), offset: 5, stream: 'b' });
  assert.equal(q.bytes, 13);
  assert.deepEqual(await q.pull(), { data: bytes('a1 a2 '), offset: 0, stream: 'a' });
  assert.deepEqual(await q.pull(), { data: bytes('b1 b2'), offset: 0, stream: 'b', endOfStream: true });
  assert.deepEqual(await q.pull(), { data: bytes('b3'), offset: 5, stream: 'b' });
  assert.equal(q.bytes, 0);
  assert.equal(q.peakBytes, 13);
});

test('chunks without a stream merge up to 1 MiB; a single larger chunk is handed out whole', async () => {
  const q = new BoundedChunkQueue(8 << 20);
  const line = Buffer.alloc(300 * 1024, 0x61);
  for (let i = 0; i < 4; i++) q.push({ data: line, offset: i * line.length });
  q.push({ data: Buffer.alloc(2 << 20, 0x62), offset: 4 * line.length });
  const first = (await q.pull())!;
  assert.equal(first.data.length, 3 * line.length, 'three lines fit in 1 MiB, the fourth does not');
  assert.equal(first.offset, 0);
  assert.equal(first.stream, undefined);
  assert.equal((await q.pull())!.data.length, line.length);
  assert.equal((await q.pull())!.data.length, 2 << 20);
});

test('a pull waits for data; after close it drains what is queued, then ends', async () => {
  const q = new BoundedChunkQueue(1024);
  const waiting = q.pull();
  setTimeout(() => q.push({ data: bytes('late'), offset: 0 }), 20);
  assert.deepEqual(await waiting, { data: bytes('late'), offset: 0 });
  q.push({ data: bytes('x'), offset: 4 });
  q.close();
  assert.deepEqual(await q.pull(), { data: bytes('x'), offset: 4 });
  assert.equal(await q.pull(), null);
  const idle = new BoundedChunkQueue(1024);
  const ended = idle.pull();
  idle.close();
  assert.equal(await ended, null, 'a waiting pull ends when the queue closes');
});
