/**
 * The command line as a user runs it: `node dist/src/cli.js …` in a child
 * process, in a temporary working directory (so default output files such as
 * the quarantine file never land in the repository).
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { validateConfig } from '../src/config/load.js';
import { BindQueryParser } from '../src/parsers/bind.js';
import { Rejection } from '../src/parsers/parser.js';
import { fixtureLines, fixturePath, repoPath, withTmpDir } from './helpers.js';

const CLI = repoPath('dist/src/cli.js');

function run(args: string[], options: { cwd: string; input?: string | Buffer }): SpawnSyncReturns<string> {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd: options.cwd,
    input: options.input ?? '',
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120_000,
  });
  assert.equal(result.error, undefined, `spawning ${args.join(' ')}: ${String(result.error)}`);
  return result;
}

const outputs = (r: SpawnSyncReturns<string>): string => `\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;

/** The number after `label` in the run summary on stderr. */
function summaryCount(stderr: string, label: string): number {
  const line = stderr.split('\n').find((l) => l.trimStart().startsWith(label));
  assert.ok(line !== undefined, `summary line "${label}" in:\n${stderr}`);
  const m = /^\s*[a-z ]+?\s+(\d+)/.exec(line);
  assert.ok(m, line);
  return Number(m[1]);
}

test('--help: exit 0, the subcommands and the exit statuses', () =>
  withTmpDir((cwd) => {
    const r = run(['--help'], { cwd });
    assert.equal(r.status, 0, outputs(r));
    for (const word of ['detect', 'simulate', 'demo', 'config']) assert.ok(r.stdout.includes(word), `help mentions ${word}`);
    assert.ok(r.stdout.includes('Exit status'), 'help documents the exit statuses');
    for (const status of ['0 ok', '1 internal error', '2 usage error', '3 invalid configuration', '4 input error', '5 output error']) {
      assert.ok(r.stdout.includes(status), `help mentions "${status}"`);
    }
  }));

test('detect with a nonexistent file: exit 4 and a message on stderr', () =>
  withTmpDir((cwd) => {
    const r = run(['detect', join(cwd, 'no-such-file.log')], { cwd });
    assert.equal(r.status, 4, outputs(r));
    assert.ok(r.stderr.includes('no-such-file.log'), outputs(r));
    assert.equal(r.stdout, '');
  }));

test('detect --config with an unknown key: exit 3 and the key is named', () =>
  withTmpDir((cwd) => {
    const config = join(cwd, 'bad.yaml');
    writeFileSync(config, 'windws:\n  - { length: 10m, slide: 5m }\n');
    const r = run(['detect', '--config', config, '-'], { cwd });
    assert.equal(r.status, 3, outputs(r));
    assert.ok(r.stderr.includes('windws'), outputs(r));
    const tz = run(['detect', '--timezone', 'Mars/Olympus_Mons', '-'], { cwd });
    assert.equal(tz.status, 3, outputs(tz));
    assert.ok(tz.stderr.includes('timeZone'), outputs(tz));
  }));

test('usage errors exit 2: a bad --threshold, an unknown option', () =>
  withTmpDir((cwd) => {
    const threshold = run(['detect', '--threshold', 'abc', '-'], { cwd });
    const unknown = run(['detect', '--no-such-option', '-'], { cwd });
    assert.ok(threshold.stderr.includes('--threshold'), outputs(threshold));
    assert.deepEqual({ threshold: threshold.status, unknownOption: unknown.status }, { threshold: 2, unknownOption: 2 }, outputs(threshold) + outputs(unknown));
  }));

test('simulate --lines 1000 --seed 7 twice: identical output of 1000 parseable lines', () =>
  withTmpDir((cwd) => {
    const a = run(['simulate', '--lines', '1000', '--seed', '7'], { cwd });
    const b = run(['simulate', '--lines', '1000', '--seed', '7'], { cwd });
    assert.equal(a.status, 0, outputs(a));
    assert.equal(b.status, 0, outputs(b));
    assert.equal(a.stdout, b.stdout);
    assert.ok(a.stdout.endsWith('\n'));
    const lines = a.stdout.slice(0, -1).split('\n');
    assert.equal(lines.length, 1000);
    const parser = new BindQueryParser();
    lines.forEach((line, i) => assert.ok(!(parser.parse(line, 'sim', i + 1, 0) instanceof Rejection), `simulated line ${i + 1} parses: ${line}`));
    const other = run(['simulate', '--lines', '1000', '--seed', '8'], { cwd });
    assert.notEqual(other.stdout, a.stdout, 'another seed, another log');
  }));

test('simulate --no-tunnels | detect -: exit 0, no alerts, the summary counts 200 lines', () =>
  withTmpDir((cwd) => {
    const sim = run(['simulate', '--no-tunnels', '--lines', '200'], { cwd });
    assert.equal(sim.status, 0, outputs(sim));
    const r = run(['detect', '-'], { cwd, input: sim.stdout });
    assert.equal(r.status, 0, outputs(r));
    assert.equal(r.stdout, '', 'no alerts on stdout');
    assert.ok(r.stderr.includes('lines read        200'), outputs(r));
    assert.equal(summaryCount(r.stderr, 'parsed'), 200);
    assert.equal(summaryCount(r.stderr, 'alerts'), 0);
    assert.equal(existsSync(join(cwd, 'tunnelwatch-quarantine.jsonl')), false, 'no quarantine file when nothing is rejected');
  }));

test('detect hostile.log --quarantine Q: exit 0, every rejected line in Q with its position', () =>
  withTmpDir((cwd) => {
    const input = fixturePath('bind/hostile.log');
    const q = join(cwd, 'q.jsonl');
    const r = run(['detect', input, '--quarantine', q], { cwd });
    assert.equal(r.status, 0, outputs(r));

    // What the parser itself says about each line: the CLI must account for exactly these.
    const parser = new BindQueryParser();
    const results = fixtureLines('bind/hostile.log').map((line, i) => parser.parse(line, input, i + 1, 0));
    const rejected = results.flatMap((x, i) => (x instanceof Rejection ? [{ line: i + 1, r: x }] : []));
    const nonEmptyRejected = rejected.filter((x) => x.r.reason !== 'empty');
    const malformed = rejected.filter((x) => !x.r.skip);
    const skipped = rejected.filter((x) => x.r.skip);

    assert.equal(summaryCount(r.stderr, 'lines read'), 40);
    assert.equal(summaryCount(r.stderr, 'parsed'), results.length - rejected.length);
    assert.equal(summaryCount(r.stderr, 'quarantined'), malformed.length);
    assert.equal(summaryCount(r.stderr, 'skipped'), skipped.length);
    // read = parsed + skipped + quarantined
    assert.equal(summaryCount(r.stderr, 'parsed') + summaryCount(r.stderr, 'skipped') + summaryCount(r.stderr, 'quarantined'), 40);

    const raw = readFileSync(q, 'utf8');
    assert.ok(raw.endsWith('\n'));
    const entries = raw.slice(0, -1).split('\n').map((line, i) => {
      let parsed: unknown;
      assert.doesNotThrow(() => (parsed = JSON.parse(line)), `Q line ${i + 1} is JSON`);
      return parsed as { reason: string; source: string; line: number; offset: number; text: string; truncated?: boolean; length?: number };
    });
    // Skipped lines are written too (quarantineSkipped defaults to true), empty ones are not.
    assert.equal(entries.length, nonEmptyRejected.length);
    const emptyLines = rejected.length - nonEmptyRejected.length;
    assert.equal(summaryCount(r.stderr, 'quarantined') + summaryCount(r.stderr, 'skipped') - emptyLines, entries.length);
    assert.deepEqual(
      entries.map((e) => [e.line, e.reason]),
      nonEmptyRejected.map((x) => [x.line, x.r.reason]),
    );
    const bytes = readFileSync(input);
    for (const e of entries) {
      assert.equal(typeof e.reason, 'string');
      assert.equal(e.source, input);
      assert.ok(Number.isInteger(e.line) && e.line >= 1);
      assert.ok(Number.isInteger(e.offset) && e.offset >= 0);
      assert.equal(typeof e.text, 'string');
      // The offset finds the line in the file, byte for byte.
      assert.equal(bytes.toString('latin1', e.offset, e.offset + e.text.length), e.text, `line ${e.line} at offset ${e.offset}`);
      assert.ok(e.offset === 0 || bytes[e.offset - 1] === 0x0a, `line ${e.line}: offset is a line start`);
      if (e.truncated === true) {
        assert.equal(e.reason, 'too_long');
        assert.equal(e.text.length, 8192);
        assert.ok((e.length ?? 0) > 8192);
      }
    }
  }));

test('config prints the defaults as JSON', () =>
  withTmpDir((cwd) => {
    const r = run(['config'], { cwd });
    assert.equal(r.status, 0, outputs(r));
    const printed = JSON.parse(r.stdout) as ReturnType<typeof validateConfig>;
    assert.deepEqual(printed, validateConfig({}));
    assert.equal(printed.rules[0]?.type, 'score');
    assert.equal(printed.scoring.distinctSubdomains.threshold, 180);
    assert.deepEqual(printed.windows[0], { length: '10m', slide: '5m', events: 'all' });
  }));

test('--store without a file uses the data directory ($XDG_DATA_HOME/tunnelwatch), where report and query look by default', () =>
  withTmpDir((cwd) => {
    const env = { ...process.env, XDG_DATA_HOME: join(cwd, 'data'), TUNNELWATCH_STORE: '' };
    const log = spawnSync(process.execPath, [CLI, 'simulate', '--duration', '20m', '--rate', '200'], { cwd, encoding: 'utf8', env });
    writeFileSync(join(cwd, 'q.log'), log.stdout);
    const detect = spawnSync(process.execPath, [CLI, 'detect', 'q.log', '--store', '--alerts', 'a.jsonl'], { cwd, encoding: 'utf8', env });
    assert.equal(detect.status, 0, detect.stderr);
    assert.ok(existsSync(join(cwd, 'data', 'tunnelwatch', 'tunnelwatch.duckdb')));
    const report = spawnSync(process.execPath, [CLI, 'report', '--format', 'json'], { cwd, encoding: 'utf8', env });
    assert.equal(report.status, 0, report.stderr);
    const domains = (JSON.parse(report.stdout) as { domains: Array<{ domain: string }> }).domains.map((d) => d.domain);
    assert.ok(domains.includes('cdn-sync.net'), domains.join(' '));
    const query = spawnSync(process.execPath, [CLI, 'query', 'SELECT count(*) AS n FROM alerts', '--format', 'csv'], { cwd, encoding: 'utf8', env });
    assert.equal(query.status, 0, query.stderr);
    assert.match(query.stdout, /^"n"\r?\n"[1-9]/);
  }));

test('--workers auto runs one partition per core (at most 16) and finds what one thread finds', () =>
  withTmpDir((cwd) => {
    const log = spawnSync(process.execPath, [CLI, 'simulate', '--duration', '20m', '--rate', '300'], { cwd, encoding: 'utf8' });
    writeFileSync(join(cwd, 'q.log'), log.stdout);
    const one = run(['detect', 'q.log', '--alerts', 'one.jsonl'], { cwd });
    const auto = run(['detect', 'q.log', '--workers', 'auto', '--alerts', 'auto.jsonl'], { cwd });
    assert.equal(one.status, 0, outputs(one));
    assert.equal(auto.status, 0, outputs(auto));
    const domains = (f: string): string[] =>
      readFileSync(join(cwd, f), 'utf8')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { dns: { question: { registered_domain: string } } }).dns.question.registered_domain)
        .sort();
    assert.deepEqual(domains('auto.jsonl'), domains('one.jsonl'));
  }));
