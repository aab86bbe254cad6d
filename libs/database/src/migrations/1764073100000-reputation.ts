import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reputation (DESIGN.md §11, issue 19): reviews and claims, moderated before they are public, the audit of
 * every moderation act, and each exchanger's counts kept next to its rates.
 *  - Visitors are known only by hashes: `visitor_hash` is the day-salted hash clicks use (so a review can
 *    be matched with its visitor's clicks), `ip_hash` a keyed hash of the address; raw IPs never reach
 *    the database. `day` is the UTC day the visitor hash is salted for, the day the abuse limits count.
 *  - `text_fingerprint` is the SimHash of the text (`textFingerprint` in @app/domain): near-duplicates are
 *    fingerprints a few bits apart, compared in SQL with bit_count.
 *  - `exchanger_standing` holds the counts shown next to every rate: published reviews by tone and claims
 *    open (open or answered). The repository changes it in the transaction that changes a review or a
 *    claim, so reads never count. An exchanger without a row has nothing (read as zeros).
 *  - An exchanger's age is `exchangers.created_at` (its listedSince): no new column.
 *  - `api_keys.exchanger_id` scopes a key to one exchanger (null = an admin key). Deleting the exchanger
 *    deletes its keys: setting the column to null would turn them into admin keys.
 */
export class Reputation1764073100000 implements MigrationInterface {
  name = 'Reputation1764073100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_keys ADD COLUMN exchanger_id integer REFERENCES exchangers (id) ON DELETE CASCADE`);
    await q.query(`CREATE INDEX api_keys_exchanger ON api_keys (exchanger_id) WHERE exchanger_id IS NOT NULL`);

    await q.query(`
      CREATE TABLE reviews (
        id               bigserial PRIMARY KEY,
        exchanger_id     integer     NOT NULL REFERENCES exchangers (id) ON DELETE CASCADE,
        tone             varchar(8)  NOT NULL CHECK (tone IN ('positive', 'neutral', 'negative')),
        text             text        NOT NULL CHECK (char_length(text) BETWEEN 20 AND 2000),
        order_ref        varchar(64) CHECK (order_ref <> ''),
        state            varchar(16) NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'published', 'rejected')),
        reject_reason    text        CHECK (reject_reason <> ''),
        visitor_hash     varchar(64) NOT NULL,
        ip_hash          varchar(64) NOT NULL,
        day              date        NOT NULL,
        visited          boolean     NOT NULL DEFAULT false,
        text_fingerprint bigint      NOT NULL,
        burst            boolean     NOT NULL DEFAULT false,
        created_at       timestamptz NOT NULL DEFAULT now(),
        moderated_at     timestamptz,
        moderated_by     integer     REFERENCES api_keys (id) ON DELETE SET NULL,
        reply            text        CHECK (char_length(reply) BETWEEN 2 AND 2000),
        replied_at       timestamptz,
        replied_by       integer     REFERENCES api_keys (id) ON DELETE SET NULL,
        CONSTRAINT reviews_reason_iff_rejected CHECK ((state = 'rejected') = (reject_reason IS NOT NULL)),
        CONSTRAINT reviews_moderated_iff_not_pending CHECK ((state = 'pending') = (moderated_at IS NULL)),
        CONSTRAINT reviews_reply_with_time CHECK ((reply IS NULL) = (replied_at IS NULL))
      )`);
    // One review of an exchanger per visitor a day (REVIEW_LIMITS.perExchangerPerDay = 1), held by the
    // database itself; the other limits count with these indexes under the submission's advisory locks.
    await q.query(`CREATE UNIQUE INDEX reviews_one_per_visitor_day ON reviews (exchanger_id, visitor_hash, day)`);
    await q.query(`CREATE INDEX reviews_visitor_day ON reviews (visitor_hash, day)`);
    await q.query(`CREATE INDEX reviews_ip_day ON reviews (ip_hash, day)`);
    // The public list (newest first, keyset by id), and the exchanger's recent reviews (duplicates, bursts).
    await q.query(`CREATE INDEX reviews_published ON reviews (exchanger_id, id DESC) WHERE state = 'published'`);
    await q.query(`CREATE INDEX reviews_exchanger_created ON reviews (exchanger_id, created_at)`);
    await q.query(`CREATE INDEX reviews_state ON reviews (state, id)`);
    await q.query(`CREATE INDEX reviews_burst_pending ON reviews (exchanger_id) WHERE burst AND state = 'pending'`);

    await q.query(`
      CREATE TABLE claims (
        id               bigserial PRIMARY KEY,
        exchanger_id     integer     NOT NULL REFERENCES exchangers (id) ON DELETE CASCADE,
        order_ref        varchar(64) NOT NULL CHECK (order_ref <> ''),
        text             text        NOT NULL CHECK (char_length(text) BETWEEN 20 AND 2000),
        amount           numeric     CHECK (amount > 0),
        currency         varchar(16) CHECK (currency ~ '^[A-Z0-9]{2,16}$'),
        state            varchar(16) NOT NULL DEFAULT 'pending'
                         CHECK (state IN ('pending', 'open', 'answered', 'resolved', 'rejected')),
        visitor_hash     varchar(64) NOT NULL,
        ip_hash          varchar(64) NOT NULL,
        day              date        NOT NULL,
        visited          boolean     NOT NULL DEFAULT false,
        text_fingerprint bigint      NOT NULL,
        created_at       timestamptz NOT NULL DEFAULT now(),
        opened_at        timestamptz,
        updated_at       timestamptz NOT NULL DEFAULT now(),
        closed_at        timestamptz,
        CONSTRAINT claims_amount_with_currency CHECK ((amount IS NULL) = (currency IS NULL)),
        CONSTRAINT claims_closed_iff_final CHECK ((state IN ('resolved', 'rejected')) = (closed_at IS NOT NULL))
      )`);
    await q.query(`CREATE UNIQUE INDEX claims_one_per_visitor_day ON claims (exchanger_id, visitor_hash, day)`);
    await q.query(`CREATE INDEX claims_visitor_day ON claims (visitor_hash, day)`);
    await q.query(`CREATE INDEX claims_ip_day ON claims (ip_hash, day)`);
    await q.query(`CREATE INDEX claims_exchanger ON claims (exchanger_id, id DESC)`);
    await q.query(`CREATE INDEX claims_exchanger_created ON claims (exchanger_id, created_at)`);
    await q.query(`CREATE INDEX claims_state ON claims (state, id)`);

    // Every step of a claim, timed: who (the visitor, an exchanger's key, an admin key; a null key is the
    // CLI or a key deleted since), from which state to which, and what they wrote.
    await q.query(`
      CREATE TABLE claim_events (
        id         bigserial PRIMARY KEY,
        claim_id   bigint      NOT NULL REFERENCES claims (id) ON DELETE CASCADE,
        at         timestamptz NOT NULL DEFAULT clock_timestamp(),
        action     varchar(16) NOT NULL CHECK (action IN ('file', 'accept', 'answer', 'resolve', 'reject')),
        actor      varchar(16) NOT NULL CHECK (actor IN ('visitor', 'exchanger', 'admin')),
        key_id     integer     REFERENCES api_keys (id) ON DELETE SET NULL,
        from_state varchar(16),
        to_state   varchar(16) NOT NULL,
        text       text        CHECK (char_length(text) BETWEEN 1 AND 2000)
      )`);
    await q.query(`CREATE INDEX claim_events_claim ON claim_events (claim_id, id)`);

    await q.query(`
      CREATE TABLE moderation_audit (
        id         bigserial PRIMARY KEY,
        at         timestamptz NOT NULL DEFAULT clock_timestamp(),
        key_id     integer     REFERENCES api_keys (id) ON DELETE SET NULL,
        entity     varchar(16) NOT NULL CHECK (entity IN ('review', 'claim')),
        entity_id  bigint      NOT NULL,
        action     varchar(16) NOT NULL,
        from_state varchar(16) NOT NULL,
        to_state   varchar(16) NOT NULL,
        reason     text
      )`);
    await q.query(`CREATE INDEX moderation_audit_entity ON moderation_audit (entity, entity_id, id)`);
    await q.query(`CREATE INDEX moderation_audit_at ON moderation_audit (at DESC)`);

    await q.query(`
      CREATE TABLE exchanger_standing (
        exchanger_id integer     PRIMARY KEY REFERENCES exchangers (id) ON DELETE CASCADE,
        positive     integer     NOT NULL DEFAULT 0 CHECK (positive >= 0),
        neutral      integer     NOT NULL DEFAULT 0 CHECK (neutral >= 0),
        negative     integer     NOT NULL DEFAULT 0 CHECK (negative >= 0),
        claims_open  integer     NOT NULL DEFAULT 0 CHECK (claims_open >= 0),
        updated_at   timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['exchanger_standing', 'moderation_audit', 'claim_events', 'claims', 'reviews'])
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    await q.query(`ALTER TABLE api_keys DROP COLUMN exchanger_id`);
  }
}
