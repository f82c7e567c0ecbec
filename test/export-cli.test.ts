import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoPath, withTmpDir } from './helpers.js';

const CLI = repoPath('dist/src/cli.js');

test('detect | export: the simulated tunnels become RPZ and domain-list entries', () =>
  withTmpDir((dir) => {
    const log = join(dir, 'q.log');
    const sim = spawnSync(process.execPath, [CLI, 'simulate', '--seed', '2', '--duration', '30m', '-o', log], { cwd: dir, encoding: 'utf8' });
    assert.equal(sim.status, 0, sim.stderr);
    const detect = spawnSync(process.execPath, [CLI, 'detect', log, '--alerts', join(dir, 'alerts.jsonl')], { cwd: dir, encoding: 'utf8' });
    assert.equal(detect.status, 0, detect.stderr);
    // Each alert explains what the crossing name looks like: the simulator's base32 and hex tunnels.
    const charsets = Object.fromEntries(
      readFileSync(join(dir, 'alerts.jsonl'), 'utf8').trim().split('\n').map((l) => {
        const doc = JSON.parse(l);
        return [doc.dns.question.registered_domain, doc.tunnelwatch.question_features.charset];
      }),
    );
    assert.deepEqual(charsets, { 'cdn-sync.net': 'base32', 'stats-relay.org': 'hex' });
    const rpz = join(dir, 'tunnels.rpz');
    const exp = spawnSync(process.execPath, [CLI, 'export', '--format', 'rpz', '--alerts', join(dir, 'alerts.jsonl'), '--include-expired', '-o', rpz], { cwd: dir, encoding: 'utf8' });
    assert.equal(exp.status, 0, exp.stderr);
    const zone = readFileSync(rpz, 'utf8');
    for (const d of ['cdn-sync.net', 'stats-relay.org']) {
      assert.ok(zone.includes(`\n${d} CNAME .\n`), `${d} in:\n${zone}`);
      assert.ok(zone.includes(`\n*.${d} CNAME .\n`));
    }
    const list = spawnSync(process.execPath, [CLI, 'export', '--format', 'domains', '--include-expired'], { cwd: dir, encoding: 'utf8', input: readFileSync(join(dir, 'alerts.jsonl')) });
    assert.equal(list.status, 0, list.stderr);
    assert.deepEqual(list.stdout.trim().split('\n').sort(), ['cdn-sync.net', 'stats-relay.org']);
  }));

test('export with an RPZ-only option on another format is a usage error', () =>
  withTmpDir((dir) => {
    const r = spawnSync(process.execPath, [CLI, 'export', '--format', 'csv', '--zone', 'x.'], { cwd: dir, encoding: 'utf8', input: '' });
    assert.equal(r.status, 2, r.stderr);
  }));
