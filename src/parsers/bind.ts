/**
 * BIND / Infoblox query-log lines, every shape we have seen:
 *
 *   [syslog header] [timestamp] [category: severity:] client [@0xADDR] IP#PORT [(NAME)]: [view V: ]query: NAME CLASS TYPE FLAGS [(SERVER)] [...]
 *
 *   30-Apr-2013 13:35:02.187 client 10.120.20.32#42386: query: foo.com IN A + (100.90.80.102)
 *   22-Nov-2026 23:40:10.045 queries: info: client @0x7fdb… 10.53.1.10#34890 (v.example.com): query: v.example.com IN NULL +E(0) (10.53.1.1)
 *   Nov 22 23:40:10 ns1 named[1234]: client @0x7f… 10.0.0.1#5353 (a.example.com): query: a.example.com IN A +E(0) (10.0.0.53)
 *   <30>1 2026-11-22T23:40:10.045Z ns1 named 1234 - - client …
 *
 * The hot path of the whole pipeline: anchored on the literal `: query: `
 * (a name in presentation form cannot contain a space, so the first
 * occurrence is the real one), then character-code scans; no regex.
 */
import { newEvent, type DnsEvent } from '../event.js';
import { fillNameFacts } from '../domain/name-facts.js';
import { type LineParser, MAX_LINE_CHARS, nameRejection, Rejection } from './parser.js';
import { TimestampReader, WallClock } from './timestamp.js';
import { isAddress, isClass, isTypeMnemonic } from './tokens.js';

const QUERY_MARK = ': query: ';
const RESPONSE_MARK = 'response: ';
const CLIENT_MARK = 'client ';

const R = {
  empty: Rejection.of('empty', true),
  notQuery: Rejection.of('not_query', true),
  tooLong: Rejection.of('too_long'),
  badTimestamp: Rejection.of('bad_timestamp'),
  badClient: Rejection.of('bad_client'),
  truncated: Rejection.of('truncated'),
  nameMismatch: Rejection.of('name_mismatch'),
  badClass: Rejection.of('bad_class'),
  badType: Rejection.of('bad_type'),
} as const;

export interface BindParserOptions {
  /** IANA zone of timestamps that carry no offset (BIND's own, RFC 3164). Default UTC. */
  timeZone?: string;
  /** Year for RFC 3164 syslog timestamps, which carry none. Default: the current UTC year. */
  syslogYear?: number;
}

export class BindQueryParser implements LineParser {
  readonly format = 'bind';
  private readonly time: TimestampReader;

  constructor(options: BindParserOptions = {}) {
    const year = options.syslogYear;
    this.time = new TimestampReader(new WallClock(options.timeZone ?? 'UTC'), year === undefined ? undefined : () => year);
  }

  /** Event time of the last line given to `parse` or `locate`; NaN when it had none. */
  lastTime = NaN;
  /** The name's span in the last line `locate` accepted. */
  nameStart = 0;
  nameEnd = 0;
  private end = 0;
  private queryAt = 0;
  private clientAt = 0;
  /** The line the fields above describe, until `parse` consumes them. */
  private located: string | null = null;

  /**
   * The cheap first stage of `parse`: finds the event time and the query name without building
   * an event. Parallel workers run it on every line (to keep one watermark) and `parse` only on
   * the lines of their partition. Returns the rejection, or null when the line goes on.
   */
  locate(line: string): Rejection | null {
    this.lastTime = NaN;
    this.located = null;
    let end = line.length;
    if (end > 0 && line.charCodeAt(end - 1) === 0x0d) end--;
    if (end === 0) return R.empty;
    if (end > MAX_LINE_CHARS) return R.tooLong;

    const queryAt = line.indexOf(QUERY_MARK);
    if (queryAt < 0 || queryAt >= end) return isCutClientLine(line, end) ? R.truncated : R.notQuery;
    const clientAt = line.lastIndexOf(CLIENT_MARK, queryAt);
    if (clientAt < 0 || (clientAt > 0 && line.charCodeAt(clientAt - 1) !== 0x20)) return R.badClient;

    const time = this.readTime(line, clientAt);
    if (Number.isNaN(time)) return R.badTimestamp;
    const nameStart = queryAt + QUERY_MARK.length;
    const nameEnd = line.indexOf(' ', nameStart);
    // Time is known from here on: even a line rejected later shows the log's clock moved.
    this.lastTime = time;
    if (nameEnd < 0 || nameEnd >= end || nameEnd === nameStart) return R.truncated;
    this.end = end;
    this.queryAt = queryAt;
    this.clientAt = clientAt;
    this.nameStart = nameStart;
    this.nameEnd = nameEnd;
    this.located = line;
    return null;
  }

  saveLocated(into: Int32Array, at: number): void {
    into[at] = this.end;
    into[at + 1] = this.queryAt;
    into[at + 2] = this.clientAt;
    into[at + 3] = this.nameStart;
    into[at + 4] = this.nameEnd;
  }

  restoreLocated(line: string, time: number, from: Int32Array, at: number): void {
    this.end = from[at]!;
    this.queryAt = from[at + 1]!;
    this.clientAt = from[at + 2]!;
    this.nameStart = from[at + 3]!;
    this.nameEnd = from[at + 4]!;
    this.lastTime = time;
    this.located = line;
  }

  parse(line: string, source: string, lineNo: number, offset: number): DnsEvent | Rejection {
    // A partitioned pipeline has just located this very line (same string object): do not do it twice.
    if (line !== this.located) {
      const rejected = this.locate(line);
      if (rejected !== null) return rejected;
    }
    this.located = null;
    const { end, queryAt, clientAt, nameStart, nameEnd } = this;
    const time = this.lastTime;

    // client [@0xADDR] IP#PORT
    let p = clientAt + CLIENT_MARK.length;
    if (line.charCodeAt(p) === 0x40) {
      const sp = line.indexOf(' ', p);
      if (sp < 0 || sp > queryAt) return R.badClient;
      p = sp + 1;
    }
    const hash = line.indexOf('#', p);
    if (hash < 0 || hash > queryAt || hash === p || !isAddress(line, p, hash)) return R.badClient;
    const clientIp = line.slice(p, hash);
    let port = 0;
    let q = hash + 1;
    while (q < queryAt) {
      const d = line.charCodeAt(q) - 0x30;
      if (d < 0 || d > 9) break;
      port = port * 10 + d;
      q++;
    }
    if (q === hash + 1 || port > 65535) return R.badClient;
    // BIND 9.10+ repeats the name in parentheses after the client; a different name there means a spliced line.
    const paren = line.indexOf(' (', q);
    if (paren >= 0 && paren < queryAt && !sameText(line, paren + 2, nameStart, nameEnd - nameStart, 0x29)) return R.nameMismatch;

    // NAME CLASS TYPE [FLAGS] [(SERVER)] [ECS …]   or, in Infoblox response logs,   NAME CLASS TYPE response: RCODE FLAGS …
    const classEnd = tokenEnd(line, nameEnd + 1, end);
    if (classEnd === nameEnd + 1 || classEnd >= end) return R.truncated;
    if (!isClass(line, nameEnd + 1, classEnd)) return R.badClass;
    const typeEnd = tokenEnd(line, classEnd + 1, end);
    if (typeEnd === classEnd + 1) return R.truncated;
    if (!isTypeMnemonic(line, classEnd + 1, typeEnd)) return R.badType;
    let flags = '';
    let serverIp = '';
    let rcode: string | undefined;
    let r = typeEnd + 1;
    if (line.startsWith(RESPONSE_MARK, r)) {
      const rcodeEnd = tokenEnd(line, r + RESPONSE_MARK.length, end);
      rcode = line.slice(r + RESPONSE_MARK.length, rcodeEnd);
      r = rcodeEnd + 1;
    }
    if (r < end) {
      const c = line.charCodeAt(r);
      if (c === 0x2b || c === 0x2d) {
        const flagsEnd = tokenEnd(line, r, end);
        flags = line.slice(r, flagsEnd);
        r = flagsEnd + 1;
      }
      if (r < end && line.charCodeAt(r) === 0x28) {
        const close = line.indexOf(')', r);
        if (close > r + 1 && close < end && isAddress(line, r + 1, close)) serverIp = line.slice(r + 1, close);
      }
    }

    const event = newEvent(time, clientIp, port, line.slice(nameEnd + 1, classEnd), line.slice(classEnd + 1, typeEnd), flags, serverIp, source, lineNo, offset);
    const badName = nameRejection(fillNameFacts(event, line, nameStart, nameEnd));
    if (badName !== null) return badName;
    if (rcode !== undefined) event.rcode = rcode;
    return event;
  }

  /** Reads the event time from the prefix before `client `: BIND's own timestamp wins over a syslog header's (it has milliseconds). */
  private readTime(line: string, limit: number): number {
    const t = this.time;
    const c0 = line.charCodeAt(0);
    if (c0 >= 0x30 && c0 <= 0x39) {
      const bind = t.bind(line, 0);
      if (!Number.isNaN(bind)) return bind;
      const iso = t.iso(line, 0);
      if (Number.isNaN(iso)) return NaN;
      return this.bindAfterTag(line, t.end, limit, iso);
    }
    if (limit === 0) return NaN;
    let p = 0;
    if (c0 === 0x3c) {
      // <PRI> then either RFC 5424 ("1 " + ISO time) or RFC 3164.
      const gt = line.indexOf('>', 1);
      if (gt < 0 || gt > 4 || gt >= limit) return NaN;
      p = gt + 1;
      if (line.charCodeAt(p) === 0x31 && line.charCodeAt(p + 1) === 0x20) {
        const iso = t.iso(line, p + 2);
        if (Number.isNaN(iso)) return NaN;
        return this.bindAfterTag(line, t.end, limit, iso);
      }
    }
    const header = t.syslog(line, p);
    if (Number.isNaN(header)) return NaN;
    return this.bindAfterTag(line, t.end, limit, header);
  }

  /**
   * After a syslog header BIND may still print its own timestamp: after the tag, after RFC 5424's
   * structured data, or after a category such as Infoblox's `infoblox-responses:`. Look at each word
   * that starts with a digit before `client `.
   */
  private bindAfterTag(line: string, from: number, limit: number, fallback: number): number {
    for (let i = line.indexOf(' ', from); i >= 0 && i + 1 < limit; i = line.indexOf(' ', i + 1)) {
      const c = line.charCodeAt(i + 1);
      if (c < 0x30 || c > 0x39) continue;
      const own = this.time.bind(line, i + 1);
      if (!Number.isNaN(own)) return own;
    }
    return fallback;
  }
}

/** A line from the query log cut short: a `client ` part with no `: ` after it (every complete client line has one). */
function isCutClientLine(line: string, end: number): boolean {
  const c = line.indexOf(CLIENT_MARK);
  if (c < 0 || c >= end) return false;
  const colon = line.indexOf(': ', c);
  return colon < 0 || colon >= end;
}

/** Whether `line[at, at+length)` equals `line[from, from+length)` and is followed by `terminator`. */
function sameText(line: string, at: number, from: number, length: number, terminator: number): boolean {
  if (line.charCodeAt(at + length) !== terminator) return false;
  for (let k = 0; k < length; k++) if (line.charCodeAt(at + k) !== line.charCodeAt(from + k)) return false;
  return true;
}

function tokenEnd(line: string, from: number, end: number): number {
  const sp = line.indexOf(' ', from);
  return sp < 0 || sp > end ? end : sp;
}
