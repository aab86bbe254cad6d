import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratedDatabase, TestDatabase } from '../../../../test/support/services';

/**
 * history_pending is a queue: a vacuum that found its tail empty truncated it, under an ACCESS EXCLUSIVE lock
 * that every poll's write (its history mark) waited behind. HistoryPendingNoTruncate1764074400000. And its
 * analyze measured every element of the marks' arrays, which no plan uses: HistoryPendingNoArrayStatistics1764074600000.
 */
describe('vacuuming history_pending', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    ({ db, dataSource } = await migratedDatabase(1));
  });

  afterAll(async () => {
    await dataSource.destroy();
    await db.drop();
  });

  const pages = async (table: string) =>
    Number(
      (await dataSource.query<Array<{ n: string }>>(`SELECT pg_relation_size($1::regclass) / 8192 AS n`, [table]))[0]!
        .n,
    );

  /** Fills `table` with marks, drains it whole, vacuums it: answers its pages before and after the vacuum. */
  const drainedAndVacuumed = async (table: string) => {
    await dataSource.query(
      `INSERT INTO ${table} (exchanger_id, froms, tos) SELECT 1, ARRAY['BTC', 'ETH', 'XMR'], ARRAY['USDTTRC20', 'BTC', 'ETH'] FROM generate_series(1, 20000)`,
    );
    await dataSource.query(`DELETE FROM ${table}`);
    const before = await pages(table);
    await dataSource.query(`VACUUM ${table}`);
    return { before, after: await pages(table) };
  };

  it('leaves the emptied pages instead of truncating the table under an exclusive lock', async () => {
    const { before, after } = await drainedAndVacuumed('history_pending');
    expect(before).toBeGreaterThan(10);
    expect(after).toBe(before);
  });

  it('analyzes the queue without reading the marks’ arrays, which no plan uses (a twin without the setting does)', async () => {
    await dataSource.query(`CREATE TABLE stats_twin (LIKE history_pending INCLUDING DEFAULTS INCLUDING IDENTITY)`);
    const statistics = async (table: string) => {
      await dataSource.query(
        `INSERT INTO ${table} (exchanger_id, froms, tos, feed_id, shown_pairs, shown_cities, shown_rates)
         SELECT g % 7, ARRAY['BTC', 'ETH'], ARRAY['XMR', 'LTC'], g % 7, ARRAY[1, 2], ARRAY['', 'MSK'], ARRAY[1.5, 2.5] FROM generate_series(1, 500) g`,
      );
      await dataSource.query(`ANALYZE ${table}`);
      const rows = await dataSource.query<Array<{ attname: string }>>(
        `SELECT attname FROM pg_stats WHERE schemaname = current_schema() AND tablename = $1 ORDER BY attname`,
        [table],
      );
      return rows.map((r) => r.attname);
    };
    expect(await statistics('history_pending')).toEqual(['at', 'exchanger_id', 'feed_id', 'id']);
    expect(await statistics('stats_twin')).toEqual(expect.arrayContaining(['froms', 'shown_rates', 'tos']));
    await dataSource.query(`DELETE FROM history_pending`);
  });

  it('where a table of the same shape without the setting is truncated (what the test would see otherwise)', async () => {
    await dataSource.query(`CREATE TABLE pending_twin (LIKE history_pending INCLUDING DEFAULTS INCLUDING IDENTITY)`);
    const { before, after } = await drainedAndVacuumed('pending_twin');
    expect(before).toBeGreaterThan(10);
    expect(after).toBe(0);
  });

  it('compresses the marks’ arrays with lz4 where the server has it (HistoryPendingLz41764074800000)', async () => {
    const [server] = await dataSource.query<Array<{ lz4: boolean }>>(
      `SELECT 'lz4' = ANY(enumvals) AS lz4 FROM pg_settings WHERE name = 'default_toast_compression'`,
    );
    const codes = Array.from({ length: 2000 }, (_, i) => `C${i % 97}`);
    await dataSource.query(
      `INSERT INTO history_pending (exchanger_id, froms, tos, feed_id, shown_pairs, shown_cities, shown_rates)
       VALUES (1, $1, $1, 1, $2, $3, $4)`,
      [codes, codes.map((_, i) => i + 1), codes.map(() => ''), codes.map((_, i) => `${1000 + i}.125`)],
    );
    const [stored] = await dataSource.query<Array<{ methods: string[] }>>(
      `SELECT ARRAY[pg_column_compression(froms), pg_column_compression(tos), pg_column_compression(shown_pairs),
                    pg_column_compression(shown_cities), pg_column_compression(shown_rates)] AS methods
       FROM history_pending ORDER BY id DESC LIMIT 1`,
    );
    // The arrays the server compressed (it stops once the row is small enough): each with the column's method.
    const compressed = stored!.methods.filter((method) => method !== null);
    expect(compressed.length).toBeGreaterThanOrEqual(3);
    expect(compressed).toEqual(compressed.map(() => (server!.lz4 ? 'lz4' : 'pglz')));
  });
});
