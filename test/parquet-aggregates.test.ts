import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBConnection, DuckDBInstance, DuckDBTimestampTZValue } from '@duckdb/node-api';
import type { SinkCounters } from '../src/counters.js';
import type { WindowAggregate } from '../src/windows/aggregate.js';
import { ParquetAggregateSink, ParquetWriteError, sqlStringLiteral } from '../src/sinks/parquet-aggregates.js';

const HOSTILE: readonly string[] = [
  "evil'domain.com",
  "'; DROP TABLE tw_window_aggregates_buf; --",
  'dq"uote.example',
  'back\\slash\\.example',
  'new\nline\r\n.example',
  'nul\u0000byte.example',
  '<script>alert(1)</script>.example',
  'caf\u00e9.example',
  '\u{1F600}emoji.\u4e2d\u6587',
  '',
  ' ',
  '\t$1 ? :name %s {}',
  'x'.repeat(300),
];
/** Lone surrogates cannot be encoded as UTF-8: the sink writes U+FFFD instead. */
const SURROGATES: readonly (readonly [string, string])[] = [
  ['lone\uD800high', 'lone\uFFFDhigh'],
  ['lone\uDC00low', 'lone\uFFFDlow'],
  ['end\uD83D', 'end\uFFFD'],
];

const T0 = Date.UTC(2024, 0, 15, 10, 5, 0, 123);

function row(i: number, over: Partial<WindowAggregate> = {}): WindowAggregate {
  return {
    window: '10m/5m',
    windowStart: T0 + i * 300_000,
    windowEnd: T0 + i * 300_000 + 600_000,
    registeredDomain: `d${i}.example.com`,
    queries: 1000 + i,
    distinctSubdomains: 500 + i,
    distinctClients: 3 + i,
    maxClientDistinctSubdomains: 400 + i,
    topClient: `10.0.0.${i % 256}`,
    alerted: i % 2 === 0,
    ...over,
  };
}

interface ReadRow {
  window: string;
  window_start: bigint;
  window_end: bigint;
  registered_domain: string;
  queries: bigint;
  distinct_subdomains: bigint;
  distinct_clients: bigint;
  max_client_distinct_subdomains: bigint;
  top_client: string;
  alerted: boolean;
}

let db: DuckDBInstance;
let con: DuckDBConnection;
const tmpDirs: string[] = [];

before(async () => {
  db = await DuckDBInstance.create(':memory:');
  con = await db.connect();
});
after(async () => {
  con.closeSync();
  db.closeSync();
  await Promise.all(tmpDirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function tmp(name = 'tw-parquet-'): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), name));
  tmpDirs.push(d);
  return d;
}

/** Reads a file back through read_parquet, the path bound as a parameter. */
async function readBack(path: string): Promise<ReadRow[]> {
  const reader = await con.runAndReadAll('SELECT * FROM read_parquet($1)', [path]);
  return reader.getRowObjects().map((o) => {
    const ts = (v: unknown): bigint => {
      assert.ok(v instanceof DuckDBTimestampTZValue, 'timestamps read back as TIMESTAMPTZ');
      return v.micros;
    };
    return {
      window: o['window'] as string,
      window_start: ts(o['window_start']),
      window_end: ts(o['window_end']),
      registered_domain: o['registered_domain'] as string,
      queries: o['queries'] as bigint,
      distinct_subdomains: o['distinct_subdomains'] as bigint,
      distinct_clients: o['distinct_clients'] as bigint,
      max_client_distinct_subdomains: o['max_client_distinct_subdomains'] as bigint,
      top_client: o['top_client'] as string,
      alerted: o['alerted'] as boolean,
    };
  });
}

function expected(r: WindowAggregate, fix: (s: string) => string = (s) => s): ReadRow {
  return {
    window: fix(r.window),
    window_start: BigInt(r.windowStart) * 1000n,
    window_end: BigInt(r.windowEnd) * 1000n,
    registered_domain: fix(r.registeredDomain),
    queries: BigInt(r.queries),
    distinct_subdomains: BigInt(r.distinctSubdomains),
    distinct_clients: BigInt(r.distinctClients),
    max_client_distinct_subdomains: BigInt(r.maxClientDistinctSubdomains),
    top_client: fix(r.topClient),
    alerted: r.alerted,
  };
}

function assertInvariant(c: SinkCounters): void {
  assert.equal(c.received, c.written + c.failed + c.dropped, `counter invariant: ${JSON.stringify(c)}`);
}

/** Every entry in dir, hidden ones included (to catch leftover temp files). */
async function entries(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

describe('ParquetAggregateSink', () => {
  it('round-trips every field exactly, hostile strings included, with the expected schema', async () => {
    const dir = await tmp();
    const sink = await ParquetAggregateSink.open({ dir });
    const rows: WindowAggregate[] = [];
    HOSTILE.forEach((s, i) => rows.push(row(i, { registeredDomain: s, topClient: s, window: s })));
    rows.push(
      row(100, {
        queries: Number.MAX_SAFE_INTEGER,
        distinctSubdomains: 0,
        distinctClients: 0,
        maxClientDistinctSubdomains: 2 ** 40,
        windowStart: 0,
        windowEnd: 1,
        alerted: true,
      }),
    );
    rows.push(row(101, { windowStart: -86_400_000, windowEnd: -1, alerted: false }));
    sink.add(rows);
    const surrogateRows = SURROGATES.map(([s], i) => row(200 + i, { registeredDomain: s, topClient: `c${s}`, window: s }));
    sink.add(surrogateRows);
    assert.equal(sink.buffered, rows.length + SURROGATES.length);

    const path = await sink.flush();
    assert.ok(path !== null);
    assert.equal(sink.buffered, 0);
    assert.match(path, /\/windows-19691231T000000\.000Z-000000\.parquet$/, 'named after the earliest window start');

    const got = await readBack(path);
    const want = [
      ...rows.map((r) => expected(r)),
      ...SURROGATES.map(([s, w], i) =>
        expected(row(200 + i, { registeredDomain: w, topClient: `c${w}`, window: w })),
      ),
    ];
    assert.deepEqual(got, want);
    // The NUL byte really survived as one character, not truncation.
    const nul = got.find((g) => g.registered_domain.includes('\u0000'));
    assert.equal(nul?.registered_domain, 'nul\u0000byte.example');

    const schema = await con.runAndReadAll('DESCRIBE SELECT * FROM read_parquet($1)', [path]);
    assert.deepEqual(
      schema.getRowObjectsJS().map((o) => [o['column_name'], o['column_type']]),
      [
        ['window', 'VARCHAR'],
        ['window_start', 'TIMESTAMP WITH TIME ZONE'],
        ['window_end', 'TIMESTAMP WITH TIME ZONE'],
        ['registered_domain', 'VARCHAR'],
        ['queries', 'BIGINT'],
        ['distinct_subdomains', 'BIGINT'],
        ['distinct_clients', 'BIGINT'],
        ['max_client_distinct_subdomains', 'BIGINT'],
        ['top_client', 'VARCHAR'],
        ['alerted', 'BOOLEAN'],
        ['run_id', 'VARCHAR'],
        ['seq', 'BIGINT'],
      ],
    );
    const meta = await con.runAndReadAll('SELECT DISTINCT compression FROM parquet_metadata($1)', [path]);
    assert.deepEqual(meta.getRowObjectsJS(), [{ compression: 'ZSTD' }]);

    assert.deepEqual(sink.counters, {
      received: rows.length + SURROGATES.length,
      written: rows.length + SURROGATES.length,
      failed: 0,
      dropped: 0,
    });
    await sink.close();
    assert.deepEqual(await entries(dir), [path.slice(dir.length + 1)], 'no temp files left behind');
  });

  it('writes a new file per flush, and flush with nothing buffered returns null and writes nothing', async () => {
    const dir = await tmp();
    const sink = await ParquetAggregateSink.open({ dir, filePrefix: 'agg' });
    assert.equal(await sink.flush(), null);
    assert.deepEqual(await entries(dir), []);

    sink.add([row(0), row(1)]);
    const p1 = await sink.flush();
    assert.equal(await sink.flush(), null);
    sink.add([row(2)]);
    const p2 = await sink.flush();
    assert.ok(p1 !== null && p2 !== null);
    assert.notEqual(p1, p2);
    assert.deepEqual(await entries(dir), [p1, p2].map((p) => p.slice(dir.length + 1)).sort());
    for (const name of await entries(dir)) assert.match(name, /^agg-\d{8}T\d{6}\.\d{3}Z-\d{6}\.parquet$/);
    assert.deepEqual(await readBack(p1), [expected(row(0)), expected(row(1))]);
    assert.deepEqual(await readBack(p2), [expected(row(2))]);
    assert.deepEqual(sink.counters, { received: 3, written: 3, failed: 0, dropped: 0 });
    await sink.close();
  });

  it('caps files at maxRowsPerFile; flushAll drains the rest', async () => {
    const dir = await tmp();
    const sink = await ParquetAggregateSink.open({ dir, maxRowsPerFile: 2 });
    const rows = [0, 1, 2, 3, 4].map((i) => row(i));
    sink.add(rows);
    assert.equal(sink.full, true);
    const p1 = await sink.flush();
    assert.ok(p1 !== null);
    assert.equal(sink.buffered, 3);
    assert.deepEqual(await readBack(p1), rows.slice(0, 2).map((r) => expected(r)));
    const rest = await sink.flushAll();
    assert.equal(rest.length, 2);
    assert.deepEqual(await readBack(rest[0]!), rows.slice(2, 4).map((r) => expected(r)));
    assert.deepEqual(await readBack(rest[1]!), rows.slice(4).map((r) => expected(r)));
    assert.deepEqual(sink.counters, { received: 5, written: 5, failed: 0, dropped: 0 });
    await sink.close();
  });

  it('writes into a directory whose path contains quotes and backslashes', async () => {
    const parent = await tmp("tw-parquet-it's-");
    const dir = join(parent, `o'brien "x" \\ ''quoted'' dir`, 'nested');
    const sink = await ParquetAggregateSink.open({ dir });
    sink.add([row(7, { registeredDomain: "a'b.example" })]);
    const p = await sink.flush();
    assert.ok(p !== null && p.startsWith(dir));
    assert.deepEqual(await readBack(p), [expected(row(7, { registeredDomain: "a'b.example" }))]);
    await sink.close();
  });

  it('close flushes, is idempotent, and later adds are counted dropped', async () => {
    const dir = await tmp();
    const sink = await ParquetAggregateSink.open({ dir });
    sink.add([row(0), row(1), row(2)]);
    await Promise.all([sink.close(), sink.close()]);
    await sink.close();
    const files = await entries(dir);
    assert.equal(files.length, 1);
    assert.deepEqual(await readBack(join(dir, files[0]!)), [0, 1, 2].map((i) => expected(row(i))));
    sink.add([row(3)]);
    assert.equal(await sink.flush(), null);
    assert.deepEqual(sink.counters, { received: 4, written: 3, failed: 0, dropped: 1 });
    assert.deepEqual(sink.dropReasons, { closed: 1 });
    assertInvariant(sink.counters);
  });

  it('drops rows that cannot be represented, counting them by reason', async () => {
    const dir = await tmp();
    const sink = await ParquetAggregateSink.open({ dir });
    const bad = [
      row(0, { queries: -1 }),
      row(0, { distinctClients: 1.5 }),
      row(0, { maxClientDistinctSubdomains: Number.NaN }),
      row(0, { windowStart: Number.POSITIVE_INFINITY }),
      row(0, { windowEnd: 9e15 }),
      row(0, { topClient: null as unknown as string }),
      row(0, { alerted: 'yes' as unknown as boolean }),
    ];
    sink.add([row(1), ...bad, row(2)]);
    assert.equal(sink.buffered, 2);
    assert.deepEqual(sink.dropReasons, {
      invalid_count: 3,
      invalid_timestamp: 2,
      invalid_string: 1,
      invalid_boolean: 1,
    });
    const p = await sink.flush();
    assert.ok(p !== null);
    assert.deepEqual(await readBack(p), [expected(row(1)), expected(row(2))]);
    assert.deepEqual(sink.counters, { received: 9, written: 2, failed: 0, dropped: 7 });
    await sink.close();
  });

  it('tags rows with the run and numbers every row received, dropped ones included, from firstSeq on', async () => {
    const dir = await tmp();
    const sink = await ParquetAggregateSink.open({ dir, run: 'run-7', firstSeq: 40 });
    assert.equal(sink.run, 'run-7');
    sink.add([row(1), row(0, { queries: -1 }), row(2)]);
    sink.add([row(3)]);
    const p = await sink.flush();
    assert.ok(p !== null);
    const tags = await con.runAndReadAll('SELECT run_id, seq FROM read_parquet($1) ORDER BY seq', [p]);
    assert.deepEqual(tags.getRowObjectsJS(), [
      { run_id: 'run-7', seq: 40n },
      { run_id: 'run-7', seq: 42n },
      { run_id: 'run-7', seq: 43n },
    ]);
    await sink.close();
    const fresh = await ParquetAggregateSink.open({ dir: await tmp() });
    assert.match(fresh.run, /^[0-9a-f]{16}$/, 'a random run id by default');
    await fresh.close();
  });

  it('a failed write counts the rows failed, throws TW_PARQUET_WRITE, and the sink keeps working', async () => {
    const parent = await tmp();
    const dir = join(parent, 'out');
    const sink = await ParquetAggregateSink.open({ dir });
    sink.add([row(0), row(1)]);
    await rm(dir, { recursive: true });
    await assert.rejects(sink.flush(), (e: unknown) => {
      assert.ok(e instanceof ParquetWriteError);
      assert.equal(e.code, 'TW_PARQUET_WRITE');
      assert.equal(e.rows, 2);
      assert.ok(e.cause instanceof Error);
      return true;
    });
    assert.equal(sink.buffered, 0);
    assert.deepEqual(sink.counters, { received: 2, written: 0, failed: 2, dropped: 0 });

    await mkdir(dir);
    sink.add([row(2)]);
    const p = await sink.flush();
    assert.ok(p !== null);
    assert.deepEqual(await readBack(p), [expected(row(2))]);
    assert.deepEqual(sink.counters, { received: 3, written: 1, failed: 2, dropped: 0 });
    assertInvariant(sink.counters);
    await sink.close();
  });

  it('never overwrites an existing file with the same name', async () => {
    const dir = await tmp();
    const taken = join(dir, 'windows-20240115T100500.123Z-000000.parquet');
    await writeFile(taken, 'not mine');
    const sink = await ParquetAggregateSink.open({ dir });
    sink.add([row(0)]);
    const p = await sink.flush();
    assert.equal(p, join(dir, 'windows-20240115T100500.123Z-000001.parquet'));
    assert.equal(await readFile(taken, 'utf8'), 'not mine');
    assert.deepEqual(await readBack(p), [expected(row(0))]);
    await sink.close();
  });

  it('serializes concurrent flushes and accepts adds while a flush runs', async () => {
    const dir = await tmp();
    const sink = await ParquetAggregateSink.open({ dir, maxRowsPerFile: 3 });
    const rows = Array.from({ length: 10 }, (_, i) => row(i));
    sink.add(rows.slice(0, 5));
    const f1 = sink.flush();
    sink.add(rows.slice(5));
    const f2 = sink.flush();
    const f3 = sink.flush();
    const f4 = sink.flush();
    const f5 = sink.flush();
    const paths = await Promise.all([f1, f2, f3, f4, f5]);
    assert.equal(paths[4], null);
    const written = paths.filter((p): p is string => p !== null);
    assert.equal(written.length, 4);
    const back: ReadRow[] = [];
    for (const p of written) back.push(...(await readBack(p)));
    assert.deepEqual(back, rows.map((r) => expected(r)));
    assert.deepEqual(sink.counters, { received: 10, written: 10, failed: 0, dropped: 0 });
    await sink.close();
  });

  it('rejects bad options', async () => {
    const dir = await tmp();
    await assert.rejects(ParquetAggregateSink.open({ dir, filePrefix: '../escape' }), RangeError);
    await assert.rejects(ParquetAggregateSink.open({ dir, filePrefix: '.hidden' }), RangeError);
    await assert.rejects(ParquetAggregateSink.open({ dir, maxRowsPerFile: 0 }), RangeError);
    await assert.rejects(ParquetAggregateSink.open({ dir: '' }), RangeError);
    await assert.rejects(ParquetAggregateSink.open({ dir, firstSeq: -1 }), RangeError);
  });

  it('sqlStringLiteral doubles single quotes', () => {
    assert.equal(sqlStringLiteral("/tmp/o'brien/''x"), "'/tmp/o''brien/''''x'");
    assert.throws(() => sqlStringLiteral('a\u0000b'));
  });
});
