/**
 * Live dnstap end to end: `tunnelwatch detect --listen-dnstap unix:… --listen-dnstap tcp:…` (the
 * CLI from dist) receives from a real BIND 9.18 (Debian's named, `dnstap-output unix`) while dig
 * sends it queries, a burst of tunnel-like unique names among them, and the alert comes out on
 * stdout. BIND 9.18 writes dnstap to files and Unix sockets only (`dnstap-output ( file | unix )`),
 * so the TCP endpoint is fed by a Frame Streams sender written here, with the full handshake.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { test } from 'node:test';
import { CONTENT_TYPE_DNSTAP, CONTROL, encodeControl, encodeData, FrameStreamReader, type ControlFrame } from '../src/parsers/dnstap/frame-stream.js';
import { MESSAGE_TYPE } from '../src/parsers/dnstap/schema.js';
import { dnsQuery, dnstapPayload, IPV4_LOCAL } from './dnstap-support.js';
import { repoPath, waitFor, withTmpDir } from './helpers.js';

const CLI = repoPath('dist/src/cli.js');
const THRESHOLD = 25;

/** A port free for both TCP and UDP on 127.0.0.1 right now. */
async function freePort(): Promise<number> {
  for (;;) {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const udp = createSocket('udp4');
    const free = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, '127.0.0.1', () => resolve(true));
    });
    udp.close();
    if (free) return port;
  }
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));
}

/** Unique, base32-looking labels, as a DNS tunnel's upstream data looks. */
function tunnelLabels(n: number, seed: number): string[] {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let x = seed;
  return Array.from({ length: n }, (_, i) => {
    let label = '';
    for (let k = 0; k < 30; k++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      label += alphabet[(x >>> 16) % 32];
    }
    return `${label}${i}`;
  });
}

test('detect --listen-dnstap: a real BIND over a Unix socket and a Frame Streams sender over TCP, alerts for both', { timeout: 120_000 }, () =>
  withTmpDir(async (dir) => {
    const socketPath = join(dir, 'dnstap.sock');
    const dnstapPort = await freePort();
    const dnsPort = await freePort();

    const detect = spawn(process.execPath, [CLI, 'detect', '--listen-dnstap', `unix:${socketPath}`, '--listen-dnstap', `tcp:127.0.0.1:${dnstapPort}`, '--threshold', String(THRESHOLD), '--quarantine', join(dir, 'q.jsonl')], { cwd: dir });
    let stdout = '';
    let stderr = '';
    detect.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    detect.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const detectExit = exited(detect);
    let named: ChildProcess | null = null;
    try {
      await waitFor(() => existsSync(socketPath), 'the dnstap socket', 15_000);

      writeFileSync(
        join(dir, 't.example.net.zone'),
        ['$TTL 0', '@ IN SOA ns1.t.example.net. hostmaster.t.example.net. 1 3600 600 86400 0', '  IN NS ns1.t.example.net.', 'ns1 IN A 127.0.0.1', '* IN TXT "tunnel"', 'www IN A 192.0.2.80', ''].join('\n'),
      );
      writeFileSync(
        join(dir, 'named.conf'),
        `options {
  directory "${dir}";
  pid-file "${dir}/named.pid";
  session-keyfile "${dir}/session.key";
  listen-on port ${dnsPort} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion yes;
  allow-recursion { 127.0.0.1; };
  dnssec-validation no;
  notify no;
  dnstap { client; };
  dnstap-output unix "${socketPath}";
  dnstap-identity "tw-live-test";
};
zone "t.example.net" { type primary; file "${dir}/t.example.net.zone"; };
`,
      );
      // -f: foreground; named keeps the user it is started as (no -u), so it can write to the socket.
      named = spawn('named', ['-f', '-c', join(dir, 'named.conf')], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
      let namedErr = '';
      named.stderr!.on('data', (d: Buffer) => (namedErr += d.toString()));
      const dig = (args: string[]): string => spawnSync('dig', ['-p', String(dnsPort), '@127.0.0.1', '+time=1', '+tries=1', ...args], { encoding: 'utf8' }).stdout;
      await waitFor(() => dig(['+short', 'www.t.example.net', 'A']).includes('192.0.2.80'), `named to answer (${namedErr})`, 30_000, 200);

      // An ordinary query, then the tunnel burst as one dig batch.
      assert.match(dig(['+short', 'www.t.example.net', 'A']), /192\.0\.2\.80/);
      const batch = tunnelLabels(THRESHOLD + 10, 7).map((label) => `${label}.t.example.net TXT +short`);
      writeFileSync(join(dir, 'batch'), batch.join('\n') + '\n');
      const answers = dig(['-f', join(dir, 'batch')]);
      assert.equal(answers.split('\n').filter((l) => l === '"tunnel"').length, batch.length, 'named answered the burst');
      await waitFor(() => stdout.includes('"registered_domain":"example.net"'), `an alert for example.net (stderr: ${stderr})`, 30_000, 100);

      // The same over TCP, from a sender doing fstrm's bidirectional handshake.
      const controls: ControlFrame[] = [];
      const reader = new FrameStreamReader();
      const socket = connect(dnstapPort, '127.0.0.1');
      let closed = false;
      socket.on('close', () => (closed = true));
      socket.on('data', (d: Buffer) => reader.push(d, { dataFrame: () => undefined, badFrame: () => undefined, controlFrame: (f) => void controls.push(f) }));
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      socket.write(encodeControl(CONTROL.READY, [CONTENT_TYPE_DNSTAP]));
      await waitFor(() => controls.length === 1, 'ACCEPT');
      assert.deepEqual(controls[0], { type: CONTROL.ACCEPT, contentTypes: [CONTENT_TYPE_DNSTAP] });
      socket.write(encodeControl(CONTROL.START, [CONTENT_TYPE_DNSTAP]));
      const now = Date.now();
      tunnelLabels(THRESHOLD + 10, 11).forEach((label, i) => {
        const payload = dnstapPayload({ type: MESSAGE_TYPE.CLIENT_QUERY, queryMs: now + i, client: Uint8Array.from([10, 9, 8, 7]), clientPort: 30000 + i, server: IPV4_LOCAL, serverPort: 53, query: dnsQuery(i, `${label}.exfil.example.org`, 'TXT') });
        socket.write(encodeData(payload));
      });
      socket.write(encodeControl(CONTROL.STOP));
      await waitFor(() => controls.some((c) => c.type === CONTROL.FINISH) && closed, 'FINISH and close');
      await waitFor(() => stdout.includes('"registered_domain":"example.org"'), `an alert for example.org (stderr: ${stderr})`, 30_000, 100);

      // named's shutdown ends its Frame Streams session: STOP from BIND, FINISH from us.
      named.kill('SIGTERM');
      assert.equal(await exited(named), 0, namedErr);
      named = null;
      await waitFor(() => stderr.includes(`dnstap:unix:${socketPath}#1 closed after STOP`), `BIND's connection to end cleanly (stderr: ${stderr})`, 15_000);
      assert.match(stderr, new RegExp(`dnstap:tcp:127\\.0\\.0\\.1:${dnstapPort}#1 closed after STOP: \\d+ bytes, ${THRESHOLD + 10 + 3} frames \\(${THRESHOLD + 10} data\\), 0 errors`));
    } finally {
      if (named !== null) {
        named.kill('SIGTERM');
        await exited(named);
      }
      detect.kill('SIGTERM');
    }
    assert.equal(await detectExit, 0, stderr);
    assert.match(stderr, /summary \(interrupted\)/);
    // Every dig query reached detect as an event: the probes, the ordinary query, the burst, and the TCP sender's queries.
    const parsed = Number(/parsed\s+(\d+)/.exec(stderr)?.[1]);
    assert.ok(parsed >= 2 + 2 * (THRESHOLD + 10), `parsed ${parsed}\n${stderr}`);
    assert.match(stderr, /response_paired=\d+/);
    assert.match(stderr, /quarantined\s+0/);
    const alerts = stdout.trim().split('\n').map((l) => JSON.parse(l) as { dns: { question: { registered_domain: string } }; source?: unknown });
    assert.deepEqual(new Set(alerts.map((a) => a.dns.question.registered_domain)), new Set(['example.net', 'example.org']));
    assert.ok(!existsSync(socketPath), 'the socket file is removed at exit');
  }));

test('detect on a dnstap file: recognised by its first bytes, read to the end, summary accounted', () =>
  withTmpDir((dir) => {
    const r = spawnSync(process.execPath, [CLI, 'detect', repoPath('test/fixtures/dnstap/bind-9.18-resolver.dnstap'), '--quarantine', join(dir, 'q.jsonl')], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /lines read\s+66 /);
    assert.match(r.stderr, /parsed\s+15\n/);
    assert.match(r.stderr, /skipped\s+51 \(resolver_query=17, resolver_response=17, response_paired=15, auth_query=1, auth_response=1\)/);
    assert.match(r.stderr, /quarantined\s+0/);
  }));

test('--listen-dnstap usage errors exit 2 and name the flag', () =>
  withTmpDir((dir) => {
    const cases: string[][] = [
      ['--listen-dnstap', 'tcp:127.0.0.1'],
      ['--listen-dnstap', 'udp:127.0.0.1:6000'],
      ['--listen-dnstap', `unix:${dir}/s.sock`, 'some.log'],
      ['--listen-dnstap', `unix:${dir}/s.sock`, '--format', 'bind'],
      ['--listen-dnstap', `unix:${dir}/s.sock`, '--listen-syslog', 'udp://127.0.0.1:5514'],
    ];
    for (const args of cases) {
      const r = spawnSync(process.execPath, [CLI, 'detect', ...args], { cwd: dir, encoding: 'utf8', input: '' });
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.ok(r.stderr.includes('--listen-dnstap'), r.stderr);
    }
  }));
