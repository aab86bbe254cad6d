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
const ORIGIN = `'2000-01-01T00:00:00Z'::timestamptz`;

/**
 * The unpacked minute buckets of complete hours before `folded_until`, packed like the roll-up packs them
 * (history.repository.ts, PACK_MINUTES): a bucket's open is the close before it within the hour (the first
 * one's is stored), so a high or low equal to the greater or lesser of *that* open and the close is left out.
 */
const PACK_UNPACKED = `INSERT INTO history_minutes (direction_id, bucket, open, minutes, closes, highs, lows, offers)
  SELECT direction_id, hour, (array_agg(open ORDER BY minute))[1],
         array_agg((extract(epoch FROM minute - hour) / 60)::smallint ORDER BY minute),
         array_agg(close ORDER BY minute),
         array_agg(NULLIF(high, GREATEST(opened, close)) ORDER BY minute),
         array_agg(NULLIF(low, LEAST(opened, close)) ORDER BY minute),
         array_agg(CASE WHEN n = 1 OR offers IS DISTINCT FROM before THEN offers END ORDER BY minute)
  FROM (
    SELECT u.*, CASE WHEN u.n = 1 THEN u.open ELSE u.close_before END AS opened
    FROM (
      SELECT m.direction_id, m.bucket AS minute, date_bin('1 hour', m.bucket, ${ORIGIN}) AS hour, m.open, m.high, m.low,
             m.close, m.offers,
             row_number() OVER w AS n, lag(m.close) OVER w AS close_before, lag(m.offers) OVER w AS before
      FROM history_minutes_unpacked m, history_rollup r
      WHERE m.bucket < r.folded_until
      WINDOW w AS (PARTITION BY m.direction_id, date_bin('1 hour', m.bucket, ${ORIGIN}) ORDER BY m.bucket)
    ) u
  ) p
  GROUP BY direction_id, hour`;

export class HistoryStorage1764073400000 implements MigrationInterface {
  name = 'HistoryStorage1764073400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE history_minutes RENAME TO history_minutes_unpacked`);
    await q.query(
      `ALTER TABLE history_minutes_unpacked RENAME CONSTRAINT history_minutes_pkey TO history_minutes_unpacked_pkey`,
    );
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
    // Minute buckets already folded are kept: the complete hours before the hour the roll-up had reached are
    // packed from them (as the roll-up packs change points); that hour itself is folded again from its change
    // points, which are still kept (the roll-up lags at most ~65 min, change points are kept 2 h).
    await q.query(`UPDATE history_rollup SET folded_until = date_bin('1 hour', folded_until, ${ORIGIN})`);
    await q.query(PACK_UNPACKED);
    await q.query(`DROP TABLE history_minutes_unpacked`);
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
