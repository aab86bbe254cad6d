import { Client, PoolClient } from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { offerOf } from '../../../../test/support/offers';
import { createTestDatabase, TestDatabase } from '../../../../test/support/services';
import { STAGE_TABLE, StagedOffer, stageOffers } from './snapshot-writer-copy';

/**
 * The staging table on one PostgreSQL session (a pg client, as the pool keeps it): made on the first staged write
 * and after a rollback that took it away, and no longer asked for (`CREATE TEMP TABLE IF NOT EXISTS`, whose
 * "already exists" notice came back on every staged write) once it is known to outlive its transactions.
 */
describe('stageOffers on one connection', () => {
  let db: TestDatabase;
  let client: Client;
  let notices: Array<{ code?: string }>;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await db.drop();
  });

  beforeEach(async () => {
    // A new session each case: a new client, as the pool makes one.
    client = new Client({ connectionString: db.url });
    await client.connect();
    notices = [];
    client.on('notice', (notice) => notices.push(notice));
    return () => client.end();
  });

  const rows = (n: number, rate = '20'): StagedOffer[] =>
    Array.from({ length: n }, (_, i) => ({ offer: offerOf({ to: `C${i}`, rate }), fp: i, op: 'i' }));

  /** Stages `n` rows and answers how many the table holds then (this write's only). */
  const stage = async (n: number): Promise<number> => {
    await stageOffers(client as unknown as PoolClient, rows(n));
    const { rows: counted } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${STAGE_TABLE}`);
    return counted[0]!.n;
  };

  const inTransaction = async <T>(work: () => Promise<T>, end: 'COMMIT' | 'ROLLBACK' = 'COMMIT'): Promise<T> => {
    await client.query('BEGIN');
    try {
      return await work();
    } finally {
      await client.query(end);
    }
  };

  const alreadyExists = () => notices.filter((n) => n.code === '42P07').length;

  it('asks for the table only until a later transaction finds it kept', async () => {
    expect(await inTransaction(() => stage(3))).toBe(3); // made
    expect(await inTransaction(() => stage(2))).toBe(2); // found there: kept
    for (let i = 0; i < 4; i++)
      expect(await inTransaction(async () => [await stage(5), await stage(1)])).toEqual([5, 1]);
    expect(alreadyExists()).toBe(1);
    // Emptied by each commit.
    expect((await client.query(`SELECT count(*)::int AS n FROM ${STAGE_TABLE}`)).rows[0].n).toBe(0);
  });

  it('makes the table again after the rollback of the transaction that made it, even one that staged twice', async () => {
    // The second write of the first transaction finds the table there: made by this transaction, not kept.
    expect(await inTransaction(async () => [await stage(3), await stage(2)], 'ROLLBACK')).toEqual([3, 2]);
    expect(await inTransaction(() => stage(4))).toBe(4);
    expect(await inTransaction(() => stage(1))).toBe(1);
    expect(await inTransaction(() => stage(2))).toBe(2);
  });

  it('makes the table again after a rollback to a savepoint before it', async () => {
    await inTransaction(async () => {
      await client.query('SAVEPOINT s');
      expect(await stage(3)).toBe(3);
      await client.query('ROLLBACK TO SAVEPOINT s');
      expect(await stage(2)).toBe(2);
    });
    await inTransaction(async () => {
      await client.query('SAVEPOINT s');
      expect(await stage(1)).toBe(1);
      await client.query('ROLLBACK TO SAVEPOINT s');
    });
    expect(await inTransaction(() => stage(2))).toBe(2);
    expect(await inTransaction(() => stage(5))).toBe(5);
  });

  it('makes the table again after one failed write when it was dropped behind its back', async () => {
    await inTransaction(() => stage(1));
    await inTransaction(() => stage(1)); // kept
    await client.query('DISCARD TEMP');
    await expect(inTransaction(() => stage(1), 'ROLLBACK')).rejects.toMatchObject({ code: '42P01' });
    expect(await inTransaction(() => stage(2))).toBe(2);
    expect(await inTransaction(() => stage(3))).toBe(3);
  });
});
