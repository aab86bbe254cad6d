import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A catalog for people (issue 17). Currencies gain English and Russian names, a stable `url_name` for
 * SEO pages, the display unit and the decimals to show; the seed fills them for the bundled catalog
 * (rows written otherwise read as name, lower-case code and the kind's rule until filled). Cash cities
 * get a catalog of their own: `cities` (code and names) and `city_aliases` (other spellings, compared by
 * `alias_key`: lower case, letters and digits only). Changes to either bump the catalog version, so the
 * api's lookups and the normalizer's contexts reload as they do for currency aliases.
 */
export class CatalogForPeople1764073000000 implements MigrationInterface {
  name = 'CatalogForPeople1764073000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE currencies
        ADD COLUMN name_en   text CHECK (name_en <> ''),
        ADD COLUMN name_ru   text CHECK (name_ru <> ''),
        ADD COLUMN url_name  varchar(64) UNIQUE CHECK (url_name ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
        ADD COLUMN unit      varchar(16) CHECK (unit ~ '^[A-Za-z0-9]{1,16}$'),
        ADD COLUMN precision smallint CHECK (precision BETWEEN 0 AND 18)`);
    await q.query(`
      CREATE TABLE cities (
        code       varchar(32) PRIMARY KEY CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{0,31}$'),
        name_en    text        NOT NULL CHECK (name_en <> ''),
        name_ru    text        NOT NULL CHECK (name_ru <> ''),
        country    char(2)     CHECK (country ~ '^[A-Z]{2}$'),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE city_aliases (
        id         serial PRIMARY KEY,
        alias      varchar(64) NOT NULL CHECK (alias <> ''),
        alias_key  varchar(64) NOT NULL UNIQUE CHECK (alias_key <> ''),
        code       varchar(32) NOT NULL REFERENCES cities (code) ON UPDATE CASCADE ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX city_aliases_code ON city_aliases (code)`);
    for (const table of ['cities', 'city_aliases']) {
      await q.query(`CREATE TRIGGER ${table}_bump_catalog_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${table}
                     FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_version()`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE city_aliases`);
    await q.query(`DROP TABLE cities`);
    await q.query(
      `ALTER TABLE currencies DROP COLUMN name_en, DROP COLUMN name_ru, DROP COLUMN url_name, DROP COLUMN unit, DROP COLUMN precision`,
    );
  }
}
