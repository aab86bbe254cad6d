import { MigrationInterface, QueryRunner } from 'typeorm';

/** The marks' arrays of `history_pending`: the pairs a write marked and the offers it carried. */
export const HISTORY_PENDING_ARRAYS = ['froms', 'tos', 'shown_pairs', 'shown_cities', 'shown_rates'];

/**
 * Issue 21: `ANALYZE history_pending` skips the marks' arrays. The table is a queue that every poll appends to
 * and every drain empties, so (auto)analyze comes back to it often, and each time it read and measured every
 * element of the sampled rows' arrays (hundreds of pairs a mark) — statistics no plan uses (nothing filters on
 * them): `VACUUM (ANALYZE) history_pending` was 1.5–2.7 s a call in bench:scale at 500 exchangers, 2–6 ms of
 * PostgreSQL a poll; 20,000 marks of 200 pairs, `ANALYZE` 1,953–2,042 ms → 7–14 ms.
 */
export class HistoryPendingNoArrayStatistics1764074600000 implements MigrationInterface {
  name = 'HistoryPendingNoArrayStatistics1764074600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE history_pending ${HISTORY_PENDING_ARRAYS.map((column) => `ALTER COLUMN ${column} SET STATISTICS 0`).join(', ')}`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE history_pending ${HISTORY_PENDING_ARRAYS.map((column) => `ALTER COLUMN ${column} SET STATISTICS -1`).join(', ')}`,
    );
  }
}
