/**
 * Zeek `dns.log`, in both encodings Zeek's ASCII writer produces:
 *
 *   zeek-tsv    the default: `#` header lines, then one record per line, fields separated by TAB
 *
 *     #separator \x09
 *     #set_separator	,
 *     #empty_field	(empty)
 *     #unset_field	-
 *     #fields	ts	uid	id.orig_h	id.orig_p	id.resp_h	…	query	qclass	qclass_name	qtype	qtype_name	rcode	rcode_name	AA	TC	RD	RA	Z	answers	…
 *     1521911720.865716	CqKst53mF3det3eDV9	10.47.1.100	41772	10.0.0.100	…	ise.wrccdc.org	1	C_INTERNET	1	A	0	NOERROR	F	F	T	T	0	ise.wrccdc.cpp.edu,134.71.3.16	…
 *     #close	2024-04-12-19-34-07
 *
 *   zeek-json   LogAscii::use_json=T: one object per line with the same field names; `ts` is epoch
 *               seconds, or an ISO 8601 string under LogAscii::json_timestamps=JSON::TS_ISO8601
 *               (integer epoch milliseconds under JSON::TS_MILLIS are read too)
 *
 * Mapping to DnsEvent (the same for both encodings, so one log gives the same events either way):
 *
 *   time         `ts`, epoch ms, sub-millisecond digits dropped (floor), as BIND's stamps have ms
 *   clientIp     `id.orig_h`            clientPort `id.orig_p` (-1 when the log lacks it)
 *   serverIp     `id.resp_h` ('' when the log lacks it)
 *   qname        `query` converted to BIND presentation form (below); an empty query is the root `.`;
 *                a record without a query (unset) is skipped as `no_query`
 *   qclass       `qclass_name` as BIND's mnemonic (C_INTERNET → IN, C_CHAOS → CH, C_HESIOD → HS,
 *                C_NONE → NONE, C_ANY → ANY), else CLASS<qclass>; '' when neither is logged
 *   qtype        `qtype_name` (Zeek's `*` → ANY; its `query-N` default → TYPE<N>), else TYPE<qtype>;
 *                '' when neither is logged (Zeek logs replies whose question it did not see that way)
 *   flags        `+` when RD is set, `-` otherwise (BIND's first flag character), then
 *                `T` when `proto` is tcp (BIND's letter for TCP), `a` AA, `t` TC, `r` RA: response
 *                flags in lower case so they never read as one of BIND's upper-case query flags
 *   rcode        `rcode_name` upper-cased (Zeek's `rcode-N` / `unassigned-N` → RCODE<N>); absent when unset
 *   answerCount  length of the `answers` vector, 0 when unset
 *
 * Names. Zeek joins the wire labels with `.` (a dot inside a label is indistinguishable from a label
 * separator, so a literal dot is always a separator) and its writers escape bytes as `\xNN`: the
 * ASCII writer every non-printable byte, the backslash and the separator; the JSON writer bytes
 * that are not valid UTF-8. A query is turned into the representation BIND logs so that
 * `fillNameFacts` measures it the same way: `\xNN` and raw characters up to 0xFF are bytes (lines
 * are decoded latin1, one character per byte), characters above 0xFF are code points written as
 * their UTF-8 bytes; bytes outside 0x21–0x7e become `\DDD`, and `. \ " ( ) ; @ $` inside a label
 * get a backslash (an escaped `\x2e` is a dot inside a label: `\.`). A backslash that does not
 * start `\xNN` is taken as a literal backslash byte.
 *
 * `nameStart`/`nameEnd` from `locate` span the query as written in the line (TSV field or JSON
 * string contents): every conversion above keeps the line's literal dots as the name's only label
 * separators, so names of one registered domain share the text the partition key is cut from.
 */
import { newEvent, type DnsEvent } from '../event.js';
import { fillNameFacts } from '../domain/name-facts.js';
import { HEADER_REASON, type LineParser, MAX_LINE_CHARS, nameRejection, Rejection } from './parser.js';
import { compoundEnd, isJsonSpace, skipSpace, stringEnd } from './json-scan.js';
import { TimestampReader, WallClock } from './timestamp.js';
import { classMnemonic, isAddress, isMnemonicText, isPort16 } from './tokens.js';

const R = {
  empty: Rejection.of('empty', true),
  header: Rejection.of(HEADER_REASON, true),
  comment: Rejection.of('comment', true),
  noQuery: Rejection.of('no_query', true),
  notDns: Rejection.of('not_dns', true),
  tooLong: Rejection.of('too_long'),
  noHeader: Rejection.of('no_header'),
  badHeader: Rejection.of('bad_header'),
  truncated: Rejection.of('truncated'),
  fieldCount: Rejection.of('bad_field_count'),
  badJson: Rejection.of('bad_json'),
  badTimestamp: Rejection.of('bad_timestamp'),
  badClient: Rejection.of('bad_client'),
  badServer: Rejection.of('bad_server'),
  badQuery: Rejection.of('bad_query'),
  badClass: Rejection.of('bad_class'),
  badType: Rejection.of('bad_type'),
  badRcode: Rejection.of('bad_rcode'),
  badFlags: Rejection.of('bad_flags'),
  badAnswers: Rejection.of('bad_answers'),
} as const;

// ---------------------------------------------------------------------------------------------
// Shared by both encodings

/** How each byte of a label is written in presentation form. */
const PRESENTATION: readonly string[] = Array.from({ length: 256 }, (_, b) => {
  if (b <= 0x20 || b >= 0x7f) return '\\' + String(b).padStart(3, '0');
  const ch = String.fromCharCode(b);
  return '.\\"();@$'.includes(ch) ? '\\' + ch : ch;
});

/** 1 for characters a name can keep as they are (0x21–0x7e but `\ " ( ) ; @ $`); a dot separates labels. */
const PLAIN = new Uint8Array(128);
for (let c = 0x21; c < 0x7f; c++) PLAIN[c] = '\\"();@$'.includes(String.fromCharCode(c)) ? 0 : 1;

/** Whether `text[start, end)` is already in presentation form as it stands (the common case). */
function isPlainName(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80 || PLAIN[c] === 0) return false;
  }
  return true;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x57 : -1;
}

/** Zeek's rendering of a query (see the module comment) in BIND presentation form. */
export function zeekNameToPresentation(text: string, start: number, end: number): string {
  let out = '';
  let i = start;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      out += '.';
      i++;
      continue;
    }
    if (c === 0x5c && i + 4 <= end && text.charCodeAt(i + 1) === 0x78) {
      const hi = hexValue(text.charCodeAt(i + 2));
      const lo = hexValue(text.charCodeAt(i + 3));
      if (hi >= 0 && lo >= 0) {
        out += PRESENTATION[hi * 16 + lo]!;
        i += 4;
        continue;
      }
    }
    if (c <= 0xff) {
      out += PRESENTATION[c]!;
      i++;
      continue;
    }
    // A code point above 0xFF (only from a JSON \u escape or a caller that decoded UTF-8): its UTF-8 bytes.
    let cp = c;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < end) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    i++;
    if (cp < 0x800) {
      out += PRESENTATION[0xc0 | (cp >> 6)]! + PRESENTATION[0x80 | (cp & 0x3f)]!;
    } else if (cp < 0x10000) {
      out += PRESENTATION[0xe0 | (cp >> 12)]! + PRESENTATION[0x80 | ((cp >> 6) & 0x3f)]! + PRESENTATION[0x80 | (cp & 0x3f)]!;
    } else {
      out +=
        PRESENTATION[0xf0 | (cp >> 18)]! +
        PRESENTATION[0x80 | ((cp >> 12) & 0x3f)]! +
        PRESENTATION[0x80 | ((cp >> 6) & 0x3f)]! +
        PRESENTATION[0x80 | (cp & 0x3f)]!;
    }
  }
  return out;
}

/** Writes the name fields of `event`; returns the rejection for a name that is not one. */
function fillName(event: DnsEvent, text: string, start: number, end: number): Rejection | null {
  return nameRejection(fillNameFacts(event, text, start, end));
}

/** Greatest epoch second accepted: 9999-12-31T23:59:59Z. */
const MAX_EPOCH_SECONDS = 253_402_300_799;

/**
 * Epoch seconds written as decimal digits with an optional fraction (`1521911720.865716`), in ms;
 * digits after the third decimal are dropped (floor), so no floating-point rounding can make two
 * encodings of one instant differ. With `millisIfLong`, an integer of 12 or more digits is already
 * milliseconds (Zeek's JSON::TS_MILLIS). NaN when the text is not that shape.
 */
function epochMs(text: string, start: number, end: number, millisIfLong: boolean): number {
  let i = start;
  let whole = 0;
  while (i < end) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) break;
    if (i - start >= 15) return NaN;
    whole = whole * 10 + d;
    i++;
  }
  const digits = i - start;
  if (digits === 0) return NaN;
  if (i === end) {
    if (millisIfLong && digits >= 12) return whole <= MAX_EPOCH_SECONDS * 1000 ? whole : NaN;
    return whole <= MAX_EPOCH_SECONDS ? whole * 1000 : NaN;
  }
  if (text.charCodeAt(i) !== 0x2e || whole > MAX_EPOCH_SECONDS) return NaN;
  i++;
  const fractionStart = i;
  let ms = 0;
  while (i < end) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return NaN;
    if (i - fractionStart < 3) ms = ms * 10 + d;
    i++;
  }
  const fractionDigits = i - fractionStart;
  if (fractionDigits === 0) return NaN;
  if (fractionDigits === 1) ms *= 100;
  else if (fractionDigits === 2) ms *= 10;
  return whole * 1000 + ms;
}


/** Letters, digits and `-`, starting with a letter, at most 16: the shape of an rcode name. */
function isRcodeWord(s: string): boolean {
  if (s.length === 0 || s.length > 16) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) | 0x20;
    const letter = c >= 0x61 && c <= 0x7a;
    if (!(letter || (i > 0 && ((c >= 0x30 && c <= 0x39) || c === 0x2d)))) return false;
  }
  return true;
}

const ZEEK_CLASSES = new Map([
  ['C_INTERNET', 'IN'],
  ['C_CSNET', 'CLASS2'],
  ['C_CHAOS', 'CH'],
  ['C_HESIOD', 'HS'],
  ['C_NONE', 'NONE'],
  ['C_ANY', 'ANY'],
]);
const BIND_CLASSES = new Set(['IN', 'CH', 'HS', 'NONE', 'ANY']);


const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'];

/** Zeek's `<prefix>N` default names (`query-65399`, `qclass-7`, `rcode-15`): N, or -1. */
function defaultNameNumber(name: string, prefix: string): number {
  if (!name.startsWith(prefix) || name.length === prefix.length || name.length > prefix.length + 5) return -1;
  let n = 0;
  for (let i = prefix.length; i < name.length; i++) {
    const d = name.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n <= 65535 ? n : -1;
}

/**
 * qclass, qtype and rcode from Zeek's name and number fields. `undefined` is "not logged", NaN a
 * number field that is there but not a number. Each returns null for a value the log cannot have
 * meant (quarantine). Results are memoised per name: a log has a handful of distinct ones.
 */
class Vocabulary {
  private readonly classes = new Map<string, string>();
  private readonly types = new Map<string, string>();
  private readonly rcodes = new Map<string, string>();

  qclass(name: string | undefined, num: number | undefined): string | null {
    if (name !== undefined) {
      const known = this.classes.get(name);
      if (known !== undefined) return known;
      let mapped = ZEEK_CLASSES.get(name) ?? (BIND_CLASSES.has(name) ? name : undefined);
      if (mapped === undefined) {
        const n = defaultNameNumber(name, 'qclass-');
        if (n >= 0) mapped = classMnemonic(n);
      }
      if (mapped !== undefined) return remember(this.classes, name, mapped);
    }
    if (num !== undefined) return isPort16(num) ? classMnemonic(num) : null;
    return name === undefined ? '' : null;
  }

  qtype(name: string | undefined, num: number | undefined): string | null {
    if (name !== undefined) {
      const known = this.types.get(name);
      if (known !== undefined) return known;
      let mapped: string | undefined;
      if (name === '*') mapped = 'ANY';
      else if (isMnemonicText(name)) mapped = name;
      else {
        const n = defaultNameNumber(name, 'query-');
        if (n >= 0) mapped = `TYPE${n}`;
      }
      if (mapped !== undefined) return remember(this.types, name, mapped);
    }
    if (num !== undefined) return isPort16(num) ? `TYPE${num}` : null;
    return name === undefined ? '' : null;
  }

  /** `undefined` when the log has no rcode (no reply seen). */
  rcode(name: string | undefined, num: number | undefined): string | null | undefined {
    if (name !== undefined) {
      const known = this.rcodes.get(name);
      if (known !== undefined) return known;
      if (isRcodeWord(name) && defaultNameNumber(name, 'rcode-') < 0 && defaultNameNumber(name, 'unassigned-') < 0) {
        return remember(this.rcodes, name, name.toUpperCase());
      }
      const n = Math.max(defaultNameNumber(name, 'rcode-'), defaultNameNumber(name, 'unassigned-'));
      if (n >= 0) return remember(this.rcodes, name, RCODES[n] ?? `RCODE${n}`);
    }
    if (num !== undefined) return isPort16(num) ? (RCODES[num] ?? `RCODE${num}`) : null;
    return name === undefined ? undefined : null;
  }
}

function remember(map: Map<string, string>, key: string, value: string): string {
  if (map.size >= 1024) map.clear(); // hostile input cannot grow it without bound
  map.set(key, value);
  return value;
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


/** Strips one trailing CR (CRLF files); the length of the line proper. */
function lineEnd(line: string): number {
  const end = line.length;
  return end > 0 && line.charCodeAt(end - 1) === 0x0d ? end - 1 : end;
}

// ---------------------------------------------------------------------------------------------
// TSV

/** Column positions from `#fields`; -1 where the log has no such column. */
interface Columns {
  count: number;
  ts: number;
  query: number;
  origH: number;
  origP: number;
  respH: number;
  proto: number;
  qclass: number;
  qclassName: number;
  qtype: number;
  qtypeName: number;
  rcode: number;
  rcodeName: number;
  aa: number;
  tc: number;
  rd: number;
  ra: number;
  answers: number;
}

/** Decodes `\xNN` escapes (header values such as `#separator \x09`). */
function unescapeHex(text: string, start: number, end: number): string {
  let out = '';
  let i = start;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === 0x5c && i + 4 <= end && text.charCodeAt(i + 1) === 0x78) {
      const hi = hexValue(text.charCodeAt(i + 2));
      const lo = hexValue(text.charCodeAt(i + 3));
      if (hi >= 0 && lo >= 0) {
        out += String.fromCharCode(hi * 16 + lo);
        i += 4;
        continue;
      }
    }
    out += text[i];
    i++;
  }
  return out;
}

export class ZeekTsvParser implements LineParser {
  readonly format = 'zeek-tsv';
  /** Event time of the last record given to `parse` or `locate`; NaN when it had none. */
  lastTime = NaN;
  /** The `query` field's span in the last line `locate` accepted. */
  nameStart = 0;
  nameEnd = 0;

  private separator = '\t';
  private setSeparator = ',';
  private emptyField = '(empty)';
  private unsetField = '-';
  private columns: Columns | null = null;
  /** starts[i]: index of field i in the located line; starts[count] = end + separator length. */
  private starts = new Int32Array(1);
  /** How many entries of `starts` are known for the located line. */
  private scanned = 0;
  private end = 0;
  private located: string | null = null;
  private readonly vocabulary = new Vocabulary();
  private readonly isoTime = new TimestampReader(new WallClock('UTC'));

  /**
   * Header lines configure the parser and return the `header` skip; data lines: the event time
   * and the query's span, or the rejection.
   */
  locate(line: string): Rejection | null {
    this.lastTime = NaN;
    this.located = null;
    const end = lineEnd(line);
    if (end === 0) return R.empty;
    if (end > MAX_LINE_CHARS) return R.tooLong;
    if (line.charCodeAt(0) === 0x23) return this.header(line, end);
    const cols = this.columns;
    if (cols === null) return R.noHeader;
    if (cols.query < 0) return R.notDns; // another Zeek log (conn, http…) in the same stream
    if (cols.ts < 0) return R.badHeader;
    this.end = end;
    this.scanned = 1;
    this.starts[0] = 0;
    let status = this.scanTo(line, cols.ts + 1);
    if (status !== 0) return status === 1 ? R.truncated : R.fieldCount;
    const time = this.readTime(line, this.starts[cols.ts]!, this.fieldEnd(cols.ts));
    if (Number.isNaN(time)) return R.badTimestamp;
    // Time is known from here on: even a record rejected later shows the log's clock moved.
    this.lastTime = time;
    status = this.scanTo(line, cols.query + 1);
    if (status !== 0) return status === 1 ? R.truncated : R.fieldCount;
    const start = this.starts[cols.query]!;
    const stop = this.fieldEnd(cols.query);
    if (isText(line, start, stop, this.unsetField)) return R.noQuery;
    this.nameStart = start;
    this.nameEnd = stop;
    this.located = line;
    return null;
  }

  parse(line: string, source: string, lineNo: number, offset: number): DnsEvent | Rejection {
    // A partitioned pipeline has just located this very line: do not do it twice.
    if (line !== this.located) {
      const rejected = this.locate(line);
      if (rejected !== null) return rejected;
    }
    this.located = null;
    const cols = this.columns!;
    const status = this.scanTo(line, cols.count);
    if (status !== 0) return status === 1 ? R.truncated : R.fieldCount;
    const time = this.lastTime;

    let clientIp = '';
    if (cols.origH >= 0) {
      const s = this.starts[cols.origH]!;
      const e = this.fieldEnd(cols.origH);
      if (!isAddress(line, s, e)) return R.badClient;
      clientIp = line.slice(s, e);
    }
    let clientPort = -1;
    if (cols.origP >= 0 && !this.isUnset(line, cols.origP)) {
      clientPort = this.uint(line, cols.origP);
      if (clientPort < 0 || clientPort > 65535) return R.badClient;
    }
    let serverIp = '';
    if (cols.respH >= 0 && !this.isUnset(line, cols.respH)) {
      const s = this.starts[cols.respH]!;
      const e = this.fieldEnd(cols.respH);
      if (!isAddress(line, s, e)) return R.badServer;
      serverIp = line.slice(s, e);
    }

    const vocabulary = this.vocabulary;
    const qclass = vocabulary.qclass(this.text(line, cols.qclassName), this.number(line, cols.qclass));
    if (qclass === null) return R.badClass;
    const qtype = vocabulary.qtype(this.text(line, cols.qtypeName), this.number(line, cols.qtype));
    if (qtype === null) return R.badType;
    const rcode = vocabulary.rcode(this.text(line, cols.rcodeName), this.number(line, cols.rcode));
    if (rcode === null) return R.badRcode;

    let bits = 0;
    const rd = this.bool(line, cols.rd);
    const aa = this.bool(line, cols.aa);
    const tc = this.bool(line, cols.tc);
    const ra = this.bool(line, cols.ra);
    if (rd < 0 || aa < 0 || tc < 0 || ra < 0) return R.badFlags;
    if (rd === 1) bits |= FLAG_RD;
    if (aa === 1) bits |= FLAG_AA;
    if (tc === 1) bits |= FLAG_TC;
    if (ra === 1) bits |= FLAG_RA;
    if (cols.proto >= 0 && isText(line, this.starts[cols.proto]!, this.fieldEnd(cols.proto), 'tcp')) bits |= FLAG_TCP;

    const answerCount = this.answerCount(line, cols.answers);

    const event = newEvent(time, clientIp, clientPort, qclass, qtype, FLAG_STRINGS[bits]!, serverIp, source, lineNo, offset);
    event.answerCount = answerCount;
    const { nameStart, nameEnd } = this;
    let nameError: Rejection | null;
    if (isText(line, nameStart, nameEnd, this.emptyField)) nameError = fillName(event, '.', 0, 1);
    else if (isPlainName(line, nameStart, nameEnd)) nameError = fillName(event, line, nameStart, nameEnd);
    else {
      const name = zeekNameToPresentation(line, nameStart, nameEnd);
      nameError = fillName(event, name, 0, name.length);
    }
    if (nameError !== null) return nameError;
    if (rcode !== undefined) event.rcode = rcode;
    return event;
  }

  private header(line: string, end: number): Rejection {
    // `#separator \x09` names the separator after a space: the only header line not split by it.
    if (line.startsWith('#separator ')) {
      const value = unescapeHex(line, 11, end);
      if (value.length > 0) this.separator = value;
      return R.header;
    }
    const sep = this.separator;
    let keyEnd = line.indexOf(sep, 1);
    if (keyEnd < 0 || keyEnd > end) keyEnd = end;
    const valueStart = Math.min(keyEnd + sep.length, end);
    switch (line.slice(1, keyEnd)) {
      case 'set_separator': {
        const value = unescapeHex(line, valueStart, end);
        if (value.length > 0) this.setSeparator = value;
        return R.header;
      }
      case 'empty_field':
        this.emptyField = unescapeHex(line, valueStart, end);
        return R.header;
      case 'unset_field':
        this.unsetField = unescapeHex(line, valueStart, end);
        return R.header;
      case 'fields':
        this.setFields(keyEnd < end ? line.slice(valueStart, end).split(sep) : []);
        return R.header;
      case 'path':
      case 'open':
      case 'types':
        return R.header;
      default:
        return R.comment; // #close, and any other comment
    }
  }

  /** Looks every column this parser reads up by name, once per `#fields` line. */
  private setFields(names: string[]): void {
    const at = (name: string): number => names.indexOf(name);
    this.columns = {
      count: names.length,
      ts: at('ts'),
      query: at('query'),
      origH: at('id.orig_h'),
      origP: at('id.orig_p'),
      respH: at('id.resp_h'),
      proto: at('proto'),
      qclass: at('qclass'),
      qclassName: at('qclass_name'),
      qtype: at('qtype'),
      qtypeName: at('qtype_name'),
      rcode: at('rcode'),
      rcodeName: at('rcode_name'),
      aa: at('AA'),
      tc: at('TC'),
      rd: at('RD'),
      ra: at('RA'),
      answers: at('answers'),
    };
    this.starts = new Int32Array(names.length + 1);
    this.scanned = 0;
  }

  /**
   * Makes `starts[0..k]` known (k ≤ column count), going on from where the last call stopped.
   * 0: done; 1: the line has fewer fields; 2: it has more (only seen when k is the count).
   */
  private scanTo(line: string, k: number): 0 | 1 | 2 {
    const starts = this.starts;
    const sep = this.separator;
    const sepLength = sep.length;
    const count = this.columns!.count;
    const end = this.end;
    let i = this.scanned;
    while (i <= k) {
      const at = line.indexOf(sep, starts[i - 1]!);
      const found = at >= 0 && at + sepLength <= end;
      if (i === count) {
        if (found) return 2;
        starts[i] = end + sepLength;
      } else {
        if (!found) return 1;
        starts[i] = at + sepLength;
      }
      i++;
    }
    this.scanned = i;
    return 0;
  }

  private fieldEnd(i: number): number {
    return this.starts[i + 1]! - this.separator.length;
  }

  private isUnset(line: string, i: number): boolean {
    return isText(line, this.starts[i]!, this.fieldEnd(i), this.unsetField);
  }

  /** The field as a string; undefined when the column is missing or the field unset. */
  private text(line: string, i: number): string | undefined {
    if (i < 0 || this.isUnset(line, i)) return undefined;
    return line.slice(this.starts[i]!, this.fieldEnd(i));
  }

  /** The field as a count; undefined when missing or unset, NaN when not a count. */
  private number(line: string, i: number): number | undefined {
    if (i < 0 || this.isUnset(line, i)) return undefined;
    const n = this.uint(line, i);
    return n < 0 ? NaN : n;
  }

  /** Decimal digits (at most 9) as a number; -1 otherwise. */
  private uint(line: string, i: number): number {
    const s = this.starts[i]!;
    const e = this.fieldEnd(i);
    if (e <= s || e - s > 9) return -1;
    let n = 0;
    for (let p = s; p < e; p++) {
      const d = line.charCodeAt(p) - 0x30;
      if (d < 0 || d > 9) return -1;
      n = n * 10 + d;
    }
    return n;
  }

  /** 1 for T, 0 for F, unset or a missing column; -1 for anything else. */
  private bool(line: string, i: number): number {
    if (i < 0) return 0;
    const s = this.starts[i]!;
    const e = this.fieldEnd(i);
    if (e - s === 1) {
      const c = line.charCodeAt(s);
      if (c === 0x54) return 1;
      if (c === 0x46) return 0;
    }
    return isText(line, s, e, this.unsetField) ? 0 : -1;
  }

  private answerCount(line: string, i: number): number {
    if (i < 0) return 0;
    const s = this.starts[i]!;
    const e = this.fieldEnd(i);
    if (isText(line, s, e, this.unsetField) || isText(line, s, e, this.emptyField)) return 0;
    const sep = this.setSeparator;
    let n = 1;
    for (let p = line.indexOf(sep, s); p >= 0 && p + sep.length <= e; p = line.indexOf(sep, p + sep.length)) n++;
    return n;
  }

  /** Zeek writes `%.6f` epoch seconds; an ISO 8601 stamp (zeek-cut -d, other exporters) is read too. */
  private readTime(line: string, start: number, end: number): number {
    const epoch = epochMs(line, start, end, false);
    if (!Number.isNaN(epoch) || end - start < 19) return epoch;
    const iso = this.isoTime.iso(line, start);
    return this.isoTime.end === end ? iso : NaN;
  }
}

/** Whether `line[start, end)` is exactly `text`. */
function isText(line: string, start: number, end: number, text: string): boolean {
  return end - start === text.length && line.startsWith(text, start);
}

// ---------------------------------------------------------------------------------------------
// JSON

const KIND_NONE = 0;
const KIND_STRING = 1;
const KIND_NUMBER = 2;
const KIND_NULL = 3;
const KIND_OTHER = 4; // true, false, object, array

/** What the structural scan of one line found: the spans of the top-level `ts` and `query` values. */
interface JsonSpans {
  tsKind: number;
  tsStart: number;
  tsEnd: number;
  queryKind: number;
  queryStart: number;
  queryEnd: number;
}

/**
 * One pass over a JSON object line without building it, up to the first top-level `ts` and
 * `query` keys: their values' spans. False when the line is not shaped like an object as far as
 * it was read; primitives, and whatever follows both keys, are not validated here (parse's
 * JSON.parse does, and refuses a record whose last `query` is not the one found here). Linear in
 * the line, no recursion, no allocation.
 */
function scanJsonObject(line: string, end: number, out: JsonSpans): boolean {
  out.tsKind = KIND_NONE;
  out.queryKind = KIND_NONE;
  let p = skipSpace(line, 0, end);
  if (line.charCodeAt(p) !== 0x7b) return false;
  p = skipSpace(line, p + 1, end);
  if (line.charCodeAt(p) === 0x7d) return skipSpace(line, p + 1, end) === end;
  for (;;) {
    if (line.charCodeAt(p) !== 0x22) return false;
    const keyStart = p + 1;
    const keyEnd = stringEnd(line, keyStart, end);
    if (keyEnd < 0) return false;
    p = skipSpace(line, keyEnd + 1, end);
    if (line.charCodeAt(p) !== 0x3a) return false;
    p = skipSpace(line, p + 1, end);
    let kind: number;
    let valueStart = p;
    let valueEnd: number;
    const c = line.charCodeAt(p);
    if (c === 0x22) {
      valueStart = p + 1;
      valueEnd = stringEnd(line, valueStart, end);
      if (valueEnd < 0) return false;
      kind = KIND_STRING;
      p = valueEnd + 1;
    } else if (c === 0x7b || c === 0x5b) {
      valueEnd = compoundEnd(line, p, end);
      if (valueEnd < 0) return false;
      kind = KIND_OTHER;
      p = valueEnd;
    } else {
      let q = p;
      while (q < end) {
        const t = line.charCodeAt(q);
        if (t === 0x2c || t === 0x7d || t === 0x5d || isJsonSpace(t)) break;
        q++;
      }
      if (q === p) return false;
      valueEnd = q;
      kind = (c >= 0x30 && c <= 0x39) || c === 0x2d ? KIND_NUMBER : q - p === 4 && line.startsWith('null', p) ? KIND_NULL : KIND_OTHER;
      p = q;
    }
    const keyLength = keyEnd - keyStart;
    if (keyLength === 2 && out.tsKind === KIND_NONE && line.charCodeAt(keyStart) === 0x74 && line.charCodeAt(keyStart + 1) === 0x73) {
      out.tsKind = kind;
      out.tsStart = valueStart;
      out.tsEnd = valueEnd;
      if (out.queryKind !== KIND_NONE) return true;
    } else if (keyLength === 5 && out.queryKind === KIND_NONE && line.startsWith('query', keyStart)) {
      out.queryKind = kind;
      out.queryStart = valueStart;
      out.queryEnd = valueEnd;
      if (out.tsKind !== KIND_NONE) return true;
    }
    p = skipSpace(line, p, end);
    const sep = line.charCodeAt(p);
    if (sep === 0x2c) {
      p = skipSpace(line, p + 1, end);
      continue;
    }
    if (sep !== 0x7d) return false;
    return skipSpace(line, p + 1, end) === end;
  }
}

type JsonRecord = Record<string, unknown>;

function isRecord(v: unknown): v is JsonRecord {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A field by its flat Zeek name (`id.orig_h`), or nested (`{"id":{"orig_h":…}}`) as some exporters write it. */
function idField(record: JsonRecord, flat: string, nested: string): unknown {
  const v = record[flat];
  if (v !== undefined) return v;
  const id = record['id'];
  return isRecord(id) ? id[nested] : undefined;
}

/** A JSON name field: undefined when absent or null, the string, or null for another type. */
function jsonText(v: unknown): string | undefined | null {
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : null;
}

/** A JSON count field: undefined when absent or null, the number (any number: callers check the range), NaN for another type. */
function jsonNumber(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === 'number' ? v : NaN;
}

/** 1 true, 0 false / absent / null, -1 another type. */
function jsonBool(v: unknown): number {
  if (v === true) return 1;
  if (v === false || v === undefined || v === null) return 0;
  return -1;
}

export class ZeekJsonParser implements LineParser {
  readonly format = 'zeek-json';
  /** Event time of the last record given to `parse` or `locate`; NaN when it had none. */
  lastTime = NaN;
  /** The `query` string's contents (between the quotes, as written) in the last line `locate` accepted. */
  nameStart = 0;
  nameEnd = 0;

  private readonly spans: JsonSpans = { tsKind: 0, tsStart: 0, tsEnd: 0, queryKind: 0, queryStart: 0, queryEnd: 0 };
  private located: string | null = null;
  private readonly vocabulary = new Vocabulary();
  private readonly isoTime = new TimestampReader(new WallClock('UTC'));

  /** A structural scan, no JSON.parse: time and the query's span, or the rejection. */
  locate(line: string): Rejection | null {
    this.lastTime = NaN;
    this.located = null;
    const end = lineEnd(line);
    if (end > MAX_LINE_CHARS) return R.tooLong;
    if (skipSpace(line, 0, end) === end) return R.empty;
    const spans = this.spans;
    if (!scanJsonObject(line, end, spans)) return R.badJson;
    const time = this.readTime(line, spans);
    if (Number.isNaN(time)) return R.badTimestamp;
    this.lastTime = time;
    if (spans.queryKind === KIND_NONE || spans.queryKind === KIND_NULL) return R.noQuery;
    if (spans.queryKind !== KIND_STRING) return R.badQuery;
    this.nameStart = spans.queryStart;
    this.nameEnd = spans.queryEnd;
    this.located = line;
    return null;
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
    const { nameStart, nameEnd } = this;

    // The name comes from the span `locate` found (so it is what the partition key was cut from);
    // JSON.parse's value (the last `query` key) must be the same string, or the line plays tricks
    // with duplicate or escaped keys. `ts` is read from the first key only, in both stages.
    const query = record['query'];
    if (typeof query !== 'string') return R.badQuery;
    let plain = false;
    const backslash = line.indexOf('\\', nameStart);
    if (backslash < 0 || backslash >= nameEnd) {
      if (!isText(line, nameStart, nameEnd, query)) return R.badQuery;
      plain = isPlainName(query, 0, query.length);
    } else if (!sameJsonString(line, nameStart, nameEnd, query) || countDots(line, nameStart, nameEnd) !== countDots(query, 0, query.length)) {
      // Another `query` key decoded last, or a dot written as \u002e (not one Zeek writes, and
      // not a label separator in the line the partition key was cut from).
      return R.badQuery;
    }

    const clientValue = idField(record, 'id.orig_h', 'orig_h');
    let clientIp = '';
    if (clientValue !== undefined) {
      if (typeof clientValue !== 'string' || !isAddress(clientValue, 0, clientValue.length)) return R.badClient;
      clientIp = clientValue;
    }
    const portValue = idField(record, 'id.orig_p', 'orig_p');
    let clientPort = -1;
    if (portValue !== undefined && portValue !== null) {
      if (typeof portValue !== 'number' || !isPort16(portValue)) return R.badClient;
      clientPort = portValue;
    }
    const serverValue = idField(record, 'id.resp_h', 'resp_h');
    let serverIp = '';
    if (serverValue !== undefined && serverValue !== null) {
      if (typeof serverValue !== 'string' || !isAddress(serverValue, 0, serverValue.length)) return R.badServer;
      serverIp = serverValue;
    }

    const vocabulary = this.vocabulary;
    const qclassName = jsonText(record['qclass_name']);
    const qtypeName = jsonText(record['qtype_name']);
    const rcodeName = jsonText(record['rcode_name']);
    if (qclassName === null) return R.badClass;
    if (qtypeName === null) return R.badType;
    if (rcodeName === null) return R.badRcode;
    const qclass = vocabulary.qclass(qclassName, jsonNumber(record['qclass']));
    if (qclass === null) return R.badClass;
    const qtype = vocabulary.qtype(qtypeName, jsonNumber(record['qtype']));
    if (qtype === null) return R.badType;
    const rcode = vocabulary.rcode(rcodeName, jsonNumber(record['rcode']));
    if (rcode === null) return R.badRcode;

    const rd = jsonBool(record['RD']);
    const aa = jsonBool(record['AA']);
    const tc = jsonBool(record['TC']);
    const ra = jsonBool(record['RA']);
    const proto = record['proto'];
    if (rd < 0 || aa < 0 || tc < 0 || ra < 0 || (proto !== undefined && proto !== null && typeof proto !== 'string')) return R.badFlags;
    let bits = 0;
    if (rd === 1) bits |= FLAG_RD;
    if (aa === 1) bits |= FLAG_AA;
    if (tc === 1) bits |= FLAG_TC;
    if (ra === 1) bits |= FLAG_RA;
    if (proto === 'tcp') bits |= FLAG_TCP;

    const answers = record['answers'];
    let answerCount = 0;
    if (answers !== undefined && answers !== null) {
      if (!Array.isArray(answers)) return R.badAnswers;
      answerCount = answers.length;
    }

    const event = newEvent(this.lastTime, clientIp, clientPort, qclass, qtype, FLAG_STRINGS[bits]!, serverIp, source, lineNo, offset);
    event.answerCount = answerCount;
    let nameError: Rejection | null;
    if (query.length === 0) nameError = fillName(event, '.', 0, 1);
    else if (plain) nameError = fillName(event, query, 0, query.length);
    else {
      const name = zeekNameToPresentation(query, 0, query.length);
      nameError = fillName(event, name, 0, name.length);
    }
    if (nameError !== null) return nameError;
    if (rcode !== undefined) event.rcode = rcode;
    return event;
  }

  /** `ts` as epoch seconds (or ms, TS_MILLIS) or an ISO 8601 string; an epoch number in a string is accepted too. */
  private readTime(line: string, spans: JsonSpans): number {
    const { tsKind, tsStart, tsEnd } = spans;
    if (tsKind === KIND_NUMBER) return epochMs(line, tsStart, tsEnd, true);
    if (tsKind !== KIND_STRING) return NaN;
    if (tsEnd - tsStart >= 19 && line.charCodeAt(tsStart + 4) === 0x2d) {
      const iso = this.isoTime.iso(line, tsStart);
      return this.isoTime.end === tsEnd ? iso : NaN;
    }
    return epochMs(line, tsStart, tsEnd, true);
  }
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

/**
 * Which Zeek encoding a sample of input is, or null: the ASCII writer's first header line, or a
 * JSON object carrying Zeek's connection and query fields. For format detection.
 */
export function sniffZeek(sample: string): 'zeek-tsv' | 'zeek-json' | null {
  if (sample.startsWith('#separator ')) return 'zeek-tsv';
  const first = sample.slice(0, sample.indexOf('\n') < 0 ? sample.length : sample.indexOf('\n'));
  if (first.trimStart().startsWith('{') && first.includes('"id.orig_h"') && (first.includes('"query"') || first.includes('"qtype'))) return 'zeek-json';
  return null;
}
