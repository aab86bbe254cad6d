import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The rate history's storage (issue 20: ≤ 200 MB a day of minute data for the whole market):
 * - `history_minutes` packs a direction's minute buckets of one complete hour into one row (`bucket` = the
 *   hour), written once when the roll-up folds that hour: `minutes` (minute of the hour of each bucket, in
 *   order), `closes`, and only what the close before does not already say — `open` of the hour's first
 *   bucket (each later bucket opens at the close before it: every change point starts where the one before
 *   ended), `highs`/`lows` null where they are the greater/lesser of open and close, `offers` null where
 *   unchanged since the bucket before. Rates stay exact numerics. One row and one index entry an hour
 *   instead of one per minute bucket, never updated in place, so the pages are filled (fillfactor 100).
 * - `history_changes` is read by time only in ranges of whole minutes that are inserted in time order: a
 *   BRIN index on `at` instead of a b-tree (a few pages instead of ~22 bytes a change point).
 */
export class HistoryStorage1764073400000 implements MigrationInterface {
  name = 'HistoryStorage1764073400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE history_minutes`);
    await q.query(`
      CREATE TABLE history_minutes (
        direction_id integer     NOT NULL,
        bucket       timestamptz NOT NULL,
        open         numeric,
        minutes      smallint[]  NOT NULL,
        closes       numeric[]   NOT NULL,
        highs        numeric[]   NOT NULL,
        lows         numeric[]   NOT NULL,
        offers       integer[]   NOT NULL,
        PRIMARY KEY (direction_id, bucket),
        CHECK (cardinality(minutes) BETWEEN 1 AND 60 AND cardinality(closes) = cardinality(minutes)
               AND cardinality(highs) = cardinality(minutes) AND cardinality(lows) = cardinality(minutes)
               AND cardinality(offers) = cardinality(minutes) AND offers[1] IS NOT NULL)
      ) WITH (fillfactor = 100)`);
    await q.query(`DROP INDEX history_changes_at`);
    await q.query(`CREATE INDEX history_changes_at ON history_changes USING brin (at)`);
    // Change points were folded to the minute before; the packed hours start over from the change points kept.
    await q.query(`UPDATE history_rollup SET folded_until = NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX history_changes_at`);
    await q.query(`CREATE INDEX history_changes_at ON history_changes (at)`);
    await q.query(`DROP TABLE history_minutes`);
    await q.query(`
      CREATE TABLE history_minutes (
        direction_id integer     NOT NULL,
        bucket       timestamptz NOT NULL,
        open         numeric,
        high         numeric     NOT NULL,
        low          numeric     NOT NULL,
        close        numeric,
        offers       integer     NOT NULL,
        PRIMARY KEY (direction_id, bucket)
      )`);
    await q.query(`UPDATE history_rollup SET folded_until = NULL`);
  }
}
