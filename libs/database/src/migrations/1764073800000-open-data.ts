import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Open data (issue 22, DESIGN.md §13).
 *  - `open_keys`: partner keys of the keyed JSON API (`/v1/open/…`), made by an admin: shown once, stored
 *    as SHA-256 hashes, each with its own quotas per minute and per day; revoked by a timestamp (kept for
 *    the usage history).
 *  - `open_key_usage`: requests served and refused per key and UTC day, added to in batches by the api.
 *  - `open_data_ids`: the numeric ids the BestChange-compatible export gives what the catalog names by code:
 *    cities (BestChange's own ids for the four it is known by, then from 10000), money units of
 *    `bm_bcodes.dat` that are not ISO 4217 fiat (from 100000) and currencies without a `bestchange_id`
 *    (from 1000000, far above BestChange's). Given once, never changed, so clients can keep them.
 */
export class OpenData1764073800000 implements MigrationInterface {
  name = 'OpenData1764073800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE open_keys (
        id           serial PRIMARY KEY,
        name         text        NOT NULL CHECK (name <> '' AND length(name) <= 100),
        key_hash     char(64)    NOT NULL UNIQUE,
        prefix       varchar(16) NOT NULL,
        per_minute   integer     NOT NULL CHECK (per_minute > 0),
        per_day      integer     NOT NULL CHECK (per_day > 0),
        created_at   timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at   timestamptz
      )`);
    await q.query(`
      CREATE TABLE open_key_usage (
        key_id   integer NOT NULL REFERENCES open_keys (id) ON DELETE CASCADE,
        day      date    NOT NULL,
        served   bigint  NOT NULL DEFAULT 0 CHECK (served >= 0),
        refused  bigint  NOT NULL DEFAULT 0 CHECK (refused >= 0),
        PRIMARY KEY (key_id, day)
      )`);
    await q.query(`
      CREATE TABLE open_data_ids (
        kind varchar(16) NOT NULL CHECK (kind IN ('city', 'bcode', 'currency')),
        code varchar(32) NOT NULL,
        id   integer     NOT NULL CHECK (id > 0),
        PRIMARY KEY (kind, code),
        UNIQUE (kind, id)
      )`);
    await q.query(`CREATE SEQUENCE open_data_ids_next`);
    await q.query(
      `INSERT INTO open_data_ids (kind, code, id) VALUES ('city', 'MSK', 1), ('city', 'SPB', 2), ('city', 'KIEV', 3), ('city', 'MINSK', 4)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP SEQUENCE open_data_ids_next`);
    await q.query(`DROP TABLE open_data_ids`);
    await q.query(`DROP TABLE open_key_usage`);
    await q.query(`DROP TABLE open_keys`);
  }
}
