import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 21, the snapshot write path: `feeds.snapshot_version` names the feed's stored snapshot, so a worker
 * that keeps the last snapshot it wrote (keys and fingerprints) can trust it without reading the offers back.
 * Every snapshot write sets it, under the feed row's lock, to a fresh value of `snapshot_versions`: a
 * sequence never hands a value out twice, not even to a transaction that rolled back, so a worker whose
 * write was rolled back — or that another worker has written after — never finds its value in the row.
 * A volatile default gives every existing and new feed a value of its own (nothing cached can match it).
 *
 * `offers_direction` gains feed_id as its last column: the read path still finds a direction by its prefix,
 * and a lookup of one feed's offers in a direction (the rate guard, the writer's deletes) has the feed in its
 * index condition whichever index the planner takes. A generic plan of the guard took this index, with
 * (from_code, to_code) only, and filtered the feed out of every exchanger's offers in each direction: in a
 * market where hundreds of exchangers share the popular directions, 80,000 buffers and ~500 ms a poll.
 */
export class SnapshotWrites1764073700000 implements MigrationInterface {
  name = 'SnapshotWrites1764073700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SEQUENCE snapshot_versions AS bigint`);
    await q.query(`ALTER TABLE feeds ADD COLUMN snapshot_version bigint NOT NULL DEFAULT nextval('snapshot_versions')`);
    await q.query(`DROP INDEX offers_direction`);
    await q.query(`CREATE INDEX offers_direction ON offers (from_code, to_code, feed_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX offers_direction`);
    await q.query(`CREATE INDEX offers_direction ON offers (from_code, to_code)`);
    await q.query(`ALTER TABLE feeds DROP COLUMN snapshot_version`);
    await q.query(`DROP SEQUENCE snapshot_versions`);
  }
}
