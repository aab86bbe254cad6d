import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * History of every direction (DESIGN.md §12), recorded by the workers as snapshots change:
 * - `history_directions`: one id per direction and city (`city` '' = every city, as the table without a
 *   city shows it) with the best shown rate history last recorded and the exchanger holding it — what a
 *   write compares with, so an unchanged best costs no row;
 * - `history_changes`: a change point each time a direction's best shown rate changed (the rate before it
 *   too, so a bucket's open needs no look back; null = no offer shown);
 * - `history_minutes`, `history_hours`, `history_days`: the change points folded into buckets
 *   (open, high, low, close, offers at the close), only for buckets in which the best changed;
 * - `history_rollup`: how far the change points are folded; `history_feeds`: whether each feed was shown at
 *   the last roll-up (a feed going stale or into maintenance changes bests without a write of its own).
 * Every read is "one direction over a time range": the primary keys lead with the direction.
 */
export class RateHistory1764073200000 implements MigrationInterface {
  name = 'RateHistory1764073200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE history_directions (
        id         serial      PRIMARY KEY,
        from_code  varchar(16) NOT NULL,
        to_code    varchar(16) NOT NULL,
        city       varchar(32) NOT NULL DEFAULT '',
        rate       numeric     CHECK (rate > 0),
        holder     integer,
        changed_at timestamptz NOT NULL,
        CONSTRAINT history_directions_key UNIQUE (from_code, to_code, city)
      )`);
    await q.query(`CREATE INDEX history_directions_holder ON history_directions (holder)`);
    await q.query(`
      CREATE TABLE history_changes (
        direction_id integer     NOT NULL,
        at           timestamptz NOT NULL,
        rate         numeric,
        previous     numeric,
        offers       integer     NOT NULL,
        PRIMARY KEY (direction_id, at)
      )`);
    await q.query(`CREATE INDEX history_changes_at ON history_changes (at)`);
    for (const table of ['history_minutes', 'history_hours', 'history_days'])
      await q.query(`
        CREATE TABLE ${table} (
          direction_id integer     NOT NULL,
          bucket       timestamptz NOT NULL,
          open         numeric,
          high         numeric     NOT NULL,
          low          numeric     NOT NULL,
          close        numeric,
          offers       integer     NOT NULL,
          PRIMARY KEY (direction_id, bucket)
        )`);
    await q.query(
      `CREATE TABLE history_rollup (id boolean PRIMARY KEY DEFAULT true CHECK (id), folded_until timestamptz)`,
    );
    await q.query(`INSERT INTO history_rollup (folded_until) VALUES (NULL)`);
    await q.query(
      `CREATE TABLE history_feeds (feed_id integer PRIMARY KEY, exchanger_id integer NOT NULL, shown boolean NOT NULL)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `DROP TABLE history_feeds, history_rollup, history_days, history_hours, history_minutes, history_changes, history_directions`,
    );
  }
}
