import { MigrationInterface, QueryRunner } from 'typeorm';
import { HISTORY_PENDING_ARRAYS } from './1764074600000-history-pending-no-array-statistics';

/**
 * Issue 21: the marks' arrays of `history_pending` are compressed with lz4 where the server has it, instead of
 * PostgreSQL's default pglz. Every poll that changed something appends a mark whose arrays (the pairs, and with the
 * rate guard the offers it carries) pass the toast threshold from a few dozen pairs on, and the drain reads them
 * back moments later: compressing them was the largest part of the mark's insert. One mark inserted and committed,
 * 100 in a row, on this 2-core VM: 500 pairs carried 1.08–1.12 → 0.90 ms, 10,000 pairs 17.3–17.4 → 14.2 ms, the
 * rows as large. A server built without lz4 keeps pglz (the migration asks `default_toast_compression`'s choices).
 */
export class HistoryPendingLz41764074800000 implements MigrationInterface {
  name = 'HistoryPendingLz41764074800000';

  async up(q: QueryRunner): Promise<void> {
    const [server] = (await q.query(
      `SELECT 'lz4' = ANY(enumvals) AS lz4 FROM pg_settings WHERE name = 'default_toast_compression'`,
    )) as Array<{ lz4: boolean }>;
    if (!server?.lz4) return;
    await q.query(
      `ALTER TABLE history_pending ${HISTORY_PENDING_ARRAYS.map((column) => `ALTER COLUMN ${column} SET COMPRESSION lz4`).join(', ')}`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE history_pending ${HISTORY_PENDING_ARRAYS.map((column) => `ALTER COLUMN ${column} SET COMPRESSION default`).join(', ')}`,
    );
  }
}
