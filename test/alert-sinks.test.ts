import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { readFileSync, statSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { alertId, type Alert } from '../src/alerts/alert.js';
import { newQueryFeatures } from '../src/features/query-features.js';
import { escapeCefExtension, toCef } from '../src/sinks/cef.js';
import { escapeSdParam, SyslogAlertSink } from '../src/sinks/syslog-sink.js';
import { WebhookAlertSink } from '../src/sinks/webhook.js';
import { waitFor, withTmpDir } from './helpers.js';

function makeAlert(n: number, name = `s${n}`, overrides: Partial<Alert> = {}): Alert {
  return {
    id: alertId('dns_distinct_subdomains', `evil${n}.example`, '10m/5m', 0),
    rule: 'dns_distinct_subdomains',
    ruleType: 'distinct_subdomains',
    time: Date.UTC(2026, 10, 22, 1, 2, 3, 456),
    created: Date.UTC(2026, 10, 23),
    registeredDomain: `evil${n}.example`,
    clientIp: '10.0.0.1',
    window: { name: '10m/5m', start: Date.UTC(2026, 10, 22, 1, 0), end: Date.UTC(2026, 10, 22, 1, 10) },
    threshold: 180,
    distinctSubdomains: 200,
    distinctExact: true,
    queries: 250,
    clients: [{ ip: '10.0.0.1', distinctSubdomains: 200 }],
    samples: ['aaa', name],
    question: { name: `${name}.evil${n}.example`, type: 'TXT', client: '10.0.0.1' },
    position: { source: '/var/log/named/query.log', line: 42, offset: 4096 },
    features: { ...newQueryFeatures(), subdomainBytes: 3, entropy: 1.5849625, charset: 'text' },
    reason: `200 distinct subdomains of evil${n}.example in 10m`,
    ...overrides,
  };
}

function checkInvariant(c: { received: number; written: number; failed: number; dropped: number }, pending = 0): void {
  assert.equal(c.received, c.written + c.failed + c.dropped + pending, JSON.stringify(c));
}

// ---------------------------------------------------------------- webhook

interface Receiver {
  server: HttpServer;
  url: string;
  /** Ids of alerts in requests answered 2xx, in order. */
  ids: string[];
  requests: number;
  /** Decides what a request gets: 'ok', 'error' (500) or 'drop' (connection destroyed). */
  mode: (requestNo: number) => 'ok' | 'error' | 'drop';
  contentTypes: Set<string>;
  close(): Promise<void>;
}

async function startReceiver(mode: Receiver['mode'], port = 0): Promise<Receiver> {
  const r = { ids: [] as string[], requests: 0, mode, contentTypes: new Set<string>() } as Receiver;
  r.server = createHttpServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = ++r.requests;
      r.contentTypes.add(String(req.headers['content-type']));
      const what = r.mode(n);
      if (what === 'drop') {
        req.socket.destroy();
        return;
      }
      if (what === 'error') {
        res.writeHead(500).end('no');
        return;
      }
      const docs = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Array<{ event: { id: string } }>;
      assert.ok(Array.isArray(docs));
      for (const d of docs) r.ids.push(d.event.id);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => r.server.listen(port, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${(r.server.address() as AddressInfo).port}/alerts`;
  r.close = () =>
    new Promise<void>((resolve) => {
      r.server.closeAllConnections();
      r.server.close(() => resolve());
    });
  return r;
}

function assertExactlyOnce(ids: string[], alerts: Alert[]): void {
  const counts = new Map<string, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  for (const a of alerts) assert.equal(counts.get(a.id), 1, `alert ${a.id} arrived ${counts.get(a.id) ?? 0} times`);
  assert.equal(ids.length, alerts.length);
}

test('webhook: retries through 500s and dropped connections, every alert arrives exactly once', async () => {
  const rx = await startReceiver((n) => (n <= 4 ? (n % 2 === 1 ? 'error' : 'drop') : 'ok'));
  try {
    const sink = new WebhookAlertSink({ url: rx.url, batchSize: 5, flushMs: 10, retry: { initialMs: 10, maxMs: 40 } });
    const alerts = Array.from({ length: 23 }, (_, i) => makeAlert(i));
    for (const a of alerts) sink.write(a);
    await waitFor(() => sink.counters.written === alerts.length, 'all alerts delivered');
    await sink.close();
    assertExactlyOnce(rx.ids, alerts);
    assert.deepEqual(sink.counters, { received: 23, written: 23, failed: 0, dropped: 0 });
    assert.equal(sink.stats.requestFailures, 4);
    assert.deepEqual([...rx.contentTypes], ['application/json']);
  } finally {
    await rx.close();
  }
});

test('webhook: a slow batch fills by flushMs, not only by batchSize', async () => {
  const rx = await startReceiver(() => 'ok');
  try {
    const sink = new WebhookAlertSink({ url: rx.url, batchSize: 100, flushMs: 30 });
    sink.write(makeAlert(1));
    sink.write(makeAlert(2));
    await waitFor(() => rx.ids.length === 2, 'timed flush');
    assert.equal(rx.requests, 1);
    await sink.close();
    checkInvariant(sink.counters);
  } finally {
    await rx.close();
  }
});

test('webhook: a long outage spills past maxQueued; spilled alerts are re-sent first and the spill file is emptied', async () => {
  await withTmpDir(async (dir) => {
    let up = false;
    const rx = await startReceiver(() => (up ? 'ok' : 'error'));
    try {
      const sink = new WebhookAlertSink({ url: rx.url, batchSize: 4, flushMs: 5, maxQueued: 3, spillDir: dir, retry: { initialMs: 5, maxMs: 20 } });
      const alerts = Array.from({ length: 40 }, (_, i) => makeAlert(i));
      for (const a of alerts) sink.write(a);
      await waitFor(() => rx.requests >= 3, 'failing requests');
      const s = sink.stats;
      assert.ok(s.spilled >= 40 - 3 - 4, JSON.stringify(s));
      assert.equal(s.queued + s.inFlight + s.spilled, 40);
      checkInvariant(sink.counters, s.queued + s.inFlight + s.spilled);
      const path = sink.spillPath as string;
      const spilledIds = readFileSync(path, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { event: { id: string } }).event.id);
      assert.equal(spilledIds.length, s.spilled);
      assert.deepEqual(spilledIds, alerts.slice(0, spilledIds.length).map((a) => a.id), 'the oldest spill');

      up = true;
      await waitFor(() => sink.counters.written === 40, 'recovery');
      // Spilled (oldest) alerts went first.
      assert.deepEqual(rx.ids.slice(0, spilledIds.length), spilledIds);
      assertExactlyOnce(rx.ids, alerts);
      assert.equal(statSync(path).size, 0, 'spill file emptied');
      assert.equal(sink.stats.spilled, 0);
      assert.equal(sink.stats.resentFromSpill, spilledIds.length);
      await sink.close();
      assert.deepEqual(sink.counters, { received: 40, written: 40, failed: 0, dropped: 0 });
    } finally {
      await rx.close();
    }
  });
});

test('webhook: close() spills what it cannot deliver; the next sink re-sends it', async () => {
  await withTmpDir(async (dir) => {
    // Phase 1: the endpoint is down. (A request aborted by close() may still reach a
    // server; so phase 2 gets a fresh server on the same port rather than a flipped flag.)
    const down = await startReceiver(() => 'drop');
    const port = Number(new URL(down.url).port);
    const alerts = Array.from({ length: 7 }, (_, i) => makeAlert(i));
    const first = new WebhookAlertSink({ url: down.url, batchSize: 3, flushMs: 1, spillDir: dir, closeTimeoutMs: 100, retry: { initialMs: 10, maxMs: 20 } });
    for (const a of alerts) first.write(a);
    await first.close();
    await down.close();
    assert.deepEqual(first.counters, { received: 7, written: 0, failed: 0, dropped: 0 });
    assert.equal(first.stats.spilled, 7);
    first.write(makeAlert(99));
    assert.equal(first.counters.dropped, 1, 'a write after close is counted dropped');

    const rx = await startReceiver(() => 'ok', port);
    try {
      const second = new WebhookAlertSink({ url: rx.url, batchSize: 3, flushMs: 1, spillDir: dir });
      assert.equal(second.counters.received, 7, 'the earlier spill is picked up');
      await waitFor(() => second.counters.written === 7, 're-send of earlier spill');
      await second.close();
      assertExactlyOnce(rx.ids, alerts);
      assert.equal(statSync(second.spillPath as string).size, 0);
    } finally {
      await rx.close();
    }
  });
});

test('webhook: without spillDir, overflow and undeliverable alerts are counted dropped', async () => {
  const rx = await startReceiver(() => 'error');
  try {
    const sink = new WebhookAlertSink({ url: rx.url, batchSize: 2, flushMs: 1, maxQueued: 2, closeTimeoutMs: 50, retry: { initialMs: 5, maxMs: 10 } });
    for (let i = 0; i < 10; i++) sink.write(makeAlert(i));
    assert.ok(sink.counters.dropped >= 6);
    await sink.close();
    assert.deepEqual(sink.counters, { received: 10, written: 0, failed: 0, dropped: 10 });
    assert.equal(rx.ids.length, 0);
  } finally {
    await rx.close();
  }
});

test('webhook: bounded spill file; alerts past spillMaxBytes are counted dropped', async () => {
  await withTmpDir(async (dir) => {
    const rx = await startReceiver(() => 'error');
    try {
      const sink = new WebhookAlertSink({ url: rx.url, maxQueued: 1, spillDir: dir, spillMaxBytes: 4000, closeTimeoutMs: 20, retry: { initialMs: 5 } });
      for (let i = 0; i < 20; i++) sink.write(makeAlert(i));
      await sink.close();
      const s = sink.stats;
      assert.ok(s.spillBytes <= 4000 && s.spillBytes > 0);
      assert.ok(sink.counters.dropped > 0);
      assert.equal(sink.counters.received, 20);
      checkInvariant(sink.counters, s.spilled);
      assert.equal(readFileSync(sink.spillPath as string, 'utf8').trim().split('\n').length, s.spilled);
    } finally {
      await rx.close();
    }
  });
});

test('webhook: bad urls are configuration errors', () => {
  assert.throws(() => new WebhookAlertSink({ url: 'not a url' }), { code: 'TW_CONFIG' });
  assert.throws(() => new WebhookAlertSink({ url: 'ftp://x/' }), { code: 'TW_CONFIG' });
  assert.throws(() => new WebhookAlertSink({ url: 'http://x/', batchSize: 0 }), { code: 'TW_CONFIG' });
});

// ---------------------------------------------------------------- syslog parsing (test side)

interface Parsed5424 {
  pri: number;
  version: number;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  sdId: string;
  params: Record<string, string>;
  msg: string;
}

function parse5424(text: string): Parsed5424 {
  const m = /^<(\d{1,3})>(\d) (\S+) (\S+) (\S+) (\S+) (\S+) /.exec(text);
  assert.ok(m, `not RFC 5424: ${text.slice(0, 80)}`);
  let i = m[0].length;
  assert.equal(text[i], '[', 'structured data');
  i++;
  let sdId = '';
  while (text[i] !== ' ' && text[i] !== ']') sdId += text[i++];
  const params: Record<string, string> = {};
  while (text[i] === ' ') {
    i++;
    let name = '';
    while (text[i] !== '=') name += text[i++];
    i++;
    assert.equal(text[i], '"');
    i++;
    let value = '';
    for (;;) {
      const c = text[i++];
      assert.ok(c !== undefined, 'unterminated PARAM-VALUE');
      if (c === '\\' && (text[i] === '"' || text[i] === '\\' || text[i] === ']')) value += text[i++];
      else if (c === '"') break;
      else value += c;
    }
    params[name] = value;
  }
  assert.equal(text[i], ']', 'end of SD-ELEMENT');
  i++;
  assert.equal(text[i], ' ');
  return {
    pri: Number(m[1]),
    version: Number(m[2]),
    timestamp: m[3] as string,
    hostname: m[4] as string,
    appName: m[5] as string,
    procId: m[6] as string,
    msgId: m[7] as string,
    sdId,
    params,
    msg: text.slice(i + 1),
  };
}

interface Cef {
  header: string[];
  ext: Record<string, string>;
}

/** Splits a CEF record back into its 7 header fields and decoded extension values. */
function parseCef(line: string): Cef {
  assert.ok(!line.includes('\n') && !line.includes('\r'), 'CEF is one line');
  const header: string[] = [];
  let cur = '';
  let i = 0;
  while (header.length < 7) {
    const c = line[i++];
    assert.ok(c !== undefined, 'CEF header has 7 fields');
    if (c === '\\') {
      const e = line[i++];
      cur += e === 'n' ? '\n' : e === 'r' ? '\r' : e;
    } else if (c === '|') {
      header.push(cur);
      cur = '';
    } else cur += c;
  }
  const rest = line.slice(i);
  // Positions of unescaped '=' in the extension.
  const eqs: number[] = [];
  for (let j = 0; j < rest.length; j++) {
    if (rest[j] === '\\') j++;
    else if (rest[j] === '=') eqs.push(j);
  }
  const ext: Record<string, string> = {};
  const keyStart = (eq: number): number => rest.lastIndexOf(' ', eq) + 1;
  for (let k = 0; k < eqs.length; k++) {
    const eq = eqs[k] as number;
    const key = rest.slice(keyStart(eq), eq);
    assert.match(key, /^[A-Za-z0-9]+$/, `extension key ${key}`);
    const end = k + 1 < eqs.length ? keyStart(eqs[k + 1] as number) - 1 : rest.length;
    const raw = rest.slice(eq + 1, end);
    ext[key] = raw.replace(/\\(.)/gs, (_, e: string) => (e === 'n' ? '\n' : e === 'r' ? '\r' : e));
  }
  return { header, ext };
}

// ---------------------------------------------------------------- syslog transports

async function udpListener(): Promise<{ port: number; messages: string[]; close(): Promise<void> }> {
  const sock = createSocket('udp4');
  const messages: string[] = [];
  sock.on('message', (m) => messages.push(m.toString('utf8')));
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  return { port: sock.address().port, messages, close: () => new Promise<void>((resolve) => sock.close(() => resolve())) };
}

interface TcpReceiver {
  server: TcpServer;
  port: number;
  messages: string[];
  sockets: Set<Socket>;
  close(): Promise<void>;
}

async function tcpReceiver(port = 0): Promise<TcpReceiver> {
  const messages: string[] = [];
  const sockets = new Set<Socket>();
  const server = createTcpServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    let buf = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      // RFC 6587 octet counting: MSG-LEN SP SYSLOG-MSG
      for (;;) {
        const sp = buf.indexOf(0x20);
        if (sp < 0) break;
        const lenText = buf.toString('ascii', 0, sp);
        assert.match(lenText, /^[1-9][0-9]*$/, 'octet count');
        const len = Number(lenText);
        if (buf.length < sp + 1 + len) break;
        messages.push(buf.toString('utf8', sp + 1, sp + 1 + len));
        buf = buf.subarray(sp + 1 + len);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    messages,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function checkSyslog(p: Parsed5424, alert: Alert, format: 'json' | 'cef'): void {
  assert.equal(p.pri, 16 * 8 + 4);
  assert.equal(p.version, 1);
  assert.equal(p.timestamp, new Date(alert.created).toISOString());
  assert.equal(p.hostname, 'sensor-1');
  assert.equal(p.appName, 'tunnelwatch');
  assert.equal(p.procId, String(process.pid));
  assert.equal(p.msgId, 'tunnelwatch-alert');
  assert.equal(p.sdId, 'tunnelwatch@32473');
  assert.equal(p.params.id, alert.id);
  assert.equal(p.params.rule, alert.rule);
  assert.equal(p.params.domain, alert.registeredDomain);
  if (format === 'json') {
    const doc = JSON.parse(p.msg);
    assert.equal(doc.event.id, alert.id);
    assert.deepEqual(doc.tunnelwatch.samples, alert.samples);
    assert.equal(doc.dns.question.name, alert.question.name);
  } else {
    const cef = parseCef(p.msg);
    assert.equal(cef.ext.externalId, alert.id);
    assert.equal(cef.ext.request, alert.question.name);
    assert.deepEqual(JSON.parse(cef.ext.cs2 as string), alert.samples);
  }
}

for (const format of ['json', 'cef'] as const) {
  test(`syslog udp (${format}): RFC 5424 messages parse back`, async () => {
    const rx = await udpListener();
    try {
      const sink = new SyslogAlertSink({ protocol: 'udp', host: '127.0.0.1', port: rx.port, format, hostname: 'sensor-1' });
      const alerts = Array.from({ length: 5 }, (_, i) => makeAlert(i));
      for (const a of alerts) sink.write(a);
      await waitFor(() => rx.messages.length === 5, 'datagrams');
      await sink.close();
      assert.deepEqual(sink.counters, { received: 5, written: 5, failed: 0, dropped: 0 });
      const byId = new Map(alerts.map((a) => [a.id, a]));
      for (const m of rx.messages) {
        const p = parse5424(m);
        checkSyslog(p, byId.get(p.params.id as string) as Alert, format);
      }
    } finally {
      await rx.close();
    }
  });

  test(`syslog tcp (${format}): octet-counted RFC 5424 messages parse back`, async () => {
    const rx = await tcpReceiver();
    try {
      const sink = new SyslogAlertSink({ protocol: 'tcp', host: '127.0.0.1', port: rx.port, format, hostname: 'sensor-1' });
      const alerts = Array.from({ length: 50 }, (_, i) => makeAlert(i, `x\n${i}`));
      for (const a of alerts) sink.write(a);
      await sink.close();
      assert.deepEqual(sink.counters, { received: 50, written: 50, failed: 0, dropped: 0 });
      await waitFor(() => rx.messages.length === 50, 'frames');
      rx.messages.forEach((m, i) => checkSyslog(parse5424(m), alerts[i] as Alert, format));
    } finally {
      await rx.close();
    }
  });
}

test('syslog tcp: waits for a receiver that starts late, reconnects after the connection drops', async () => {
  // A port with nothing listening (yet).
  const probe = await tcpReceiver();
  const port = probe.port;
  await probe.close();

  const sink = new SyslogAlertSink({ protocol: 'tcp', host: '127.0.0.1', port, hostname: 'sensor-1', retry: { initialMs: 10, maxMs: 40 } });
  const alerts = Array.from({ length: 10 }, (_, i) => makeAlert(i));
  for (const a of alerts.slice(0, 5)) sink.write(a);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(sink.counters.written, 0);
  assert.equal(sink.pending, 5);
  checkInvariant(sink.counters, sink.pending);

  const rx = await tcpReceiver(port);
  try {
    await waitFor(() => rx.messages.length === 5, 'late receiver gets the queue');
    for (const s of rx.sockets) s.destroy();
    await waitFor(() => sink.stats.connected === false, 'disconnect noticed');
    for (const a of alerts.slice(5)) sink.write(a);
    await waitFor(() => rx.messages.length >= 10, 'delivery after reconnect');
    await sink.close();
    assert.ok(sink.stats.connects >= 2);
    const ids = new Set(rx.messages.map((m) => parse5424(m).params.id));
    for (const a of alerts) assert.ok(ids.has(a.id), `alert ${a.id} arrived`);
    checkInvariant(sink.counters);
    assert.equal(sink.counters.written, 10);
  } finally {
    await rx.close();
  }
});

test('syslog tcp: bounded queue while the receiver is down, close() counts the rest dropped', async () => {
  const probe = await tcpReceiver();
  const port = probe.port;
  await probe.close();
  const sink = new SyslogAlertSink({ protocol: 'tcp', host: '127.0.0.1', port, maxQueued: 3, closeTimeoutMs: 30, retry: { initialMs: 5, maxMs: 10 } });
  for (let i = 0; i < 10; i++) sink.write(makeAlert(i));
  assert.equal(sink.counters.dropped, 7);
  assert.equal(sink.pending, 3);
  await sink.close();
  assert.deepEqual(sink.counters, { received: 10, written: 0, failed: 0, dropped: 10 });
});

// ---------------------------------------------------------------- injection

const HOSTILE = [
  'a|b\\c=d',
  'x]y"z\\]',
  'line1\nline2\r\nline3',
  '<script>alert(1)</script>',
  "=cmd|' /C calc'!A0",
  ' key=value cs1=forged ',
  '\\n\\r\\=\\|',
  '\u0000\u0001\u001b[31m\u007f\u0080\u00ff\u00fe raw',
  'trailing backslash\\',
  '',
  'émoji 💣',
];

function hostileAlert(h: string, i: number): Alert {
  return makeAlert(i, h, {
    rule: `rule|${h}`,
    registeredDomain: `${h}.example`,
    reason: `why ${h}`,
    question: { name: `${h}.evil.example`, type: 'TXT', client: '10.0.0.9' },
    samples: [h, `${h}${h}`, 'plain'],
  });
}

test('CEF: hostile strings never break the record and decode back to the originals', () => {
  HOSTILE.forEach((h, i) => {
    const alert = hostileAlert(h, i);
    const cef = parseCef(toCef(alert));
    assert.deepEqual(cef.header.slice(0, 4), ['CEF:0', 'tunnelwatch', 'tunnelwatch', '0.1.0']);
    assert.equal(cef.header[4], alert.rule);
    assert.equal(cef.header[5], alert.reason);
    assert.match(cef.header[6] as string, /^(10|[0-9])$/);
    assert.equal(cef.ext.rt, String(alert.time));
    assert.equal(cef.ext.src, '10.0.0.1');
    assert.equal(cef.ext.dhost, alert.registeredDomain);
    assert.equal(cef.ext.request, alert.question.name);
    assert.equal(cef.ext.externalId, alert.id);
    assert.equal(cef.ext.msg, alert.reason);
    assert.equal(cef.ext.cs1Label, 'rule');
    assert.equal(cef.ext.cs1, alert.rule);
    assert.equal(cef.ext.cn1Label, 'distinctSubdomains');
    assert.equal(cef.ext.cn1, '200');
    assert.deepEqual(JSON.parse(cef.ext.cs2 as string), alert.samples);
    // The forged " cs1=forged" inside a value did not create a key.
    assert.equal(Object.keys(cef.ext).filter((k) => k === 'key').length, 0);
  });
  assert.equal(escapeCefExtension('a=b\\c\nd\re|f'), 'a\\=b\\\\c\\nd\\re|f');
});

test('CEF: severity grows with the distinct count past the threshold', () => {
  const sev = (d: number) => parseCef(toCef(makeAlert(1, 's', { distinctSubdomains: d }))).header[6];
  assert.equal(sev(180), '6');
  assert.equal(sev(360), '7');
  assert.equal(sev(180 * 1024), '10');
});

test('SD-PARAM escaping per RFC 5424 §6.3.3', () => {
  assert.equal(escapeSdParam('a"b\\c]d'), 'a\\"b\\\\c\\]d');
});

for (const format of ['json', 'cef'] as const) {
  test(`syslog (${format}): hostile strings round-trip through SD params and MSG`, async () => {
    const rx = await tcpReceiver();
    try {
      const sink = new SyslogAlertSink({ protocol: 'tcp', host: '127.0.0.1', port: rx.port, format, hostname: 'sensor 1\n<x>', appName: 'tunnel watch' });
      const alerts = HOSTILE.map(hostileAlert);
      for (const a of alerts) sink.write(a);
      await sink.close();
      await waitFor(() => rx.messages.length === alerts.length, 'frames');
      rx.messages.forEach((m, i) => {
        const a = alerts[i] as Alert;
        const p = parse5424(m);
        assert.equal(p.hostname, 'sensor_1_<x>');
        assert.equal(p.appName, 'tunnel_watch');
        assert.deepEqual(p.params, { id: a.id, rule: a.rule, domain: a.registeredDomain, client: '10.0.0.1' });
        if (format === 'json') {
          const doc = JSON.parse(p.msg);
          assert.deepEqual(doc.tunnelwatch.samples, a.samples);
          assert.equal(doc.rule.name, a.rule);
        } else {
          const cef = parseCef(p.msg);
          assert.equal(cef.header[4], a.rule);
          assert.equal(cef.ext.request, a.question.name);
          assert.deepEqual(JSON.parse(cef.ext.cs2 as string), a.samples);
        }
      });
    } finally {
      await rx.close();
    }
  });
}

test('syslog: bad options are configuration errors', () => {
  assert.throws(() => new SyslogAlertSink({ protocol: 'udp', host: 'h', port: 0 }), { code: 'TW_CONFIG' });
  assert.throws(() => new SyslogAlertSink({ protocol: 'dtls' as 'tcp', host: 'h', port: 514 }), { code: 'TW_CONFIG' });
  assert.throws(() => new SyslogAlertSink({ protocol: 'udp', host: 'h', port: 514, facility: 24 }), { code: 'TW_CONFIG' });
});


test('syslog tls (RFC 5425): the certificate is checked against the given CA; octet-counted messages parse back; an untrusted server gets nothing', async () => {
  const { execFileSync } = await import('node:child_process');
  const { mkdtempSync, readFileSync: read, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join: joinPath } = await import('node:path');
  const { createServer: createTlsServer } = await import('node:tls');
  const dir = mkdtempSync(joinPath(tmpdir(), 'tw-tls-'));
  try {
    // A self-signed certificate for 127.0.0.1, made by openssl for this test.
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', joinPath(dir, 'key.pem'), '-out', joinPath(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const cert = read(joinPath(dir, 'cert.pem'), 'utf8');
    const messages: string[] = [];
    const server = createTlsServer({ key: read(joinPath(dir, 'key.pem')), cert }, (s) => {
      let buf = Buffer.alloc(0);
      s.on('error', () => {});
      s.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        for (;;) {
          const sp = buf.indexOf(0x20);
          if (sp < 0) break;
          const len = Number(buf.toString('ascii', 0, sp));
          if (buf.length < sp + 1 + len) break;
          messages.push(buf.toString('utf8', sp + 1, sp + 1 + len));
          buf = buf.subarray(sp + 1 + len);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const sink = new SyslogAlertSink({ protocol: 'tls', host: '127.0.0.1', port, ca: cert, format: 'cef', hostname: 'sensor-1' });
      const alerts = Array.from({ length: 3 }, (_, i) => makeAlert(i));
      for (const a of alerts) sink.write(a);
      await waitFor(() => messages.length === 3, 'TLS syslog messages');
      await sink.close();
      assert.deepEqual(sink.counters, { received: 3, written: 3, failed: 0, dropped: 0 });
      for (const m of messages) {
        const p = parse5424(m);
        checkSyslog(p, alerts.find((a) => a.id === p.params.id)!, 'cef');
      }
      // Without the CA the server is not trusted: nothing is delivered, the message is counted as dropped at close.
      const untrusted = new SyslogAlertSink({ protocol: 'tls', host: '127.0.0.1', port, hostname: 'sensor-1', retry: { initialMs: 10, maxMs: 20 }, closeTimeoutMs: 300 });
      untrusted.write(makeAlert(9));
      await new Promise((resolve) => setTimeout(resolve, 200));
      await untrusted.close();
      assert.equal(messages.length, 3);
      assert.equal(untrusted.counters.written, 0);
      assert.equal(untrusted.counters.dropped + untrusted.counters.failed, 1);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
