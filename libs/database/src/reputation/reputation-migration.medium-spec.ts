import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { insertExchangers } from '../../../../test/support/reputation';
import { migratedDatabase, TestDatabase } from '../../../../test/support/services';

describe('the reputation migration', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    ({ db, dataSource } = await migratedDatabase(1));
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  it('deletes the keys scoped to an exchanger with it, so none becomes an admin key', async () => {
    const [exchangerId] = await insertExchangers(dataSource, 'scoped', 1);
    await dataSource.query(
      `INSERT INTO api_keys (name, key_hash, prefix, exchanger_id) VALUES ('cabinet', 'h-cabinet', 'rw_cab', $1)`,
      [exchangerId],
    );
    await dataSource.query(`DELETE FROM exchangers WHERE id = $1`, [exchangerId]);
    expect(await dataSource.query(`SELECT * FROM api_keys WHERE name = 'cabinet'`)).toEqual([]);
  });

  it('refuses rows that break the model: bad tone, short text, a rejection without its reason, negative counts', async () => {
    const [exchangerId] = await insertExchangers(dataSource, 'model', 1);
    const insert = (tone: string, text: string, state = 'pending', reason: string | null = null) =>
      dataSource.query(
        `INSERT INTO reviews (exchanger_id, tone, text, state, reject_reason, moderated_at, visitor_hash, ip_hash, day, text_fingerprint)
         VALUES ($1, $2, $3, $4::text, $5, CASE WHEN $4::text = 'pending' THEN NULL ELSE now() END, 'v', 'i', current_date, 0)`,
        [exchangerId, tone, text, state, reason],
      );
    await expect(insert('glowing', 'x'.repeat(30))).rejects.toThrow(/check/);
    await expect(insert('positive', 'x'.repeat(19))).rejects.toThrow(/check/);
    await expect(insert('positive', 'x'.repeat(30), 'rejected')).rejects.toThrow(/reviews_reason_iff_rejected/);
    await insert('positive', 'x'.repeat(30), 'rejected', 'spam');
    await expect(
      dataSource.query(`INSERT INTO exchanger_standing (exchanger_id, claims_open) VALUES ($1, -1)`, [exchangerId]),
    ).rejects.toThrow(/check/);
  });

  it('rolls back: the down migration drops the reputation tables and the key scope', async () => {
    // Later migrations are undone first, down to and including this one.
    for (;;) {
      const [last] = await dataSource.query<Array<{ name: string }>>(
        `SELECT name FROM migrations ORDER BY id DESC LIMIT 1`,
      );
      await dataSource.undoLastMigration();
      if (last?.name === 'Reputation1764073100000') break;
    }
    const left = await dataSource.query<Array<{ name: string }>>(
      `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'
         AND tablename IN ('reviews', 'claims', 'claim_events', 'moderation_audit', 'exchanger_standing')
       UNION ALL SELECT column_name FROM information_schema.columns WHERE table_name = 'api_keys' AND column_name = 'exchanger_id'`,
    );
    expect(left).toEqual([]);
  });
});
