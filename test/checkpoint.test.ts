/**
 * Checkpoints and recovery: the crash test of the durability issue (kill -9 at 20 seeded moments
 * of a run over a two-million-line log; the final alert file and counts equal an uninterrupted
 * run's), torn and garbled checkpoints, and a changed configuration.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CheckpointStore } from '../src/state/checkpoint-store.js';
import { TunnelwatchError } from '../src/errors.js';
import { repoPath, seededRandom, waitFor, withTmpDir } from './helpers.js';

const CLI = repoPath('dist/src/cli.js');

/** Alert lines without the wall-clock `event.created`, in file order. */
function alertDocs(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const doc = JSON.parse(l) as { event: Record<string, unknown> };
      delete doc.event.created;
      return JSON.stringify(doc);
    });
}

function counts(stderr: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of ['lines read', 'parsed', 'skipped', 'quarantined', 'late', 'alerts']) {
    const m = new RegExp(`^  ${key} +(\\d+)`, 'm').exec(stderr);
    assert.ok(m !== null, `summary has ${key}: ${stderr}`);
    out[key] = Number(m[1]);
  }
  return out;
}

function detect(args: string[], cwd: string): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'detect', ...args], { cwd, encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

/** Writes a simulated log of `lines` lines with two malformed lines at the end (so quarantine is replayed too). */
function simulatedLog(dir: string, lines: number): string {
  const log = join(dir, 'query.log');
  const fd = openSync(log, 'w');
  const minutes = Math.ceil(lines / 10_000);
  const sim = spawnSync(process.execPath, [CLI, 'simulate', '--seed', '5', '--duration', `${minutes}m`, '--rate', '10000', '--lines', String(lines)], {
    stdio: ['ignore', fd, 'pipe'],
  });
  closeSync(fd);
  assert.equal(sim.status, 0, String(sim.stderr));
  writeFileSync(log, 'garbage line one\n\u0000\u0001 not a query\n', { flag: 'a' });
  return log;
}

/**
 * Runs `detect args` `kills` times, each killed with SIGKILL at a seeded moment after it wrote a
 * checkpoint of its own, then once to the end. Returns the last run's stderr.
 */
async function killAndResume(dir: string, args: string[], kills: number, seed: number): Promise<string> {
  const stateDir = args[args.indexOf('--state-dir') + 1]!;
  const rng = seededRandom(seed);
  const newestCheckpoint = (): number => {
    try {
      return Math.max(0, ...readdirSync(stateDir).filter((f) => f.endsWith('.bin')).map((f) => Number(f.slice(11, 23))));
    } catch {
      return 0;
    }
  };
  let resumedRuns = 0;
  let finishedEarly = 0;
  for (let kill = 0; kill < kills; kill++) {
    const before = newestCheckpoint();
    const child = spawn(process.execPath, [CLI, 'detect', ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let code: number | null | undefined;
    const exited = new Promise<void>((resolve) =>
      child.on('exit', (c) => {
        code = c;
        resolve();
      }),
    );
    // Kill at a seeded moment after the run has written a checkpoint of its own (however slowly
    // this machine starts Node), so every restart after the first has something to resume.
    await waitFor(() => newestCheckpoint() > before || code !== undefined, 'a checkpoint from this run', 60_000, 20);
    await new Promise((resolve) => setTimeout(resolve, Math.floor(rng() * 800)));
    child.kill('SIGKILL');
    await exited;
    if (stderr.includes('resuming from the checkpoint')) resumedRuns++;
    if (code === 0) finishedEarly++;
    // Killed (null), or finished before the kill (0): never an error.
    assert.ok(code === null || code === 0, `run ${kill} exited ${code}: ${stderr}`);
  }
  assert.equal(resumedRuns, kills - 1, 'every restart after the first resumed from a checkpoint');
  assert.ok(finishedEarly <= 2, `the kills landed while the log was being read (${finishedEarly} runs finished first)`);
  const last = detect(args, dir);
  assert.equal(last.status, 0, last.stderr);
  return last.stderr;
}

test('kill -9 at 20 seeded moments, restart each time: the alert file and the counts equal one uninterrupted run', { timeout: 300_000 }, () =>
  withTmpDir(async (dir) => {
    const log = simulatedLog(dir, 2_000_000);
    const reference = detect([log, '--alerts', join(dir, 'ref.jsonl'), '--quarantine', join(dir, 'ref-q.jsonl')], dir);
    assert.equal(reference.status, 0, reference.stderr);

    const args = [log, '--alerts', join(dir, 'a.jsonl'), '--quarantine', join(dir, 'q.jsonl'), '--state-dir', join(dir, 'state'), '--checkpoint-interval', '200ms'];
    const last = await killAndResume(dir, args, 20, 20261123);

    assert.deepEqual(counts(last), counts(reference.stderr));
    const expected = alertDocs(join(dir, 'ref.jsonl'));
    assert.ok(expected.length >= 2, 'the simulated tunnels alert');
    assert.deepEqual(alertDocs(join(dir, 'a.jsonl')), expected);
    assert.deepEqual(readFileSync(join(dir, 'q.jsonl'), 'utf8'), readFileSync(join(dir, 'ref-q.jsonl'), 'utf8'));

    // A finished run's state resumes to nothing new.
    const again = detect(args, dir);
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(alertDocs(join(dir, 'a.jsonl')), expected);
  }),
);

test('with --workers 2, kill -9 at 6 seeded moments: every partition resumes, and alerts, quarantine and counts equal one uninterrupted run; another thread count is refused', { timeout: 300_000 }, () =>
  withTmpDir(async (dir) => {
    const log = simulatedLog(dir, 600_000);
    // Partitions interleave their outputs by timing, so the files are compared as sets of lines.
    const sorted = (lines: string[]): string[] => [...lines].sort();
    const reference = detect([log, '--workers', '2', '--alerts', join(dir, 'ref.jsonl'), '--quarantine', join(dir, 'ref-q.jsonl')], dir);
    assert.equal(reference.status, 0, reference.stderr);
    const single = detect([log, '--alerts', join(dir, 'single.jsonl')], dir);
    assert.equal(single.status, 0, single.stderr);

    const args = [log, '--workers', '2', '--alerts', join(dir, 'a.jsonl'), '--quarantine', join(dir, 'q.jsonl'), '--state-dir', join(dir, 'state'), '--checkpoint-interval', '200ms'];
    const last = await killAndResume(dir, args, 6, 20261124);

    assert.deepEqual(counts(last), counts(reference.stderr));
    const expected = sorted(alertDocs(join(dir, 'ref.jsonl')));
    assert.ok(expected.length >= 2, 'the simulated tunnels alert');
    assert.deepEqual(sorted(alertDocs(join(dir, 'a.jsonl'))), expected);
    assert.deepEqual(sorted(alertDocs(join(dir, 'single.jsonl'))), expected, 'the same alerts as one thread');
    const quarantined = (f: string): string[] => sorted(readFileSync(join(dir, f), 'utf8').split('\n'));
    assert.deepEqual(quarantined('q.jsonl'), quarantined('ref-q.jsonl'));

    const other = detect([...args.filter((a) => a !== '2' && a !== '--workers'), '--workers', '3'], dir);
    assert.equal(other.status, 3, other.stderr);
    assert.match(other.stderr, /taken with 2 detection thread\(s\) and this run has 3: run with --workers 2/);
  }),
);

test('SIGTERM in the middle of a file, then resume: no line is cut in two, counts and quarantine equal one uninterrupted run (one thread and --workers 2)', { timeout: 120_000 }, () =>
  withTmpDir(async (dir) => {
    const log = simulatedLog(dir, 600_000);
    const reference = detect([log, '--alerts', join(dir, 'ref.jsonl'), '--quarantine', join(dir, 'ref-q.jsonl')], dir);
    assert.equal(reference.status, 0, reference.stderr);
    for (const workers of ['1', '2']) {
      const state = join(dir, `state-${workers}`);
      const args = [log, '--workers', workers, '--alerts', join(dir, `a-${workers}.jsonl`), '--quarantine', join(dir, `q-${workers}.jsonl`), '--state-dir', state, '--checkpoint-interval', '200ms'];
      const child = spawn(process.execPath, [CLI, 'detect', ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      // Stopped once it has checkpointed (so it is reading): the read that is cut off ends inside a line.
      const checkpointed = (): boolean => {
        try {
          return readdirSync(state).some((f) => f.endsWith('.bin'));
        } catch {
          return false;
        }
      };
      await waitFor(checkpointed, 'a first checkpoint', 60_000, 5);
      child.kill('SIGTERM');
      assert.equal(await exited, 0, stderr);
      const stopped = counts(stderr);
      assert.ok(stopped['lines read']! < 600_002, `SIGTERM landed before the end (${stopped['lines read']} lines read)`);
      const resumed = detect(args, dir);
      assert.equal(resumed.status, 0, resumed.stderr);
      assert.match(resumed.stderr, /resuming from the checkpoint/);
      assert.deepEqual(counts(resumed.stderr), counts(reference.stderr), `--workers ${workers}`);
      const lines = (f: string): string[] => readFileSync(join(dir, f), 'utf8').split('\n').sort();
      assert.deepEqual(lines(`q-${workers}.jsonl`), lines('ref-q.jsonl'), `--workers ${workers}: the same quarantine, no fragments of a cut line`);
      assert.deepEqual(alertDocs(join(dir, `a-${workers}.jsonl`)).sort(), alertDocs(join(dir, 'ref.jsonl')).sort());
    }
  }),
);

test('with --store and --aggregates, kill -9 at 4 seeded moments: the store holds every window row and alert exactly once, and the Parquet rows, told apart by (run_id, seq), are those of one uninterrupted run', { timeout: 300_000 }, () =>
  withTmpDir(async (dir) => {
    const log = simulatedLog(dir, 400_000);
    const reference = detect([log, '--alerts', join(dir, 'ref.jsonl'), '--store', join(dir, 'ref.duckdb'), '--aggregates', join(dir, 'ref-pq')], dir);
    assert.equal(reference.status, 0, reference.stderr);
    const args = [log, '--alerts', join(dir, 'a.jsonl'), '--store', join(dir, 'a.duckdb'), '--aggregates', join(dir, 'pq'), '--state-dir', join(dir, 'state'), '--checkpoint-interval', '200ms'];
    const last = await killAndResume(dir, args, 4, 20261125);
    assert.match(last, /resuming from the checkpoint/);

    const query = (store: string, sql: string): string[] => {
      const r = spawnSync(process.execPath, [CLI, 'query', '--store', join(dir, store), '--format', 'csv', sql], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 28 });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.trim().split(/\r?\n/);
    };
    const windows = 'SELECT window_name, window_start, registered_domain, queries, distinct_subdomains, distinct_clients, top_client, alerted FROM windows ORDER BY ALL';
    const expected = query('ref.duckdb', windows);
    assert.ok(expected.length > 1000, `the reference run wrote window rows (${expected.length})`);
    assert.deepEqual(query('a.duckdb', windows), expected);
    // One run, its rows numbered 0…n−1 with none missing or repeated.
    const [, numbering] = query('a.duckdb', 'SELECT count(*), count(DISTINCT run_id), min(seq), max(seq), count(DISTINCT seq) FROM windows');
    const rows = expected.length - 1;
    assert.equal(numbering, `"${rows}","1","0","${rows - 1}","${rows}"`);
    const alerts = 'SELECT id, rule, registered_domain, score FROM alerts ORDER BY id';
    assert.deepEqual(query('a.duckdb', alerts), query('ref.duckdb', alerts));

    // Parquet is at-least-once: rows written after the last checkpoint may be there twice, as the same (run_id, seq).
    const parquet = (files: string): string => `read_parquet('${join(dir, files, '*.parquet')}')`;
    const fields = '"window", window_start, registered_domain, queries, distinct_subdomains, distinct_clients, top_client, alerted';
    const once = `SELECT ${fields} FROM (SELECT DISTINCT ON (run_id, seq) * FROM ${parquet('pq')}) ORDER BY ALL`;
    assert.deepEqual(query('a.duckdb', once), query('a.duckdb', `SELECT ${fields} FROM ${parquet('ref-pq')} ORDER BY ALL`));
    const [, numbers] = query('a.duckdb', `SELECT count(DISTINCT run_id), count(DISTINCT seq), min(seq), max(seq) FROM ${parquet('pq')}`);
    assert.equal(numbers, `"1","${rows}","0","${rows - 1}"`, 'one run, every row number there, none missing');
  }),
);

test('a torn or garbled newest checkpoint is detected, named, and the previous good one used', () =>
  withTmpDir((dir) => {
    const store = new CheckpointStore(dir);
    store.save({ n: 1, data: new Map([['a', new Set([1, 2])]]) });
    store.save({ n: 2 });
    const third = store.save({ n: 3, big: 'x'.repeat(1000) });
    assert.deepEqual(new CheckpointStore(dir).load<{ n: number }>()?.state.n, 3);

    // Torn: the newest file cut short.
    const bytes = readFileSync(third);
    writeFileSync(third, bytes.subarray(0, bytes.length - 100));
    const loaded = new CheckpointStore(dir).load<{ n: number }>()!;
    assert.equal(loaded.state.n, 2);
    assert.equal(loaded.rejected.length, 1);
    assert.match(loaded.rejected[0]!.reason, /truncated/);

    // Garbled: one payload byte flipped in the next one.
    const second = join(dir, loaded.file);
    const b2 = readFileSync(second);
    b2.writeUInt8(b2.readUInt8(b2.length - 1) ^ 0xff, b2.length - 1);
    writeFileSync(second, b2);
    const first = new CheckpointStore(dir).load<{ n: number; data: Map<string, Set<number>> }>()!;
    assert.equal(first.state.n, 1);
    assert.deepEqual([...first.state.data.get('a')!], [1, 2], 'Maps and Sets survive');
    assert.deepEqual(first.rejected.map((r) => r.reason), [first.rejected[0]!.reason, 'checksum mismatch']);

    // Nothing usable at all: a clear error, not a silent fresh start.
    writeFileSync(join(dir, first.file), 'not a checkpoint');
    assert.throws(() => new CheckpointStore(dir).load(), (e: unknown) => e instanceof TunnelwatchError && /no usable checkpoint/.test(e.message));
    // A save after a crash mid-write leaves no stray temporary file behind.
    writeFileSync(join(dir, 'checkpoint-000000000009.bin.tmp'), 'partial');
    new CheckpointStore(dir).save({ n: 10 });
    assert.ok(!readdirSync(dir).some((f) => f.endsWith('.tmp')));
  }));

test('detect says which checkpoint it skipped and replays from the one before, to the same alerts; a different configuration is refused with exit 3', () =>
  withTmpDir((dir) => {
    const log = join(dir, 'q.log');
    const fd = openSync(log, 'w');
    spawnSync(process.execPath, [CLI, 'simulate', '--duration', '20m', '--rate', '3000'], { stdio: ['ignore', fd, 'ignore'] });
    closeSync(fd);
    const reference = detect([log, '--alerts', join(dir, 'ref.jsonl'), '--quarantine', join(dir, 'ref-q.jsonl')], dir);
    assert.equal(reference.status, 0, reference.stderr);
    const state = join(dir, 'state');
    // A checkpoint after every 1 MiB chunk, and the final one.
    const base = [log, '--alerts', join(dir, 'a.jsonl'), '--quarantine', join(dir, 'q.jsonl'), '--state-dir', state, '--checkpoint-interval', '1ms'];
    assert.equal(detect(base, dir).status, 0);
    const files = readdirSync(state).filter((f) => f.endsWith('.bin')).sort();
    assert.equal(files.length, 3, files.join(' '));
    // The final checkpoint is garbled: the run before the last chunk is replayed from the one before it.
    writeFileSync(join(state, files[2]!), 'garbled');
    const r = detect(base, dir);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`checkpoint ${files[2]} in .* is unusable \\(not a tunnelwatch checkpoint.*resuming from the previous one, ${files[1]}`));
    assert.deepEqual(counts(r.stderr), counts(reference.stderr));
    assert.deepEqual(alertDocs(join(dir, 'a.jsonl')), alertDocs(join(dir, 'ref.jsonl')));
    const changed = detect([...base, '--threshold', '50'], dir);
    assert.equal(changed.status, 3, changed.stderr);
    assert.match(changed.stderr, /other windows, rules, scoring or input settings/);
  }));
