import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 21: the reference refresh rewrites only the references that moved. Until now every refresh stamped
 * every row of `direction_references` (≈ 100,000 rows every 20 s at 1,000,000 offers), and the newest stamp
 * said how old the references were. `reference_refreshes` keeps that moment in one row instead, so an
 * unchanged reference is not written at all.
 */
export class ReferenceRefreshes1764074000000 implements MigrationInterface {
  name = 'ReferenceRefreshes1764074000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE reference_refreshes (
        one          boolean     PRIMARY KEY DEFAULT true CHECK (one),
        refreshed_at timestamptz NOT NULL
      )`);
    await q.query(
      `INSERT INTO reference_refreshes (refreshed_at) SELECT max(updated_at) FROM direction_references HAVING count(*) > 0`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE reference_refreshes`);
  }
}
