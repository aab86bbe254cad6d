import { MigrationInterface, QueryRunner } from 'typeorm';

/** The events that change `direction_references`, each its own trigger (a trigger with a transition table has one). */
const EVENTS = [
  ['insert', 'INSERT', 'NEW'],
  ['update', 'UPDATE', 'NEW'],
  ['delete', 'DELETE', 'OLD'],
] as const;

/**
 * Issue 21: a version of the rate guard's references, so a worker can keep them in memory and know, inside a
 * write's own statement, whether what it keeps is still what is stored (ReferenceCache). One row, moved to a new
 * value of a sequence (never handed out twice, not even by a transaction that rolled back) by every statement
 * that changes a reference — whoever runs it: the refresh, an operator's SQL, a test — in that statement's own
 * transaction. A statement that changed no row leaves the version as it is: a refresh in a calm market keeps every
 * worker's copy valid.
 */
export class ReferenceVersion1764074700000 implements MigrationInterface {
  name = 'ReferenceVersion1764074700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SEQUENCE direction_references_versions`);
    await q.query(`CREATE TABLE direction_references_version (
        one boolean PRIMARY KEY DEFAULT true CHECK (one),
        version bigint NOT NULL
      )`);
    await q.query(
      `INSERT INTO direction_references_version (version) VALUES (nextval('direction_references_versions'))`,
    );
    await q.query(`CREATE FUNCTION direction_references_moved() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        -- A TRUNCATE has no transition table: its trigger must not name one (planned only when reached).
        IF TG_OP = 'TRUNCATE' THEN
          UPDATE direction_references_version SET version = nextval('direction_references_versions');
        ELSIF EXISTS (SELECT FROM changed) THEN
          UPDATE direction_references_version SET version = nextval('direction_references_versions');
        END IF;
        RETURN NULL;
      END $$`);
    for (const [name, event, table] of EVENTS)
      await q.query(`CREATE TRIGGER direction_references_${name} AFTER ${event} ON direction_references
        REFERENCING ${table} TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION direction_references_moved()`);
    await q.query(`CREATE TRIGGER direction_references_truncate AFTER TRUNCATE ON direction_references
        FOR EACH STATEMENT EXECUTE FUNCTION direction_references_moved()`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const name of [...EVENTS.map(([n]) => n), 'truncate'])
      await q.query(`DROP TRIGGER direction_references_${name} ON direction_references`);
    await q.query(`DROP FUNCTION direction_references_moved()`);
    await q.query(`DROP TABLE direction_references_version`);
    await q.query(`DROP SEQUENCE direction_references_versions`);
  }
}
