/**
 * Events and name sources shared by the signature and benign-class tests.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fillNameFacts } from '../src/domain/name-facts.js';
import { newEvent, type DnsEvent } from '../src/event.js';
import { fixturePath, repoPath } from './helpers.js';

/** An event for a presentation-form name, split as the pipeline does. */
export function event(name: string, qtype = 'A', rcode?: string): DnsEvent {
  const e = newEvent(0, '192.0.2.1', -1, 'IN', qtype, '', '', 'test', 1, 0);
  assert.equal(fillNameFacts(e, name, 0, name.length), '', `${JSON.stringify(name)} should be a valid presentation-form name`);
  if (rcode !== undefined) e.rcode = rcode;
  return e;
}

export interface CapturedQuery {
  file: string;
  qtype: string;
  name: string;
}

/** Every `QTYPE<TAB>NAME` line of the test/fixtures/tools/ files whose name starts with `prefix`. */
export function capturedQueries(prefix: string): CapturedQuery[] {
  const dir = fixturePath('tools');
  const out: CapturedQuery[] = [];
  for (const file of readdirSync(dir).filter((f) => f.startsWith(prefix) && f.endsWith('.tsv')).sort()) {
    for (const line of readFileSync(`${dir}/${file}`, 'latin1').split('\n')) {
      if (line.length === 0) continue;
      const tab = line.indexOf('\t');
      out.push({ file, qtype: line.slice(0, tab), name: line.slice(tab + 1) });
    }
  }
  return out;
}

export const NETRACK = '../shared/data/names/netrack/dns/';

/** Names of a netrack CSV's second column as presentation form (bytes outside 0x21–0x7e and `\` as `\DDD`; empty labels dropped). */
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

const TYPE_NAMES: Record<string, string> = { '1': 'A', '5': 'CNAME', '12': 'PTR', '16': 'TXT', '10': 'NULL', '28': 'AAAA' };

/**
 * Distinct (type, name) pairs of a netrack class. The per-packet CSVs carry the
 * query type (column qd_qtype); iodine has only names.csv, typed `fallbackType`.
 */
export function netrackQueries(cls: string, fallbackType = 'A'): { qtype: string; name: string }[] {
  const dir = repoPath(`${NETRACK}${cls}/`);
  assert.ok(existsSync(dir), `missing ${dir}: the shared data set ${NETRACK} is needed (see ../shared/data/README.md)`);
  const packets = readdirSync(dir).find((f) => /^\d{4}-/.test(f));
  const data = readFileSync(dir + (packets ?? 'names.csv'));
  const seen = new Set<string>();
  const out: { qtype: string; name: string }[] = [];
  let start = 0;
  let header = true;
  while (start < data.length) {
    let nl = data.indexOf(0x0a, start);
    if (nl < 0) nl = data.length;
    let end = nl;
    if (end > start && data[end - 1] === 0x0d) end--;
    const line = data.subarray(start, end);
    start = nl + 1;
    if (header) {
      header = false;
      continue;
    }
    const c1 = line.indexOf(0x2c);
    let nameEnd = line.length;
    let qtype = fallbackType;
    if (packets !== undefined) {
      // label,qname,qdcount,ancount,arcount,nscount,qd_qname_len,qd_qname_shannon,qd_qtype,…
      nameEnd = line.indexOf(0x2c, c1 + 1);
      const fields = line.subarray(nameEnd + 1).toString('latin1').split(',');
      qtype = TYPE_NAMES[fields[6] ?? ''] ?? `TYPE${fields[6]}`;
    }
    const name = presentation(line.subarray(c1 + 1, nameEnd));
    const key = `${qtype} ${name}`;
    if (name.length === 0 || seen.has(key)) continue;
    seen.add(key);
    out.push({ qtype, name });
  }
  return out;
}

/** The Umbrella top-100k names. */
export function umbrellaNames(): string[] {
  const file = repoPath('../shared/data/names/umbrella-top-100k.txt');
  assert.ok(existsSync(file), `missing ${file} (see ../shared/data/README.md)`);
  return readFileSync(file, 'latin1').split('\n').filter((n) => n.length > 0);
}
