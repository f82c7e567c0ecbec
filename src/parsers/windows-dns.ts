/**
 * Windows DNS Server debug log ("Log packets for debugging"), one packet per line:
 *
 *   3/31/2015 11:58:31 PM 1154 PACKET  00000000064A2360 UDP Rcv 172.21.2.224    8b50   Q [0001   D   NOERROR] A      (13)csc3-2010-crl(8)verisign(3)com(0)
 *   3/31/2015 11:58:31 PM 1154 PACKET  00000000064A2360 UDP Snd 172.21.2.224    8b50 R Q [8081   DR  NOERROR] A      (13)csc3-2010-crl(8)verisign(3)com(0)
 *   DATE      TIME [AM|PM] THREAD PACKET ADDRESS     PROTO DIR REMOTE        XID  R OP [FLAGS CHARS RCODE]    TYPE   NAME as (len)label…(0)
 *
 * The date is in the server's locale (month/day/year by default; `dateOrder` for others) and its
 * local time (`timeZone`). A query received from a client (`Rcv`, no `R`) is an event; responses and
 * the server's own queries to forwarders are skipped, so nothing counts twice. The header block,
 * blank lines and the multi-line "Details" dumps are skipped. Fixture lines are hand-written from
 * the documented format (no Windows server here); see test/fixtures/windows-dns/README.md.
 */
import { newEvent, type DnsEvent } from '../event.js';
import { fillNameFacts } from '../domain/name-facts.js';
import { type LineParser, MAX_LINE_CHARS, nameRejection, Rejection } from './parser.js';
import { WallClock } from './timestamp.js';
import { isAddress, isTypeMnemonic } from './tokens.js';

const R = {
  empty: Rejection.of('empty', true),
  notPacket: Rejection.of('not_packet', true),
  response: Rejection.of('response', true),
  outgoing: Rejection.of('outgoing', true),
  tooLong: Rejection.of('too_long'),
  badTimestamp: Rejection.of('bad_timestamp'),
  truncated: Rejection.of('truncated'),
  badClient: Rejection.of('bad_client'),
  badType: Rejection.of('bad_type'),
  badName: Rejection.of('bad_name_encoding'),
} as const;

export interface WindowsDnsParserOptions {
  timeZone?: string;
  /** Order of the date's fields in the server's locale. Default month/day/year (en-US). */
  dateOrder?: 'mdy' | 'dmy' | 'ymd';
}

/** Index of the next non-space at or after `i`. */
function skipSpaces(line: string, i: number, end: number): number {
  while (i < end && line.charCodeAt(i) === 0x20) i++;
  return i;
}

/** Index of the next space at or after `i`, or `end`. */
function tokenEnd(line: string, i: number, end: number): number {
  const sp = line.indexOf(' ', i);
  return sp < 0 || sp > end ? end : sp;
}

function number(line: string, start: number, end: number): number {
  if (end <= start || end - start > 4) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const d = line.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** `(13)csc3-2010-crl(8)verisign(3)com(0)` → `csc3-2010-crl.verisign.com` in BIND presentation form, or null. */
export function windowsNameToPresentation(line: string, start: number, end: number): string | null {
  let out = '';
  let i = start;
  for (;;) {
    if (line.charCodeAt(i) !== 0x28) return null;
    const close = line.indexOf(')', i);
    if (close < 0 || close >= end) return null;
    const length = number(line, i + 1, close);
    if (length < 0 || length > 63) return null;
    if (length === 0) return close + 1 === end ? (out === '' ? '.' : out) : null;
    const labelEnd = close + 1 + length;
    if (labelEnd > end) return null;
    if (out !== '') out += '.';
    for (let k = close + 1; k < labelEnd; k++) {
      const c = line.charCodeAt(k);
      if (c <= 0x20 || c > 0x7e) out += '\\' + String(c & 0xff).padStart(3, '0');
      else if (c === 0x2e || c === 0x5c || c === 0x22 || c === 0x28 || c === 0x29 || c === 0x3b || c === 0x40 || c === 0x24) out += '\\' + line[k];
      else out += line[k];
    }
    i = labelEnd;
  }
}

export class WindowsDnsParser implements LineParser {
  readonly format = 'windows-dns';
  private readonly clock: WallClock;
  private readonly dateOrder: 'mdy' | 'dmy' | 'ymd';
  lastTime = NaN;
  nameStart = 0;
  nameEnd = 0;
  private located: string | null = null;
  private fields = { remoteStart: 0, remoteEnd: 0, typeStart: 0, typeEnd: 0, nameStart: 0, nameEnd: 0, flags: '', tcp: false };

  constructor(options: WindowsDnsParserOptions = {}) {
    this.clock = new WallClock(options.timeZone ?? 'UTC');
    this.dateOrder = options.dateOrder ?? 'mdy';
  }

  locate(line: string): Rejection | null {
    this.lastTime = NaN;
    this.located = null;
    let end = line.length;
    while (end > 0 && (line.charCodeAt(end - 1) === 0x0d || line.charCodeAt(end - 1) === 0x20)) end--;
    if (end === 0) return R.empty;
    if (end > MAX_LINE_CHARS) return R.tooLong;
    const c0 = line.charCodeAt(0);
    if (c0 < 0x30 || c0 > 0x39) return R.notPacket;

    // DATE TIME [AM|PM]
    const dateEnd = tokenEnd(line, 0, end);
    const timeStart = dateEnd + 1;
    const timeEnd = tokenEnd(line, timeStart, end);
    let p = timeEnd + 1;
    let meridiem = 0;
    if (line.startsWith('AM ', p) || line.startsWith('PM ', p)) {
      meridiem = line.charCodeAt(p) === 0x41 ? 1 : 2;
      p += 3;
    }
    const time = this.readTime(line, 0, dateEnd, timeStart, timeEnd, meridiem);
    if (Number.isNaN(time)) return R.badTimestamp;
    this.lastTime = time;

    // THREAD PACKET ADDRESS PROTO DIR REMOTE XID [R] OP [ … ] TYPE NAME
    p = tokenEnd(line, p, end) + 1; // thread id
    if (!line.startsWith('PACKET ', p)) return R.notPacket;
    p = skipSpaces(line, p + 7, end);
    p = skipSpaces(line, tokenEnd(line, p, end), end); // packet address
    const tcp = line.startsWith('TCP', p);
    p = skipSpaces(line, tokenEnd(line, p, end), end);
    const received = line.startsWith('Rcv', p);
    p = skipSpaces(line, tokenEnd(line, p, end), end);
    const remoteStart = p;
    const remoteEnd = tokenEnd(line, p, end);
    p = skipSpaces(line, remoteEnd, end);
    p = tokenEnd(line, p, end); // xid
    const open = line.indexOf('[', p);
    const close = line.indexOf(']', p);
    if (open < 0 || close < open || close >= end) return R.truncated;
    const response = line.slice(p, open).includes(' R ');
    const typeStart = skipSpaces(line, close + 1, end);
    const typeEnd = tokenEnd(line, typeStart, end);
    const nameStart = skipSpaces(line, typeEnd, end);
    if (typeEnd === typeStart || nameStart >= end) return R.truncated;
    if (response) return R.response;
    if (!received) return R.outgoing;
    // The partition key: from the second-to-last label's `(n)` on, a suffix of every name of one registered domain.
    let key = nameStart;
    const last = line.lastIndexOf('(', end - 4);
    if (last > nameStart) {
      const previous = line.lastIndexOf('(', last - 1);
      key = previous >= nameStart ? previous : nameStart;
    }
    const inside = line.slice(open + 1, close).trim().split(/ +/);
    const chars = inside.length >= 3 ? inside[1]! : '';
    this.fields = { remoteStart, remoteEnd, typeStart, typeEnd, nameStart, nameEnd: end, flags: (chars.includes('D') ? '+' : '-') + (tcp ? 'T' : ''), tcp };
    this.nameStart = key;
    this.nameEnd = end;
    this.located = line;
    return null;
  }

  parse(line: string, source: string, lineNo: number, offset: number): DnsEvent | Rejection {
    if (line !== this.located) {
      const rejected = this.locate(line);
      if (rejected !== null) return rejected;
    }
    this.located = null;
    const f = this.fields;
    if (!isAddress(line, f.remoteStart, f.remoteEnd)) return R.badClient;
    if (!isTypeMnemonic(line, f.typeStart, f.typeEnd)) return R.badType;
    const name = windowsNameToPresentation(line, f.nameStart, f.nameEnd);
    if (name === null) return R.badName;
    const event = newEvent(this.lastTime, line.slice(f.remoteStart, f.remoteEnd), -1, 'IN', line.slice(f.typeStart, f.typeEnd), f.flags, '', source, lineNo, offset);
    return nameRejection(fillNameFacts(event, name, 0, name.length)) ?? event;
  }

  /** The locale date (`dateOrder`) and a 12-hour (with AM/PM) or 24-hour time, in the server's zone. */
  private readTime(line: string, dateStart: number, dateEnd: number, timeStart: number, timeEnd: number, meridiem: number): number {
    const date = line.slice(dateStart, dateEnd).split(/[/.-]/);
    const clock = line.slice(timeStart, timeEnd).split(':');
    if (date.length !== 3 || clock.length !== 3) return NaN;
    const [a, b, c] = date.map((s) => (/^\d{1,4}$/.test(s) ? Number(s) : NaN)) as [number, number, number];
    const [year, month, day] = this.dateOrder === 'mdy' ? [c, a, b] : this.dateOrder === 'dmy' ? [c, b, a] : [a, b, c];
    let [hour, minute, second] = clock.map((s) => (/^\d{1,2}$/.test(s) ? Number(s) : NaN)) as [number, number, number];
    if (meridiem !== 0) {
      if (hour < 1 || hour > 12) return NaN;
      hour = (hour % 12) + (meridiem === 2 ? 12 : 0);
    }
    if (![year, month, day, hour, minute, second].every(Number.isFinite)) return NaN;
    if (year < 1970 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return NaN;
    // A day the month does not have (31 April) would roll into the next month: refuse it.
    if (new Date(Date.UTC(year, month - 1, day)).getUTCMonth() !== month - 1) return NaN;
    return this.clock.toEpoch(year, month - 1, day, hour, minute, second, 0);
  }
}

/** True when the sample looks like a Windows DNS debug log (its header, or a PACKET line). */
export function sniffWindowsDns(sample: string): boolean {
  return sample.startsWith('DNS Server log file creation') || / PACKET +[0-9A-Fa-f]+ (UDP|TCP) (Rcv|Snd) /.test(sample.slice(0, 4096));
}
