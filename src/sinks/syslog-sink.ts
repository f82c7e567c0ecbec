/**
 * Sends alerts as RFC 5424 syslog messages over UDP (RFC 5426, one message a
 * datagram), TCP (RFC 6587 octet counting: `LEN SP MESSAGE`) or TLS (RFC 5425: the same framing
 * over TLS, the server's certificate checked against `ca` or the system's roots).
 *
 *   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [tunnelwatch@32473 id=".." rule=".." domain=".."] MSG
 *
 * PRI is facility local0 (16) and severity warning (4) unless configured;
 * MSGID is `tunnelwatch-alert`; MSG is the ECS JSON line or, with
 * `format: 'cef'`, the CEF record (both are one line whatever the alert holds).
 * SD-PARAM values escape `"`, `\` and `]` with a backslash (RFC 5424 §6.3.3).
 *
 * TCP and TLS: connects lazily, reconnects with exponential backoff and jitter, holds
 * at most `maxQueued` messages while disconnected (past that the oldest are
 * dropped, counted). Messages whose write had not completed when a connection
 * broke are re-sent on the next one (receivers de-duplicate by `id`). A
 * completed write means the kernel took the bytes: plain TCP syslog has no
 * acknowledgement, so a message can still be lost with the connection.
 * UDP: fire and forget; a send error counts `failed`.
 *
 *   received = written + failed + dropped + pending
 *
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, isIP, isIPv6, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { hostname as osHostname } from 'node:os';
import type { Alert } from '../alerts/alert.js';
import { toEcsLine } from '../alerts/ecs.js';
import { newSinkCounters, type SinkCounters } from '../counters.js';
import { TunnelwatchError } from '../errors.js';
import type { AlertSink } from './alert-sink.js';
import { toCef } from './cef.js';

export const SYSLOG_SD_ID = 'tunnelwatch@32473';
export const SYSLOG_MSGID = 'tunnelwatch-alert';

export interface SyslogSinkOptions {
  /** `tls`: RFC 5425, the TCP framing over TLS (certificate checked against `ca` or the system's roots). */
  protocol: 'udp' | 'tcp' | 'tls';
  /** PEM CA certificate(s) to trust for `tls`, instead of the system's. */
  ca?: string;
  host: string;
  port: number;
  /** MSG payload. Default 'json' (the ECS line). */
  format?: 'json' | 'cef';
  /** Default 'tunnelwatch'. */
  appName?: string;
  /** Default os.hostname(). */
  hostname?: string;
  /** 0–23. Default 16 (local0). */
  facility?: number;
  /** 0–7. Default 4 (warning). */
  severity?: number;
  /** Messages held while the TCP connection is down (or UDP sends outstanding). Default 10 000. */
  maxQueued?: number;
  retry?: { initialMs?: number; maxMs?: number };
  /** How long close() waits for queued messages to go out (ms). Default 5000. */
  closeTimeoutMs?: number;
}

export interface SyslogFormatOptions {
  facility: number;
  severity: number;
  hostname: string;
  appName: string;
  procId: string;
  format: 'json' | 'cef';
}

/** RFC 5424 §6.3.3: `"`, `\` and `]` inside a PARAM-VALUE get a backslash. */
export function escapeSdParam(value: string): string {
  return value.replace(/["\\\]]/g, (c) => `\\${c}`);
}

/** A header field (HOSTNAME, APP-NAME, PROCID): PRINTUSASCII only, bounded, `-` when empty. */
function headerField(value: string, max: number): string {
  const clean = value.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return clean.length > 0 ? clean : '-';
}

export function formatSyslog5424(alert: Alert, opts: SyslogFormatOptions): string {
  const pri = opts.facility * 8 + opts.severity;
  const timestamp = new Date(alert.created).toISOString();
  const params: Array<[string, string]> = [
    ['id', alert.id],
    ['rule', alert.rule],
    ['domain', alert.registeredDomain],
  ];
  if (alert.clientIp !== undefined) params.push(['client', alert.clientIp]);
  const sd = `[${SYSLOG_SD_ID}${params.map(([k, v]) => ` ${k}="${escapeSdParam(v)}"`).join('')}]`;
  const msg = opts.format === 'cef' ? toCef(alert) : toEcsLine(alert);
  return `<${pri}>1 ${timestamp} ${headerField(opts.hostname, 255)} ${headerField(opts.appName, 48)} ${headerField(opts.procId, 128)} ${SYSLOG_MSGID} ${sd} ${msg}`;
}

export class SyslogAlertSink implements AlertSink {
  readonly name: string;
  readonly counters: SinkCounters = newSinkCounters();

  private readonly protocol: 'udp' | 'tcp' | 'tls';
  private readonly ca: string | undefined;
  private readonly host: string;
  private readonly port: number;
  private readonly fmt: SyslogFormatOptions;
  private readonly maxQueued: number;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly closeTimeoutMs: number;

  private closing = false;
  private closePromise: Promise<void> | undefined;
  private drainWaiters: Array<() => void> = [];
  private lastError: string | undefined;

  // UDP
  private udp: UdpSocket | undefined;
  private udpOutstanding = 0;

  // TCP
  private queue: Buffer[] = [];
  /** Frames handed to the current socket whose write has not completed, oldest first. */
  private tcpInFlight: Buffer[] = [];
  private socket: Socket | undefined;
  private connected = false;
  private generation = 0;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private connects = 0;

  constructor(options: SyslogSinkOptions) {
    if (options.protocol !== 'udp' && options.protocol !== 'tcp' && options.protocol !== 'tls') {
      throw new TunnelwatchError('TW_CONFIG', `syslog protocol must be udp, tcp or tls, got ${String(options.protocol)}`);
    }
    if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) throw new TunnelwatchError('TW_CONFIG', `syslog port must be 1-65535, got ${options.port}`);
    if (!options.host) throw new TunnelwatchError('TW_CONFIG', 'syslog host is empty');
    const facility = options.facility ?? 16;
    const severity = options.severity ?? 4;
    if (!Number.isInteger(facility) || facility < 0 || facility > 23) throw new TunnelwatchError('TW_CONFIG', `syslog facility must be 0-23, got ${facility}`);
    if (!Number.isInteger(severity) || severity < 0 || severity > 7) throw new TunnelwatchError('TW_CONFIG', `syslog severity must be 0-7, got ${severity}`);
    this.protocol = options.protocol;
    this.ca = options.ca;
    this.host = options.host;
    this.port = options.port;
    this.name = `syslog:${options.protocol}://${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
    this.fmt = {
      facility,
      severity,
      hostname: options.hostname ?? osHostname(),
      appName: options.appName ?? 'tunnelwatch',
      procId: String(process.pid),
      format: options.format ?? 'json',
    };
    this.maxQueued = Math.max(1, options.maxQueued ?? 10_000);
    this.initialMs = Math.max(1, options.retry?.initialMs ?? 200);
    this.maxMs = Math.max(this.initialMs, options.retry?.maxMs ?? 30_000);
    this.closeTimeoutMs = Math.max(0, options.closeTimeoutMs ?? 5000);
  }

  /** Messages accepted but not yet written, failed or dropped. */
  get pending(): number {
    return this.protocol === 'udp' ? this.udpOutstanding : this.queue.length + this.tcpInFlight.length;
  }

  get stats(): { pending: number; connects: number; connected: boolean; lastError: string | undefined } {
    return { pending: this.pending, connects: this.connects, connected: this.connected, lastError: this.lastError };
  }

  /** The RFC 5424 message this sink sends for `alert` (without TCP framing). */
  format(alert: Alert): string {
    return formatSyslog5424(alert, this.fmt);
  }

  write(alert: Alert): void {
    this.counters.received++;
    if (this.closing) {
      this.counters.dropped++;
      return;
    }
    const message = Buffer.from(this.format(alert), 'utf8');
    if (this.protocol === 'udp') this.sendUdp(message);
    else this.enqueueTcp(message);
  }

  close(): Promise<void> {
    this.closePromise ??= this.doClose();
    return this.closePromise;
  }

  private async doClose(): Promise<void> {
    this.closing = true;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.closeTimeoutMs);
    });
    await Promise.race([this.drained(), deadline]);
    clearTimeout(timer);
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    if (this.protocol === 'udp') {
      const sock = this.udp;
      this.udp = undefined;
      if (sock !== undefined) await new Promise<void>((resolve) => sock.close(() => resolve()));
      // Outstanding sends are cancelled by close; their callbacks count them.
      this.counters.dropped += this.udpOutstanding;
      this.udpOutstanding = 0;
      return;
    }
    const sock = this.socket;
    this.generation++; // ignore callbacks of the socket being shut
    this.counters.dropped += this.queue.length + this.tcpInFlight.length;
    this.queue = [];
    this.tcpInFlight = [];
    this.socket = undefined;
    this.connected = false;
    if (sock !== undefined && !sock.destroyed) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          sock.destroy();
          resolve();
        }, 1000);
        sock.once('close', () => {
          clearTimeout(t);
          resolve();
        });
        sock.end();
      });
    }
  }

  private drained(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private checkDrained(): void {
    if (this.pending !== 0 || this.drainWaiters.length === 0) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  // ---- UDP ----

  private sendUdp(message: Buffer): void {
    if (this.udpOutstanding >= this.maxQueued) {
      this.counters.dropped++;
      return;
    }
    if (this.udp === undefined) {
      this.udp = createSocket(isIPv6(this.host) ? 'udp6' : 'udp4');
      this.udp.on('error', (error) => {
        this.lastError = error.message;
      });
    }
    this.udpOutstanding++;
    this.udp.send(message, this.port, this.host, (error) => {
      if (this.udpOutstanding === 0) return; // already counted at close
      this.udpOutstanding--;
      if (error) {
        this.counters.failed++;
        this.lastError = error.message;
      } else {
        this.counters.written++;
      }
      this.checkDrained();
    });
  }

  // ---- TCP ----

  private enqueueTcp(message: Buffer): void {
    const frame = Buffer.concat([Buffer.from(`${message.length} `, 'ascii'), message]);
    if (this.queue.length + this.tcpInFlight.length >= this.maxQueued && this.queue.length > 0) {
      this.queue.shift();
      this.counters.dropped++;
    } else if (this.queue.length + this.tcpInFlight.length >= this.maxQueued) {
      this.counters.dropped++;
      return;
    }
    this.queue.push(frame);
    this.flushTcp();
  }

  private flushTcp(): void {
    if (this.socket === undefined) {
      if (this.reconnectTimer === undefined) this.connectTcp();
      return;
    }
    if (!this.connected) return;
    const sock = this.socket;
    const gen = this.generation;
    while (this.queue.length > 0 && !sock.writableNeedDrain) {
      const frame = this.queue.shift() as Buffer;
      this.tcpInFlight.push(frame);
      sock.write(frame, (error) => {
        if (gen !== this.generation) return; // connection already torn down; frame was requeued
        if (error) return; // 'close' requeues what is still in flight
        this.tcpInFlight.shift();
        this.counters.written++;
        this.checkDrained();
      });
    }
  }

  private connectTcp(): void {
    if (this.closing && this.pending === 0) return;
    const gen = ++this.generation;
    const sock =
      this.protocol === 'tls'
        ? tlsConnect({ host: this.host, port: this.port, ...(this.ca === undefined ? {} : { ca: this.ca }), ...(isIP(this.host) === 0 ? { servername: this.host } : {}) })
        : connect({ host: this.host, port: this.port });
    this.socket = sock;
    this.connected = false;
    sock.setNoDelay(true);
    sock.on(this.protocol === 'tls' ? 'secureConnect' : 'connect', () => {
      if (gen !== this.generation) return;
      this.connected = true;
      this.connects++;
      this.attempt = 0;
      this.flushTcp();
    });
    sock.on('drain', () => {
      if (gen === this.generation) this.flushTcp();
    });
    sock.on('error', (error) => {
      if (gen === this.generation) this.lastError = error.message;
    });
    // A syslog receiver sends nothing back; reading keeps 'end'/'close' timely.
    sock.on('data', () => {});
    sock.on('end', () => sock.end());
    sock.on('close', () => {
      if (gen !== this.generation) return;
      this.generation++;
      this.socket = undefined;
      this.connected = false;
      // Unfinished writes go out again on the next connection.
      this.queue.unshift(...this.tcpInFlight);
      this.tcpInFlight = [];
      while (this.queue.length > this.maxQueued) {
        this.queue.shift();
        this.counters.dropped++;
      }
      if (this.queue.length > 0 || !this.closing) this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer !== undefined) return;
    if (this.queue.length === 0) return; // connect again lazily on the next write
    const base = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    const delay = base / 2 + Math.random() * (base / 2);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.socket === undefined && this.queue.length > 0) this.connectTcp();
    }, delay);
  }
}
