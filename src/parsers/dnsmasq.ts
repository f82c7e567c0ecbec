/**
 * dnsmasq query logs (`--log-queries`, `--log-queries=extra`), every shape captured from dnsmasq
 * 2.90 in test/fixtures/dnsmasq/ (see its README):
 *
 *   [PREFIX] query[TYPE] NAME from CLIENT                               --log-queries
 *   [PREFIX] SERIAL CLIENT/PORT query[TYPE] NAME from CLIENT            --log-queries=extra
 *   [PREFIX] [SERIAL CLIENT/PORT ]auth[TYPE] NAME from CLIENT           a query answered as --auth-server
 *
 *   PREFIX   Nov 23 14:29:58 dnsmasq[3966]:            --log-facility=FILE (no year, no host)
 *            <30>Nov 23 14:29:58 dnsmasq[3966]:        what dnsmasq sends to /dev/log
 *            Nov 23 14:29:58 host dnsmasq[3966]:       a syslog daemon's file (RFC 3164)
 *            2026-11-23T14:29:58.123+00:00 host dnsmasq[3966]:   rsyslog / journalctl ISO stamps
 *            <30>1 2026-11-23T14:29:58Z host dnsmasq 3966 - - query[A] …             RFC 5424
 *
 *   Nov 23 14:30:00 dnsmasq[4140]: 1 127.0.0.1/59260 query[A] www.example.com from 127.0.0.1
 *   Nov 23 14:30:00 dnsmasq[4140]: 110 ::1/38250 query[PTR] 1.0.0.….ip6.arpa from ::1
 *   Nov 23 14:29:59 dnsmasq[3966]: query[type=65399] blob.example.com from 127.0.0.1
 *
 * Every other dnsmasq line (`forwarded`, `reply`, `cached`, `config`, `validation`, `dnssec-query`,
 * start-up and statistics lines) is skipped as `not_query`: one DNS query is one `query[…]` line,
 * and the lines after it describe how it was answered. The query line is anchored on the start of
 * the message (after the syslog tag and the `extra` serial/client), never searched for in the line,
 * because a name may itself contain ` query[A] ` (names may contain spaces, see below).
 *
 * Fields: `clientIp` from `from CLIENT`; `clientPort` from `CLIENT/PORT` with `extra`, else -1;
 * `qtype` is the mnemonic dnsmasq prints, `type=N` becoming `TYPEN` as BIND writes it; dnsmasq
 * logs neither class, flags, destination nor (on the query line) the answer: `qclass`, `flags` and
 * `serverIp` are ''.
 *
 * Names. dnsmasq prints the name's bytes as they are, with no escaping at all, if every byte is
 * printable (isprint() in dnsmasq's locale: 0x20–0x7e in C/UTF-8 locales), and otherwise the fixed
 * text `<name unprintable>` instead of the name (a dot inside a label, NUL, bytes ≥ 0x7f and
 * control bytes all do that). So in a line: every `.` separates labels, a space, `\`, `"`… are
 * literal bytes of a label. The name is turned into BIND presentation form for `fillNameFacts`
 * (space → `\032`; `\ " ( ) ; @ $` get a backslash); a line whose name holds a byte dnsmasq cannot
 * print (raw control or 8-bit byte) is quarantined as `bad_name_raw_byte`, and `<name unprintable>`
 * as `name_unprintable` (a real query whose name is lost: counted, never silently dropped).
 * The name ends at the LAST ` from ` of the line: the client address after it has no spaces.
 *
 * `nameStart`/`nameEnd` from `locate` span the name as written in the line; the conversion keeps
 * the line's dots as the only label separators, so names of one registered domain share the text
 * the partition key is cut from.
 *
 * Time. The prefix is dnsmasq's own `Mon DD HH:MM:SS` (local time of dnsmasq, no year: the
 * reference year applies, as for RFC 3164 syslog) or a syslog header. dnsmasq run in the foreground
 * logging to stderr (`-k --log-facility=-`) prints no time at all: such lines are `bad_timestamp`.
 */
import { newEvent, type DnsEvent } from '../event.js';
import { fillNameFacts } from '../domain/name-facts.js';
import { type LineParser, MAX_LINE_CHARS, nameRejection, Rejection } from './parser.js';
import { TimestampReader, WallClock } from './timestamp.js';
import { isAddress, isDigit, isHex, isTypeMnemonic, readPort } from './tokens.js';

const R = {
  empty: Rejection.of('empty', true),
  notQuery: Rejection.of('not_query', true),
  tooLong: Rejection.of('too_long'),
  badTimestamp: Rejection.of('bad_timestamp'),
  truncated: Rejection.of('truncated'),
  badClient: Rejection.of('bad_client'),
  badType: Rejection.of('bad_type'),
  unprintable: Rejection.of('name_unprintable'),
  rawByte: Rejection.of('bad_name_raw_byte'),
  emptyLabel: Rejection.of('bad_name_empty_label'),
} as const;

const FROM = ' from ';
const UNPRINTABLE = '<name unprintable>';

export interface DnsmasqParserOptions {
  /** IANA zone of timestamps that carry no offset (dnsmasq's own, RFC 3164). Default UTC. */
  timeZone?: string;
  /** Year for timestamps that carry none (dnsmasq's own, RFC 3164). Default: the current UTC year. */
  syslogYear?: number;
}

export class DnsmasqQueryParser implements LineParser {
  readonly format = 'dnsmasq';
  private readonly prefix: LogPrefixReader;

  constructor(options: DnsmasqParserOptions = {}) {
    const year = options.syslogYear;
    this.prefix = new LogPrefixReader(
      new TimestampReader(new WallClock(options.timeZone ?? 'UTC'), year === undefined ? undefined : () => year),
    );
  }

  lastTime = NaN;
  nameStart = 0;
  nameEnd = 0;
  private end = 0;
  private typeStart = 0;
  private typeEnd = 0;
  private port = -1;
  private located: string | null = null;

  locate(line: string): Rejection | null {
    this.lastTime = NaN;
    this.located = null;
    const end = trimmedEnd(line);
    if (end === 0) return R.empty;
    if (end > MAX_LINE_CHARS) return R.tooLong;

    const prefix = this.prefix;
    const time = prefix.read(line, end);
    if (Number.isNaN(time)) return R.badTimestamp;
    this.lastTime = time;

    // The message: after the tag's `: ` (RFC 3164 / ISO / dnsmasq's file prefix), or right after RFC 5424's structured data.
    let m = prefix.rest;
    if (!prefix.structured) {
      const colon = line.indexOf(': ', m);
      if (colon < 0 || colon + 2 > end) return R.truncated;
      m = colon + 2;
    }
    if (m >= end) return R.truncated;

    // --log-queries=extra: `SERIAL CLIENT/PORT ` before the message. Some lines have the serial
    // only (`5 dnssec-query[DS] …`, or a hosts-file path as the source: `5 /etc/hosts …`).
    let port = -1;
    if (isDigit(line.charCodeAt(m))) {
      let p = m;
      while (p < end && isDigit(line.charCodeAt(p))) p++;
      if (p >= end || line.charCodeAt(p) !== 0x20) return R.notQuery;
      const tokenStart = p + 1;
      const tokenEnd = line.indexOf(' ', tokenStart);
      if (tokenEnd < 0 || tokenEnd >= end) return R.notQuery;
      const slash = line.indexOf('/', tokenStart);
      const c = line.charCodeAt(tokenStart);
      if (slash > tokenStart && slash < tokenEnd && (isHex(c) || c === 0x3a)) {
        port = readPort(line, slash + 1, tokenEnd);
        if (port < 0 || !isAddress(line, tokenStart, slash)) return R.badClient;
        m = tokenEnd + 1;
      } else m = tokenStart;
    }

    // query[TYPE] or auth[TYPE]
    let typeStart: number;
    if (line.startsWith('query[', m)) typeStart = m + 6;
    else if (line.startsWith('auth[', m)) typeStart = m + 5;
    else return R.notQuery;
    const close = line.indexOf(']', typeStart);
    if (close < 0 || close + 1 >= end) return R.truncated;
    if (close - typeStart > 16 || line.charCodeAt(close + 1) !== 0x20) return R.badType;
    const nameStart = close + 2;
    const fromAt = line.lastIndexOf(FROM, end - FROM.length);
    if (fromAt < nameStart || fromAt + FROM.length >= end) return R.truncated;
    if (fromAt === nameStart) return R.emptyLabel;
    if (fromAt - nameStart === UNPRINTABLE.length && line.startsWith(UNPRINTABLE, nameStart)) return R.unprintable;

    this.end = end;
    this.typeStart = typeStart;
    this.typeEnd = close;
    this.port = port;
    this.nameStart = nameStart;
    this.nameEnd = fromAt;
    this.located = line;
    return null;
  }

  parse(line: string, source: string, lineNo: number, offset: number): DnsEvent | Rejection {
    if (line !== this.located) {
      const rejected = this.locate(line);
      if (rejected !== null) return rejected;
    }
    this.located = null;
    const { end, typeStart, typeEnd, nameStart, nameEnd } = this;

    const qtype = dnsmasqType(line, typeStart, typeEnd);
    if (qtype === '') return R.badType;
    const clientStart = nameEnd + FROM.length;
    if (!isAddress(line, clientStart, end)) return R.badClient;

    const event = newEvent(this.lastTime, line.slice(clientStart, end), this.port, '', qtype, '', '', source, lineNo, offset);
    const nameError = fillRawName(event, line, nameStart, nameEnd);
    if (nameError !== null) return nameError;
    return event;
  }
}

/**
 * Fills the name facts from a name printed as raw bytes (no escapes; every `.` a separator), as
 * dnsmasq prints it. Returns the rejection, or null. Exported for parsers of other raw-name logs.
 */
export function fillRawName(event: DnsEvent, line: string, start: number, end: number): Rejection | null {
  let needsEscape = false;
  for (let i = start; i < end; i++) {
    const c = line.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return R.rawByte;
    if (c === 0x20 || isSpecial(c)) needsEscape = true;
  }
  let text = line;
  let s = start;
  let e = end;
  if (needsEscape) {
    text = toPresentation(line, start, end);
    s = 0;
    e = text.length;
  }
  return nameRejection(fillNameFacts(event, text, s, e));
}

/** `. \ " ( ) ; @ $` other than the dot: the characters BIND escapes with a backslash inside a label. */
function isSpecial(c: number): boolean {
  return c === 0x5c || c === 0x22 || c === 0x28 || c === 0x29 || c === 0x3b || c === 0x40 || c === 0x24;
}

/** A raw printable name (dots are separators) in BIND presentation form. */
export function toPresentation(line: string, start: number, end: number): string {
  let out = '';
  let from = start;
  for (let i = start; i < end; i++) {
    const c = line.charCodeAt(i);
    if (c === 0x20) {
      out += line.slice(from, i) + '\\032';
      from = i + 1;
    } else if (isSpecial(c)) {
      out += line.slice(from, i) + '\\';
      from = i;
    }
  }
  return out + line.slice(from, end);
}

/** dnsmasq's type text: a mnemonic (`A`, `NULL`, `HTTPS`) as is, `type=N` as `TYPEN`; '' when neither. */
function dnsmasqType(line: string, start: number, end: number): string {
  if (line.startsWith('type=', start)) {
    const n = readPort(line, start + 5, end);
    return n < 0 ? '' : `TYPE${n}`;
  }
  return isTypeMnemonic(line, start, end) ? line.slice(start, end) : '';
}

/** Index after the line's content: a trailing CR, spaces and TABs are not part of it. */
export function trimmedEnd(line: string): number {
  let end = line.length;
  while (end > 0) {
    const c = line.charCodeAt(end - 1);
    if (c !== 0x0d && c !== 0x20 && c !== 0x09) break;
    end--;
  }
  return end;
}

/**
 * Reads the time prefix of a daemon's log line, every form dnsmasq and unbound write or a syslog
 * daemon gives them:
 *
 *   Nov 23 14:29:58 …                     RFC 3164 stamp (dnsmasq's and unbound's own files, syslog files)
 *   <30>Nov 23 14:29:58 …                 the same with a priority (what is sent to /dev/log)
 *   [1795444202] …                        epoch seconds (unbound without log-time-ascii)
 *   2026-11-23T14:29:58.123+00:00 …       ISO 8601 (rsyslog, journalctl -o short-iso)
 *   <30>1 2026-11-23T14:29:58Z HOST APP PROCID MSGID SD MSG     RFC 5424
 *
 * `read` returns epoch ms or NaN; `rest` is then the index after the stamp and one space (where the
 * host or tag begins), or, for RFC 5424 (`structured`), the index of MSG itself.
 * Shared by the dnsmasq and unbound parsers.
 */
export class LogPrefixReader {
  rest = 0;
  structured = false;

  constructor(private readonly time: TimestampReader) {}

  read(line: string, end: number): number {
    this.structured = false;
    const t = this.time;
    let p = 0;
    if (line.charCodeAt(0) === 0x3c) {
      let pri = 0;
      p = 1;
      while (p < 4 && isDigit(line.charCodeAt(p))) pri = pri * 10 + line.charCodeAt(p++) - 0x30;
      if (p === 1 || line.charCodeAt(p) !== 0x3e || pri > 191) return NaN;
      p++;
      if (line.charCodeAt(p) === 0x31 && line.charCodeAt(p + 1) === 0x20) return this.rfc5424(line, p + 2, end);
    }
    const c = line.charCodeAt(p);
    let time: number;
    if (c === 0x5b && p === 0) {
      // [epoch seconds]
      let q = 1;
      let seconds = 0;
      while (q < 13 && isDigit(line.charCodeAt(q))) seconds = seconds * 10 + line.charCodeAt(q++) - 0x30;
      if (q === 1 || line.charCodeAt(q) !== 0x5d) return NaN;
      time = seconds * 1000;
      p = q + 1;
    } else if (isDigit(c)) {
      time = t.iso(line, p);
      p = t.end;
    } else {
      time = t.syslog(line, p);
      p = t.end;
    }
    if (Number.isNaN(time) || p >= end || line.charCodeAt(p) !== 0x20) return NaN;
    this.rest = p + 1;
    return time;
  }

  /** RFC 5424 after `<PRI>1 `: TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]. */
  private rfc5424(line: string, from: number, end: number): number {
    const time = this.time.iso(line, from);
    if (Number.isNaN(time)) return NaN;
    let p = this.time.end;
    for (let field = 0; field < 4; field++) {
      if (line.charCodeAt(p) !== 0x20) return NaN;
      const sp = line.indexOf(' ', p + 1);
      if (sp < 0 || sp >= end || sp === p + 1) return NaN;
      p = sp;
    }
    if (line.charCodeAt(p) !== 0x20) return NaN;
    p++;
    if (line.charCodeAt(p) === 0x2d) p++;
    else {
      // One or more [ID PARAM="VALUE" …] elements; inside a value `\"`, `\\` and `\]` are escapes.
      while (line.charCodeAt(p) === 0x5b) {
        let inValue = false;
        p++;
        for (;;) {
          if (p >= end) return NaN;
          const c = line.charCodeAt(p);
          if (inValue && c === 0x5c) p += 2;
          else {
            if (c === 0x22) inValue = !inValue;
            p++;
            if (!inValue && c === 0x5d) break;
          }
        }
      }
    }
    if (p < end) {
      if (line.charCodeAt(p) !== 0x20) return NaN;
      p++;
      // A UTF-8 BOM before MSG, as latin1 characters.
      if (line.charCodeAt(p) === 0xef && line.charCodeAt(p + 1) === 0xbb && line.charCodeAt(p + 2) === 0xbf) p += 3;
    }
    this.rest = p;
    this.structured = true;
    return time;
  }
}

/**
 * Whether a sample of an input (its first bytes, latin1) is a dnsmasq query log: one of its first
 * 200 lines is a dnsmasq query line (`query[…]` or `auth[…]`, `<name unprintable>` included). Only
 * that positive evidence counts: BIND, unbound and Zeek lines never are one.
 */
export function sniffDnsmasq(sample: string): boolean {
  const parser = new DnsmasqQueryParser();
  let start = 0;
  for (let n = 0; n < 200 && start < sample.length; n++) {
    let nl = sample.indexOf('\n', start);
    if (nl < 0) nl = sample.length;
    const rejected = parser.locate(sample.slice(start, nl));
    if (rejected === null || rejected === R.unprintable) return true;
    start = nl + 1;
  }
  return false;
}
