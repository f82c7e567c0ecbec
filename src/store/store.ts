/**
 * The embedded store: one DuckDB file holding alerts (one row per alert id,
 * with the full ECS document) and per-window per-domain aggregates, for
 * `report` and `query`. Rows go in through a newline-delimited JSON file that
 * DuckDB reads (`read_json` with declared columns): no value is ever put into
 * SQL text, and a batch of thousands of rows is one statement.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { Alert } from '../alerts/alert.js';
import { toEcs } from '../alerts/ecs.js';
import { TunnelwatchError } from '../errors.js';
import type { WindowAggregate } from '../windows/aggregate.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS alerts (
  id VARCHAR PRIMARY KEY,
  ts TIMESTAMPTZ,
  rule VARCHAR,
  registered_domain VARCHAR,
  client_ip VARCHAR,
  window_name VARCHAR,
  window_start TIMESTAMPTZ,
  window_end TIMESTAMPTZ,
  distinct_subdomains BIGINT,
  queries BIGINT,
  doc JSON
);
CREATE TABLE IF NOT EXISTS windows (
  window_name VARCHAR,
  window_start TIMESTAMPTZ,
  window_end TIMESTAMPTZ,
  registered_domain VARCHAR,
  queries BIGINT,
  distinct_subdomains BIGINT,
  distinct_clients BIGINT,
  max_client_distinct_subdomains BIGINT,
  top_client VARCHAR,
  alerted BOOLEAN
);
-- Score rules (added after the first release: stores made before get the columns here).
ALTER TABLE alerts ADD COLUMN IF NOT EXISTS score INTEGER;
ALTER TABLE alerts ADD COLUMN IF NOT EXISTS tool VARCHAR;
-- Which detect run wrote a window row, and its number in that run: a run resumed from a
-- checkpoint deletes its rows from the checkpoint's count on and writes them again.
ALTER TABLE windows ADD COLUMN IF NOT EXISTS run_id VARCHAR;
ALTER TABLE windows ADD COLUMN IF NOT EXISTS seq BIGINT;`;

/** SQL string literal for a path this module chose itself (quotes doubled). */
function literal(path: string): string {
  return `'${path.replaceAll("'", "''")}'`;
}

export class Store {
  private alerts: string[] = [];
  private windows: string[] = [];

  private constructor(
    readonly path: string,
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
  ) {}

  /** Opens (creating) the store file; `readOnly` for report and query. */
  static async open(path: string, readOnly = false): Promise<Store> {
    const file = resolve(path);
    let instance: DuckDBInstance;
    try {
      if (!readOnly) mkdirSync(dirname(file), { recursive: true });
      instance = await DuckDBInstance.create(file, {
        autoinstall_known_extensions: 'false',
        autoload_known_extensions: 'false',
        ...(readOnly ? { access_mode: 'READ_ONLY' } : {}),
      });
    } catch (error) {
      throw new TunnelwatchError(readOnly ? 'TW_INPUT' : 'TW_OUTPUT', `cannot open store ${file}: ${(error as Error).message}`, { cause: error });
    }
    const connection = await instance.connect();
    // Timestamps are stored and shown in UTC, whatever the machine's zone.
    await connection.run("SET TimeZone = 'UTC'");
    if (!readOnly) await connection.run(SCHEMA);
    return new Store(file, instance, connection);
  }

  addAlert(alert: Alert): void {
    this.alerts.push(
      JSON.stringify({
        id: alert.id,
        ts: alert.time,
        rule: alert.rule,
        registered_domain: alert.registeredDomain,
        client_ip: alert.clientIp ?? null,
        window_name: alert.window.name,
        window_start: alert.window.start,
        window_end: alert.window.end,
        distinct_subdomains: alert.distinctSubdomains,
        queries: alert.queries,
        score: alert.score ?? null,
        tool: alert.tool ?? null,
        doc: JSON.stringify(toEcs(alert)),
      }),
    );
  }

  /** `run` and `seq`: the detect run and the row's number in it (see `forgetWindowsFrom`). */
  addWindow(row: WindowAggregate, run: string, seq: number): void {
    this.windows.push(
      JSON.stringify({
        run_id: run,
        seq,
        window_name: row.window,
        window_start: row.windowStart,
        window_end: row.windowEnd,
        registered_domain: row.registeredDomain,
        queries: row.queries,
        distinct_subdomains: row.distinctSubdomains,
        distinct_clients: row.distinctClients,
        max_client_distinct_subdomains: row.maxClientDistinctSubdomains,
        top_client: row.topClient,
        alerted: row.alerted,
      }),
    );
  }

  /**
   * Deletes the window rows `run` wrote from its row number `seq` on: a run resumed from a
   * checkpoint that had counted `seq` rows writes them again (alerts need no such step: their ids
   * are deterministic and a stored id is kept once).
   */
  async forgetWindowsFrom(run: string, seq: number): Promise<number> {
    const result = await this.connection.run('DELETE FROM windows WHERE run_id = $1 AND seq >= $2', [run, seq]);
    return Number(result.rowsChanged);
  }

  /** Writes what was added since the last flush; an alert id already stored is kept once. */
  async flush(): Promise<void> {
    const alerts = this.alerts.splice(0);
    const windows = this.windows.splice(0);
    if (alerts.length > 0) {
      await this.load(
        alerts,
        `INSERT OR IGNORE INTO alerts (id, ts, rule, registered_domain, client_ip, window_name, window_start, window_end,
           distinct_subdomains, queries, doc, score, tool)
         SELECT id, make_timestamp(ts * 1000), rule, registered_domain, client_ip, window_name,
           make_timestamp(window_start * 1000), make_timestamp(window_end * 1000), distinct_subdomains, queries, doc::JSON, score, tool FROM `,
        `{id: 'VARCHAR', ts: 'BIGINT', rule: 'VARCHAR', registered_domain: 'VARCHAR', client_ip: 'VARCHAR', window_name: 'VARCHAR',
          window_start: 'BIGINT', window_end: 'BIGINT', distinct_subdomains: 'BIGINT', queries: 'BIGINT', doc: 'VARCHAR', score: 'INTEGER', tool: 'VARCHAR'}`,
      );
    }
    if (windows.length > 0) {
      await this.load(
        windows,
        `INSERT INTO windows (window_name, window_start, window_end, registered_domain, queries, distinct_subdomains, distinct_clients,
           max_client_distinct_subdomains, top_client, alerted, run_id, seq)
         SELECT window_name, make_timestamp(window_start * 1000), make_timestamp(window_end * 1000), registered_domain,
           queries, distinct_subdomains, distinct_clients, max_client_distinct_subdomains, top_client, alerted, run_id, seq FROM `,
        `{window_name: 'VARCHAR', window_start: 'BIGINT', window_end: 'BIGINT', registered_domain: 'VARCHAR', queries: 'BIGINT',
          distinct_subdomains: 'BIGINT', distinct_clients: 'BIGINT', max_client_distinct_subdomains: 'BIGINT', top_client: 'VARCHAR', alerted: 'BOOLEAN',
          run_id: 'VARCHAR', seq: 'BIGINT'}`,
      );
    }
  }

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      this.connection.closeSync();
      this.instance.closeSync();
    }
  }

  private async load(lines: string[], insert: string, columns: string): Promise<void> {
    const file = join(tmpdir(), `tunnelwatch-store-${process.pid}-${randomBytes(6).toString('hex')}.ndjson`);
    writeFileSync(file, lines.join('\n') + '\n');
    try {
      await this.connection.run(`${insert} read_json(${literal(file)}, format = 'newline_delimited', columns = ${columns})`);
    } catch (error) {
      throw new TunnelwatchError('TW_OUTPUT', `cannot write to store ${this.path}: ${(error as Error).message}`, { cause: error });
    } finally {
      rmSync(file, { force: true });
    }
  }
}
