/**
 * Configuration loading and validation (src/config/load.ts, schema.ts), and
 * the checks only the engine can make (a rule's window must exist).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfigFile, validateConfig } from '../src/config/load.js';
import { configReference } from '../src/config/reference.js';
import { DetectionEngine } from '../src/engine.js';
import { TunnelwatchError } from '../src/errors.js';
import { repoPath, withTmpDir } from './helpers.js';

/** Asserts `fn` throws a TW_CONFIG TunnelwatchError whose message contains every one of `needles`. */
function throwsConfig(fn: () => unknown, ...needles: string[]): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof TunnelwatchError, `expected a TunnelwatchError, got ${String(error)}`);
    assert.equal(error.code, 'TW_CONFIG');
    for (const n of needles) assert.ok(error.message.includes(n), `message should name ${JSON.stringify(n)}: ${error.message}`);
    return true;
  });
}

test('defaults: a 10m/5m window of all events and 1h/24h windows of suspicious ones, 60s lateness, the score rule on, the classic distinct rule (threshold 180) off', () => {
  const c = validateConfig({});
  assert.deepEqual(c.windows, [
    { length: '10m', slide: '5m', events: 'all' },
    { length: '1h', slide: '10m', events: 'suspicious' },
    { length: '24h', slide: '1h', events: 'suspicious' },
  ]);
  assert.equal(c.watermark.lateness, '60s');
  const score = c.rules.find((r) => r.name === 'dns_tunnel_score');
  assert.ok(score && score.type === 'score');
  assert.equal(score.enabled, true);
  assert.equal(c.scoring.alertScore, 60);
  assert.equal(c.scoring.distinctSubdomains.threshold, 180);
  const rule = c.rules.find((r) => r.name === 'dns_distinct_subdomains');
  assert.ok(rule && rule.type === 'distinct_subdomains');
  assert.equal(rule.threshold, 180);
  assert.equal(rule.key, 'domain');
  assert.equal(rule.enabled, false);
  const perClient = c.rules.find((r) => r.name === 'dns_client_distinct_subdomains');
  assert.ok(perClient);
  assert.equal(perClient.enabled, false);
  assert.equal(c.input.timeZone, 'UTC');
  assert.equal(c.input.format, 'auto');
  assert.equal(c.state.exactDistinctLimit, 4096);
  assert.equal(c.output.quarantine, 'tunnelwatch-quarantine.jsonl');
  assert.equal(c.output.quarantineSkipped, true);
  // undefined and {} mean the same
  assert.deepEqual(validateConfig(undefined), c);
  assert.deepEqual(validateConfig(null), c);
});

test('a YAML file loads, merged with the defaults', async () => {
  await withTmpDir(async (dir) => {
    const file = join(dir, 'tw.yaml');
    await writeFile(
      file,
      [
        'input:',
        '  timeZone: Europe/Berlin',
        '  syslogYear: 2025',
        'windows:',
        '  - { length: 10m, slide: 5m }',
        '  - { length: 1h, slide: 1h }',
        'watermark:',
        '  lateness: 2m',
        'rules:',
        '  - name: hourly',
        '    type: distinct_subdomains',
        '    key: client_domain',
        '    window: 1h/1h',
        '    threshold: 500',
        '',
      ].join('\n'),
    );
    const c = loadConfigFile(file);
    assert.equal(c.input.timeZone, 'Europe/Berlin');
    assert.equal(c.input.syslogYear, 2025);
    assert.equal(c.input.format, 'auto', 'unset keys keep their defaults');
    assert.deepEqual(c.windows, [
      { length: '10m', slide: '5m', events: 'all' },
      { length: '1h', slide: '1h', events: 'all' },
    ]);
    assert.equal(c.watermark.lateness, '2m');
    assert.equal(c.rules.length, 1);
    assert.deepEqual(c.rules[0], { name: 'hourly', type: 'distinct_subdomains', key: 'client_domain', window: '1h/1h', threshold: 500, enabled: true });
    assert.equal(c.output.samples, 8);
    // and the engine accepts it
    assert.doesNotThrow(() => new DetectionEngine(c, { alert() {} }));
  });
});

test('a JSON file loads', async () => {
  await withTmpDir(async (dir) => {
    const file = join(dir, 'tw.json');
    await writeFile(file, JSON.stringify({ watermark: { lateness: '5s' }, state: { exactDistinctLimit: 100 }, output: { quarantine: 'q.jsonl', samples: 3 } }));
    const c = loadConfigFile(file);
    assert.equal(c.watermark.lateness, '5s');
    assert.equal(c.state.exactDistinctLimit, 100);
    assert.equal(c.output.quarantine, 'q.jsonl');
    assert.equal(c.output.samples, 3);
    assert.deepEqual(c.windows, validateConfig({}).windows);
  });
});

test('an unknown key is an error that names the key', async () => {
  throwsConfig(() => validateConfig({ windws: [{ length: '10m', slide: '5m' }] }), 'windws');
  throwsConfig(() => validateConfig({ input: { timezone: 'UTC' } }), 'timezone', 'input');
  await withTmpDir(async (dir) => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'windws:\n  - { length: 10m, slide: 5m }\n');
    throwsConfig(() => loadConfigFile(file), 'windws', file);
  });
});

test('a bad duration names its path', async () => {
  throwsConfig(() => validateConfig({ watermark: { lateness: '5x' } }), 'watermark.lateness');
  throwsConfig(() => validateConfig({ windows: [{ length: 'ten minutes', slide: '5m' }] }), 'windows[0].length');
  throwsConfig(() => validateConfig({ watermark: { lateness: '0s' } }), 'watermark.lateness');
  await withTmpDir(async (dir) => {
    const file = join(dir, 'late.yaml');
    await writeFile(file, 'watermark:\n  lateness: 5x\n');
    throwsConfig(() => loadConfigFile(file), 'watermark.lateness');
  });
});

test('a bad time zone is rejected', () => {
  throwsConfig(() => validateConfig({ input: { timeZone: 'Mars/Olympus_Mons' } }), 'input.timeZone');
  assert.equal(validateConfig({ input: { timeZone: 'Asia/Kolkata' } }).input.timeZone, 'Asia/Kolkata');
});

test('a window whose slide exceeds its length is rejected', () => {
  throwsConfig(() => validateConfig({ windows: [{ length: '5m', slide: '10m' }] }), 'windows[0]', 'slide');
  assert.doesNotThrow(() => validateConfig({ windows: [{ length: '5m', slide: '5m' }] }));
});

test('other invalid values', () => {
  throwsConfig(() => validateConfig({ rules: [{ name: 'r', type: 'distinct_subdomains', key: 'domain', threshold: 0 }] }), 'rules[0].threshold');
  throwsConfig(() => validateConfig({ rules: [{ name: 'r', type: 'entropy', key: 'domain', threshold: 5 }] }), 'rules[0].type');
  throwsConfig(() => validateConfig({ windows: [] }), 'windows');
  throwsConfig(() => validateConfig({ state: { exactDistinctLimit: 1 } }), 'state.exactDistinctLimit');
});

test('unreadable and unparsable files are configuration errors', async () => {
  await withTmpDir(async (dir) => {
    throwsConfig(() => loadConfigFile(join(dir, 'missing.yaml')), 'missing.yaml');
    const file = join(dir, 'broken.yaml');
    await writeFile(file, 'windows: [ { length: 10m\n');
    throwsConfig(() => loadConfigFile(file), 'broken.yaml');
  });
});

test('a rule referring to a window that is not configured is rejected when the engine is built', () => {
  const config = validateConfig({ rules: [{ name: 'hourly', type: 'distinct_subdomains', key: 'domain', window: '1h/1h', threshold: 10 }] });
  throwsConfig(() => new DetectionEngine(config, { alert() {} }), 'hourly', '1h/1h');
  // A disabled rule is not checked.
  const disabled = validateConfig({ rules: [{ name: 'hourly', type: 'distinct_subdomains', key: 'domain', window: '1h/1h', threshold: 10, enabled: false }] });
  assert.doesNotThrow(() => new DetectionEngine(disabled, { alert() {} }));
});

test('docs/CONFIG.md is the reference generated from the schema (regenerate: tunnelwatch config --reference > docs/CONFIG.md)', () => {
  const committed = readFileSync(repoPath('docs/CONFIG.md'), 'utf8');
  const generated = configReference();
  assert.equal(committed, generated);
  for (const key of ['input.format', 'watermark.lateness', 'scoring.alertScore', 'runtime.workers', 'output.store']) assert.ok(generated.includes(`\`${key}\``), key);
});
