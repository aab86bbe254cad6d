import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What EREF 1.1 feeds say beside the flags (DESIGN.md §2): a floating rate's terms
 * (`<floating percent="1" minutes="30"/>`, kept as `{"percent": "1", "minutes": 30}`) and the minutes
 * an exchange may take (`<delay>`). Both stay null when the feed does not say. The run records the
 * dialect its reader recognised.
 */
export class OfferFloatingAndDelay1764072600000 implements MigrationInterface {
  name = 'OfferFloatingAndDelay1764072600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE offers ADD COLUMN floating jsonb, ADD COLUMN delay_minutes integer CHECK (delay_minutes >= 0)`,
    );
    await q.query(`ALTER TABLE feed_runs ADD COLUMN dialect varchar(16)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE feed_runs DROP COLUMN dialect`);
    await q.query(`ALTER TABLE offers DROP COLUMN floating, DROP COLUMN delay_minutes`);
  }
}
