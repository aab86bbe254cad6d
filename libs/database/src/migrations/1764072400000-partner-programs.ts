import { MigrationInterface, QueryRunner } from 'typeorm';

/** What exchangers' partner APIs report: the account, balance history, referred exchanges and visits. */
export class PartnerPrograms1764072400000 implements MigrationInterface {
  name = 'PartnerPrograms1764072400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE partner_accounts (
        exchanger_id          integer PRIMARY KEY REFERENCES exchangers (id) ON DELETE CASCADE,
        api_url               text        NOT NULL,
        api_key_encrypted     text        NOT NULL,
        request_style         varchar(8)  NOT NULL DEFAULT 'both' CHECK (request_style IN ('get', 'post', 'both')),
        sync_interval_s       integer     NOT NULL DEFAULT 900 CHECK (sync_interval_s BETWEEN 60 AND 86400),
        enabled               boolean     NOT NULL DEFAULT true,
        last_sync_at          timestamptz,
        last_success_at       timestamptz,
        last_error            jsonb,
        exchanges_synced_to   timestamptz,
        visits_synced_to      timestamptz,
        created_at            timestamptz NOT NULL DEFAULT now(),
        updated_at            timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE partner_balances (
        id           bigserial PRIMARY KEY,
        exchanger_id integer     NOT NULL REFERENCES exchangers (id) ON DELETE CASCADE,
        at           timestamptz NOT NULL DEFAULT now(),
        balance      numeric     NOT NULL,
        min_payout   numeric
      )`);
    await q.query(`CREATE INDEX partner_balances_exchanger_at ON partner_balances (exchanger_id, at DESC)`);
    // The exchangers' own visitor ids (user_hash) are kept; their visitors' IPs are not.
    await q.query(`
      CREATE TABLE partner_exchanges (
        exchanger_id integer     NOT NULL REFERENCES exchangers (id) ON DELETE CASCADE,
        remote_id    text        NOT NULL,
        at           timestamptz NOT NULL,
        give_code    text,
        get_code     text,
        amount_give  numeric,
        amount_get   numeric,
        success      boolean     NOT NULL,
        reward       numeric     NOT NULL DEFAULT 0,
        user_hash    text,
        PRIMARY KEY (exchanger_id, remote_id)
      )`);
    await q.query(`
      CREATE TABLE partner_visits (
        exchanger_id integer     NOT NULL REFERENCES exchangers (id) ON DELETE CASCADE,
        remote_id    text        NOT NULL,
        at           timestamptz NOT NULL,
        referrer     text,
        cur_from     text,
        cur_to       text,
        user_hash    text,
        PRIMARY KEY (exchanger_id, remote_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['partner_visits', 'partner_exchanges', 'partner_balances', 'partner_accounts'])
      await q.query(`DROP TABLE IF EXISTS ${table}`);
  }
}
