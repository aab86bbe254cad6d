import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The read-path recorder's table goes: the workers record the history of every direction (history_*
 * tables, 1764073200000), so the minutes someone happened to view are no longer needed. Down makes the
 * empty table again (its points are not brought back).
 */
export class DropBestRateHistory1764073300000 implements MigrationInterface {
  name = 'DropBestRateHistory1764073300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE best_rate_history`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE best_rate_history (
        from_code varchar(16) NOT NULL,
        to_code   varchar(16) NOT NULL,
        city      varchar(32) NOT NULL DEFAULT '',
        minute    timestamptz NOT NULL,
        rate      numeric     NOT NULL CHECK (rate > 0),
        PRIMARY KEY (from_code, to_code, city, minute)
      )`);
    await q.query(`CREATE INDEX best_rate_history_minute ON best_rate_history (minute)`);
  }
}
