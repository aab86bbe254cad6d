import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratedDatabase, TestDatabase } from '../../../../test/support/services';

/**
 * history_pending is a queue: a vacuum that found its tail empty truncated it, under an ACCESS EXCLUSIVE lock
 * that every poll's write (its history mark) waited behind. HistoryPendingNoTruncate1764074400000.
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

  it('where a table of the same shape without the setting is truncated (what the test would see otherwise)', async () => {
    await dataSource.query(`CREATE TABLE pending_twin (LIKE history_pending INCLUDING DEFAULTS INCLUDING IDENTITY)`);
    const { before, after } = await drainedAndVacuumed('pending_twin');
    expect(before).toBeGreaterThan(10);
    expect(after).toBe(0);
  });
  it("keeps a poll's mark in the table's own pages, not in TOAST: 200 pairs and 200 carried offers", async () => {
    const toastPages = async (table: string) =>
      Number(
        (
          await dataSource.query<Array<{ n: string }>>(
            `SELECT pg_relation_size(reltoastrelid) / 8192 AS n FROM pg_class WHERE oid = $1::regclass`,
            [table],
          )
        )[0]!.n,
      );
    const marks = (table: string) =>
      dataSource.query(
        `INSERT INTO ${table} (exchanger_id, froms, tos, feed_id, shown_pairs, shown_cities, shown_rates)
         SELECT 1, f, t, 1, p, c, r FROM generate_series(1, 200) g,
           LATERAL (SELECT array_agg('C' || ((g + i) % 60)) f, array_agg('D' || ((g * 7 + i) % 60)) t, array_agg(i) p,
                           array_agg(''::text) c, array_agg(round((random() * 100000)::numeric, 6)) r
                    FROM generate_series(1, 200) i) a`,
      );
    await marks('history_pending');
    expect(await toastPages('history_pending')).toBe(0);
    // The same rows in a table of the same shape with the default storage go to its TOAST relation.
    await dataSource.query(`CREATE TABLE marks_twin (LIKE history_pending INCLUDING DEFAULTS INCLUDING IDENTITY)`);
    await marks('marks_twin');
    expect(await toastPages('marks_twin')).toBeGreaterThan(10);
    await dataSource.query(`DELETE FROM history_pending`);
  });
});
