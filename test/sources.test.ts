/**
 * Sources: LineChunker (whole lines out of a byte stream), FileSource (plain
 * and gzip), FollowSource (tail -F: growth, rotation by rename, copy-truncate).
 * Real files under os.tmpdir(); follow tests poll with a deadline, never sleep.
 */
import assert from 'node:assert/strict';
import { appendFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { TunnelwatchError } from '../src/errors.js';
import { FileSource } from '../src/sources/file.js';
import { FollowSource } from '../src/sources/follow.js';
import { LineChunker, type TextChunk } from '../src/sources/text-chunk.js';
import { fixturePath, waitFor, withTmpDir } from './helpers.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const text = (c: TextChunk | null): string | null => (c === null ? null : c.data.toString('latin1'));

test('LineChunker: partial lines are carried across pushes, offsets are byte offsets', () => {
  const c = new LineChunker();
  assert.equal(c.push(b('abc')), null);
  const first = c.push(b('def\ngh'));
  assert.equal(text(first), 'abcdef\n');
  assert.equal(first!.offset, 0);
  assert.equal(c.position, 7);
  const second = c.push(b('i\njk\nl'));
  assert.equal(text(second), 'ghi\njk\n');
  assert.equal(second!.offset, 7);
  assert.equal(c.push(b('')), null);
  assert.equal(c.push(b('mn')), null);
  const last = c.end();
  assert.equal(text(last), 'lmn', 'end() hands out the unterminated last line');
  assert.equal(last!.offset, 14);
  assert.equal(c.end(), null, 'nothing twice');
});

test('LineChunker: a chunk ending exactly at a newline leaves nothing pending; the start offset is honoured', () => {
  const c = new LineChunker(1000);
  const chunk = c.push(b('a\nb\n'));
  assert.equal(text(chunk), 'a\nb\n');
  assert.equal(chunk!.offset, 1000);
  assert.equal(c.end(), null);
  assert.equal(c.position, 1004);
});

test('LineChunker: every byte comes out once, in order, whatever the push sizes', () => {
  const input = b(Array.from({ length: 200 }, (_, i) => `line ${i} ${'x'.repeat(i % 17)}`).join('\n') + '\ntail');
  for (const size of [1, 2, 3, 7, 64, 1000, input.length]) {
    const c = new LineChunker();
    const out: TextChunk[] = [];
    for (let i = 0; i < input.length; i += size) {
      const chunk = c.push(input.subarray(i, i + size));
      if (chunk !== null) out.push(chunk);
    }
    const last = c.end();
    if (last !== null) out.push(last);
    assert.deepEqual(Buffer.concat(out.map((x) => x.data)), input, `push size ${size}`);
    let offset = 0;
    for (const [k, x] of out.entries()) {
      assert.equal(x.offset, offset, `push size ${size}: contiguous offsets`);
      offset += x.data.length;
      if (k < out.length - 1) assert.equal(x.data[x.data.length - 1], 0x0a, `push size ${size}: whole lines`);
    }
  }
});

test('LineChunker: a newline-free flood is cut at maxPendingBytes instead of growing without bound', () => {
  const c = new LineChunker(0, 16);
  assert.equal(c.push(b('x'.repeat(10))), null, 'under the limit: kept pending');
  const cut = c.push(b('y'.repeat(10)));
  assert.ok(cut !== null, 'over the limit: handed out without a newline');
  assert.equal(text(cut), 'x'.repeat(10) + 'y'.repeat(10));
  assert.equal(cut.offset, 0);
  // A long flood in small pieces: nothing pending ever exceeds the limit, and no byte is lost.
  let total = 20;
  for (let i = 0; i < 100; i++) {
    const chunk = c.push(b('z'.repeat(7)));
    if (chunk !== null) {
      assert.equal(chunk.offset, total);
      assert.ok(chunk.data.length <= 16 + 7);
      total += chunk.data.length;
    }
  }
  const rest = c.end();
  assert.ok(rest === null || rest.data.length <= 16);
  assert.equal(total + (rest?.data.length ?? 0), 20 + 700);
  // After the flood, lines are whole again.
  const d = new LineChunker(0, 16);
  d.push(b('q'.repeat(17)));
  assert.equal(text(d.push(b('ok\n'))), 'ok\n');
});

async function readAll(source: { chunks(): AsyncIterable<TextChunk> }): Promise<{ bytes: Buffer; chunks: TextChunk[] }> {
  const chunks: TextChunk[] = [];
  for await (const chunk of source.chunks()) chunks.push(chunk);
  return { bytes: Buffer.concat(chunks.map((c) => c.data)), chunks };
}

test('FileSource: a plain file and its gzip give identical bytes and offsets', async () => {
  await withTmpDir(async (dir) => {
    const original = await readFile(fixturePath('bind/named-9.18-plain.log'));
    // Several MiB, so reads cross the 1 MiB read size mid-line, plus an unterminated last line.
    const big = Buffer.concat([...Array.from({ length: 300 }, () => original), b('last line without newline')]);
    const plain = join(dir, 'q.log');
    const gz = join(dir, 'q.log.gz');
    await writeFile(plain, big);
    await writeFile(gz, gzipSync(big));
    const a = await readAll(new FileSource(plain));
    const z = await readAll(new FileSource(gz));
    assert.ok(a.bytes.equals(big), 'plain file bytes');
    assert.ok(z.bytes.equals(big), 'gzip file bytes (decompressed)');
    for (const { chunks } of [a, z]) {
      let offset = 0;
      for (const [k, chunk] of chunks.entries()) {
        assert.equal(chunk.offset, offset);
        offset += chunk.data.length;
        if (k < chunks.length - 1) assert.equal(chunk.data[chunk.data.length - 1], 0x0a);
      }
    }
    const source = new FileSource(plain);
    await readAll(source);
    assert.equal(source.counters.bytes, big.length);
  });
});

test('FileSource: an empty file yields nothing', async () => {
  await withTmpDir(async (dir) => {
    const file = join(dir, 'empty.log');
    await writeFile(file, '');
    assert.equal((await readAll(new FileSource(file))).chunks.length, 0);
  });
});

test('FileSource: a missing file is a TW_INPUT error', async () => {
  await withTmpDir(async (dir) => {
    const source = new FileSource(join(dir, 'nope.log'));
    await assert.rejects(readAll(source), (error: unknown) => {
      assert.ok(error instanceof TunnelwatchError);
      assert.equal(error.code, 'TW_INPUT');
      assert.ok(error.message.includes('nope.log'));
      return true;
    });
    assert.equal(source.counters.errors, 1);
  });
});

test('FileSource: a corrupt gzip is a TW_INPUT error', async () => {
  await withTmpDir(async (dir) => {
    const file = join(dir, 'bad.gz');
    const gz = gzipSync(b('a line\n'.repeat(1000)));
    await writeFile(file, gz.subarray(0, gz.length - 20));
    await assert.rejects(readAll(new FileSource(file)), (error: unknown) => error instanceof TunnelwatchError && error.code === 'TW_INPUT');
  });
});

/** Consumes a follow source in the background, collecting its text and chunks. */
function consume(source: FollowSource): { chunks: TextChunk[]; text: () => string; lines: () => string[]; done: Promise<void> } {
  const chunks: TextChunk[] = [];
  const done = (async () => {
    for await (const chunk of source.chunks()) chunks.push(chunk);
  })();
  const all = (): string => Buffer.concat(chunks.map((c) => c.data)).toString('latin1');
  return {
    chunks,
    text: all,
    lines: () => all().split('\n').filter((l) => l.length > 0),
    done,
  };
}

const numbered = (prefix: string, n: number): string => Array.from({ length: n }, (_, i) => `${prefix} ${i}\n`).join('');

async function stopAndWait(source: FollowSource, done: Promise<void>): Promise<void> {
  source.stop();
  let finished = false;
  void done.then(() => (finished = true));
  await waitFor(() => finished, 'the follow iteration to end after stop()');
  await done;
}

test('FollowSource: lines appended to the file are picked up', async () => {
  await withTmpDir(async (dir) => {
    const file = join(dir, 'q.log');
    writeFileSync(file, numbered('first', 3));
    const source = new FollowSource(file, 20);
    const c = consume(source);
    try {
      await waitFor(() => c.lines().length === 3, 'the initial 3 lines');
      appendFileSync(file, numbered('second', 2));
      await waitFor(() => c.lines().length === 5, 'the 2 appended lines');
      appendFileSync(file, 'partial');
      appendFileSync(file, ' line\n');
      await waitFor(() => c.lines().length === 6, 'a line written in two parts');
      assert.deepEqual(c.lines(), ['first 0', 'first 1', 'first 2', 'second 0', 'second 1', 'partial line']);
      // whole lines only, contiguous offsets
      let offset = 0;
      for (const chunk of c.chunks) {
        assert.equal(chunk.offset, offset);
        offset += chunk.data.length;
        assert.equal(chunk.data[chunk.data.length - 1], 0x0a);
      }
    } finally {
      await stopAndWait(source, c.done);
    }
  });
});

test('FollowSource: a file that appears later is followed from its start', async () => {
  await withTmpDir(async (dir) => {
    const file = join(dir, 'later.log');
    const source = new FollowSource(file, 20);
    const c = consume(source);
    try {
      writeFileSync(file, numbered('late', 2));
      await waitFor(() => c.lines().length === 2, 'lines of a file created after the start');
      assert.deepEqual(c.lines(), ['late 0', 'late 1']);
    } finally {
      await stopAndWait(source, c.done);
    }
  });
});

test('FollowSource: rotation by rename — every line of both files exactly once, one rotation', async () => {
  await withTmpDir(async (dir) => {
    const file = join(dir, 'q.log');
    writeFileSync(file, numbered('old', 5));
    const source = new FollowSource(file, 20);
    const c = consume(source);
    try {
      await waitFor(() => c.lines().length === 5, 'the old file');
      renameSync(file, join(dir, 'q.log.1'));
      writeFileSync(file, numbered('new', 4));
      await waitFor(() => c.lines().length >= 9, 'the new file after rotation');
      appendFileSync(file, numbered('newer', 1));
      await waitFor(() => c.lines().length >= 10, 'growth of the new file');
      assert.deepEqual(c.lines(), [...numbered('old', 5).split('\n'), ...numbered('new', 4).split('\n'), 'newer 0'].filter((l) => l.length > 0));
      assert.equal(source.counters.rotations, 1);
      assert.equal(source.counters.truncations, 0);
      // Offsets keep growing across the rotation, so positions stay unique.
      const oldSize = Buffer.byteLength(numbered('old', 5));
      const firstNew = c.chunks.find((chunk) => chunk.data.toString('latin1').startsWith('new 0'));
      assert.ok(firstNew);
      assert.equal(firstNew.offset, oldSize);
    } finally {
      await stopAndWait(source, c.done);
    }
  });
});

test('FollowSource: copy-truncate — new lines after the truncation are seen, one truncation', async () => {
  await withTmpDir(async (dir) => {
    const file = join(dir, 'q.log');
    const before = numbered('before-truncation', 20);
    writeFileSync(file, before);
    const source = new FollowSource(file, 20);
    const c = consume(source);
    try {
      await waitFor(() => c.lines().length === 20, 'the file before truncation');
      // copytruncate: the copy is someone else's; the file shrinks to 0 and is written again (shorter than before).
      truncateSync(file, 0);
      appendFileSync(file, numbered('after', 2));
      await waitFor(() => c.lines().length >= 22, 'lines written after the truncation');
      assert.deepEqual(c.lines().slice(20), ['after 0', 'after 1']);
      assert.equal(c.lines().length, 22, 'nothing read twice');
      assert.equal(source.counters.truncations, 1);
      assert.equal(source.counters.rotations, 0);
    } finally {
      await stopAndWait(source, c.done);
    }
  });
});

test('FollowSource: stop() ends the iteration, also while waiting for a missing file', async () => {
  await withTmpDir(async (dir) => {
    const present = join(dir, 'q.log');
    writeFileSync(present, numbered('x', 1));
    const source = new FollowSource(present, 20);
    const c = consume(source);
    await waitFor(() => c.lines().length === 1, 'the first line');
    await stopAndWait(source, c.done);
    const missing = new FollowSource(join(dir, 'never.log'), 20);
    const m = consume(missing);
    await stopAndWait(missing, m.done);
    assert.equal(m.chunks.length, 0);
  });
});
