import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * History recorded after the write, out of the write transaction's locks (issue 21): a write only appends
 * the directions it touched to `history_pending` — one row a write, the pairs as two arrays, and the writer's
 * exchanger (null: compute over every offer) — which conflicts with no other writer (no unique key but the
 * identity, no row anyone else updates). The recorder (one at a time in the fleet) deletes rows in id order
 * and records their directions' bests under one snapshot, in the same transaction: a crash before it commits
 * leaves the rows for the next drain. Logged: what was written and not yet recorded survives a crash.
 */
export class HistoryRecorder1764073600000 implements MigrationInterface {
  name = 'HistoryRecorder1764073600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE history_pending (
        id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        exchanger_id integer,
        froms        text[]      NOT NULL,
        tos          text[]      NOT NULL,
        at           timestamptz NOT NULL DEFAULT now(),
        CHECK (cardinality(froms) = cardinality(tos))
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE history_pending`);
  }
}
