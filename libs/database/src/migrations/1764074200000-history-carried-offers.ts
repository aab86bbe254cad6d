import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 21: a poll's history mark carries its feed's shown offers in the pairs it marks (their rates and
 * cities, read by the write's own transaction, after the rate guard). The recorder then decides those pairs
 * without looking the writer's offers up again, which was nearly half of a drain's time at 500 exchangers.
 * `feed_id` null: nothing carried (housekeeping's marks, feeds shown again), the recorder reads the offers.
 */
export class HistoryCarriedOffers1764074200000 implements MigrationInterface {
  name = 'HistoryCarriedOffers1764074200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE history_pending
      ADD COLUMN feed_id integer,
      ADD COLUMN shown_froms text[],
      ADD COLUMN shown_tos text[],
      ADD COLUMN shown_cities text[],
      ADD COLUMN shown_rates numeric[]`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE history_pending
      DROP COLUMN feed_id, DROP COLUMN shown_froms, DROP COLUMN shown_tos, DROP COLUMN shown_cities, DROP COLUMN shown_rates`);
  }
}
