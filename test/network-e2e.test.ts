/**
 * tunnelwatch as a network service: BIND query-log lines arrive as syslog over
 * UDP, the alert goes out to a webhook, and SIGTERM ends it cleanly.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { defaultSimulationOptions, simulateLines } from '../src/simulate/simulator.js';
import { repoPath, waitFor, withTmpDir } from './helpers.js';

const CLI = repoPath('dist/src/cli.js');

test('detect --listen-syslog udp:// --webhook: lines in over syslog, the alert out to the webhook', { timeout: 120_000 }, () =>
  withTmpDir(async (dir) => {
    const received: Array<{ event: { id: string }; dns: { question: { registered_domain: string } } }> = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        received.push(...(JSON.parse(body) as typeof received));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const webhook = `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`;
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const child = spawn(process.execPath, [CLI, 'detect', '--listen-syslog', `udp://127.0.0.1:${port}`, '--webhook', webhook, '--alerts', `${dir}/a.jsonl`, '--quarantine', `${dir}/q.jsonl`], { cwd: dir });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const udp = createSocket('udp4');
    try {
      const start = Date.UTC(2026, 10, 22, 3, 0, 0);
      const tunnels = [{ domain: 'beacon-sync.net', client: '10.4.4.4', encoding: 'base32' as const, queriesPerMinute: 200, startMs: start, durationMs: 5 * 60_000 }];
      const lines = [...simulateLines(defaultSimulationOptions({ seed: 9, startMs: start, durationMs: 5 * 60_000, benignQueriesPerMinute: 100, tunnels }))];
      // Send until the listener is up and the alert is out: UDP gives no other sign that it is listening.
      let sent = 0;
      await waitFor(
        () => {
          if (received.length > 0) return true;
          for (let k = 0; k < 50 && sent < lines.length; k++, sent++) udp.send(`<30>Nov 22 03:00:00 ns1 named[7]: ${lines[sent]}`, port, '127.0.0.1');
          if (sent >= lines.length) sent = 0;
          return false;
        },
        'the webhook to receive an alert',
        60_000,
        50,
      );
    } finally {
      child.kill('SIGTERM');
      udp.close();
    }
    assert.equal(await exited, 0, stderr);
    server.close();
    assert.ok(received.some((a) => a.dns.question.registered_domain === 'beacon-sync.net'), JSON.stringify(received).slice(0, 500));
    assert.equal(new Set(received.map((a) => a.event.id)).size, received.length, 'no alert delivered twice');
    assert.match(stderr, /summary \(interrupted\)/);
  }));

test('bad network endpoints are usage errors (exit 2) that name the flag', () =>
  withTmpDir((dir) => {
    const cases: Array<[string[], string]> = [
      [['--listen-syslog', 'syslog.example:514'], '--listen-syslog'],
      [['--listen-syslog', 'http://127.0.0.1:514'], '--listen-syslog'],
      [['--syslog', 'udp://127.0.0.1:514?format=xml', '-'], '--syslog'],
      [['--listen-syslog', 'udp://127.0.0.1:5514', 'some.log'], '--listen-syslog'],
    ];
    for (const [args, flag] of cases) {
      const r = spawnSync(process.execPath, [CLI, 'detect', ...args], { cwd: dir, encoding: 'utf8', input: '' });
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.ok(r.stderr.includes(flag), r.stderr);
    }
  }));

test('--listen-syslog twice: UDP and TCP listeners at once, each line positioned by the listener it came in on', { timeout: 120_000 }, () =>
  withTmpDir(async (dir) => {
    const { connect } = await import('node:net');
    const { readFileSync } = await import('node:fs');
    const udpPort = 20_000 + Math.floor(Math.random() * 20_000);
    const tcpPort = udpPort + 1;
    const child = spawn(
      process.execPath,
      [CLI, 'detect', '--listen-syslog', `udp://127.0.0.1:${udpPort}`, '--listen-syslog', `tcp://127.0.0.1:${tcpPort}`, '--alerts', `${dir}/a.jsonl`, '--quarantine', `${dir}/q.jsonl`],
      { cwd: dir },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const udp = createSocket('udp4');
    try {
      const query = '<30>Nov 22 03:00:00 ns1 named[7]: 22-Nov-2026 03:00:00.000 queries: info: client @0x1 10.1.1.1#5353 (www.example.com): query: www.example.com IN A + (10.0.0.53)';
      // TCP: connect once it listens, send a query and a line that is not one (quarantined, with its listener named).
      const sendTcp = (): Promise<boolean> =>
        new Promise((resolve) => {
          const socket = connect(tcpPort, '127.0.0.1');
          socket.on('connect', () => socket.end(`${query}\n<30>Nov 22 03:00:01 ns1 named[7]: not a query line at all\n`, () => resolve(true)));
          socket.on('error', () => resolve(false));
        });
      const deadline = Date.now() + 30_000;
      while (!(await sendTcp())) {
        assert.ok(Date.now() < deadline, `the TCP listener never came up: ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      for (let k = 0; k < 20; k++) udp.send(query, udpPort, '127.0.0.1');
      await new Promise((resolve) => setTimeout(resolve, 1500));
    } finally {
      child.kill('SIGTERM');
      udp.close();
    }
    assert.equal(await exited, 0, stderr);
    const parsed = Number(/parsed\s+(\d+)/.exec(stderr)?.[1] ?? -1);
    assert.ok(parsed >= 2, `lines from both listeners: ${stderr}`);
    const quarantined = readFileSync(`${dir}/q.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { source: string });
    assert.ok(quarantined.some((q) => q.source.includes('tcp') && q.source.includes(String(tcpPort))), JSON.stringify(quarantined));
  }));
