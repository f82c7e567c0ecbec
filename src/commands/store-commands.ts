/**
 * `tunnelwatch report` and `tunnelwatch query`: read the store a `detect --store` run wrote.
 * Table output escapes control characters (names come from attackers and must not drive the
 * terminal); csv neutralises spreadsheet formulas; json is JSON.
 */
import { csvField } from '../export/csv.js';
import { TunnelwatchError } from '../errors.js';
import { Store } from '../store/store.js';

export type OutputFormat = 'table' | 'json' | 'csv';
type Row = Record<string, unknown>;

/** Printable text of one value, control characters shown as \xNN. */
function cell(value: unknown): string {
  const text = value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  let out = '';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    out += c < 0x20 || (c >= 0x7f && c < 0xa0) ? `\\x${c.toString(16).padStart(2, '0')}` : ch;
  }
  return out;
}

export function render(rows: Row[], format: OutputFormat): string {
  if (format === 'json') return JSON.stringify(rows, null, 2) + '\n';
  const columns = rows.length > 0 ? Object.keys(rows[0]!) : [];
  if (format === 'csv') {
    const line = (values: unknown[]): string => values.map((v) => csvField(v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v))).join(',');
    return [line(columns), ...rows.map((r) => line(columns.map((c) => r[c])))].join('\r\n') + '\r\n';
  }
  if (rows.length === 0) return '(no rows)\n';
  const cells = rows.map((r) => columns.map((c) => cell(r[c])));
  const widths = columns.map((c, i) => Math.min(60, Math.max(c.length, ...cells.map((r) => r[i]!.length))));
  const fit = (s: string, w: number): string => (s.length > w ? s.slice(0, w - 1) + '…' : s.padEnd(w));
  const lines = [columns.map((c, i) => fit(c, widths[i]!)).join('  ').trimEnd(), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const r of cells) lines.push(r.map((v, i) => fit(v, widths[i]!)).join('  ').trimEnd());
  return lines.join('\n') + '\n';
}

async function rowsOf(store: Store, sql: string, params: Array<string | number> = []): Promise<Row[]> {
  try {
    const reader = await store.connection.runAndReadAll(sql, params);
    return reader.getRowObjectsJson() as Row[];
  } catch (error) {
    throw new TunnelwatchError('TW_USAGE', `query failed: ${(error as Error).message}`, { cause: error });
  }
}

export async function runQuery(storePath: string, sql: string, format: OutputFormat): Promise<string> {
  const store = await Store.open(storePath, true);
  try {
    return render(await rowsOf(store, sql), format);
  } finally {
    await store.close();
  }
}

/** Top domains by alerts; with a domain, its access curve (queries and distinct subdomains per window) and its clients. */
export async function runReport(storePath: string, options: { domain?: string; top: number; format: OutputFormat }): Promise<string> {
  const store = await Store.open(storePath, true);
  try {
    if (options.domain === undefined) {
      const domains = await rowsOf(
        store,
        `SELECT registered_domain AS domain, max(score) AS score, coalesce(string_agg(DISTINCT tool, ' '), '') AS tool, count(*) AS alerts,
                max(distinct_subdomains) AS max_distinct,
                strftime(min(ts), '%Y-%m-%d %H:%M:%S') AS first_alert, strftime(max(ts), '%Y-%m-%d %H:%M:%S') AS last_alert,
                string_agg(DISTINCT rule, ' ') AS rules
           FROM alerts GROUP BY registered_domain ORDER BY max(score) DESC NULLS LAST, max(distinct_subdomains) DESC, domain LIMIT $1`,
        [options.top],
      );
      const clients = await rowsOf(
        store,
        `SELECT top_client AS client, count(DISTINCT registered_domain) AS alerted_domains, max(max_client_distinct_subdomains) AS max_distinct
           FROM windows WHERE alerted GROUP BY top_client ORDER BY max_distinct DESC, client LIMIT $1`,
        [options.top],
      );
      if (options.format === 'json') return JSON.stringify({ domains, clients }, null, 2) + '\n';
      if (options.format === 'csv') return render(domains, 'csv');
      return `Top suspicious domains\n${render(domains, 'table')}\nTop clients of alerted domains\n${render(clients, 'table')}`;
    }
    const timeline = await rowsOf(
      store,
      `SELECT strftime(window_start, '%Y-%m-%d %H:%M') AS window_start, window_name AS window, queries, distinct_subdomains,
              distinct_clients, top_client, alerted
         FROM windows WHERE registered_domain = $1 ORDER BY window_name, window_start`,
      [options.domain.toLowerCase()],
    );
    if (options.format !== 'table') return render(timeline, options.format);
    const peak = Math.max(1, ...timeline.map((r) => Number(r.distinct_subdomains)));
    const curve = timeline.map((r) => ({ ...r, curve: '#'.repeat(Math.round((Number(r.distinct_subdomains) / peak) * 30)) }));
    return `Access curve of ${cell(options.domain)} (distinct subdomains per window)\n${render(curve, 'table')}`;
  } finally {
    await store.close();
  }
}
