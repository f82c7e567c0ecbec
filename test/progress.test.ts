import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { renderProgress } from '../src/commands/progress.js';
import { repoPath, withTmpDir } from './helpers.js';

test('the progress line: bar, percent, sizes, rate and ETA', () => {
  const line = renderProgress({ bytesDone: 100 * 1048576, bytesTotal: 400 * 1048576, lines: 500_000, elapsedMs: 2000 });
  assert.equal(line, '[######------------------]  25%  100/400 MiB  250k lines/s  ETA 0:06');
  assert.match(renderProgress({ bytesDone: 0, bytesTotal: 10, lines: 0, elapsedMs: 0 }), /ETA --:--$/);
  assert.match(renderProgress({ bytesDone: 20, bytesTotal: 10, lines: 5, elapsedMs: 1000 }), /^\[#{24}\] 100%/);
  assert.match(renderProgress({ bytesDone: 1, bytesTotal: 7200 * 2, lines: 1, elapsedMs: 1000 }), /ETA 3:59:59$/);
});

test('not on a terminal, detect prints no progress line', () =>
  withTmpDir((dir) => {
    const sim = spawnSync(process.execPath, [repoPath('dist/src/cli.js'), 'simulate', '--lines', '20000', '-o', `${dir}/q.log`], { cwd: dir });
    assert.equal(sim.status, 0);
    const r = spawnSync(process.execPath, [repoPath('dist/src/cli.js'), 'detect', `${dir}/q.log`], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.includes('\r'), false);
    assert.equal(r.stderr.includes('lines/s  ETA'), false);
  }));
