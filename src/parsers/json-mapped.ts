/**
 * DNS query logs as JSON lines with a field mapping: presets for AWS Route 53
 * Resolver query logs and Google Cloud DNS logs (as exported from Cloud
 * Logging), or any mapping of dotted paths (`json` format, `input.jsonFields`).
 *
 *   route53   {"query_timestamp":"…Z","query_name":"www.example.com.","query_type":"A","query_class":"IN",
 *              "rcode":"NOERROR","answers":[…],"srcaddr":"10.0.0.5","srcport":"41234",…}
 *   clouddns  {"timestamp":"…Z","jsonPayload":{"queryName":"www.example.com.","queryType":"A",
 *              "responseCode":"NOERROR","sourceIP":"10.128.0.2","protocol":"UDP",…},…}
 *
 * `locate` parses the record (JSON has no cheap fixed shape to scan) and keeps it for the `parse`
 * that follows; the partition key is the name's text as it stands in the line.
 */
import { newEvent, type DnsEvent } from '../event.js';
import { fillNameFacts } from '../domain/name-facts.js';
import { type LineParser, MAX_LINE_CHARS, nameRejection, Rejection } from './parser.js';
import { isAddress, isMnemonicText, isPort16 } from './tokens.js';
import { zeekNameToPresentation } from './zeek.js';

export interface JsonFieldMap {
  time: string;
  client: string;
  name: string;
  type: string;
  clientPort?: string;
  class?: string;
  rcode?: string;
  server?: string;
  answers?: string;
}

export const JSON_PRESETS = {
  route53: { time: 'query_timestamp', client: 'srcaddr', clientPort: 'srcport', name: 'query_name', type: 'query_type', class: 'query_class', rcode: 'rcode', answers: 'answers' },
  clouddns: { time: 'timestamp', client: 'jsonPayload.sourceIP', name: 'jsonPayload.queryName', type: 'jsonPayload.queryType', rcode: 'jsonPayload.responseCode' },
} as const satisfies Record<string, JsonFieldMap>;

const R = {
  empty: Rejection.of('empty', true),
  tooLong: Rejection.of('too_long'),
  badJson: Rejection.of('bad_json'),
  noQuery: Rejection.of('no_query', true),
  badTimestamp: Rejection.of('bad_timestamp'),
  badClient: Rejection.of('bad_client'),
  badType: Rejection.of('bad_type'),
  badName: Rejection.of('bad_query'),
} as const;

type Path = readonly string[];

function at(record: unknown, path: Path): unknown {
  let v = record;
  for (const key of path) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** ISO 8601 text, or epoch seconds / milliseconds as a number. */
function epochMs(v: unknown): number {
  if (typeof v === 'string') return v.length <= 40 ? Date.parse(v) : NaN;
  if (typeof v === 'number' && Number.isFinite(v)) return v > 1e12 ? Math.floor(v) : Math.floor(v * 1000);
  return NaN;
}

export class JsonMappedParser implements LineParser {
  readonly format: string;
  lastTime = NaN;
  nameStart = 0;
  nameEnd = 0;
  private readonly paths: { [K in keyof JsonFieldMap]-?: Path | null };
  private located: string | null = null;
  private record: unknown = null;
  private name = '';

  constructor(format: string, fields: JsonFieldMap) {
    this.format = format;
    const p = (path: string | undefined): Path | null => (path === undefined || path === '' ? null : path.split('.'));
    this.paths = {
      time: p(fields.time)!,
      client: p(fields.client)!,
      name: p(fields.name)!,
      type: p(fields.type)!,
      clientPort: p(fields.clientPort),
      class: p(fields.class),
      rcode: p(fields.rcode),
      server: p(fields.server),
      answers: p(fields.answers),
    };
  }

  locate(line: string): Rejection | null {
    this.lastTime = NaN;
    this.located = null;
    const trimmed = line.trim();
    if (trimmed.length === 0) return R.empty;
    if (line.length > MAX_LINE_CHARS) return R.tooLong;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      return R.badJson;
    }
    const time = epochMs(at(record, this.paths.time!));
    if (Number.isNaN(time)) return R.badTimestamp;
    this.lastTime = time;
    const name = at(record, this.paths.name!);
    if (name === undefined || name === null || name === '') return R.noQuery;
    if (typeof name !== 'string' || name.length > 1024) return R.badName;
    // The name's text in the line: JSON writers put plain ASCII names in as they are.
    const quoted = JSON.stringify(name);
    const found = line.indexOf(quoted);
    if (found < 0) return R.badName;
    this.nameStart = found + 1;
    this.nameEnd = found + quoted.length - 1;
    this.record = record;
    this.name = name;
    this.located = line;
    return null;
  }

  parse(line: string, source: string, lineNo: number, offset: number): DnsEvent | Rejection {
    if (line !== this.located) {
      const rejected = this.locate(line);
      if (rejected !== null) return rejected;
    }
    this.located = null;
    const record = this.record;
    const client = at(record, this.paths.client!);
    if (typeof client !== 'string' || !isAddress(client, 0, client.length)) return R.badClient;
    const type = at(record, this.paths.type!);
    if (typeof type !== 'string' || !isMnemonicText(type)) return R.badType;
    const portValue = this.paths.clientPort === null ? undefined : at(record, this.paths.clientPort);
    const port = typeof portValue === 'string' && /^\d{1,5}$/.test(portValue) ? Number(portValue) : typeof portValue === 'number' ? portValue : -1;
    const qclass = this.paths.class === null ? 'IN' : at(record, this.paths.class);
    const rcode = this.paths.rcode === null ? undefined : at(record, this.paths.rcode);
    const server = this.paths.server === null ? '' : at(record, this.paths.server);
    const answers = this.paths.answers === null ? undefined : at(record, this.paths.answers);
    const name = zeekNameToPresentation(this.name, 0, this.name.length);
    const clientPort = isPort16(port) ? port : -1;
    const className = typeof qclass === 'string' && isMnemonicText(qclass) ? qclass : 'IN';
    const serverIp = typeof server === 'string' && isAddress(server, 0, server.length) ? server : '';
    const event = newEvent(this.lastTime, client, clientPort, className, type, '', serverIp, source, lineNo, offset);
    const badName = nameRejection(fillNameFacts(event, name, 0, name.length));
    if (badName !== null) return badName;
    if (typeof rcode === 'string' && rcode.length <= 16) event.rcode = rcode.toUpperCase();
    if (Array.isArray(answers)) event.answerCount = answers.length;
    return event;
  }
}

/** Which preset a sample of JSON lines matches, if any. */
export function sniffJsonPreset(sample: string): 'route53' | 'clouddns' | null {
  const first = sample.slice(0, sample.indexOf('\n') < 0 ? sample.length : sample.indexOf('\n'));
  if (!first.trimStart().startsWith('{')) return null;
  if (first.includes('"query_name"') && first.includes('"srcaddr"')) return 'route53';
  if (first.includes('"queryName"') && first.includes('"sourceIP"')) return 'clouddns';
  return null;
}
