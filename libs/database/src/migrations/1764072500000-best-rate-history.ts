import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The best rate of a direction, one row a minute, for the directions visitors look at (the api notes
 * the best rate when it makes a fresh rate table). Kept 48 hours; it feeds the page's chart.
 */
export class BestRateHistory1764072500000 implements MigrationInterface {
  name = 'BestRateHistory1764072500000';

  async up(q: QueryRunner): Promise<void> {
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

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE best_rate_history`);
  }
}
