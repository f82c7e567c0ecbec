/**
 * unbound query and reply logs (`log-queries: yes`, `log-replies: yes`), every shape captured from
 * unbound 1.17.1 in test/fixtures/unbound/ (see its README):
 *
 *   PREFIX unbound[PID:TID] info: CLIENT NAME. TYPE CLASS                              query line
 *   PREFIX unbound[PID:TID] info: CLIENT NAME. TYPE CLASS RCODE SECS.USEC CACHED SIZE   reply line
 *   PREFIX unbound[PID:TID] info: CLIENT - - - FORMERR - - -                           reply to a query it could not parse
 *   (with `log-tag-queryreply: yes` the word is `query:` / `reply:` instead of `info:`)
 *
 *   PREFIX   Nov 23 14:30:01 unbound[4348:0]           log-time-ascii: yes (no year, no host)
 *            [1795444202] unbound[4517:0]              the default: epoch seconds
 *            <30>Nov 23 14:30:05 unbound: [4857:0]     use-syslog: yes, as sent to /dev/log
 *            … or any syslog header before `unbound: [PID:TID]` / `unbound[PID]: [PID:TID]`
 *
 *   [1795444202] unbound[4517:0] info: 127.0.0.1 www.example.com. A IN
 *   [1795444202] unbound[4517:0] info: 127.0.0.1 www.example.com. A IN NOERROR 0.000893 0 60
 *   Nov 23 14:30:01 unbound[4348:0] info: ::1 www.example.com. AAAA IN
 *
 * The line is a query or reply line when the word after `info: ` is a client address and the next
 * one a name ending in `.`. Other lines (start-up, statistics, `error: SERVFAIL <…>` from
 * log-servfail, the `ZONE ACTION CLIENT@PORT NAME TYPE CLASS` lines of log-local-actions, verbose
 * `info: resolving …`) are skipped as `not_query`.
 *
 * Queries and replies: with both log-queries and log-replies on, unbound writes two lines for one
 * query, so counting both would double every query. The parser makes events from ONE kind:
 *
 *   eventsFrom 'queries' (default)  query lines are events; reply lines are skipped (`reply_line`)
 *   eventsFrom 'replies'            reply lines are events, with `rcode` and `responseBytes`; query
 *                                   lines are skipped (`query_line`); FORMERR replies name no query
 *                                   and are skipped (`reply_no_question`)
 *
 * A log written with log-replies only needs 'replies' (under 'queries' it gives no events, only
 * `reply_line` skips); one written with log-queries only needs 'queries'. Query lines are the
 * default because they are written when the query arrives, for every query, answered or not.
 * The choice is per parser, not per line, so that a parallel run's workers agree without seeing
 * each other's lines. A reply event's time is the reply line's (when the answer was sent).
 *
 * Fields: unbound logs the client address without port (`clientPort` -1), no flags and no
 * destination (`flags`, `serverIp` ''). Class is `IN`, `CH`, `HS`, `NONE`, `ANY` or `CLASSn`.
 *
 * Names. unbound 1.17 prints names with its `dname_str`: every byte that is not a letter, digit,
 * `-`, `_` or `*` is printed as `?` (a space, `\`, a dot inside a label, NUL, 8-bit bytes alike),
 * label separators as `.`, and always a final `.` (the root is `.`). So the byte count of a name is
 * exact but the bytes themselves are lost. Such a name is already valid BIND presentation form
 * (`?` needs no escape) and reaches `fillNameFacts` as written, trailing dot removed there; a name
 * with `\` escapes (which no unbound seen here writes) is read as presentation form too.
 * `nameStart`/`nameEnd` span the name in the line, trailing dot included.
 *
 * dname_str also cuts names short: once the labels printed so far and the next one reach 254 wire
 * bytes it prints `&` and stops (so every name of the maximum length, 253 characters, loses its
 * last label, e.g. `bbb….eee.t.example.&`), and a label over 63 bytes is printed as `#`. Such a
 * line has lost the name's registered domain: it is quarantined as `name_truncated`, not guessed.
 */
import { newEvent, type DnsEvent } from '../event.js';
import { fillNameFacts } from '../domain/name-facts.js';
import { type LineParser, MAX_LINE_CHARS, nameRejection, Rejection } from './parser.js';
import { TimestampReader, WallClock } from './timestamp.js';
import { LogPrefixReader, trimmedEnd } from './dnsmasq.js';
import { isAddress, isClass, isDigit, isTypeMnemonic, readPort } from './tokens.js';

const R = {
  empty: Rejection.of('empty', true),
  notQuery: Rejection.of('not_query', true),
  replyLine: Rejection.of('reply_line', true),
  queryLine: Rejection.of('query_line', true),
  replyNoQuestion: Rejection.of('reply_no_question', true),
  tooLong: Rejection.of('too_long'),
  badTimestamp: Rejection.of('bad_timestamp'),
  truncated: Rejection.of('truncated'),
  badClient: Rejection.of('bad_client'),
  badClass: Rejection.of('bad_class'),
  badType: Rejection.of('bad_type'),
  badRcode: Rejection.of('bad_rcode'),
  badReply: Rejection.of('bad_reply'),
  notFqdn: Rejection.of('bad_name_not_fqdn'),
  nameTruncated: Rejection.of('name_truncated'),
} as const;

export interface UnboundParserOptions {
  /** IANA zone of timestamps that carry no offset (log-time-ascii, RFC 3164). Default UTC. */
  timeZone?: string;
  /** Year for timestamps that carry none (log-time-ascii, RFC 3164). Default: the current UTC year. */
  syslogYear?: number;
  /** Which lines become events (see the module comment). Default 'queries'. */
  eventsFrom?: 'queries' | 'replies';
}

export class UnboundQueryParser implements LineParser {
  readonly format = 'unbound';
  private readonly prefix: LogPrefixReader;
  private readonly replies: boolean;

  constructor(options: UnboundParserOptions = {}) {
    const year = options.syslogYear;
    this.prefix = new LogPrefixReader(
      new TimestampReader(new WallClock(options.timeZone ?? 'UTC'), year === undefined ? undefined : () => year),
    );
    this.replies = options.eventsFrom === 'replies';
  }

  lastTime = NaN;
  nameStart = 0;
  nameEnd = 0;
  private clientStart = 0;
  private clientEnd = 0;
  private typeEnd = 0;
  private classEnd = 0;
  private rcodeEnd = 0;
  private size = 0;
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

    // `unbound[PID:TID] info: ` or `unbound: [PID:TID] info: `: the severity follows the first `] `.
    const bracket = line.indexOf('] ', prefix.rest);
    if (bracket < 0 || bracket >= end) return R.notQuery;
    let b = bracket + 2;
    if (line.startsWith('info: ', b)) b += 6;
    else if (line.startsWith('query: ', b) || line.startsWith('reply: ', b)) b += 7;
    else return R.notQuery;

    // CLIENT: only an address-shaped word makes this a query or reply line.
    const clientStart = b;
    if (!looksLikeAddress(line, clientStart, end)) return R.notQuery;
    const clientEnd = line.indexOf(' ', clientStart);
    if (clientEnd < 0 || clientEnd >= end) return R.truncated;
    const nameStart = clientEnd + 1;
    const nameEnd = line.indexOf(' ', nameStart);
    if (nameEnd < 0 || nameEnd >= end) return R.truncated;
    if (nameEnd === nameStart + 1 && line.charCodeAt(nameStart) === 0x2d) {
      // `CLIENT - - - FORMERR - - -`
      return this.replies ? R.replyNoQuestion : R.replyLine;
    }
    const typeEnd = line.indexOf(' ', nameEnd + 1);
    if (typeEnd < 0 || typeEnd >= end) return R.truncated;
    let classEnd = line.indexOf(' ', typeEnd + 1);
    const isReply = classEnd >= 0 && classEnd < end;
    if (isReply) {
      // A reply line must have the reply's shape, whichever kind of line is counted: a query line
      // with words after it is malformed, not a reply to skip.
      const rejected = this.readReply(line, classEnd + 1, end);
      if (rejected !== null) return rejected;
    } else classEnd = end;
    if (isReply !== this.replies) return isReply ? R.replyLine : R.queryLine;
    // dname_str's marks of a name it cut short: `&` (too long to print), `#` (label over 63).
    const last = line.charCodeAt(nameEnd - 1);
    if (last === 0x26 || last === 0x23) return R.nameTruncated;

    this.clientStart = clientStart;
    this.clientEnd = clientEnd;
    this.typeEnd = typeEnd;
    this.classEnd = classEnd;
    this.nameStart = nameStart;
    this.nameEnd = nameEnd;
    this.located = line;
    return null;
  }

  parse(line: string, source: string, lineNo: number, offset: number): DnsEvent | Rejection {
    if (line !== this.located) {
      const rejected = this.locate(line);
      if (rejected !== null) return rejected;
    }
    this.located = null;
    const { clientStart, clientEnd, nameStart, nameEnd, typeEnd, classEnd } = this;

    if (!isAddress(line, clientStart, clientEnd)) return R.badClient;
    if (!isTypeMnemonic(line, nameEnd + 1, typeEnd)) return R.badType;
    if (!isClass(line, typeEnd + 1, classEnd)) return R.badClass;
    // unbound ends every name with a dot (the root is `.`); an escaped final dot belongs to a label.
    if (line.charCodeAt(nameEnd - 1) !== 0x2e || endsEscaped(line, nameStart, nameEnd - 1)) return R.notFqdn;

    const event = newEvent(this.lastTime, line.slice(clientStart, clientEnd), -1, line.slice(typeEnd + 1, classEnd), line.slice(nameEnd + 1, typeEnd), '', '', source, lineNo, offset);
    const badName = nameRejection(fillNameFacts(event, line, nameStart, nameEnd));
    if (badName !== null) return badName;
    if (this.replies) {
      event.rcode = line.slice(classEnd + 1, this.rcodeEnd);
      event.responseBytes = this.size;
    }
    return event;
  }

  /** Checks `RCODE SECS.USEC CACHED SIZE` from `start` (words after SIZE are ignored); keeps the rcode's end and the size. */
  private readReply(line: string, start: number, end: number): Rejection | null {
    const rcodeEnd = wordEnd(line, start, end);
    if (!isRcode(line, start, rcodeEnd)) return R.badRcode;
    const durEnd = wordEnd(line, rcodeEnd + 1, end);
    const cachedEnd = wordEnd(line, durEnd + 1, end);
    if (cachedEnd >= end || !isDuration(line, rcodeEnd + 1, durEnd)) return R.badReply;
    const cached = line.charCodeAt(durEnd + 1);
    if (cachedEnd !== durEnd + 2 || (cached !== 0x30 && cached !== 0x31)) return R.badReply;
    const size = readSize(line, cachedEnd + 1, wordEnd(line, cachedEnd + 1, end));
    if (size < 0) return R.badReply;
    this.rcodeEnd = rcodeEnd;
    this.size = size;
    return null;
  }
}

/** Whether the character at `at` is escaped: an odd number of backslashes before it (from `start`). */
function endsEscaped(line: string, start: number, at: number): boolean {
  let n = 0;
  for (let i = at - 1; i >= start && line.charCodeAt(i) === 0x5c; i--) n++;
  return n % 2 === 1;
}

/**
 * Whether the word at `start` is meant as a client address (then a bad one is a malformed line, not
 * another kind of line): IPv6-shaped (starts with a hex digit or `:` and holds a `:`) or a dotted
 * quad of digits. unbound's other `info:` lines start with a word (`start`, `server`, `resolving`),
 * a zone name ending in `.` (log-local-actions), spaces or `[` (statistics).
 */
function looksLikeAddress(line: string, start: number, end: number): boolean {
  let colons = 0;
  let dots = 0;
  let digitsOnly = true;
  let i = start;
  for (; i < end; i++) {
    const c = line.charCodeAt(i);
    if (c === 0x20) break;
    if (i - start > 64) return false;
    if (c === 0x3a) colons++;
    else if (c === 0x2e) dots++;
    else if (!isDigit(c)) digitsOnly = false;
  }
  if (i === start || line.charCodeAt(i - 1) === 0x2e) return false;
  const c0 = line.charCodeAt(start);
  if (colons > 0) return isDigit(c0) || c0 === 0x3a || (c0 >= 0x61 && c0 <= 0x66) || (c0 >= 0x41 && c0 <= 0x46);
  return digitsOnly && dots === 3 && isDigit(c0);
}

/** An rcode as sldns prints it: upper-case letters and digits (NOERROR, NXDOMAIN, SERVFAIL, RCODE12…). */
function isRcode(line: string, start: number, end: number): boolean {
  if (end <= start || end - start > 16) return false;
  for (let i = start; i < end; i++) {
    const c = line.charCodeAt(i);
    if (!((c >= 0x41 && c <= 0x5a) || isDigit(c))) return false;
  }
  return true;
}

/** `SECS.USEC`: digits, a dot, six digits. */
function isDuration(line: string, start: number, end: number): boolean {
  const dot = end - 7;
  if (dot <= start || line.charCodeAt(dot) !== 0x2e) return false;
  for (let i = start; i < end; i++) if (i !== dot && !isDigit(line.charCodeAt(i))) return false;
  return true;
}

/** A response size: 1–6 digits (TCP answers reach 65535), or -1. */
function readSize(line: string, start: number, end: number): number {
  if (end <= start || end - start > 6) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = line.charCodeAt(i);
    if (!isDigit(c)) return -1;
    v = v * 10 + c - 0x30;
  }
  return v;
}

function wordEnd(line: string, from: number, end: number): number {
  if (from >= end) return end;
  const sp = line.indexOf(' ', from);
  return sp < 0 || sp > end ? end : sp;
}


/**
 * Whether a sample of an input (its first bytes, latin1) is an unbound query log, and which lines
 * to count: 'queries' when one of its first 200 lines is a query line (log-queries on), 'replies'
 * when there are reply lines only (log-replies alone), null when neither. Decided once per run, so
 * every worker of a parallel run counts the same kind.
 */
export function sniffUnbound(sample: string): 'queries' | 'replies' | null {
  const parser = new UnboundQueryParser();
  let replies = false;
  let start = 0;
  for (let n = 0; n < 200 && start < sample.length; n++) {
    let nl = sample.indexOf('\n', start);
    if (nl < 0) nl = sample.length;
    const rejected = parser.locate(sample.slice(start, nl));
    if (rejected === null || rejected === R.nameTruncated) return 'queries';
    if (rejected === R.replyLine) replies = true;
    start = nl + 1;
  }
  return replies ? 'replies' : null;
}
