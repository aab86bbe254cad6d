import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 21: the rate guard's upkeep (reference refresh + sweep) paces itself by its own cost. At 1,000
 * exchangers it takes tens of seconds, and a 20-second schedule ran it back to back on a database every poll
 * also needs. `took_ms` is how long the last refresh and its sweep took; the next one waits a multiple of it.
 */
export class ReferenceRefreshCost1764074100000 implements MigrationInterface {
  name = 'ReferenceRefreshCost1764074100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE reference_refreshes ADD COLUMN took_ms integer NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE reference_refreshes DROP COLUMN took_ms`);
  }
}
