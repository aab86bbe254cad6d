import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Alerts (DESIGN.md §12, issue 20): visitors' alerts on a direction and the notices sent for them (and for
 * operators' own concerns).
 *  - `alerts.city` '' means every city (as offers write "no city"); a city code narrows the alert to it.
 *  - Only a hash of the management token is kept (`token_hash`); the signing `secret` must be kept to sign,
 *    while the alert is active: it is cleared when the alert is deleted, expires or is disabled (never signs again).
 *  - Housekeeping deletes notices finished over 7 days ago (`alert_deliveries_finished`) and alerts inactive for
 *    30 days (`alerts_inactive`), their notices with them.
 *  - `hi`/`lo` are the alert's watch in its current state (`watchOf` in @app/domain): an evaluation reads
 *    only the alerts whose watched figure (`metric`: the best rate, or the largest reserve) reached `hi` or
 *    `lo`, through the two partial indexes, never every alert of a direction. `version` makes a state
 *    change atomic: two evaluators never fire one crossing twice.
 *  - `creator` is the keyed hash of the creator's address (IPv6 by /64), for the per-creator limit.
 *  - `alert_deliveries` is one notice: its body as sent, its attempts and outcome. `next_attempt_at` is when
 *    the in-process deliverer (standalone mode) tries a pending one again, so pending notices survive a
 *    restart; in fleet mode BullMQ holds the schedule and the row the outcome. `alert_id` is null for an
 *    operator's notice.
 *  - `operator_alert_state` remembers what operators were last told (a feed failing, the last quarantine
 *    seen), so each change is told once.
 */
export class Alerts1764073500000 implements MigrationInterface {
  name = 'Alerts1764073500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE alerts (
        id                   uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
        from_code            varchar(16) NOT NULL,
        to_code              varchar(16) NOT NULL,
        city                 varchar(32) NOT NULL DEFAULT '',
        kind                 varchar(8)  NOT NULL CHECK (kind IN ('above', 'below', 'moves', 'reserve')),
        value                numeric     NOT NULL CHECK (value > 0),
        metric               varchar(8)  NOT NULL CHECK (metric IN ('rate', 'reserve')),
        armed                boolean     NOT NULL DEFAULT true,
        reference            numeric,
        hi                   numeric,
        lo                   numeric,
        version              integer     NOT NULL DEFAULT 0,
        webhook_url          text        NOT NULL CHECK (char_length(webhook_url) BETWEEN 8 AND 2048),
        token_hash           char(64)    NOT NULL,
        secret               text,
        creator              varchar(64) NOT NULL,
        status               varchar(8)  NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled', 'deleted', 'expired')),
        disabled_reason      text,
        consecutive_failures integer     NOT NULL DEFAULT 0,
        notices              integer     NOT NULL DEFAULT 0,
        last_fired_at        timestamptz,
        expires_at           timestamptz NOT NULL,
        created_at           timestamptz NOT NULL DEFAULT now(),
        updated_at           timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX alerts_watch_hi ON alerts (from_code, to_code, city, metric, hi) WHERE status = 'active' AND hi IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX alerts_watch_lo ON alerts (from_code, to_code, city, metric, lo) WHERE status = 'active' AND lo IS NOT NULL`,
    );
    await q.query(`CREATE INDEX alerts_direction ON alerts (from_code, to_code) WHERE status = 'active'`);
    await q.query(`CREATE INDEX alerts_creator ON alerts (creator) WHERE status = 'active'`);
    await q.query(`CREATE INDEX alerts_expiry ON alerts (expires_at) WHERE status = 'active'`);
    await q.query(`CREATE INDEX alerts_inactive ON alerts (updated_at) WHERE status <> 'active'`);

    await q.query(`
      CREATE TABLE alert_deliveries (
        id              bigserial    PRIMARY KEY,
        alert_id        uuid         REFERENCES alerts (id) ON DELETE CASCADE,
        event           varchar(32)  NOT NULL,
        url             text         NOT NULL,
        body            text         NOT NULL,
        status          varchar(12)  NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed', 'dropped')),
        attempts        integer      NOT NULL DEFAULT 0,
        next_attempt_at timestamptz  NOT NULL DEFAULT now(),
        last_error      text,
        last_http_status integer,
        created_at      timestamptz  NOT NULL DEFAULT now(),
        finished_at     timestamptz
      )`);
    await q.query(`CREATE INDEX alert_deliveries_due ON alert_deliveries (next_attempt_at) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX alert_deliveries_alert ON alert_deliveries (alert_id, id DESC)`);
    await q.query(
      `CREATE INDEX alert_deliveries_finished ON alert_deliveries (finished_at) WHERE finished_at IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX alert_deliveries_undelivered ON alert_deliveries (id DESC) WHERE status IN ('failed', 'dropped') OR attempts > 1`,
    );

    await q.query(`
      CREATE TABLE operator_alert_state (
        key        varchar(64) PRIMARY KEY,
        value      text        NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE operator_alert_state`);
    await q.query(`DROP TABLE alert_deliveries`);
    await q.query(`DROP TABLE alerts`);
  }
}
