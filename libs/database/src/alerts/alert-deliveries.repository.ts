import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** A notice about to be attempted: where, what, and with which secret (null for an operator's: the config holds it). */
export interface DeliveryToAttempt {
  id: string;
  alertId: string | null;
  event: string;
  url: string;
  body: string;
  attempts: number;
  /** The alert's signing secret (null for operators' notices). */
  secret: string | null;
  /** Why it must not be sent any more (the alert was deleted, disabled or expired), or null. */
  stale: string | null;
}

/** A notice as the operator page lists it. */
export interface DeliveryRecord {
  id: string;
  alertId: string | null;
  event: string;
  /** The webhook's host only: the path may carry the receiver's own secret. */
  host: string;
  status: 'pending' | 'delivered' | 'failed' | 'dropped';
  attempts: number;
  lastError: string | null;
  lastHttpStatus: number | null;
  createdAt: Date;
  finishedAt: Date | null;
}

/** What an attempt came to. */
export type AttemptOutcome =
  | { kind: 'delivered'; httpStatus: number }
  | { kind: 'retry'; error: string; httpStatus: number | null; delayMs: number }
  | { kind: 'failed'; error: string; httpStatus: number | null }
  | { kind: 'dropped'; reason: string };

/** What an attempt reads of a notice (`d`) and its alert (`a`). */
const ATTEMPT_COLUMNS = `d.id::text AS id, d.alert_id AS "alertId", d.event, d.url, d.body, d.attempts, a.secret,
  CASE WHEN d.alert_id IS NULL THEN NULL
       WHEN a.status = 'deleted' THEN 'the alert was deleted'
       WHEN a.status = 'disabled' THEN 'the alert is disabled'
       WHEN a.status = 'expired' OR a.expires_at <= now() THEN 'the alert expired'
  END AS stale`;

/** Counts of notices by status (for metrics and the operator page). */
export type DeliveryCounts = Record<'pending' | 'delivered' | 'failed' | 'dropped', number>;

/**
 * Notices of alerts and their delivery attempts (DESIGN.md §12). Rows are the truth of what was sent; in
 * standalone mode they are also the retry schedule (`next_attempt_at`), so a restart loses no pending notice.
 */
@Injectable()
export class AlertDeliveriesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Queues an operator's notice (no alert): its body as it will be sent. */
  async queueOperatorNotice(event: string, url: string, body: string): Promise<string> {
    const [row] = await this.dataSource.query<Array<{ id: string }>>(
      `INSERT INTO alert_deliveries (event, url, body) VALUES ($1, $2, $3) RETURNING id::text AS id`,
      [event, url, body],
    );
    return row!.id;
  }

  /** A pending notice with what sending it needs, or null when it is not pending (delivered, dropped, unknown). */
  async forAttempt(id: string): Promise<DeliveryToAttempt | null> {
    if (!/^\d{1,18}$/.test(id)) return null;
    const rows = await this.dataSource.query<DeliveryToAttempt[]>(
      `SELECT ${ATTEMPT_COLUMNS} FROM alert_deliveries d LEFT JOIN alerts a ON a.id = d.alert_id
       WHERE d.id = $1 AND d.status = 'pending'`,
      [id],
    );
    return rows[0] ?? null;
  }

  /**
   * Takes the notices among `ids` that are pending and due (fleet mode: a delivery job's try), leasing them for
   * `leaseMs` like `claimDue`, and answers what sending them needs. A notice waiting out its back-off, or held
   * by another job (a re-queued copy of its job, or a second try of it), is not taken: each attempt is sent
   * once, after its back-off. `skewMs` lets a job's retry, timed by the worker's clock, arrive a little before
   * the `next_attempt_at` PostgreSQL's clock set.
   */
  async forAttemptMany(ids: readonly string[], leaseMs: number, skewMs = 1000): Promise<DeliveryToAttempt[]> {
    const valid = ids.filter((id) => /^\d{1,18}$/.test(id));
    if (valid.length === 0) return [];
    return this.dataSource.query<DeliveryToAttempt[]>(
      `WITH due AS (
         UPDATE alert_deliveries SET next_attempt_at = now() + make_interval(secs => $2::double precision / 1000)
         WHERE id IN (SELECT id FROM alert_deliveries
                      WHERE id = ANY($1::bigint[]) AND status = 'pending'
                        AND next_attempt_at <= now() + make_interval(secs => $3::double precision / 1000)
                      FOR UPDATE SKIP LOCKED)
         RETURNING *
       )
       SELECT ${ATTEMPT_COLUMNS} FROM due d LEFT JOIN alerts a ON a.id = d.alert_id ORDER BY d.id`,
      [valid, leaseMs, skewMs],
    );
  }

  /** How many of `ids` are pending but were not among `taken` (waiting out their back-off, or in another job's hands). */
  async pendingBesides(ids: readonly string[], taken: readonly string[]): Promise<number> {
    const valid = ids.filter((id) => /^\d{1,18}$/.test(id));
    if (valid.length === 0) return 0;
    const [row] = await this.dataSource.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM alert_deliveries
       WHERE id = ANY($1::bigint[]) AND NOT (id = ANY($2::bigint[])) AND status = 'pending'`,
      [valid, taken],
    );
    return row?.n ?? 0;
  }

  /**
   * Records an attempt. Delivered: the alert's failures start again from zero. Failed for good: the alert
   * counts one more undelivered notice and is disabled at `disableAfter` in a row (null: an operator's notice).
   * Answers whether the alert was disabled by it.
   */
  async record(id: string, outcome: AttemptOutcome, disableAfter: number): Promise<{ disabled: boolean }> {
    // One statement each (the notice and its alert together): no transaction round trips on the hot path.
    switch (outcome.kind) {
      case 'delivered':
        await this.dataSource.query(
          `WITH d AS (
             UPDATE alert_deliveries SET status = 'delivered', attempts = attempts + 1, last_http_status = $2,
                    last_error = NULL, finished_at = now()
             WHERE id = $1 AND status = 'pending' RETURNING alert_id
           )
           UPDATE alerts a SET consecutive_failures = 0 FROM d WHERE a.id = d.alert_id AND a.consecutive_failures <> 0`,
          [id, outcome.httpStatus],
        );
        return { disabled: false };
      case 'retry':
        await this.dataSource.query(
          `UPDATE alert_deliveries SET attempts = attempts + 1, last_error = $2, last_http_status = $3,
                  next_attempt_at = now() + make_interval(secs => $4::double precision / 1000)
           WHERE id = $1 AND status = 'pending'`,
          [id, outcome.error.slice(0, 500), outcome.httpStatus, outcome.delayMs],
        );
        return { disabled: false };
      case 'dropped':
        await this.dataSource.query(
          `UPDATE alert_deliveries SET status = 'dropped', last_error = $2, finished_at = now()
           WHERE id = $1 AND status = 'pending'`,
          [id, outcome.reason],
        );
        return { disabled: false };
      case 'failed': {
        const [rows] = await this.dataSource.query<[Array<{ status: string }>, number]>(
          `WITH d AS (
             UPDATE alert_deliveries SET status = 'failed', attempts = attempts + 1, last_error = $2,
                    last_http_status = $3, finished_at = now()
             WHERE id = $1 AND status = 'pending' RETURNING alert_id
           )
           UPDATE alerts a SET consecutive_failures = a.consecutive_failures + 1,
                  status = CASE WHEN a.consecutive_failures + 1 >= $4 AND a.status = 'active' THEN 'disabled' ELSE a.status END,
                  disabled_reason = CASE WHEN a.consecutive_failures + 1 >= $4 AND a.status = 'active'
                    THEN format('%s notices in a row were not delivered (last: %s)', a.consecutive_failures + 1, $5::text)
                    ELSE a.disabled_reason END,
                  hi = CASE WHEN a.consecutive_failures + 1 >= $4 THEN NULL ELSE a.hi END,
                  secret = CASE WHEN a.consecutive_failures + 1 >= $4 AND a.status = 'active' THEN NULL ELSE a.secret END,
                  lo = CASE WHEN a.consecutive_failures + 1 >= $4 THEN NULL ELSE a.lo END,
                  updated_at = now()
           FROM d WHERE a.id = d.alert_id RETURNING a.status`,
          [id, outcome.error.slice(0, 500), outcome.httpStatus, disableAfter, outcome.error.slice(0, 200)],
        );
        return { disabled: rows[0]?.status === 'disabled' };
      }
    }
  }

  /** Records many deliveries at once (id, HTTP status): one statement, their alerts' failure counts reset. */
  async recordDelivered(delivered: ReadonlyArray<{ id: string; httpStatus: number }>): Promise<void> {
    if (delivered.length === 0) return;
    await this.dataSource.query(
      `WITH d AS (
         UPDATE alert_deliveries x SET status = 'delivered', attempts = x.attempts + 1, last_http_status = u.s,
                last_error = NULL, finished_at = now()
         FROM unnest($1::bigint[], $2::int[]) AS u(id, s)
         WHERE x.id = u.id AND x.status = 'pending' RETURNING x.alert_id
       )
       UPDATE alerts a SET consecutive_failures = 0 FROM d WHERE a.id = d.alert_id AND a.consecutive_failures <> 0`,
      [delivered.map((d) => d.id), delivered.map((d) => d.httpStatus)],
    );
  }

  /**
   * Takes up to `limit` pending notices due now (standalone mode's deliverer), leasing them for `leaseMs` so
   * a second loop (or a restart while they are in hand) does not send them twice at once; answers what
   * sending them needs.
   */
  async claimDue(limit: number, leaseMs: number): Promise<DeliveryToAttempt[]> {
    return this.dataSource.query<DeliveryToAttempt[]>(
      `WITH due AS (
         UPDATE alert_deliveries SET next_attempt_at = now() + make_interval(secs => $2::double precision / 1000)
         WHERE id IN (SELECT id FROM alert_deliveries WHERE status = 'pending' AND next_attempt_at <= now()
                      ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
         RETURNING *
       )
       SELECT ${ATTEMPT_COLUMNS} FROM due d LEFT JOIN alerts a ON a.id = d.alert_id ORDER BY d.id`,
      [limit, leaseMs],
    );
  }

  /**
   * Pending notices whose attempt is overdue by more than `overdueMs` (fleet mode: their job was lost, or a
   * worker died holding their lease), to be queued again; each one's `next_attempt_at` is set to now, so a
   * notice still overdue is handed over again only after another `overdueMs`, not at every pass. A notice
   * waiting out its back-off, or leased by a job sending it, is not overdue.
   */
  async takeOverdue(overdueMs: number, limit: number): Promise<string[]> {
    // An UPDATE … RETURNING answers [rows, count] through TypeORM's pg driver.
    const [rows] = await this.dataSource.query<[Array<{ id: string }>, number]>(
      `UPDATE alert_deliveries SET next_attempt_at = now()
       WHERE id IN (SELECT id FROM alert_deliveries
                    WHERE status = 'pending' AND next_attempt_at < now() - make_interval(secs => $1::double precision / 1000)
                    ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING id::text AS id`,
      [overdueMs, limit],
    );
    return rows.map((r) => r.id).sort((a, b) => Number(a) - Number(b));
  }

  /** The most recent notices that were not delivered at the first try (failed, dropped, or retrying), newest first. */
  async recentUndelivered(limit: number): Promise<DeliveryRecord[]> {
    const rows = await this.dataSource.query<Array<DeliveryRecord & { url: string }>>(
      `SELECT id::text AS id, alert_id AS "alertId", event, url, status, attempts, last_error AS "lastError",
              last_http_status AS "lastHttpStatus", created_at AS "createdAt", finished_at AS "finishedAt"
       FROM alert_deliveries WHERE status IN ('failed', 'dropped') OR attempts > 1
       ORDER BY id DESC LIMIT $1`,
      [limit],
    );
    return rows.map(({ url, ...row }) => ({ ...row, host: hostOf(url) }));
  }

  /** Deletes up to `limit` notices finished (delivered, failed, dropped) more than `days` days ago; answers how many. */
  async purgeFinished(days: number, limit = 5000): Promise<number> {
    const [, count] = await this.dataSource.query<[unknown[], number]>(
      `DELETE FROM alert_deliveries WHERE id IN (
         SELECT id FROM alert_deliveries WHERE finished_at < now() - make_interval(days => $1) LIMIT $2)`,
      [days, limit],
    );
    return count;
  }

  /** Notices by status. */
  async counts(): Promise<DeliveryCounts> {
    const rows = await this.dataSource.query<Array<{ status: keyof DeliveryCounts; n: number }>>(
      `SELECT status, count(*)::int AS n FROM alert_deliveries GROUP BY status`,
    );
    const counts: DeliveryCounts = { pending: 0, delivered: 0, failed: 0, dropped: 0 };
    for (const row of rows) counts[row.status] = row.n;
    return counts;
  }

  /** Notices that failed for good in the last `hours` hours (the operator page's count). */
  async failedSince(hours: number): Promise<number> {
    const [row] = await this.dataSource.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM alert_deliveries WHERE status = 'failed' AND finished_at > now() - make_interval(hours => $1)`,
      [hours],
    );
    return row?.n ?? 0;
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '?';
  }
}
