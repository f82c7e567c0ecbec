import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LineFileWriter } from '../src/sinks/line-writer.js';
import { withTmpDir } from './helpers.js';

test('a rotating line file keeps whole lines, the newest files, and every line exactly once', () =>
  withTmpDir((dir) => {
    const path = join(dir, 'alerts.jsonl');
    const w = new LineFileWriter(path, 0, { maxBytes: 1000, keep: 3 });
    const lines = Array.from({ length: 120 }, (_, i) => JSON.stringify({ n: i, pad: 'x'.repeat(40 + (i % 7)) }));
    for (const l of lines) w.write(l);
    w.close();
    assert.ok(w.rotations >= 5, `rotated ${w.rotations} times`);
    assert.equal(existsSync(`${path}.4`), false, 'only 3 rotated files are kept');
    const files = [`${path}.3`, `${path}.2`, `${path}.1`, path];
    const kept = files.flatMap((f) => readFileSync(f, 'utf8').split('\n').filter((l) => l.length > 0));
    for (const f of files) assert.ok(readFileSync(f).length <= 1000, `${f} within the limit`);
    // The kept lines are the last ones written, in order, each whole.
    assert.deepEqual(kept, lines.slice(lines.length - kept.length));
    assert.equal(w.counters.written, lines.length);
  }));

test('rotation resumes from the size already on disk', () =>
  withTmpDir((dir) => {
    const path = join(dir, 'a.jsonl');
    const first = new LineFileWriter(path, 0, { maxBytes: 100, keep: 2 });
    first.write('a'.repeat(60));
    first.close();
    const second = new LineFileWriter(path, 0, { maxBytes: 100, keep: 2 });
    second.write('b'.repeat(60));
    second.close();
    assert.equal(readFileSync(`${path}.1`, 'utf8'), `${'a'.repeat(60)}\n`);
    assert.equal(readFileSync(path, 'utf8'), `${'b'.repeat(60)}\n`);
  }));
