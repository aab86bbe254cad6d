import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rate integrity (DESIGN.md §10). An offer better than its direction's reference by more than the band
 * is stored but held back: `offers.quarantine` says why (null = shown). References per direction and
 * city live in `direction_references`, refreshed from the shown offers; `market_at` is when the
 * direction last had three exchangers (its "recent accepted history"). An operator may accept an
 * exchanger's direction for a time (`quarantine_exceptions`). Runs count what they held back and freed.
 */
export class RateIntegrity1764072800000 implements MigrationInterface {
  name = 'RateIntegrity1764072800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE offers ADD COLUMN quarantine jsonb`);
    await q.query(
      `ALTER TABLE feed_runs ADD COLUMN quarantined integer NOT NULL DEFAULT 0, ADD COLUMN released integer NOT NULL DEFAULT 0`,
    );
    await q.query(`
      CREATE TABLE direction_references (
        from_code  varchar(16) NOT NULL,
        to_code    varchar(16) NOT NULL,
        city       varchar(32) NOT NULL DEFAULT '',
        rate       numeric     NOT NULL CHECK (rate > 0),
        source     varchar(8)  NOT NULL CHECK (source IN ('market', 'history', 'pivot')),
        exchangers integer     NOT NULL,
        via        varchar(16),
        market_at  timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (from_code, to_code, city)
      )`);
    await q.query(`
      CREATE TABLE quarantine_exceptions (
        exchanger_id integer     NOT NULL REFERENCES exchangers (id) ON DELETE CASCADE,
        from_code    varchar(16) NOT NULL,
        to_code      varchar(16) NOT NULL,
        city         varchar(32) NOT NULL DEFAULT '',
        until        timestamptz NOT NULL,
        reason       text        NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (exchanger_id, from_code, to_code, city)
      )`);
    // The operator's list and the per-exchanger share read only the few held rows.
    await q.query(`CREATE INDEX offers_quarantined ON offers (exchanger_id) WHERE quarantine IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX offers_quarantined`);
    await q.query(`DROP TABLE quarantine_exceptions`);
    await q.query(`DROP TABLE direction_references`);
    await q.query(`ALTER TABLE feed_runs DROP COLUMN quarantined, DROP COLUMN released`);
    await q.query(`ALTER TABLE offers DROP COLUMN quarantine`);
  }
}
