import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 21: vacuuming `history_pending` no longer truncates it. The table is a queue — every write appends a
 * row, every drain deletes the oldest — so its tail is empty each time it is vacuumed, and truncating it needs
 * an ACCESS EXCLUSIVE lock: the vacuum waited for one up to 5 s while writes kept appending (bench:scale 300
 * exchangers: `VACUUM (ANALYZE) history_pending` 2.3 s a call, 7 ms a poll, in `VacuumTruncate` waits), and
 * once it had it, every poll's write — its history mark is in its last statement — waited behind it, holding
 * its feed's lock and connection. The emptied pages stay in the table and are reused by the next rows.
 */
export class HistoryPendingNoTruncate1764074400000 implements MigrationInterface {
  name = 'HistoryPendingNoTruncate1764074400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE history_pending SET (vacuum_truncate = false)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE history_pending RESET (vacuum_truncate)`);
  }
}
