#!/usr/bin/env node
// send-tunnel-like-queries.mjs SERVER PORT ZONE COUNT - what a DNS tunnel's client sends: COUNT TXT
// queries for distinct base32 labels (random bytes from a seeded generator, so every run sends the
// same names) under ZONE, one after another over UDP, each waiting up to a second for its answer.
// Encoded with dns-packet; run by scripts/capture-pcap-fixtures.sh against a real named while
// tcpdump captures the traffic.
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';

const [server, port, zone, count] = process.argv.slice(2);
if (server === undefined || port === undefined || zone === undefined || count === undefined) {
  process.stderr.write('usage: send-tunnel-like-queries.mjs SERVER PORT ZONE COUNT\n');
  process.exit(2);
}

let seed = 0x7e57;
function nextByte() {
  // mulberry32, one byte at a time
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) & 0xff;
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
function base32(bytes) {
  let bits = 0;
  let value = 0;
  let text = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      text += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) text += ALPHABET[(value << (5 - bits)) & 31];
  return text;
}

const socket = dgram.createSocket(server.includes(':') ? 'udp6' : 'udp4');
let answered = 0;
for (let i = 0; i < Number(count); i++) {
  const chunk = Array.from({ length: 30 }, nextByte);
  const name = `${base32(chunk)}.${i.toString(36)}.${zone}`;
  const id = (i * 7919 + 1) & 0xffff;
  const query = dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'TXT', name }] });
  const reply = new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.off('message', onMessage);
      resolve(false);
    }, 1000);
    function onMessage(data) {
      if (data.length < 2 || data.readUInt16BE(0) !== id) return;
      clearTimeout(timer);
      socket.off('message', onMessage);
      resolve(true);
    }
    socket.on('message', onMessage);
  });
  socket.send(query, Number(port), server);
  if (await reply) answered++;
}
socket.close();
process.stdout.write(`${answered}/${count} answered\n`);
