import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 21: autovacuum analyzes `offers` once half of its rows changed, not a tenth. Polls rewrite rates all
 * the time (500 exchangers: 6,000 offers a second), so the default analyzed the million-row table every 16 s,
 * while what the planner uses of it — which directions and feeds exist, how many offers each — barely moves
 * between polls. Vacuuming is left as it was: dead rows still go at autovacuum's usual pace.
 */
export class OffersAnalyzePace1764074300000 implements MigrationInterface {
  name = 'OffersAnalyzePace1764074300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE offers SET (autovacuum_analyze_scale_factor = 0.5)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE offers RESET (autovacuum_analyze_scale_factor)`);
  }
}
