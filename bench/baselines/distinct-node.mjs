// Baseline for `npm run bench`: the distinct-subdomain count of `tunnelwatch detect`
// in plain Node (no tunnelwatch code, no dependencies).
//
//   node bench/baselines/distinct-node.mjs FILE [THRESHOLD]
//
// Same job as distinct.awk: per BIND query-log line, `line.split(' ')`; time in
// minutes since the epoch from the date/time fields (no Date.parse: Date.UTC once
// per distinct date string); registered domain = the LAST TWO LABELS of the
// lower-cased name (cruder than the public suffix list tunnelwatch uses);
// 10-minute windows every 5 minutes, epoch-aligned;
// Map<windowStart, Map<domain, Set<subdomain>>>, a window freed once it starts
// more than 15 minutes before the newest time seen. Prints
// "DOMAIN<TAB>WINDOW_START_MINUTE<TAB>LINE_NUMBER" the first time a domain reaches
// the threshold, once per domain. Read in 1 MiB chunks decoded as latin1.
import { closeSync, openSync, readSync } from 'node:fs';

const file = process.argv[2];
const threshold = Number(process.argv[3] ?? 180);
if (file === undefined || !(threshold > 0)) {
  process.stderr.write('usage: node distinct-node.mjs FILE [THRESHOLD]\n');
  process.exit(2);
}

const MONTHS = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };
const SLIDE = 5;
const LENGTH = 10;
const KEEP = 15;

/** window start minute → domain → distinct subdomains */
const windows = new Map();
const alerted = new Set();
let out = '';
let lastDate = '';
let dayMinute = NaN;
let maxMinute = -Infinity;
let freedBelow = -Infinity;
let lineNo = 0;

function handle(line) {
  lineNo++;
  const f = line.split(' ');
  let q = f[8] === 'query:' ? 8 : f.indexOf('query:', 2);
  if (q < 0 || q + 1 >= f.length) return;

  const date = f[0];
  if (date !== lastDate) {
    const mon = MONTHS[date.slice(3, 6)];
    dayMinute = mon === undefined ? NaN : Date.UTC(Number(date.slice(7, 11)), mon, Number(date.slice(0, 2))) / 60000;
    lastDate = date;
  }
  const t = f[1];
  const minute = dayMinute + (t.charCodeAt(0) - 48) * 600 + (t.charCodeAt(1) - 48) * 60 + (t.charCodeAt(3) - 48) * 10 + (t.charCodeAt(4) - 48);
  if (!(minute >= 0)) return;

  const name = f[q + 1].toLowerCase();
  const last = name.lastIndexOf('.');
  if (last <= 0) return;
  const prev = name.lastIndexOf('.', last - 1);
  if (prev < 0) return; // the apex itself: no subdomain
  const domain = name.slice(prev + 1);
  const sub = name.slice(0, prev);

  if (minute > maxMinute) {
    maxMinute = minute;
    const limit = maxMinute - KEEP;
    if (limit > freedBelow) {
      for (const start of windows.keys()) if (start < limit) windows.delete(start);
      freedBelow = limit;
    }
  }
  const latest = Math.floor(minute / SLIDE) * SLIDE;
  let first = latest;
  while (first - SLIDE > minute - LENGTH) first -= SLIDE;
  for (let start = first; start <= latest; start += SLIDE) {
    if (start < freedBelow) continue;
    let domains = windows.get(start);
    if (domains === undefined) windows.set(start, (domains = new Map()));
    let subs = domains.get(domain);
    if (subs === undefined) domains.set(domain, (subs = new Set()));
    const before = subs.size;
    subs.add(sub);
    if (subs.size === threshold && before < threshold && !alerted.has(domain)) {
      alerted.add(domain);
      out += `${domain}\t${start}\t${lineNo}\n`;
    }
  }
}

const fd = openSync(file, 'r');
const buf = Buffer.allocUnsafe(1 << 20);
let carry = '';
for (;;) {
  const n = readSync(fd, buf, 0, buf.length, null);
  if (n === 0) break;
  const lines = (carry + buf.toString('latin1', 0, n)).split('\n');
  carry = lines.pop();
  for (const line of lines) handle(line);
}
closeSync(fd);
if (carry.length > 0) handle(carry);
process.stdout.write(out);
