/**
 * The facts tunnelwatch takes from a wire-format DNS message carried in a dnstap frame: the
 * question (name in BIND presentation form, type, class), the header id, BIND query-log flags, and
 * for responses the rcode and the answer records' types.
 *
 * dns-packet decodes the message (header, every section, EDNS): a message it cannot decode is
 * malformed. The question NAME is read again from the wire here, because dns-packet turns labels
 * into UTF-8 text joined by dots, which loses bytes and cannot tell a dot inside a label from a
 * separator, and every byte of a query name is what an attacker chose.
 */
import dnsPacket from 'dns-packet';

export interface DnsFacts {
  id: number;
  /** Presentation form as BIND writes it (`a\.b\200.example`), no trailing dot; `.` for the root. */
  qname: string;
  qtype: string;
  qclass: string;
  /** BIND query-log flags: `+`/`-` (RD), `S` signed, `E(n)` EDNS version, `T` TCP, `D` DO, `C` CD, `K` cookie. */
  flags: string;
  /** With the EDNS extended bits (`BADVERS`, `BADCOOKIE`). */
  rcode: string;
  answerCount: number;
  /** Each type once, in order of first appearance (as the pcap decoder fills DnsEvent.answerTypes). */
  answerTypes: string[];
}

export type DnsProblem = 'bad_dns_message' | 'no_question';

/** Type mnemonics BIND prints that dns-packet's table lacks (it says `UNKNOWN_n` for these). */
const MORE_TYPES: Record<number, string> = {
  3: 'MD',
  4: 'MF',
  7: 'MB',
  8: 'MG',
  9: 'MR',
  11: 'WKS',
  14: 'MINFO',
  19: 'X25',
  20: 'ISDN',
  21: 'RT',
  22: 'NSAP',
  23: 'NSAP-PTR',
  26: 'PX',
  27: 'GPOS',
  30: 'NXT',
  38: 'A6',
  53: 'SMIMEA',
  61: 'OPENPGPKEY',
  62: 'CSYNC',
  63: 'ZONEMD',
  64: 'SVCB',
  65: 'HTTPS',
  108: 'EUI48',
  109: 'EUI64',
  253: 'MAILB',
  254: 'MAILA',
  256: 'URI',
  258: 'AVC',
  259: 'DOA',
  260: 'AMTRELAY',
};

const EXTENDED_RCODES: Record<number, string> = {
  16: 'BADVERS',
  17: 'BADKEY',
  18: 'BADTIME',
  19: 'BADMODE',
  20: 'BADNAME',
  21: 'BADALG',
  22: 'BADTRUNC',
  23: 'BADCOOKIE',
};

const COOKIE_OPTION = 10;
const UNKNOWN_PREFIX = 'UNKNOWN_';

/** dns-packet's type name as BIND writes it (`UNKNOWN_65399` → `TYPE65399`). */
export function typeMnemonic(name: string): string {
  if (!name.startsWith(UNKNOWN_PREFIX)) return name;
  const n = Number(name.slice(UNKNOWN_PREFIX.length));
  return MORE_TYPES[n] ?? `TYPE${n}`;
}

function classMnemonic(name: string): string {
  if (name === 'CS') return 'CLASS2'; // CSNET: BIND has no mnemonic for it
  if (!name.startsWith(UNKNOWN_PREFIX)) return name;
  const n = Number(name.slice(UNKNOWN_PREFIX.length));
  return n === 254 ? 'NONE' : `CLASS${n}`;
}

interface OptRecord {
  type: 'OPT';
  extendedRcode: number;
  ednsVersion: number;
  flag_do: boolean;
  options: Array<{ code: number }>;
}

/** The facts of one DNS message, or why it has none. `tcp`: it came over TCP (BIND's `T` flag). */
export function readDnsMessage(bytes: Uint8Array, tcp: boolean): DnsFacts | DnsProblem {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < HEADER_BYTES) return 'bad_dns_message';
  // A question takes at least 5 bytes and a record 11: larger counts cannot be real, and dns-packet
  // would first allocate an array of each count (up to 4 × 65,535 slots for one hostile message).
  const records = buf.readUInt16BE(6) + buf.readUInt16BE(8) + buf.readUInt16BE(10);
  if (HEADER_BYTES + buf.readUInt16BE(4) * 5 + records * 11 > buf.length) return 'bad_dns_message';
  let packet: dnsPacket.DecodedPacket;
  try {
    packet = dnsPacket.decode(buf);
  } catch {
    return 'bad_dns_message';
  }
  const question = packet.questions?.[0];
  if (question === undefined) return 'no_question';
  const qname = questionName(buf);
  if (qname === null) return 'bad_dns_message';

  let opt: OptRecord | null = null;
  let signed = false;
  for (const rr of packet.additionals ?? []) {
    const type = rr.type as string;
    if (type === 'OPT') opt ??= rr as unknown as OptRecord;
    else if (type === 'TSIG' || type === 'SIG') signed = true;
  }
  let flags = packet.flag_rd ? '+' : '-';
  if (signed) flags += 'S';
  if (opt !== null) flags += `E(${opt.ednsVersion})`;
  if (tcp) flags += 'T';
  if (opt?.flag_do === true) flags += 'D';
  if (packet.flag_cd) flags += 'C';
  if (opt !== null && opt.options.some((o) => o.code === COOKIE_OPTION)) flags += 'K';

  const low = buf.readUInt16BE(2) & 0x0f;
  const code = opt === null ? low : (opt.extendedRcode << 4) | low;
  const rcode = code < 16 ? ((packet as unknown as { rcode: string }).rcode ?? '') : (EXTENDED_RCODES[code] ?? `RCODE${code}`);

  const answers = packet.answers ?? [];
  const answerTypes: string[] = [];
  for (const answer of answers) {
    const type = typeMnemonic(answer.type as string);
    if (!answerTypes.includes(type)) answerTypes.push(type);
  }
  return {
    id: packet.id ?? 0,
    qname,
    qtype: typeMnemonic(question.type as string),
    qclass: classMnemonic((question.class as string | undefined) ?? 'IN'),
    flags,
    rcode: rcode.startsWith('RCODE_') ? `RCODE${rcode.slice(6)}` : rcode,
    answerCount: answers.length,
    answerTypes,
  };
}

const HEADER_BYTES = 12;
const MAX_NAME_WIRE_BYTES = 255;
/** Presentation form of a name: at most 4 characters (`\DDD`) per byte. */
const scratch = Buffer.alloc(4 * MAX_NAME_WIRE_BYTES);

/**
 * The first question's name, from the wire, in BIND presentation form: `. ; \ " ( ) @ $` escaped
 * with a backslash, bytes outside 0x21–0x7e as `\DDD`. Null for a compression pointer (there is
 * nothing before the first question to point to) or a name past 255 bytes. Written byte by byte
 * into a scratch buffer and decoded once (latin1: one character per byte).
 */
export function questionName(buf: Buffer): string | null {
  let i = HEADER_BYTES;
  let n = 0;
  let wire = 1;
  for (;;) {
    if (i >= buf.length) return null;
    const length = buf[i]!;
    i++;
    if (length === 0) break;
    if ((length & 0xc0) !== 0 || i + length > buf.length) return null;
    wire += length + 1;
    if (wire > MAX_NAME_WIRE_BYTES) return null;
    if (n > 0) scratch[n++] = 0x2e;
    for (const end = i + length; i < end; i++) {
      const c = buf[i]!;
      if (c <= 0x20 || c >= 0x7f) {
        scratch[n++] = 0x5c;
        scratch[n++] = 0x30 + Math.floor(c / 100);
        scratch[n++] = 0x30 + (Math.floor(c / 10) % 10);
        scratch[n++] = 0x30 + (c % 10);
      } else {
        if (isSpecial(c)) scratch[n++] = 0x5c;
        scratch[n++] = c;
      }
    }
  }
  return n === 0 ? '.' : scratch.toString('latin1', 0, n);
}

/** The characters BIND escapes with a backslash in presentation form. */
function isSpecial(c: number): boolean {
  return c === 0x2e || c === 0x3b || c === 0x5c || c === 0x22 || c === 0x28 || c === 0x29 || c === 0x40 || c === 0x24;
}
