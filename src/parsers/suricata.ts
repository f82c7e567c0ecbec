/**
 * Suricata EVE JSON (`eve.json`), format `suricata-eve`: one JSON object per line, every event
 * type Suricata logs; only `"event_type":"dns"` records are read, the rest are skipped as
 * `not_dns`. Real records (Suricata 7.0.10, `dns` logger `version: 2`, see
 * test/fixtures/suricata/README.md):
 *
 *   {"timestamp":"2013-03-19T18:06:36.798072+0000","flow_id":1175895064869284,"pcap_cnt":1,"event_type":"dns",
 *    "src_ip":"55.247.223.174","src_port":27285,"dest_ip":"222.195.43.124","dest_port":53,"proto":"UDP",
 *    "dns":{"version":2,"type":"query","id":21140,"rrname":"www.cmu.edu","rrtype":"A","tx_id":0,"opcode":0}}
 *   {… "dns":{"version":2,"type":"answer","id":21140,"flags":"8410","qr":true,"aa":true,"opcode":0,
 *    "rrname":"www.cmu.edu","rrtype":"A","rcode":"NOERROR","answers":[…],"grouped":{…},"authorities":[…]}}
 *
 * Version 1 records (Suricata ≤ 6 with `version: 1`) have the same `type`/`rrname`/`rrtype` keys
 * (one answer record per answer RR); Suricata 8's version 3 (`type` `request`/`response`, the
 * question in `queries[0]`) is read too: `request` counts as `query`, `response` as `answer`.
 *
 * Which records are events. Suricata logs a query record for each request and an answer record
 * for each response of the same transaction; counting both would count every lookup twice, and a
 * detector of tunnels needs the queries. So by default (`eventsFrom: 'queries'`) query records are
 * events and answer records are skipped as `answer`. With `eventsFrom: 'answers'` it is the other
 * way round (query records skipped as `query`): answer records become events carrying `rcode`
 * and `answerCount`, for captures that only see responses or when response facts matter more.
 * An answer record without a question (`rrname` absent, as for some FORMERR replies) is skipped as
 * `no_query`.
 *
 * Mapping to DnsEvent:
 *
 *   time         `timestamp` (ISO 8601, offset `+0000` or `+00:00`), epoch ms, sub-ms digits dropped (floor)
 *   clientIp     `src_ip`, clientPort `src_port` (-1 when absent); serverIp `dest_ip` ('' when absent).
 *                Suricata 7 logs both records of a transaction in the flow's direction (the answer
 *                record has the client as `src_ip` too); older Suricata wrote answer records in the
 *                packet's direction. So for an answer record whose `src_port` is 53 and `dest_port`
 *                is not, the sides are swapped (client = `dest_ip`/`dest_port`).
 *   qname        `rrname` (or `queries[0].rrname`) in BIND presentation form, converted like Zeek's
 *                JSON names (`zeekNameToPresentation`: Suricata joins labels with `.` and writes bytes
 *                that are not valid UTF-8 as `\xNN`); `""` and `<root>` are the root `.`
 *   qclass       `rrclass` when it is a class mnemonic, else `IN` (Suricata does not log the class)
 *   qtype        `rrtype`: a mnemonic as written, a number (Suricata's name for types it does not
 *                know, as a string `"257"` or a number) → TYPE<n>; '' when absent
 *   flags        `+` when RD is set, `-` otherwise, then `T` when `proto` is TCP, `a` AA, `t` TC,
 *                `r` RA (as the Zeek parsers write them). The bits come from `flags` (the header's
 *                flag word in hex), else from the booleans `rd`/`aa`/`tc`/`ra`; Suricata 7 logs
 *                neither on query records, so their flags are `-` (or `-T`)
 *   rcode        answer records: `rcode` upper-cased
 *   answerCount  answer records: length of `answers`, else the values in `grouped` added up, else 0
 *
 * Lines over MAX_LINE_CHARS are `too_long`, except answer records in the default mode, which are
 * recognised from the line's head and skipped as `answer` (see `overlong`): Suricata's answer
 * records for large RRsets are longer than that (one in the fixtures is 8,485 characters). With
 * `eventsFrom: 'answers'` such records are quarantined as `too_long`.
 *
 * `nameStart`/`nameEnd` from `locate` span the `rrname` string's contents as written in the line.
 * `locate` scans the line's structure without JSON.parse (top-level `timestamp`, `event_type`,
 * `dns`; inside `dns` its `type`, `rrname` and `queries`); `parse` then JSON.parses the line and
 * refuses a record whose parsed `rrname` is not the one `locate` found (duplicate keys).
 */
import { newEvent, type DnsEvent } from '../event.js';
import { fillNameFacts } from '../domain/name-facts.js';
import { type LineParser, MAX_LINE_CHARS, nameRejection, Rejection } from './parser.js';
import { compoundEnd, isJsonSpace, skipSpace, stringEnd } from './json-scan.js';
import { TimestampReader, WallClock } from './timestamp.js';
import { isAddress, isMnemonicText, isPort16 } from './tokens.js';
import { zeekNameToPresentation } from './zeek.js';

const R = {
  empty: Rejection.of('empty', true),
  notDns: Rejection.of('not_dns', true),
  answer: Rejection.of('answer', true),
  query: Rejection.of('query', true),
  noQuery: Rejection.of('no_query', true),
  tooLong: Rejection.of('too_long'),
  badJson: Rejection.of('bad_json'),
  badTimestamp: Rejection.of('bad_timestamp'),
  badDns: Rejection.of('bad_dns_record'),
  badClient: Rejection.of('bad_client'),
  badServer: Rejection.of('bad_server'),
  badQuery: Rejection.of('bad_query'),
  badClass: Rejection.of('bad_class'),
  badType: Rejection.of('bad_type'),
  badRcode: Rejection.of('bad_rcode'),
  badFlags: Rejection.of('bad_flags'),
  badAnswers: Rejection.of('bad_answers'),
} as const;

export interface SuricataEveOptions {
  /** Which records become events: query records (default) or answer records; the others are skipped. */
  eventsFrom?: 'queries' | 'answers';
}

// ---------------------------------------------------------------------------------------------
// Structural scan (no JSON.parse, no allocation)

const KIND_NONE = 0;
const KIND_STRING = 1;
const KIND_NUMBER = 2;
const KIND_NULL = 3;
const KIND_OBJECT = 4;
const KIND_ARRAY = 5;
const KIND_OTHER = 6; // true, false

/** Spans of wanted keys' values in one object: for strings the contents between the quotes, else the whole value. */
class Spans {
  readonly kind: Int32Array;
  readonly start: Int32Array;
  readonly end: Int32Array;
  constructor(readonly keys: readonly string[]) {
    this.kind = new Int32Array(keys.length);
    this.start = new Int32Array(keys.length);
    this.end = new Int32Array(keys.length);
  }
}

/**
 * Scans the object starting at `p` (which must be `{`) up to `end`, recording the first value of
 * each key in `out.keys`. Returns the index after the object, or -1 when it is not shaped like one.
 * Keys are compared as written (an escaped key never matches; JSON.parse in `parse` catches a
 * line that uses one to hide a second value).
 */
function scanObject(line: string, p: number, end: number, out: Spans): number {
  out.kind.fill(KIND_NONE);
  if (line.charCodeAt(p) !== 0x7b) return -1;
  p = skipSpace(line, p + 1, end);
  if (line.charCodeAt(p) === 0x7d) return p + 1;
  const keys = out.keys;
  for (;;) {
    if (line.charCodeAt(p) !== 0x22) return -1;
    const keyStart = p + 1;
    const keyEnd = stringEnd(line, keyStart, end);
    if (keyEnd < 0) return -1;
    p = skipSpace(line, keyEnd + 1, end);
    if (line.charCodeAt(p) !== 0x3a) return -1;
    p = skipSpace(line, p + 1, end);
    let kind: number;
    let valueStart = p;
    let valueEnd: number;
    const c = line.charCodeAt(p);
    if (c === 0x22) {
      valueStart = p + 1;
      valueEnd = stringEnd(line, valueStart, end);
      if (valueEnd < 0) return -1;
      kind = KIND_STRING;
      p = valueEnd + 1;
    } else if (c === 0x7b || c === 0x5b) {
      valueEnd = compoundEnd(line, p, end);
      if (valueEnd < 0) return -1;
      kind = c === 0x7b ? KIND_OBJECT : KIND_ARRAY;
      p = valueEnd;
    } else {
      let q = p;
      while (q < end) {
        const t = line.charCodeAt(q);
        if (t === 0x2c || t === 0x7d || t === 0x5d || isJsonSpace(t)) break;
        q++;
      }
      if (q === p) return -1;
      valueEnd = q;
      kind = (c >= 0x30 && c <= 0x39) || c === 0x2d ? KIND_NUMBER : q - p === 4 && line.startsWith('null', p) ? KIND_NULL : KIND_OTHER;
      p = q;
    }
    const keyLength = keyEnd - keyStart;
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k]!;
      if (out.kind[k] === KIND_NONE && key.length === keyLength && line.startsWith(key, keyStart)) {
        out.kind[k] = kind;
        out.start[k] = valueStart;
        out.end[k] = valueEnd;
        break;
      }
    }
    p = skipSpace(line, p, end);
    const sep = line.charCodeAt(p);
    if (sep === 0x2c) {
      p = skipSpace(line, p + 1, end);
      continue;
    }
    return sep === 0x7d ? p + 1 : -1;
  }
}

const TOP_TIMESTAMP = 0;
const TOP_EVENT_TYPE = 1;
const TOP_DNS = 2;
const DNS_TYPE = 0;
const DNS_RRNAME = 1;
const DNS_QUERIES = 2;
const Q_RRNAME = 0;

function isText(line: string, start: number, end: number, text: string): boolean {
  return end - start === text.length && line.startsWith(text, start);
}

/** Strips one trailing CR (CRLF files); the length of the line proper. */
function lineEnd(line: string): number {
  const end = line.length;
  return end > 0 && line.charCodeAt(end - 1) === 0x0d ? end - 1 : end;
}

// ---------------------------------------------------------------------------------------------
// Field checks

type JsonRecord = Record<string, unknown>;

function isRecord(v: unknown): v is JsonRecord {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}


/** Decimal digits (at most 5) as a number ≤ 65535; -1 otherwise. */
function decimal16(s: string): number {
  if (s.length === 0 || s.length > 5) return -1;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n <= 65535 ? n : -1;
}

/** `rrtype` as BIND writes qtypes; '' when absent, null when it cannot be one. */
function qtypeOf(v: unknown): string | null {
  if (v === undefined || v === null) return '';
  if (typeof v === 'number') return isPort16(v) ? `TYPE${v}` : null;
  if (typeof v !== 'string') return null;
  if (isMnemonicText(v)) return v;
  const n = decimal16(v);
  return n >= 0 ? `TYPE${n}` : null;
}

const CLASSES = new Set(['IN', 'CH', 'HS', 'NONE', 'ANY']);

/** `rrclass` when logged (Suricata does not), else IN; null when it cannot be a class. */
function qclassOf(v: unknown): string | null {
  if (v === undefined || v === null) return 'IN';
  if (typeof v !== 'string') return null;
  if (CLASSES.has(v)) return v;
  if (v.startsWith('CLASS') && decimal16(v.slice(5)) >= 0) return v;
  return null;
}

/** Letters, digits and `-`, starting with a letter, at most 16: the shape of an rcode name; upper-cased. */
function rcodeOf(v: unknown): string | undefined | null {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length === 0 || v.length > 16) return null;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i) | 0x20;
    const letter = c >= 0x61 && c <= 0x7a;
    if (!(letter || (i > 0 && ((c >= 0x30 && c <= 0x39) || c === 0x2d)))) return null;
  }
  return v.toUpperCase();
}

/** 1 true, 0 false / absent / null, -1 another type. */
function jsonBool(v: unknown): number {
  if (v === true) return 1;
  if (v === false || v === undefined || v === null) return 0;
  return -1;
}

const FLAG_RD = 1;
const FLAG_TCP = 2;
const FLAG_AA = 4;
const FLAG_TC = 8;
const FLAG_RA = 16;
/** Every flags string, indexed by the bits above: interned, so events share them. */
const FLAG_STRINGS: readonly string[] = Array.from(
  { length: 32 },
  (_, bits) =>
    (bits & FLAG_RD ? '+' : '-') + (bits & FLAG_TCP ? 'T' : '') + (bits & FLAG_AA ? 'a' : '') + (bits & FLAG_TC ? 't' : '') + (bits & FLAG_RA ? 'r' : ''),
);

/** The flag bits from `flags` (hex header word) or the booleans; -1 when a field has the wrong shape. */
function flagBits(dns: JsonRecord): number {
  const word = dns['flags'];
  if (word !== undefined && word !== null) {
    if (typeof word !== 'string' || word.length === 0 || word.length > 4) return -1;
    let n = 0;
    for (let i = 0; i < word.length; i++) {
      const c = word.charCodeAt(i);
      const l = c | 0x20;
      const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : l >= 0x61 && l <= 0x66 ? l - 0x57 : -1;
      if (d < 0) return -1;
      n = n * 16 + d;
    }
    return (n & 0x0100 ? FLAG_RD : 0) | (n & 0x0400 ? FLAG_AA : 0) | (n & 0x0200 ? FLAG_TC : 0) | (n & 0x0080 ? FLAG_RA : 0);
  }
  const rd = jsonBool(dns['rd']);
  const aa = jsonBool(dns['aa']);
  const tc = jsonBool(dns['tc']);
  const ra = jsonBool(dns['ra']);
  if (rd < 0 || aa < 0 || tc < 0 || ra < 0) return -1;
  return (rd ? FLAG_RD : 0) | (aa ? FLAG_AA : 0) | (tc ? FLAG_TC : 0) | (ra ? FLAG_RA : 0);
}

/** Answer RRs in an answer record: `answers`' length, else `grouped`'s values added up; -1 for a wrong shape. */
function answerCountOf(dns: JsonRecord): number {
  const answers = dns['answers'];
  if (answers !== undefined && answers !== null) return Array.isArray(answers) ? answers.length : -1;
  const grouped = dns['grouped'];
  if (grouped === undefined || grouped === null) return 0;
  if (!isRecord(grouped)) return -1;
  let n = 0;
  for (const key in grouped) {
    const values = grouped[key];
    if (!Array.isArray(values)) return -1;
    n += values.length;
  }
  return n;
}

/** Whether the JSON string contents `line[start, end)` decode to `value`. */
function sameJsonString(line: string, start: number, end: number, value: string): boolean {
  try {
    return JSON.parse('"' + line.slice(start, end) + '"') === value;
  } catch {
    return false;
  }
}

function countDots(text: string, start: number, end: number): number {
  let n = 0;
  for (let p = text.indexOf('.', start); p >= 0 && p < end; p = text.indexOf('.', p + 1)) n++;
  return n;
}

/** 1 for characters a name can keep as they are (0x21–0x7e but `\ " ( ) ; @ $`); a dot separates labels. */
const PLAIN = new Uint8Array(128);
for (let c = 0x21; c < 0x7f; c++) PLAIN[c] = '\\"();@$'.includes(String.fromCharCode(c)) ? 0 : 1;

function isPlainName(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80 || PLAIN[c] === 0) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------

const RECORD_QUERY = 1;
const RECORD_ANSWER = 2;

export class SuricataEveParser implements LineParser {
  readonly format = 'suricata-eve';
  /** Event time of the last record given to `parse` or `locate`; NaN when it had none. */
  lastTime = NaN;
  /** The `rrname` string's contents (between the quotes, as written) in the last line `locate` accepted. */
  nameStart = 0;
  nameEnd = 0;

  private readonly wantAnswers: boolean;
  private readonly top = new Spans(['timestamp', 'event_type', 'dns']);
  private readonly dns = new Spans(['type', 'rrname', 'queries']);
  private readonly question = new Spans(['rrname']);
  private located: string | null = null;
  private recordKind = 0;
  private nameFromQueries = false;
  private readonly isoTime = new TimestampReader(new WallClock('UTC'));

  constructor(options: SuricataEveOptions = {}) {
    this.wantAnswers = options.eventsFrom === 'answers';
  }

  /** A structural scan, no JSON.parse: time and the query name's span, or the rejection. */
  locate(line: string): Rejection | null {
    this.lastTime = NaN;
    this.located = null;
    const end = lineEnd(line);
    if (end > MAX_LINE_CHARS) return this.overlong(line);
    const first = skipSpace(line, 0, end);
    if (first === end) return R.empty;
    const top = this.top;
    const after = scanObject(line, first, end, top);
    if (after < 0 || skipSpace(line, after, end) !== end) return R.badJson;

    if (top.kind[TOP_TIMESTAMP] !== KIND_STRING) return R.badTimestamp;
    const tsStart = top.start[TOP_TIMESTAMP]!;
    const tsEnd = top.end[TOP_TIMESTAMP]!;
    if (tsEnd - tsStart < 19) return R.badTimestamp;
    const time = this.isoTime.iso(line, tsStart);
    if (Number.isNaN(time) || this.isoTime.end !== tsEnd) return R.badTimestamp;
    this.lastTime = time;

    if (top.kind[TOP_EVENT_TYPE] !== KIND_STRING || !isText(line, top.start[TOP_EVENT_TYPE]!, top.end[TOP_EVENT_TYPE]!, 'dns')) return R.notDns;
    if (top.kind[TOP_DNS] !== KIND_OBJECT) return R.badDns;
    const dns = this.dns;
    if (scanObject(line, top.start[TOP_DNS]!, top.end[TOP_DNS]!, dns) !== top.end[TOP_DNS]!) return R.badDns;
    if (dns.kind[DNS_TYPE] !== KIND_STRING) return R.badDns;
    const typeStart = dns.start[DNS_TYPE]!;
    const typeEnd = dns.end[DNS_TYPE]!;
    let kind: number;
    if (isText(line, typeStart, typeEnd, 'query') || isText(line, typeStart, typeEnd, 'request')) kind = RECORD_QUERY;
    else if (isText(line, typeStart, typeEnd, 'answer') || isText(line, typeStart, typeEnd, 'response')) kind = RECORD_ANSWER;
    else return R.badDns;
    if (kind === RECORD_ANSWER && !this.wantAnswers) return R.answer;
    if (kind === RECORD_QUERY && this.wantAnswers) return R.query;

    let nameKind = dns.kind[DNS_RRNAME]!;
    let nameStart = dns.start[DNS_RRNAME]!;
    let nameEnd = dns.end[DNS_RRNAME]!;
    let fromQueries = false;
    if ((nameKind === KIND_NONE || nameKind === KIND_NULL) && dns.kind[DNS_QUERIES] === KIND_ARRAY) {
      // Version 3: the question is the first element of `queries`.
      const p = skipSpace(line, dns.start[DNS_QUERIES]! + 1, dns.end[DNS_QUERIES]!);
      if (line.charCodeAt(p) === 0x7b) {
        const q = this.question;
        if (scanObject(line, p, dns.end[DNS_QUERIES]!, q) < 0) return R.badDns;
        nameKind = q.kind[Q_RRNAME]!;
        nameStart = q.start[Q_RRNAME]!;
        nameEnd = q.end[Q_RRNAME]!;
        fromQueries = true;
      } else if (line.charCodeAt(p) !== 0x5d) return R.badDns;
    }
    if (nameKind === KIND_NONE || nameKind === KIND_NULL) return R.noQuery;
    if (nameKind !== KIND_STRING) return R.badQuery;
    this.nameStart = nameStart;
    this.nameEnd = nameEnd;
    this.recordKind = kind;
    this.nameFromQueries = fromQueries;
    this.located = line;
    return null;
  }

  /**
   * A line over MAX_LINE_CHARS is not scanned, but real answer records with large RRsets (DNSKEY,
   * TXT) exceed it; skipping them as `answer` rather than quarantining them as `too_long` keeps the
   * default mode's quarantine for what is wrong. So: when the line starts the way Suricata writes
   * every record (`{"timestamp":"…"`), its time is read, and when its first 1 KiB also shows
   * `"event_type":"dns"` and `"type":"answer"` (or `response`) and answers are not wanted, it is
   * skipped as `answer`; anything else is `too_long` (with the time when it was read).
   */
  private overlong(line: string): Rejection {
    const prefix = '{"timestamp":"';
    if (!line.startsWith(prefix)) return R.tooLong;
    const tsEnd = line.indexOf('"', prefix.length);
    if (tsEnd < 0 || tsEnd > 64) return R.tooLong;
    const time = this.isoTime.iso(line, prefix.length);
    if (Number.isNaN(time) || this.isoTime.end !== tsEnd) return R.tooLong;
    this.lastTime = time;
    if (this.wantAnswers) return R.tooLong;
    const head = line.slice(0, 1024);
    if (head.includes('"event_type":"dns"') && (head.includes('"type":"answer"') || head.includes('"type":"response"'))) return R.answer;
    return R.tooLong;
  }

  parse(line: string, source: string, lineNo: number, offset: number): DnsEvent | Rejection {
    if (line !== this.located) {
      const rejected = this.locate(line);
      if (rejected !== null) return rejected;
    }
    this.located = null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return R.badJson;
    }
    if (!isRecord(parsed)) return R.badJson;
    const record = parsed;
    // The scan read the first of duplicate keys, JSON.parse keeps the last: they must agree.
    if (record['event_type'] !== 'dns') return R.badDns;
    const dns = record['dns'];
    if (!isRecord(dns)) return R.badDns;
    const type = dns['type'];
    const answer = type === 'answer' || type === 'response';
    if (!answer && type !== 'query' && type !== 'request') return R.badDns;
    if (answer !== (this.recordKind === RECORD_ANSWER)) return R.badDns;

    let question: JsonRecord = dns;
    if (this.nameFromQueries) {
      const queries = dns['queries'];
      if (!Array.isArray(queries) || !isRecord(queries[0]) || (dns['rrname'] !== undefined && dns['rrname'] !== null)) return R.badQuery;
      question = queries[0];
    }
    const rrname = question['rrname'];
    if (typeof rrname !== 'string') return R.badQuery;
    const { nameStart, nameEnd } = this;
    const backslash = line.indexOf('\\', nameStart);
    if (backslash < 0 || backslash >= nameEnd) {
      if (!isText(line, nameStart, nameEnd, rrname)) return R.badQuery;
    } else if (!sameJsonString(line, nameStart, nameEnd, rrname) || countDots(line, nameStart, nameEnd) !== countDots(rrname, 0, rrname.length)) {
      // Another `rrname` key decoded last, or a dot written as \u002e (not a label separator in
      // the text the partition key was cut from).
      return R.badQuery;
    }

    const srcIp = record['src_ip'];
    const destIp = record['dest_ip'];
    const srcPort = record['src_port'];
    const destPort = record['dest_port'];
    if (typeof srcIp !== 'string' || !isAddress(srcIp, 0, srcIp.length)) return R.badClient;
    if (srcPort !== undefined && srcPort !== null && (typeof srcPort !== 'number' || !isPort16(srcPort))) return R.badClient;
    let serverIp = '';
    if (destIp !== undefined && destIp !== null) {
      if (typeof destIp !== 'string' || !isAddress(destIp, 0, destIp.length)) return R.badServer;
      serverIp = destIp;
    }
    if (destPort !== undefined && destPort !== null && (typeof destPort !== 'number' || !isPort16(destPort))) return R.badServer;
    let clientIp = srcIp;
    let clientPort = typeof srcPort === 'number' ? srcPort : -1;
    if (answer && srcPort === 53 && destPort !== 53 && serverIp !== '') {
      // Packet-direction logging (Suricata before 7): the answer travels server → client.
      clientIp = serverIp;
      serverIp = srcIp;
      clientPort = typeof destPort === 'number' ? destPort : -1;
    }

    const qtype = qtypeOf(question['rrtype']);
    if (qtype === null) return R.badType;
    const qclass = qclassOf(question['rrclass']);
    if (qclass === null) return R.badClass;
    const proto = record['proto'];
    if (proto !== undefined && proto !== null && typeof proto !== 'string') return R.badFlags;
    let bits = flagBits(dns);
    if (bits < 0) return R.badFlags;
    if (proto === 'TCP' || proto === 'tcp') bits |= FLAG_TCP;

    let rcode: string | undefined;
    let answerCount = 0;
    if (answer) {
      const r = rcodeOf(dns['rcode']);
      if (r === null) return R.badRcode;
      rcode = r;
      answerCount = answerCountOf(dns);
      if (answerCount < 0) return R.badAnswers;
    }

    const event = newEvent(this.lastTime, clientIp, clientPort, qclass, qtype, FLAG_STRINGS[bits]!, serverIp, source, lineNo, offset);
    event.answerCount = answerCount;
    let error: ReturnType<typeof fillNameFacts>;
    if (rrname.length === 0 || rrname === '<root>') error = fillNameFacts(event, '.', 0, 1);
    else if (isPlainName(rrname)) error = fillNameFacts(event, rrname, 0, rrname.length);
    else {
      const name = zeekNameToPresentation(rrname, 0, rrname.length);
      error = fillNameFacts(event, name, 0, name.length);
    }
    const badName = nameRejection(error);
    if (badName !== null) return badName;
    if (rcode !== undefined) event.rcode = rcode;
    return event;
  }
}

/**
 * Whether a sample of input looks like Suricata EVE JSON: its first non-blank line is a JSON
 * object carrying `timestamp` and `event_type` string fields (every EVE record does). For format
 * detection; it does not require DNS records (a mixed eve.json often starts with flow or stats).
 */
export function sniffSuricata(sample: string): boolean {
  let start = 0;
  while (start < sample.length) {
    let nl = sample.indexOf('\n', start);
    if (nl < 0) nl = sample.length;
    const line = sample.slice(start, Math.min(nl, start + MAX_LINE_CHARS)).trim();
    start = nl + 1;
    if (line.length === 0) continue;
    return line.startsWith('{') && /"event_type"\s*:\s*"/.test(line) && /"timestamp"\s*:\s*"\d{4}-/.test(line);
  }
  return false;
}
