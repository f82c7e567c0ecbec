/**
 * A DNS message (RFC 1035 §4.1) from the wire:
 *
 *   [id 2][flags 2][qdcount 2][ancount 2][nscount 2][arcount 2] [question: name, type 2, class 2] [RRs…]
 *
 * The header and the first question are read here, by hand, because the question name must keep
 * every byte: dns-packet decodes labels as UTF-8 (bytes that are not UTF-8 become U+FFFD) and
 * joins them with dots without escaping a dot inside a label, so two different names could count
 * as one. The name comes out in BIND's presentation form (`\.`, `\"`, `\DDD`), as the text
 * parsers hand it to `fillNameFacts`. The rest of the message (answer types, EDNS) is decoded
 * with dns-packet.
 */
import dnsPacket from 'dns-packet';
import { toString as rcodeMnemonic } from 'dns-packet/rcodes.js';
import { toString as typeMnemonic } from 'dns-packet/types.js';
import type { Rejection } from '../parser.js';
import { PCAP } from './reasons.js';

export interface DnsHead {
  id: number;
  /** The 16 flag bits of the header. */
  flags: number;
  response: boolean;
  opcode: number;
  questions: number;
  answers: number;
  authorities: number;
  additionals: number;
  /** First question, name in presentation form (no trailing dot; `.` for the root). */
  qname: string;
  qtype: number;
  qclass: number;
}

export function newDnsHead(): DnsHead {
  return { id: 0, flags: 0, response: false, opcode: 0, questions: 0, answers: 0, authorities: 0, additionals: 0, qname: '', qtype: 0, qclass: 0 };
}

export const FLAG_RD = 0x0100;
export const FLAG_CD = 0x0010;
/** Compression pointers followed in one name: each must point backwards, so this only bounds work. */
const MAX_POINTERS = 64;
/** RFC 1035 §2.3.4: 255 bytes on the wire, length bytes and the root included. */
const MAX_NAME_WIRE_BYTES = 255;

/** Header and first question; the rejection when the message is too short or the question unreadable. */
export function readHead(message: Buffer, out: DnsHead): Rejection | null {
  if (message.length < 12) return PCAP.dnsShort;
  out.id = message.readUInt16BE(0);
  const flags = message.readUInt16BE(2);
  out.flags = flags;
  out.response = (flags & 0x8000) !== 0;
  out.opcode = (flags >> 11) & 0x0f;
  out.questions = message.readUInt16BE(4);
  out.answers = message.readUInt16BE(6);
  out.authorities = message.readUInt16BE(8);
  out.additionals = message.readUInt16BE(10);
  if (out.questions === 0) return PCAP.dnsNoQuestion;
  const name = readName(message, 12);
  if (name === null || nameEnd + 4 > message.length) return PCAP.dnsBadQuestion;
  out.qname = name;
  out.qtype = message.readUInt16BE(nameEnd);
  out.qclass = message.readUInt16BE(nameEnd + 2);
  return null;
}

/** Where the last name `readName` read ends in the message (after its terminator or first pointer). */
let nameEnd = 0;

/** The name at `offset` in presentation form, or null when it is not a valid wire name. */
export function readName(message: Buffer, offset: number): string | null {
  let text = '';
  let p = offset;
  let wireBytes = 0;
  let pointers = 0;
  let lowest = offset;
  nameEnd = -1;
  for (;;) {
    if (p >= message.length) return null;
    const length = message[p]!;
    if (length === 0) {
      if (nameEnd < 0) nameEnd = p + 1;
      return wireBytes === 0 ? '.' : text;
    }
    if ((length & 0xc0) === 0xc0) {
      if (p + 1 >= message.length || ++pointers > MAX_POINTERS) return null;
      const target = ((length & 0x3f) << 8) | message[p + 1]!;
      // Only backwards, before every label read so far: no loops.
      if (target >= lowest) return null;
      if (nameEnd < 0) nameEnd = p + 2;
      p = target;
      lowest = target;
      continue;
    }
    // 0x40 and 0x80 are the extended and binary label types of RFC 6891/2673, unused today.
    if ((length & 0xc0) !== 0) return null;
    wireBytes += length + 1;
    if (wireBytes + 1 > MAX_NAME_WIRE_BYTES || p + 1 + length > message.length) return null;
    if (text.length > 0) text += '.';
    text += presentLabel(message, p + 1, p + 1 + length);
    p += 1 + length;
  }
}

/** One label as BIND writes it: printable ASCII as is, `. " ( ) ; \ @ $` after a backslash, other bytes as `\DDD`. */
function presentLabel(message: Buffer, start: number, end: number): string {
  let plain = true;
  for (let i = start; i < end; i++) {
    if (needsEscape(message[i]!)) {
      plain = false;
      break;
    }
  }
  if (plain) return message.toString('latin1', start, end);
  let text = '';
  for (let i = start; i < end; i++) {
    const c = message[i]!;
    if (c <= 0x20 || c >= 0x7f) text += c < 10 ? `\\00${c}` : c < 100 ? `\\0${c}` : `\\${c}`;
    else if (needsEscape(c)) text += '\\' + String.fromCharCode(c);
    else text += String.fromCharCode(c);
  }
  return text;
}

function needsEscape(c: number): boolean {
  return c <= 0x20 || c >= 0x7f || c === 0x2e || c === 0x22 || c === 0x28 || c === 0x29 || c === 0x3b || c === 0x5c || c === 0x40 || c === 0x24;
}

/** What the rest of the message says, decoded by dns-packet. */
export interface DnsBody {
  /** Types of the answer records, each once, in order of first appearance. */
  answerTypes: string[];
  /** EDNS version, -1 without an OPT record. */
  ednsVersion: number;
  dnssecOk: boolean;
  /** An EDNS COOKIE option (RFC 7873) is present. */
  cookie: boolean;
  /** Upper 8 bits of the rcode, from the OPT record. */
  extendedRcode: number;
}

/**
 * The whole message through dns-packet; null when it does not decode (a cut-off or malformed
 * record section). The header and question are already known good, so the caller keeps them.
 *
 * Kept for queries too, although only their OPT record is wanted: on the bench's pcap row
 * (2026-11-23, 200,000 packets of Umbrella-name queries and answers) dns-packet took ~1.4 µs per
 * message, about 30% of the decoder's ~4.5 µs per packet; a hand-written OPT reader for queries
 * would save at most half of that, not worth a second wire-format reader.
 */
export function decodeBody(message: Buffer, head: DnsHead): DnsBody | null {
  // Every question takes at least 5 bytes and every record 11: larger counts cannot be real, and
  // dns-packet would first allocate arrays of that size.
  if (12 + head.questions * 5 + (head.answers + head.authorities + head.additionals) * 11 > message.length) return null;
  let packet: dnsPacket.DecodedPacket;
  try {
    packet = dnsPacket.decode(message);
  } catch {
    return null;
  }
  const body: DnsBody = { answerTypes: [], ednsVersion: -1, dnssecOk: false, cookie: false, extendedRcode: 0 };
  for (const answer of packet.answers ?? []) {
    const type = typeName(answer.type);
    if (!body.answerTypes.includes(type)) body.answerTypes.push(type);
  }
  for (const record of packet.additionals ?? []) {
    if (record.type !== 'OPT') continue;
    body.ednsVersion = record.ednsVersion;
    body.dnssecOk = record.flag_do;
    body.extendedRcode = record.extendedRcode;
    body.cookie = record.options.some((o) => (o.code as number) === 10);
    break;
  }
  return body;
}

/** Types dns-packet 5.6 does not name, by the mnemonics BIND 9.18 logs them with. */
const NEWER_TYPES: Record<number, string> = { 53: 'SMIMEA', 61: 'OPENPGPKEY', 62: 'CSYNC', 63: 'ZONEMD', 64: 'SVCB', 65: 'HTTPS', 256: 'URI' };

/** A type number as BIND logs it: its mnemonic, or `TYPEn` (RFC 3597). */
export function typeNumberName(type: number): string {
  return typeName(typeMnemonic(type));
}

/** dns-packet's type text with its `UNKNOWN_n` turned into a mnemonic or `TYPEn`. */
function typeName(text: string): string {
  if (!text.startsWith('UNKNOWN_')) return text;
  const n = Number(text.slice(8));
  return NEWER_TYPES[n] ?? `TYPE${n}`;
}

/** The rcode (4 header bits and, with EDNS, 8 more) as BIND and Zeek name it. */
export function rcodeName(headerFlags: number, extended: number): string {
  const rcode = (extended << 4) | (headerFlags & 0x0f);
  if (rcode < 11) return rcodeMnemonic(rcode);
  if (rcode === 16) return 'BADVERS';
  if (rcode === 23) return 'BADCOOKIE';
  return `RCODE${rcode}`;
}
