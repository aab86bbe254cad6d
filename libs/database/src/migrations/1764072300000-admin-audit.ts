import { MigrationInterface, QueryRunner } from 'typeorm';

/** Every admin change: which key, what, when, before and after. */
export class AdminAudit1764072300000 implements MigrationInterface {
  name = 'AdminAudit1764072300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE admin_audit (
        id         bigserial PRIMARY KEY,
        at         timestamptz NOT NULL DEFAULT now(),
        key_id     integer REFERENCES api_keys (id) ON DELETE SET NULL,
        action     varchar(16) NOT NULL,
        entity     varchar(32) NOT NULL,
        entity_id  text,
        before     jsonb,
        after      jsonb
      )`);
    await q.query(`CREATE INDEX admin_audit_at ON admin_audit (at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS admin_audit`);
  }
}
