import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { migratedDatabase, TestDatabase } from '../../../test/support/services';
import { WHOLE_MARKET_READ_SETTINGS } from './freshness';

/**
 * The paced whole-market reads run in one backend: within their transaction the planner launches no parallel
 * workers even where it would (here: parallel plans made free), and the settings end with the transaction.
 */
describe('WHOLE_MARKET_READ_SETTINGS (PostgreSQL)', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    ({ db, dataSource } = await migratedDatabase(1));
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  const plan = async (query: (sql: string) => Promise<unknown>) =>
    JSON.stringify(await query(`EXPLAIN SELECT from_code, count(*) FROM offers GROUP BY from_code`));

  it('plans the read without parallel workers, in its transaction only', async () => {
    const setting = `SELECT current_setting('max_parallel_workers_per_gather') AS p`;
    const [before] = await dataSource.query<Array<{ p: string }>>(setting);
    expect(before!.p).not.toBe('0');
    await dataSource.transaction(async (tx) => {
      // Parallel plans made free: without the settings the planner takes one for any scan.
      await tx.query(
        `SET LOCAL parallel_setup_cost = 0; SET LOCAL parallel_tuple_cost = 0; SET LOCAL min_parallel_table_scan_size = 0`,
      );
      expect(await plan((sql) => tx.query(sql))).toContain('Gather');
      await tx.query(WHOLE_MARKET_READ_SETTINGS);
      expect(await plan((sql) => tx.query(sql))).not.toContain('Gather');
      expect(await tx.query(`SELECT current_setting('work_mem') AS w`)).toEqual([{ w: '64MB' }]);
    });
    // The connection's own settings again (the pool hands it on).
    expect(await dataSource.query(setting)).toEqual([before]);
  });
});
