#!/usr/bin/env node
// extract-dns-queries.mjs - print the question of every DNS query in a pcap file as
// "QTYPE<TAB>NAME", NAME in BIND presentation form (what a query log writes): bytes
// outside 0x21-0x7e as \DDD, and . ; \ " ( ) @ $ inside a label escaped with a backslash.
//
// Usage: node scripts/extract-dns-queries.mjs FILE.pcap [--unique]
//   --unique  print each (type, name) pair once, in first-seen order (retransmissions dropped)
//
// Reads classic libpcap files (either byte order, micro- or nanosecond stamps) with
// link type Ethernet (1) or Linux cooked (113), IPv4 or IPv6, UDP. Only queries (QR = 0)
// are printed; responses, TCP and anything unparsable are skipped and counted on stderr.
// Written for scripts/capture-tool-names.sh; no dependencies.
import { readFileSync } from 'node:fs';

const TYPES = new Map([
  [1, 'A'], [2, 'NS'], [5, 'CNAME'], [6, 'SOA'], [10, 'NULL'], [12, 'PTR'], [15, 'MX'], [16, 'TXT'],
  [25, 'KEY'], [28, 'AAAA'], [33, 'SRV'], [41, 'OPT'], [64, 'SVCB'], [65, 'HTTPS'], [255, 'ANY'],
]);
// Bytes BIND escapes with a backslash inside a label.
const SPECIAL = new Set([0x2e, 0x3b, 0x5c, 0x22, 0x28, 0x29, 0x40, 0x24]);

function presentationLabel(buf, start, end) {
  let s = '';
  for (let i = start; i < end; i++) {
    const b = buf[i];
    if (b <= 0x20 || b >= 0x7f) s += '\\' + String(b).padStart(3, '0');
    else if (SPECIAL.has(b)) s += '\\' + String.fromCharCode(b);
    else s += String.fromCharCode(b);
  }
  return s;
}

/** The first question's name and type, or null. Compression pointers are followed (bounded). */
function question(dns) {
  if (dns.length < 12) return null;
  const flags = dns.readUInt16BE(2);
  if ((flags & 0x8000) !== 0) return null; // a response
  if (dns.readUInt16BE(4) < 1) return null;
  const labels = [];
  let p = 12;
  let end = -1;
  for (let hops = 0; hops < 128; hops++) {
    if (p >= dns.length) return null;
    const len = dns[p];
    if (len === 0) {
      if (end < 0) end = p + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (p + 1 >= dns.length) return null;
      if (end < 0) end = p + 2;
      p = ((len & 0x3f) << 8) | dns[p + 1];
      continue;
    }
    if (len > 63 || p + 1 + len > dns.length) return null;
    labels.push(presentationLabel(dns, p + 1, p + 1 + len));
    p += 1 + len;
  }
  if (end < 0 || end + 4 > dns.length) return null;
  const type = dns.readUInt16BE(end);
  const name = labels.length === 0 ? '.' : labels.join('.');
  return { type: TYPES.get(type) ?? `TYPE${type}`, name };
}

function udpPayload(frame, linkType) {
  let p;
  let etherType;
  if (linkType === 1) {
    if (frame.length < 14) return null;
    etherType = frame.readUInt16BE(12);
    p = 14;
    while (etherType === 0x8100 && p + 4 <= frame.length) {
      etherType = frame.readUInt16BE(p + 2);
      p += 4;
    }
  } else if (linkType === 113) {
    if (frame.length < 16) return null;
    etherType = frame.readUInt16BE(14);
    p = 16;
  } else return null;
  let proto;
  if (etherType === 0x0800) {
    if (p + 20 > frame.length) return null;
    const ihl = (frame[p] & 0x0f) * 4;
    proto = frame[p + 9];
    p += ihl;
  } else if (etherType === 0x86dd) {
    if (p + 40 > frame.length) return null;
    proto = frame[p + 6];
    p += 40;
  } else return null;
  if (proto !== 17 || p + 8 > frame.length) return null;
  return frame.subarray(p + 8);
}

const [file, ...flags] = process.argv.slice(2);
if (file === undefined) {
  process.stderr.write('usage: extract-dns-queries.mjs FILE.pcap [--unique]\n');
  process.exit(2);
}
const unique = flags.includes('--unique');
const data = readFileSync(file);
const magic = data.readUInt32LE(0);
let le;
if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) le = true;
else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) le = false;
else {
  process.stderr.write(`${file}: not a classic pcap file\n`);
  process.exit(1);
}
const u32 = (o) => (le ? data.readUInt32LE(o) : data.readUInt32BE(o));
const linkType = u32(20);
const seen = new Set();
const out = [];
let skipped = 0;
for (let o = 24; o + 16 <= data.length; ) {
  const caplen = u32(o + 8);
  const frame = data.subarray(o + 16, o + 16 + caplen);
  o += 16 + caplen;
  const payload = udpPayload(frame, linkType);
  const q = payload === null ? null : question(payload);
  if (q === null) {
    skipped++;
    continue;
  }
  const line = `${q.type}\t${q.name}`;
  if (unique) {
    if (seen.has(line)) continue;
    seen.add(line);
  }
  out.push(line);
}
process.stdout.write(out.length === 0 ? '' : out.join('\n') + '\n');
process.stderr.write(`${file}: ${out.length} queries printed, ${skipped} frames skipped (responses, other traffic)\n`);
