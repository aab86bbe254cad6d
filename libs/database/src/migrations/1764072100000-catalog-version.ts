import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A counter bumped on every change to currencies or aliases. Pollers cache the normalization context
 * and compare this one number per poll; the body-hash skip includes it, so an alias change applies
 * from the next poll even when the feed's bytes did not change.
 */
export class CatalogVersion1764072100000 implements MigrationInterface {
  name = 'CatalogVersion1764072100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE catalog_version (one boolean PRIMARY KEY DEFAULT true CHECK (one), version bigint NOT NULL)`,
    );
    await q.query(`INSERT INTO catalog_version (version) VALUES (1)`);
    await q.query(`
      CREATE FUNCTION bump_catalog_version() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE catalog_version SET version = version + 1;
        RETURN NULL;
      END $$`);
    // A random secret every api replica shares: the daily salt of visitor hashes derives from it.
    await q.query(`CREATE TABLE app_secrets (name text PRIMARY KEY, value text NOT NULL)`);
    await q.query(
      `INSERT INTO app_secrets (name, value) VALUES ('visitor_salt', encode(sha256(gen_random_uuid()::text::bytea || gen_random_uuid()::text::bytea), 'hex'))`,
    );
    for (const table of ['currencies', 'currency_aliases']) {
      await q.query(`CREATE TRIGGER ${table}_bump_catalog_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${table}
                     FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_version()`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER IF EXISTS currency_aliases_bump_catalog_version ON currency_aliases`);
    await q.query(`DROP TRIGGER IF EXISTS currencies_bump_catalog_version ON currencies`);
    await q.query(`DROP FUNCTION IF EXISTS bump_catalog_version()`);
    await q.query(`DROP TABLE IF EXISTS catalog_version`);
    await q.query(`DROP TABLE IF EXISTS app_secrets`);
  }
}
