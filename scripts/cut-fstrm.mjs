#!/usr/bin/env node
// cut-fstrm.mjs - the first COUNT messages of a Frame Streams file (a dnstap file), as a file of
// its own: the writer's START control frame and the first COUNT data frames copied byte for
// byte, then a STOP control frame, which is how the writer ends a file. What every kept
// message says is what the writer wrote; only the messages after them are gone.
//
//   file = START(content type) data* STOP
//   data frame      4-byte big-endian length (non-zero), the payload
//   control frame   4 zero bytes (the escape), 4-byte big-endian length, 4-byte big-endian type
//                   (START 2, STOP 3), then fields
//
// Usage: node scripts/cut-fstrm.mjs IN OUT COUNT
// Fails (exit 1) on anything but a file written this way, or with fewer than COUNT messages.
// Written for scripts/make-lab-fixtures.sh; check its output with `dnstap-read OUT`.
import { readFileSync, writeFileSync } from 'node:fs';

const CONTROL_START = 2;
const CONTROL_STOP = 3;

function fail(message) {
  process.stderr.write(`cut-fstrm: ${message}\n`);
  process.exit(1);
}

const [inPath, outPath, countArg] = process.argv.slice(2);
const count = Number(countArg);
if (inPath === undefined || outPath === undefined || !Number.isInteger(count) || count < 1) fail('usage: cut-fstrm.mjs IN OUT COUNT');

const data = readFileSync(inPath);
if (data.length < 12 || data.readUInt32BE(0) !== 0 || data.readUInt32BE(8) !== CONTROL_START) fail(`${inPath} does not start with a Frame Streams START frame`);
let at = 8 + data.readUInt32BE(4);
let kept = 0;
while (kept < count) {
  if (at + 4 > data.length) fail(`${inPath} holds ${kept} messages, fewer than ${count}`);
  const length = data.readUInt32BE(at);
  if (length === 0) fail(`${inPath} has a control frame after ${kept} messages, before ${count}`);
  if (at + 4 + length > data.length) fail(`${inPath} ends inside message ${kept + 1}`);
  at += 4 + length;
  kept++;
}
const stop = Buffer.alloc(12);
stop.writeUInt32BE(0, 0);
stop.writeUInt32BE(4, 4);
stop.writeUInt32BE(CONTROL_STOP, 8);
writeFileSync(outPath, Buffer.concat([data.subarray(0, at), stop]));
