import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 21: a poll's history mark carries its feed's shown offers in the pairs it marks (their rates and
 * cities, as the write wrote them, none the rate guard holds). The recorder then decides those pairs without
 * looking the writer's offers up again, which was nearly half of a drain's time at 500 exchangers.
 * `feed_id` null: nothing carried (housekeeping's marks, feeds shown again), the recorder reads the offers.
 * An offer is carried as its pair's ordinal in `froms`/`tos` (1-based), its city and its rate.
 *
 * The arrays get no planner statistics: nothing filters on them, and ANALYZE of this churning table detoasted
 * and sorted every sampled array (2.3 s a run at 500 exchangers, as often as every few seconds).
 */
export class HistoryCarriedOffers1764074200000 implements MigrationInterface {
  name = 'HistoryCarriedOffers1764074200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE history_pending
      ADD COLUMN feed_id integer,
      ADD COLUMN shown_pairs integer[],
      ADD COLUMN shown_cities text[],
      ADD COLUMN shown_rates numeric[],
      ALTER COLUMN froms SET STATISTICS 0,
      ALTER COLUMN tos SET STATISTICS 0,
      ALTER COLUMN shown_pairs SET STATISTICS 0,
      ALTER COLUMN shown_cities SET STATISTICS 0,
      ALTER COLUMN shown_rates SET STATISTICS 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE history_pending
      DROP COLUMN feed_id, DROP COLUMN shown_pairs, DROP COLUMN shown_cities, DROP COLUMN shown_rates,
      ALTER COLUMN froms SET STATISTICS -1, ALTER COLUMN tos SET STATISTICS -1`);
  }
}
