/**
 * `detect --watch-dir`: new files in a directory are read once each, in order, and — with
 * --state-dir — remembered across a restart, so nothing is read (or alerted) twice.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { globMatch } from '../src/sources/directory.js';
import { formatBindQueryLine } from '../src/simulate/simulator.js';
import { repoPath, seededRandom, waitFor, withTmpDir } from './helpers.js';

const CLI = repoPath('dist/src/cli.js');
const T0 = Date.UTC(2026, 10, 22, 0, 0, 0);

function lines(domain: string, count: number, start: number, rng: () => number, encoded: boolean): string {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let label = '';
    if (encoded) for (let k = 0; k < 40; k++) label += 'abcdefghijklmnopqrstuvwxyz234567'[Math.floor(rng() * 32)];
    else label = ['www', 'mail', 'api', 'static', 'login', 'news'][Math.floor(rng() * 6)]!;
    out.push(formatBindQueryLine({ timeMs: start + i * 500, clientIp: encoded ? '10.6.6.6' : `10.1.0.${1 + (i % 40)}`, clientPort: 4000, qname: `${label}.${domain}`, qtype: encoded ? 'TXT' : 'A', serverIp: '10.0.0.53' }));
  }
  return out.join('\n') + '\n';
}

function alertDomains(path: string): string[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => (JSON.parse(l) as { dns: { question: { registered_domain: string } } }).dns.question.registered_domain);
}

async function runUntil(args: string[], cwd: string, ready: () => boolean, what: string): Promise<string> {
  const child = spawn(process.execPath, [CLI, 'detect', ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    await waitFor(ready, what, 90_000, 50);
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0, stderr);
  return stderr;
}

test('glob names: * and ? without backtracking blow-up', () => {
  assert.ok(globMatch('query.log.*', 'query.log.1'));
  assert.ok(globMatch('q?.log', 'q1.log'));
  assert.ok(!globMatch('q?.log', 'q12.log'));
  assert.ok(globMatch('*', 'anything'));
  assert.ok(!globMatch('*.log', 'x.log.gz'));
  assert.ok(!globMatch('*a*a*a*a*a*a*a*a*b', 'a'.repeat(5000)));
});

test('watched directory: each new file read once, oldest first; after a restart the finished ones are skipped', () =>
  withTmpDir(async (dir) => {
    const watched = join(dir, 'incoming');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(watched);
    const config = join(dir, 'tw.json');
    writeFileSync(config, JSON.stringify({ input: { pollInterval: '100ms' } }));
    const alerts = join(dir, 'alerts.jsonl');
    const args = ['--config', config, '--watch-dir', watched, '--pattern', 'q*.log', '--state-dir', join(dir, 'state'), '--alerts', alerts, '--quarantine', join(dir, 'q.jsonl')];
    const rng = seededRandom(17);
    writeFileSync(join(watched, 'q1.log'), lines('example.org', 400, T0, rng, false));
    writeFileSync(join(watched, 'notes.txt'), 'not a log: the pattern leaves it out\n');
    writeFileSync(join(watched, 'q2.log'), lines('sync-files.net', 60, T0 + 300_000, rng, true));
    const first = await runUntil(args, dir, () => alertDomains(alerts).includes('sync-files.net'), 'the alert from q2.log');
    assert.match(first, /lines read\s+460\b/);
    assert.match(first, /quarantined\s+0\b/);

    // A new file while it was down; the restart takes only that one.
    writeFileSync(join(watched, 'q3.log'), lines('cloud-notes.io', 60, T0 + 600_000, rng, true));
    const second = await runUntil(args, dir, () => alertDomains(alerts).includes('cloud-notes.io'), 'the alert from q3.log');
    assert.match(second, /resuming from the checkpoint/);
    assert.match(second, /lines read\s+520\b/, 'counts go on from the checkpoint: 460 + 60');
    assert.deepEqual(alertDomains(alerts), ['sync-files.net', 'cloud-notes.io'], 'each alert once');
  }));

test('--follow with --state-dir: a restart goes on after the last line read, also when the log was rotated while it was down', () =>
  withTmpDir(async (dir) => {
    const { renameSync, appendFileSync } = await import('node:fs');
    const log = join(dir, 'query.log');
    const config = join(dir, 'tw.json');
    writeFileSync(config, JSON.stringify({ input: { pollInterval: '100ms' } }));
    const alerts = join(dir, 'alerts.jsonl');
    const args = ['--config', config, '--follow', log, '--state-dir', join(dir, 'state'), '--alerts', alerts, '--quarantine', join(dir, 'q.jsonl')];
    const rng = seededRandom(23);
    writeFileSync(log, lines('example.org', 200, T0, rng, false));
    appendFileSync(log, lines('sync-files.net', 60, T0 + 100_000, rng, true));
    const first = await runUntil(args, dir, () => alertDomains(alerts).includes('sync-files.net'), 'the first alert');
    assert.match(first, /lines read\s+260\b/);

    // Appended while it was down: read on from the saved offset, nothing twice.
    appendFileSync(log, lines('example.org', 100, T0 + 200_000, rng, false));
    appendFileSync(log, lines('cloud-notes.io', 60, T0 + 300_000, rng, true));
    const second = await runUntil(args, dir, () => alertDomains(alerts).includes('cloud-notes.io'), 'the second alert');
    assert.match(second, /lines read\s+420\b/);

    // Rotated while it was down: the new file is read from its start.
    renameSync(log, `${log}.1`);
    writeFileSync(log, lines('media-relay.net', 60, T0 + 400_000, rng, true));
    const third = await runUntil(args, dir, () => alertDomains(alerts).includes('media-relay.net'), 'the third alert');
    assert.match(third, /rotated while tunnelwatch was stopped/);
    assert.match(third, /lines read\s+480\b/);
    assert.deepEqual(alertDomains(alerts), ['sync-files.net', 'cloud-notes.io', 'media-relay.net'], 'each alert once');
  }));
