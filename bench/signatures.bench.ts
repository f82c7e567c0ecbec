/**
 * `npm run bench:signatures`: events per second of `SignatureMatcher.match` and
 * `classifyBenign` over a mix of real names, each of which runs on every event
 * once integrated. Reported, not asserted.
 *
 * The mix: the Umbrella top 100k (benign, asked as A) and every tunnel query we
 * hold (the iodine 0.7.0 / dns2tcp 0.5.2 captures in test/fixtures/tools/ and the
 * netrack iodine, dns2tcp and dnscapy names, with their query types), built into
 * events once (name scan and domain split are not timed). Each stage runs once
 * to warm up, then BENCH_PASSES times (default 5) over the whole mix; the best
 * pass is reported. A second row times the benign names alone: the common case
 * where no rule applies.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { classifyBenign } from '../src/benign/classify.js';
import { fillNameFacts } from '../src/domain/name-facts.js';
import { newEvent, type DnsEvent } from '../src/event.js';
import { loadSignatureRules } from '../src/signatures/load.js';
import { SignatureMatcher } from '../src/signatures/matcher.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHARED = join(ROOT, '..', 'shared', 'data', 'names');
const PASSES = Number(process.env.BENCH_PASSES ?? 5);

function event(name: string, qtype: string): DnsEvent | null {
  const e = newEvent(0, '192.0.2.1', -1, 'IN', qtype, '', '', 'bench', 1, 0);
  return fillNameFacts(e, name, 0, name.length) === '' ? e : null;
}

function presentation(raw: Buffer): string {
  const labels: string[] = [];
  let label = '';
  for (let i = 0; i <= raw.length; i++) {
    const b = i < raw.length ? raw[i]! : 0x2e;
    if (b === 0x2e) {
      if (label.length > 0) labels.push(label);
      label = '';
    } else label += b >= 0x21 && b <= 0x7e && b !== 0x5c ? String.fromCharCode(b) : `\\${String(b).padStart(3, '0')}`;
  }
  return labels.join('.');
}

/** netrack names: from the per-packet CSV (qname, …, qd_qtype) when there is one, else names.csv typed `fallback`. */
function netrack(cls: string, fallback: string): DnsEvent[] {
  const dir = join(SHARED, 'netrack', 'dns', cls);
  const packets = readdirSync(dir).find((f) => /^\d{4}-/.test(f));
  const types: Record<string, string> = { '1': 'A', '5': 'CNAME', '16': 'TXT', '12': 'PTR' };
  const out: DnsEvent[] = [];
  const lines = readFileSync(join(dir, packets ?? 'names.csv')).toString('latin1').split('\n').slice(1);
  for (const line of lines) {
    const fields = line.replace(/\r$/, '').split(',');
    if (fields.length < 2) continue;
    const qtype = packets === undefined ? fallback : types[fields[8] ?? ''] ?? 'A';
    const e = event(presentation(Buffer.from(fields[1]!, 'latin1')), qtype);
    if (e !== null) out.push(e);
  }
  return out;
}

function captures(): DnsEvent[] {
  const dir = join(ROOT, 'test', 'fixtures', 'tools');
  const out: DnsEvent[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.tsv'))) {
    for (const line of readFileSync(join(dir, f), 'latin1').split('\n')) {
      const tab = line.indexOf('\t');
      if (tab < 0) continue;
      const e = event(line.slice(tab + 1), line.slice(0, tab));
      if (e !== null) out.push(e);
    }
  }
  return out;
}

function time(events: readonly DnsEvent[], fn: (e: DnsEvent) => unknown): { seconds: number; hits: number } {
  let best = Infinity;
  let hits = 0;
  for (let pass = 0; pass <= PASSES; pass++) {
    let h = 0;
    const start = performance.now();
    for (let i = 0; i < events.length; i++) if (fn(events[i]!) !== null) h++;
    const seconds = (performance.now() - start) / 1000;
    if (pass > 0 && seconds < best) best = seconds; // pass 0 warms up
    hits = h;
  }
  return { seconds: best, hits };
}

const benign: DnsEvent[] = [];
for (const name of readFileSync(join(SHARED, 'umbrella-top-100k.txt'), 'latin1').split('\n')) {
  const e = name.length > 0 ? event(name, 'A') : null;
  if (e !== null) benign.push(e);
}
const tunnels = [...captures(), ...netrack('iodine', 'NULL'), ...netrack('dns2tcp', 'TXT'), ...netrack('dnscapy', 'TXT')];
const mix = [...benign, ...tunnels];
// Interleave deterministically so the benchmark does not run the two halves as separate phases.
mix.sort((a, b) => (a.qname.length * 7919 + a.qname.charCodeAt(0)) % 1009 - (b.qname.length * 7919 + b.qname.charCodeAt(0)) % 1009);

const matcher = new SignatureMatcher(loadSignatureRules());
const rows: [string, number, { seconds: number; hits: number }][] = [
  ['SignatureMatcher.match, mix', mix.length, time(mix, (e) => matcher.match(e))],
  ['SignatureMatcher.match, benign only', benign.length, time(benign, (e) => matcher.match(e))],
  ['classifyBenign, mix', mix.length, time(mix, (e) => classifyBenign(e))],
  ['classifyBenign, benign only', benign.length, time(benign, (e) => classifyBenign(e))],
];

process.stdout.write(`mix: ${benign.length} Umbrella names (A) + ${tunnels.length} tunnel queries (captures and netrack); best of ${PASSES} passes after a warm-up\n\n`);
process.stdout.write(`${'stage'.padEnd(36)}  ${'events'.padStart(8)}  ${'seconds'.padStart(8)}  ${'events/s'.padStart(11)}  ${'matched'.padStart(8)}\n`);
process.stdout.write(`${'-'.repeat(36)}  ${'-'.repeat(8)}  ${'-'.repeat(8)}  ${'-'.repeat(11)}  ${'-'.repeat(8)}\n`);
for (const [name, n, r] of rows) {
  process.stdout.write(`${name.padEnd(36)}  ${n.toLocaleString('en-US').padStart(8)}  ${r.seconds.toFixed(3).padStart(8)}  ${Math.round(n / r.seconds).toLocaleString('en-US').padStart(11)}  ${r.hits.toLocaleString('en-US').padStart(8)}\n`);
}
