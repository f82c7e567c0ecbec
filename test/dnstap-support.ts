/**
 * Test support for dnstap: decoding into a collecting sink, building frames (protobufjs encoding
 * of the same schema, dns-packet for the DNS messages), and dnstap-read's view of a fixture.
 */
import { readFileSync } from 'node:fs';
import dnsPacket from 'dns-packet';
import { parseAllDocuments } from 'yaml';
import type { DnsEvent, SourcePosition } from '../src/event.js';
import { DnstapDecoder, type DnstapDecoderOptions } from '../src/parsers/dnstap/decoder.js';
import { CONTENT_TYPE_DNSTAP, CONTROL, encodeControl, encodeData, FrameStreamReader } from '../src/parsers/dnstap/frame-stream.js';
import { DnstapType } from '../src/parsers/dnstap/schema.js';
import type { Rejection } from '../src/parsers/parser.js';
import type { DecodedRecords } from '../src/parsers/record-decoder.js';
import { fixturePath } from './helpers.js';

export interface RejectedRecord {
  reason: string;
  skip: boolean;
  position: SourcePosition;
  time: number;
  raw: string;
}

export class Collected implements DecodedRecords {
  readonly events: DnsEvent[] = [];
  readonly rejected: RejectedRecord[] = [];

  event(event: DnsEvent): void {
    this.events.push(event);
  }

  reject(rejection: Rejection, raw: Uint8Array, position: SourcePosition, time: number): void {
    this.rejected.push({ reason: rejection.reason, skip: rejection.skip, position: { ...position }, time, raw: Buffer.from(raw).toString('hex') });
  }

  get read(): number {
    return this.events.length + this.rejected.length;
  }

  /** Counts by reason, skipped and quarantined together. */
  byReason(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.rejected) out[r.reason] = (out[r.reason] ?? 0) + 1;
    return out;
  }
}

/** Decodes `data` as one source fed in pieces of the given sizes (the rest in one piece). */
export function decodeInPieces(data: Buffer, sizes: number[], options: DnstapDecoderOptions = {}, source = 'test.dnstap'): Collected {
  const decoder = new DnstapDecoder(options);
  const out = new Collected();
  let at = 0;
  for (const size of sizes) {
    if (at >= data.length) break;
    const piece = data.subarray(at, Math.min(data.length, at + size));
    decoder.push(piece, at, source, out);
    at += piece.length;
  }
  if (at < data.length) decoder.push(data.subarray(at), at, source, out);
  decoder.end(source, out);
  return out;
}

export function decodeWhole(data: Buffer, options: DnstapDecoderOptions = {}): Collected {
  return decodeInPieces(data, [], options);
}

/** The payloads of a Frame Streams file's data frames, in order. */
export function dataFrames(file: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  const reader = new FrameStreamReader();
  const handler = {
    dataFrame: (payload: Buffer) => void frames.push(Buffer.from(payload)),
    controlFrame: () => undefined,
    badFrame: () => undefined,
  };
  reader.push(file, handler);
  reader.end(handler);
  return frames;
}

/** A Frame Streams file: START (dnstap), the payloads as data frames, STOP. */
export function frameStreamFile(payloads: readonly Uint8Array[]): Buffer {
  return Buffer.concat([encodeControl(CONTROL.START, [CONTENT_TYPE_DNSTAP]), ...payloads.map(encodeData), encodeControl(CONTROL.STOP)]);
}

export interface MessageSpec {
  type: number;
  /** Epoch ms of the query (query_time) and of the response (response_time). */
  queryMs?: number;
  responseMs?: number;
  client?: Uint8Array;
  clientPort?: number;
  server?: Uint8Array;
  serverPort?: number;
  tcp?: boolean;
  query?: Uint8Array;
  response?: Uint8Array;
}

/** One dnstap.Dnstap payload, encoded by protobufjs from the same schema the decoder reads. */
export function dnstapPayload(spec: MessageSpec): Uint8Array {
  const message: Record<string, unknown> = { type: spec.type, socketFamily: spec.client?.length === 16 ? 2 : 1, socketProtocol: spec.tcp === true ? 2 : 1 };
  if (spec.client !== undefined) message.queryAddress = spec.client;
  if (spec.clientPort !== undefined) message.queryPort = spec.clientPort;
  if (spec.server !== undefined) message.responseAddress = spec.server;
  if (spec.serverPort !== undefined) message.responsePort = spec.serverPort;
  if (spec.queryMs !== undefined) {
    message.queryTimeSec = Math.floor(spec.queryMs / 1000);
    message.queryTimeNsec = (spec.queryMs % 1000) * 1e6;
  }
  if (spec.responseMs !== undefined) {
    message.responseTimeSec = Math.floor(spec.responseMs / 1000);
    message.responseTimeNsec = (spec.responseMs % 1000) * 1e6;
  }
  if (spec.query !== undefined) message.queryMessage = spec.query;
  if (spec.response !== undefined) message.responseMessage = spec.response;
  return DnstapType.encode(DnstapType.create({ identity: Buffer.from('test'), type: 1, message })).finish();
}

export function dnsQuery(id: number, name: string, type = 'A'): Buffer {
  return dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: type as 'A' }] });
}

export function dnsResponse(id: number, name: string, rcode: 'NOERROR' | 'NXDOMAIN' = 'NOERROR', answers = 1): Buffer {
  const packet = {
    type: 'response' as const,
    id,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (rcode === 'NXDOMAIN' ? 3 : 0),
    questions: [{ name, type: 'A' as const }],
    answers: Array.from({ length: answers }, (_, i) => ({ name, type: 'A' as const, ttl: 60, data: `192.0.2.${i + 1}` })),
  };
  return dnsPacket.encode(packet);
}

export const IPV4_LOCAL = Uint8Array.from([127, 0, 0, 1]);

/** One message as dnstap-read prints it: the one-line form (times to the ms, TZ=UTC) and the YAML. */
export interface ReadMessage {
  /** Two-letter mnemonic of the one-line form (CQ, CR, RQ, RR, AQ, AR). */
  mnemonic: string;
  timeMs: number;
  queryAddress: string;
  queryPort: number;
  responseAddress: string;
  responsePort: number;
  protocol: string;
  size: number;
  name: string;
  qclass: string;
  qtype: string;
  /** From the YAML. */
  type: string;
  id: number;
  status: string;
  dnsFlags: string;
  edns: { flags: string | null; COOKIE?: string } | null;
  /** Each type once, in order of first appearance. */
  answerTypes: string[];
  answerCount: number;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function splitHostPort(text: string): [string, number] {
  const colon = text.lastIndexOf(':');
  return [text.slice(0, colon), Number(text.slice(colon + 1))];
}

/** Reads `<fixture>.txt` and `<fixture>.yaml` (both written by dnstap-read) into one list, in file order. */
export function dnstapRead(fixture: string): ReadMessage[] {
  const lines = readFileSync(fixturePath(`${fixture}.txt`), 'latin1').split('\n').filter((l) => l.length > 0);
  const docs = parseAllDocuments(readFileSync(fixturePath(`${fixture}.yaml`), 'latin1'), { version: '1.1' });
  if (!Array.isArray(docs) || docs.length !== lines.length) throw new Error(`${fixture}: ${lines.length} lines but ${Array.isArray(docs) ? docs.length : 0} YAML documents`);
  return lines.map((line, i) => {
    // 23-Nov-2026 16:04:16.183 CQ 127.0.0.1:59335 -> 127.0.0.1:53630 UDP 56b www.example.com/IN/A
    const [date, clock, mnemonic, from, , to, protocol, size, question] = line.split(' ');
    const [day, mon, year] = date!.split('-');
    const [hh, mm, ss] = clock!.split(':');
    const timeMs = Date.UTC(Number(year), MONTHS.indexOf(mon!), Number(day), Number(hh), Number(mm), 0) + Math.round(Number(ss) * 1000);
    const [queryAddress, queryPort] = splitHostPort(from!);
    const [responseAddress, responsePort] = splitHostPort(to!);
    const slash2 = question!.lastIndexOf('/');
    const slash1 = question!.lastIndexOf('/', slash2 - 1);
    const doc = docs[i]!.toJS() as { message: Record<string, unknown> };
    const m = doc.message;
    const data = (m.query_message_data ?? m.response_message_data) as Record<string, unknown>;
    const opt = data.OPT_PSEUDOSECTION as { EDNS: { flags: string | null; COOKIE?: string } } | undefined;
    const answers = (data.ANSWER_SECTION as string[] | undefined) ?? [];
    return {
      mnemonic: mnemonic!,
      timeMs,
      queryAddress,
      queryPort,
      responseAddress,
      responsePort,
      protocol: protocol!,
      size: Number(size!.slice(0, -1)),
      name: question!.slice(0, slash1),
      qclass: question!.slice(slash1 + 1, slash2),
      qtype: question!.slice(slash2 + 1),
      type: m.type as string,
      id: data.id as number,
      status: data.status as string,
      dnsFlags: (data.flags as string | null) ?? '',
      edns: opt?.EDNS ?? null,
      answerCount: answers.length,
      answerTypes: [...new Set(answers.map((rr) => rr.split(/\s+/)[3]!))],
    };
  });
}
