import { MigrationInterface, QueryRunner } from 'typeorm';

/** The data model of DESIGN.md §5 (partner tables come with the partner-programs migration). */
export class InitialSchema1764072000000 implements MigrationInterface {
  name = 'InitialSchema1764072000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE currencies (
        code          varchar(16) PRIMARY KEY CHECK (code ~ '^[A-Z0-9]{2,16}$'),
        bestchange_id integer UNIQUE,
        name          text        NOT NULL,
        ticker        varchar(16) NOT NULL,
        iso           varchar(16) NOT NULL,
        kind          varchar(32) NOT NULL,
        enabled       boolean     NOT NULL DEFAULT true,
        created_at    timestamptz NOT NULL DEFAULT now(),
        updated_at    timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE exchangers (
        id           serial PRIMARY KEY,
        slug         varchar(63) NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
        name         text        NOT NULL,
        site_url     text        NOT NULL,
        referral_url text        NOT NULL,
        status       varchar(16) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'disabled')),
        created_at   timestamptz NOT NULL DEFAULT now(),
        updated_at   timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE currency_aliases (
        id           serial PRIMARY KEY,
        alias        varchar(64) NOT NULL CHECK (alias <> ''),
        exchanger_id integer     REFERENCES exchangers (id) ON DELETE CASCADE,
        code         varchar(16) NOT NULL REFERENCES currencies (code) ON UPDATE CASCADE,
        created_at   timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT currency_aliases_scope_alias UNIQUE NULLS NOT DISTINCT (exchanger_id, alias)
      )`);

    await q.query(`
      CREATE TABLE feeds (
        id                   serial PRIMARY KEY,
        exchanger_id         integer     NOT NULL REFERENCES exchangers (id) ON DELETE CASCADE,
        url                  text        NOT NULL,
        format               varchar(8)  NOT NULL DEFAULT 'auto' CHECK (format IN ('auto', 'xml', 'json', 'txt')),
        interval_s           integer     NOT NULL DEFAULT 30 CHECK (interval_s BETWEEN 5 AND 86400),
        timeout_ms           integer     NOT NULL DEFAULT 10000 CHECK (timeout_ms > 0),
        stale_after_s        integer     NOT NULL DEFAULT 300 CHECK (stale_after_s > 0),
        enabled              boolean     NOT NULL DEFAULT true,
        etag                 text,
        last_modified        text,
        content_hash         text,
        last_attempt_at      timestamptz,
        last_success_at      timestamptz,
        last_change_at       timestamptz,
        last_status          varchar(16),
        last_error           jsonb,
        in_maintenance       boolean     NOT NULL DEFAULT false,
        consecutive_failures integer     NOT NULL DEFAULT 0,
        created_at           timestamptz NOT NULL DEFAULT now(),
        updated_at           timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX feeds_exchanger ON feeds (exchanger_id)`);

    // The current snapshots: the hottest table. Every choice here keeps a snapshot write cheap:
    //  - no foreign keys: a foreign key costs a trigger query per written row. Codes come only from
    //    the catalog (the normalizer checks them); feed_id and exchanger_id are written by the snapshot
    //    writer from the feed row it holds locked, and deleting a feed or an exchanger deletes its
    //    offers in the same transaction (AdminRepository). Reads join feeds, so a stray row never shows;
    //  - no index contains a value column, and pages keep 30 % free space, so a changed rate is a HOT
    //    update that touches no index. The read path finds a direction through (from_code, to_code)
    //    and sorts its few rows (one per exchanger and city) by rate.
    //  - fp is a fingerprint of the values, computed by the writer to tell changed rows apart.
    await q.query(`
      CREATE TABLE offers (
        feed_id      integer     NOT NULL,
        from_code    varchar(16) NOT NULL,
        to_code      varchar(16) NOT NULL,
        city         varchar(32) NOT NULL DEFAULT '',
        exchanger_id integer     NOT NULL,
        amount_in    numeric     NOT NULL CHECK (amount_in > 0),
        amount_out   numeric     NOT NULL CHECK (amount_out > 0),
        rate         numeric     NOT NULL CHECK (rate > 0),
        reserve      numeric     CHECK (reserve >= 0),
        from_min     numeric,
        from_max     numeric,
        to_min       numeric,
        to_max       numeric,
        from_fee     jsonb       NOT NULL DEFAULT '[]',
        to_fee       jsonb       NOT NULL DEFAULT '[]',
        min_fee      jsonb       NOT NULL DEFAULT '[]',
        flags        text[]      NOT NULL DEFAULT '{}',
        fp           bigint      NOT NULL DEFAULT 0,
        updated_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (feed_id, from_code, to_code, city)
      ) WITH (fillfactor = 70)`);
    await q.query(`CREATE INDEX offers_direction ON offers (from_code, to_code)`);

    await q.query(`
      CREATE TABLE feed_runs (
        id            bigserial PRIMARY KEY,
        feed_id       integer     NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
        trigger       varchar(16) NOT NULL DEFAULT 'schedule',
        started_at    timestamptz NOT NULL,
        duration_ms   integer     NOT NULL,
        status        varchar(16) NOT NULL
                      CHECK (status IN ('ok', 'empty', 'maintenance', 'not_modified', 'unchanged', 'error')),
        format        varchar(8),
        http_status   integer,
        bytes         integer,
        items         integer     NOT NULL DEFAULT 0,
        accepted      integer     NOT NULL DEFAULT 0,
        rejected      integer     NOT NULL DEFAULT 0,
        duplicates    integer     NOT NULL DEFAULT 0,
        inserted      integer     NOT NULL DEFAULT 0,
        updated       integer     NOT NULL DEFAULT 0,
        deleted       integer     NOT NULL DEFAULT 0,
        error_code    varchar(64),
        error_message text,
        rejects       jsonb       NOT NULL DEFAULT '[]',
        warnings      jsonb       NOT NULL DEFAULT '[]'
      )`);
    await q.query(`CREATE INDEX feed_runs_feed_started ON feed_runs (feed_id, started_at DESC)`);

    await q.query(`
      CREATE TABLE clicks (
        id           bigserial PRIMARY KEY,
        exchanger_id integer     NOT NULL REFERENCES exchangers (id) ON DELETE CASCADE,
        from_code    varchar(16) NOT NULL,
        to_code      varchar(16) NOT NULL,
        city         varchar(32),
        at           timestamptz NOT NULL DEFAULT now(),
        day          date        NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')::date,
        visitor_hash varchar(64) NOT NULL,
        referrer     text,
        is_bot       boolean     NOT NULL DEFAULT false,
        is_unique    boolean     NOT NULL DEFAULT false
      )`);
    await q.query(`CREATE INDEX clicks_at ON clicks (at)`);
    await q.query(`CREATE INDEX clicks_exchanger_at ON clicks (exchanger_id, at)`);
    // At most one unique click per visitor, exchanger and direction a day: the database enforces it.
    await q.query(
      `CREATE UNIQUE INDEX clicks_unique_per_day ON clicks (day, exchanger_id, from_code, to_code, visitor_hash) WHERE is_unique`,
    );

    await q.query(`
      CREATE TABLE api_keys (
        id           serial PRIMARY KEY,
        name         text        NOT NULL,
        key_hash     varchar(64) NOT NULL UNIQUE,
        prefix       varchar(16) NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at   timestamptz
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'api_keys',
      'clicks',
      'feed_runs',
      'offers',
      'feeds',
      'currency_aliases',
      'exchangers',
      'currencies',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
