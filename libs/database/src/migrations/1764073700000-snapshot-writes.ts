import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 21, the snapshot write path.
 *
 * `feed_snapshots.version` names a feed's stored snapshot, so a worker that keeps the last snapshot it wrote
 * (keys and fingerprints) can trust it without reading the offers back. Every snapshot write sets it, under
 * the feed row's lock, to a fresh value of `snapshot_versions`: a sequence never hands a value out twice, not
 * even to a transaction that rolled back, so a worker whose write was rolled back — or that another worker
 * has written after — never finds its value here. A table of its own, not a column of feeds: a second update
 * of the feed row in the poll's transaction (its run record updates it too) makes PostgreSQL re-check the
 * row's foreign key to its exchanger, and that check waited for an exchanger delete that waited for the feed
 * row: a deadlock. A feed without a row has never been written by this release (nothing cached matches it).
 *
 * `offers_direction` gains feed_id as its last column: the read path still finds a direction by its prefix,
 * and a lookup of one feed's offers in a direction (the rate guard, the writer's deletes) has the feed in its
 * index condition whichever index the planner takes. A generic plan of the guard took this index, with
 * (from_code, to_code) only, and filtered the feed out of every exchanger's offers in each direction: in a
 * market where hundreds of exchangers share the popular directions, 200,000 buffers and ~500 ms a poll.
 */
export class SnapshotWrites1764073700000 implements MigrationInterface {
  name = 'SnapshotWrites1764073700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SEQUENCE snapshot_versions AS bigint`);
    await q.query(`
      CREATE TABLE feed_snapshots (
        feed_id integer PRIMARY KEY REFERENCES feeds (id) ON DELETE CASCADE,
        version bigint  NOT NULL
      )`);
    await q.query(`DROP INDEX offers_direction`);
    await q.query(`CREATE INDEX offers_direction ON offers (from_code, to_code, feed_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX offers_direction`);
    await q.query(`CREATE INDEX offers_direction ON offers (from_code, to_code)`);
    await q.query(`DROP TABLE feed_snapshots`);
    await q.query(`DROP SEQUENCE snapshot_versions`);
  }
}
