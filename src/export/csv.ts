/**
 * Indicators as RFC 4180 CSV: a header row, CRLF line ends, every field
 * quoted and inner quotes doubled. Fields are attacker-influenced, so a field
 * that a spreadsheet would read as a formula or DDE call (first character
 * `=`, `+`, `-`, `@`, tab or CR) gets a leading `'` (OWASP "CSV injection").
 * Domains are written as rolled up, not validated: CSV is for analysts, and
 * quoting makes any text safe to parse. Lists (rules, clients, samples) are
 * joined with a single space.
 */
import type { DomainIndicator } from '../indicators/rollup.js';

export const CSV_COLUMNS = [
  'domain',
  'score',
  'first_seen',
  'last_seen',
  'expires',
  'alerts',
  'rules',
  'max_distinct_subdomains',
  'client_count',
  'clients',
  'samples',
  'tool',
  'evidence',
] as const;

const FORMULA_START = new Set(['=', '+', '-', '@', '\t', '\r']);

/** One quoted CSV field, formula-neutralised. */
export function csvField(value: string): string {
  const text = value.length > 0 && FORMULA_START.has(value[0] as string) ? `'${value}` : value;
  return `"${text.replaceAll('"', '""')}"`;
}

function iso(ms: number): string {
  const d = new Date(ms);
  return Number.isFinite(d.getTime()) ? d.toISOString() : '';
}

export function toCsv(indicators: readonly DomainIndicator[]): string {
  const rows: string[][] = [[...CSV_COLUMNS]];
  for (const i of indicators) {
    rows.push([
      i.domain,
      i.score.toFixed(3),
      iso(i.firstSeen),
      iso(i.lastSeen),
      iso(i.expires),
      String(i.alerts),
      i.rules.join(' '),
      String(i.maxDistinctSubdomains),
      String(i.clientCount),
      i.clients.join(' '),
      i.samples.join(' '),
      i.tool ?? '',
      i.evidence,
    ]);
  }
  return rows.map((row) => row.map(csvField).join(',') + '\r\n').join('');
}
