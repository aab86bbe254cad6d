import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool, PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import {
  AlertCondition,
  AlertKind,
  AlertState,
  DirectionMarket,
  initialAlertState,
  metricOf,
  sameAlertState,
  stepAlert,
  watchOf,
} from '@app/domain';
import { FRESH_FEED_SQL } from '../freshness';

/** An alert as stored (never its token; its signing secret only where delivery needs it). */
export interface AlertRecord {
  id: string;
  from: string;
  to: string;
  /** null: every city. */
  city: string | null;
  kind: AlertKind;
  value: string;
  armed: boolean;
  reference: string | null;
  webhookUrl: string;
  tokenHash: string;
  status: 'active' | 'disabled' | 'deleted' | 'expired';
  disabledReason: string | null;
  consecutiveFailures: number;
  notices: number;
  lastFiredAt: Date | null;
  expiresAt: Date;
  createdAt: Date;
}

export interface NewAlert {
  from: string;
  to: string;
  city: string | null;
  condition: AlertCondition;
  webhookUrl: string;
  tokenHash: string;
  secret: string;
  creator: string;
  expiresAt: Date;
}

/** A direction as changes name it. */
export type AlertDirection = readonly [string, string];

/** What one evaluation did: alerts read (candidates), state changes written, notices queued (their delivery ids). */
export interface AlertEvaluation {
  candidates: number;
  changed: number;
  deliveryIds: string[];
}

/** The body of a visitor's notice (what the webhook receives, as JSON). */
export interface AlertNoticeBody {
  event: 'alert.fired';
  alert: { id: string; from: string; to: string; city: string | null; kind: AlertKind; value: string };
  best: string | null;
  reserve: string | null;
  /** For `moves`: the best it moved from. */
  previous: string | null;
  firedAt: string;
}

const ALERT_COLUMNS = `a.id, a.from_code AS "from", a.to_code AS "to", NULLIF(a.city, '') AS city, a.kind, a.value::text AS value,
  a.armed, a.reference::text AS reference, a.webhook_url AS "webhookUrl", a.token_hash AS "tokenHash", a.status,
  a.disabled_reason AS "disabledReason", a.consecutive_failures AS "consecutiveFailures", a.notices,
  a.last_fired_at AS "lastFiredAt", a.expires_at AS "expiresAt", a.created_at AS "createdAt"`;

/** Rows one purge statement deletes at most (housekeeping runs every minute: a backlog goes in a few passes). */
export const PURGE_BATCH = 5000;

/** One creator's alerts are counted and created under this advisory lock class (with the creator's hash). */
const CREATOR_LOCK_CLASS = 0x616c_7274;

/**
 * Evaluations of a direction are serialized under this advisory lock class and one of EVALUATION_LOCK_SLOTS slots
 * by the direction's hash: a bounded number of locks per evaluation (evaluateAll names every direction with
 * alerts, and PostgreSQL's lock table is shared and small), at the price of unrelated directions of one slot
 * taking turns too (an evaluation holds its slots for well under a millisecond when nothing crosses).
 */
const EVALUATION_LOCK_CLASS = 0x616c_6576;
const EVALUATION_LOCK_SLOTS = 64;

/**
 * Which of the changed directions $1 > $2 have active alerts (one index probe each, alerts_direction: the whole
 * cost of a change no alert watches), each direction's session advisory lock slot taken, in slot order (two
 * evaluators never deadlock; a slot of two directions is simply held twice until `pg_advisory_unlock_all`).
 */
const LOCK_WATCHED_SQL = `SELECT w.from_code AS "from", w.to_code AS "to",
    pg_advisory_lock(${EVALUATION_LOCK_CLASS}, w.key) IS NULL AS unlocked
  FROM (SELECT DISTINCT c.from_code, c.to_code,
               hashtext(c.from_code || '>' || c.to_code) & ${EVALUATION_LOCK_SLOTS - 1} AS key
        FROM unnest($1::text[], $2::text[]) AS c(from_code, to_code)
        WHERE EXISTS (SELECT 1 FROM alerts x WHERE x.status = 'active' AND x.from_code = c.from_code
                        AND x.to_code = c.to_code)
        ORDER BY key) w`;

const UNLOCK_SQL = `SELECT pg_advisory_unlock_all()`;

/**
 * The best shown rate and the largest shown reserve of each given direction (those LOCK_WATCHED_SQL found
 * active alerts on), over all
 * cities (scope '') and per city. Shown as /v1/rates shows: fresh feed, active exchanger, not held by the rate
 * guard, one offer per exchanger and city (the more recently confirmed feed's) — shownOffersSql's rule, with
 * the reserve kept.
 */
const MARKET_CTE = `changed AS (
    SELECT DISTINCT c.from_code, c.to_code FROM unnest($1::text[], $2::text[]) AS c(from_code, to_code)
  ),
  shown AS (
    SELECT DISTINCT ON (o.exchanger_id, o.from_code, o.to_code, o.city) o.from_code, o.to_code, o.city, o.rate, o.reserve
    FROM changed c JOIN offers o ON o.from_code = c.from_code AND o.to_code = c.to_code
    JOIN feeds f ON f.id = o.feed_id JOIN exchangers e ON e.id = o.exchanger_id
    WHERE ${FRESH_FEED_SQL} AND o.quarantine IS NULL
    ORDER BY o.exchanger_id, o.from_code, o.to_code, o.city, f.last_success_at DESC, f.id DESC
  ),
  market AS (
    SELECT from_code, to_code, CASE WHEN GROUPING(city) = 1 THEN '' ELSE city END AS scope,
           max(rate) AS best, max(reserve) AS reserve
    FROM shown GROUP BY GROUPING SETS ((from_code, to_code), (from_code, to_code, city))
    HAVING GROUPING(city) = 1 OR city <> ''
  )`;

/** One index range per watch bound and figure (alerts_watch_hi / alerts_watch_lo): only alerts the market reached. */
const watched = (bound: 'hi' | 'lo', metric: 'rate' | 'reserve') => {
  const figure = metric === 'rate' ? 'm.best' : 'm.reserve';
  const test = bound === 'hi' ? `a.hi <= ${figure}` : `a.lo >= ${figure}`;
  return `SELECT a.id, a.kind, a.value::text AS value, a.armed, a.reference::text AS reference, a.version
          FROM alerts a WHERE a.status = 'active' AND a.${bound} IS NOT NULL AND a.from_code = m.from_code
           AND a.to_code = m.to_code AND a.city = m.scope AND a.metric = '${metric}' AND ${test}
           AND a.expires_at > now()`;
};

export const ALERT_CANDIDATES_SQL = `WITH ${MARKET_CTE}
  SELECT w.id, w.kind, w.value, w.armed, w.reference, w.version, m.from_code AS "from", m.to_code AS "to",
         NULLIF(m.scope, '') AS city, m.best::text AS best, m.reserve::text AS reserve
  FROM market m CROSS JOIN LATERAL (
    ${watched('hi', 'rate')} UNION ALL ${watched('lo', 'rate')} UNION ALL ${watched('hi', 'reserve')} UNION ALL ${watched('lo', 'reserve')}
  ) w`;

/**
 * Writes the evaluated states of alerts — only where no one changed them since they were read (`version`) and
 * they are still active — and queues a notice for those that fired, in one statement: a crossing fires once
 * however many evaluators see it.
 */
const APPLY_SQL = `WITH u AS (
    SELECT * FROM unnest($1::uuid[], $2::int[], $3::boolean[], $4::numeric[], $5::numeric[], $6::numeric[], $7::text[])
      AS u(id, version, armed, reference, hi, lo, body)
  ),
  updated AS (
    UPDATE alerts a SET armed = u.armed, reference = u.reference, hi = u.hi, lo = u.lo, version = a.version + 1,
           notices = a.notices + (u.body IS NOT NULL)::int,
           last_fired_at = CASE WHEN u.body IS NOT NULL THEN now() ELSE a.last_fired_at END, updated_at = now()
    FROM u WHERE a.id = u.id AND a.version = u.version AND a.status = 'active'
    RETURNING a.id, a.webhook_url, u.body
  )
  INSERT INTO alert_deliveries (alert_id, event, url, body)
  SELECT id, 'alert.fired', webhook_url, body FROM updated WHERE body IS NOT NULL
  RETURNING id::text AS id`;

/** Visitors' alerts (DESIGN.md §12): creation under the per-creator limit, lookup, and evaluation by changed direction. */
@Injectable()
export class AlertsRepository {
  private readonly logger = new Logger(AlertsRepository.name);
  /** The connection evaluations read candidates on (see `candidates`), taken from the pool on first use. */
  private client: Promise<PoolClient> | null = null;
  private closed = false;
  /** Connections already given back (closed), so an error and a failed query never release one twice. */
  private readonly released = new WeakSet<PoolClient>();
  /** The evaluation in progress on the held connection; the next one waits for it. */
  private evaluations: Promise<unknown> = Promise.resolve();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Stores a new alert unless its creator already holds `maxPerCreator` active ones (null then). Counted and
   * inserted under the creator's advisory lock, so parallel requests cannot pass the limit together. Its
   * initial state comes from the market now: an alert whose condition already holds waits for the next crossing.
   */
  async create(alert: NewAlert, maxPerCreator: number): Promise<AlertRecord | null> {
    return this.dataSource.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock($1, hashtext($2))`, [CREATOR_LOCK_CLASS, alert.creator]);
      const [{ n }] = await tx.query<[{ n: number }]>(
        `SELECT count(*)::int AS n FROM alerts WHERE creator = $1 AND status = 'active' AND expires_at > now()`,
        [alert.creator],
      );
      if (n >= maxPerCreator) return null;
      const market = await marketOf(tx, alert.from, alert.to, alert.city);
      const state = initialAlertState(alert.condition, market);
      const watch = watchOf(alert.condition, state);
      const [row] = await tx.query<AlertRecord[]>(
        `INSERT INTO alerts AS a (from_code, to_code, city, kind, value, metric, armed, reference, hi, lo, webhook_url,
                                  token_hash, secret, creator, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING ${ALERT_COLUMNS}`,
        [
          alert.from,
          alert.to,
          alert.city ?? '',
          alert.condition.kind,
          alert.condition.value,
          metricOf(alert.condition.kind),
          state.armed,
          state.reference,
          watch.hi,
          watch.lo,
          alert.webhookUrl,
          alert.tokenHash,
          alert.secret,
          alert.creator,
          alert.expiresAt,
        ],
      );
      return row!;
    });
  }

  /** An alert by id (any status but deleted), or null; a malformed id is simply not found. */
  async findById(id: string): Promise<AlertRecord | null> {
    if (!UUID.test(id)) return null;
    const rows = await this.dataSource.query<AlertRecord[]>(
      `SELECT ${ALERT_COLUMNS} FROM alerts a WHERE a.id = $1 AND a.status <> 'deleted'`,
      [id],
    );
    return rows[0] ?? null;
  }

  /** Deletes an alert for its owner: it is never evaluated nor delivered again (pending notices are dropped). */
  async delete(id: string): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      await tx.query(
        `UPDATE alerts SET status = 'deleted', hi = NULL, lo = NULL, secret = NULL, updated_at = now() WHERE id = $1`,
        [id],
      );
      await tx.query(
        `UPDATE alert_deliveries SET status = 'dropped', last_error = 'the alert was deleted', finished_at = now()
         WHERE alert_id = $1 AND status = 'pending'`,
        [id],
      );
    });
  }

  /** The market of one direction now (null city: every city). */
  market(from: string, to: string, city: string | null): Promise<DirectionMarket> {
    return marketOf(this.dataSource.manager, from, to, city);
  }

  /**
   * Evaluates the active alerts of the changed directions (DESIGN.md §12): reads only those the market reached
   * (index ranges on their watch bounds, never every alert), steps each (`stepAlert`: hysteresis), and writes the
   * changed states and the notices of those that fired at once. A direction without active alerts costs one
   * index probe, outside any lock.
   *
   * The market and candidates are read, and the states written, under the direction's advisory lock (taken by
   * the same statement that probes for alerts, held until the writes are done), so evaluators (every worker
   * hears every change) take turns: each reads the states
   * the one before wrote, with a market at least as new. Without it, an evaluator that read an older market
   * could write its state over a newer one's reading (it fired at 101 and disarmed the alert while another saw
   * 99 with the alert still armed, and did nothing), leaving the alert disarmed under its value: the next
   * crossing would never fire.
   */
  async evaluate(directions: readonly AlertDirection[], now = new Date()): Promise<AlertEvaluation> {
    if (directions.length === 0) return { candidates: 0, changed: 0, deliveryIds: [] };
    return this.onEvaluationConnection(async (client, unlock) => {
      const { rows: watched } = await client.query<{ from: string; to: string }>({
        name: 'ratewatch_alert_lock_watched',
        text: LOCK_WATCHED_SQL,
        values: [directions.map((d) => d[0]), directions.map((d) => d[1])],
      });
      if (watched.length === 0) return { candidates: 0, changed: 0, deliveryIds: [] };
      // Held from here until `unlock`: read after the lock, so after the writes of whoever held it before.
      unlock.needed = true;
      const { rows: candidates } = await client.query<Candidate>({
        name: 'ratewatch_alert_candidates',
        text: ALERT_CANDIDATES_SQL,
        values: [watched.map((w) => w.from), watched.map((w) => w.to)],
      });
      const changes = stepCandidates(candidates, now);
      if (changes.ids.length === 0) return { candidates: candidates.length, changed: 0, deliveryIds: [] };
      const { rows: inserted } = await client.query<{ id: string }>(APPLY_SQL, [
        changes.ids,
        changes.versions,
        changes.armed,
        changes.references,
        changes.his,
        changes.los,
        changes.bodies,
      ]);
      return { candidates: candidates.length, changed: changes.ids.length, deliveryIds: inserted.map((r) => r.id) };
    });
  }

  /**
   * Runs `work` on the evaluation's own connection, one evaluation at a time: statements named there get a
   * generic plan, planned once per connection (planning the candidates' statement costs several times running
   * it, and a change that crosses nothing must cost well under a millisecond). The plan is generic only on this
   * connection, never on the pool's others. When `work` took the directions' locks (`unlock.needed`), they are
   * given back after it, without the caller waiting for it (the connection runs the next evaluation's
   * statements after it). On an error the connection is closed (its locks with it); the next evaluation takes
   * another.
   */
  private onEvaluationConnection<T>(work: (client: PoolClient, unlock: { needed: boolean }) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      const unlock = { needed: false };
      if (this.closed) {
        // Shutting down (an evaluation finishing late): a connection of the pool's, for this evaluation only.
        const pool = (this.dataSource.driver as unknown as { master: Pool }).master;
        const client = await pool.connect();
        let broken = true;
        try {
          const result = await work(client, unlock);
          if (unlock.needed) await client.query(UNLOCK_SQL);
          broken = false;
          return result;
        } finally {
          client.release(broken);
        }
      }
      const held = this.evaluationClient();
      const client = await held;
      try {
        return await work(client, unlock);
      } catch (error) {
        // The connection may be broken, or hold the locks: give it back to be closed.
        this.drop(held, client);
        throw error;
      } finally {
        if (unlock.needed && !this.released.has(client))
          client.query(UNLOCK_SQL).catch((error: unknown) => {
            this.logger.warn(`the alert evaluation's locks could not be given back (${String(error)}); reconnecting`);
            this.drop(held, client);
          });
      }
    };
    const turn = this.evaluations.then(run, run);
    this.evaluations = turn.catch(() => undefined);
    return turn;
  }

  private evaluationClient(): Promise<PoolClient> {
    if (this.client) return this.client;
    const connect = async (): Promise<PoolClient> => {
      const pool = (this.dataSource.driver as unknown as { master: Pool }).master;
      const client = await pool.connect();
      // A held connection is not the pool's to watch: PostgreSQL ending it (a restart, an administrator)
      // emits 'error' here, which would otherwise end the process. It is dropped; the next evaluation connects.
      client.on('error', (error: Error) => {
        this.logger.warn(`the alert evaluation's connection failed (${error.message}); the next one connects anew`);
        this.drop(held, client);
      });
      try {
        await client.query(`SET plan_cache_mode = force_generic_plan`);
        return client;
      } catch (error) {
        this.drop(held, client);
        throw error;
      }
    };
    const held: Promise<PoolClient> = connect().catch((error: unknown) => {
      if (this.client === held) this.client = null;
      throw error;
    });
    this.client = held;
    return held;
  }

  /** Forgets the held connection `held` and closes it (once, whoever notices first: an error, a failed query). */
  private drop(held: Promise<PoolClient>, client: PoolClient): void {
    if (this.client === held) this.client = null;
    if (this.released.has(client)) return;
    this.released.add(client);
    client.release(true);
  }

  /** Gives the evaluation's connection back (closed: its session settings are its own). Nest calls it at shutdown. */
  async close(): Promise<void> {
    this.closed = true;
    const held = this.client;
    this.client = null;
    const client = held && (await held.catch(() => null));
    if (held && client) this.drop(held, client);
  }

  onModuleDestroy(): Promise<void> {
    return this.close();
  }

  /**
   * Evaluates every direction that has active alerts (after a change that may touch any: maintenance, a feed
   * going stale): their list read from the alerts' direction index.
   */
  async evaluateAll(now = new Date()): Promise<AlertEvaluation> {
    // A loose scan of alerts_direction: one index probe per direction, never a read of every alert.
    const rows = await this.dataSource.query<Array<{ from: string; to: string }>>(
      `WITH RECURSIVE d AS (
         (SELECT from_code, to_code FROM alerts WHERE status = 'active' ORDER BY from_code, to_code LIMIT 1)
         UNION ALL
         SELECT n.from_code, n.to_code FROM d CROSS JOIN LATERAL (
           SELECT from_code, to_code FROM alerts
           WHERE status = 'active' AND (from_code, to_code) > (d.from_code, d.to_code)
           ORDER BY from_code, to_code LIMIT 1
         ) n
       )
       SELECT from_code AS "from", to_code AS "to" FROM d`,
    );
    return this.evaluate(
      rows.map((r) => [r.from, r.to] as const),
      now,
    );
  }

  /** Marks alerts past their expiry as expired (housekeeping): they stop counting against their creator. */
  async expire(): Promise<number> {
    // An UPDATE answers [rows, count] through TypeORM.
    const [, count] = await this.dataSource.query<[unknown[], number]>(
      `UPDATE alerts SET status = 'expired', hi = NULL, lo = NULL, secret = NULL, updated_at = now()
       WHERE status = 'active' AND expires_at <= now()`,
    );
    return count;
  }

  /**
   * Deletes up to `limit` alerts inactive (deleted, expired, disabled) for more than `days` days, their notices
   * with them (housekeeping); answers how many.
   */
  async purgeInactive(days: number, limit = PURGE_BATCH): Promise<number> {
    const [, count] = await this.dataSource.query<[unknown[], number]>(
      `DELETE FROM alerts WHERE id IN (
         SELECT id FROM alerts WHERE status <> 'active' AND updated_at < now() - make_interval(days => $1) LIMIT $2)`,
      [days, limit],
    );
    return count;
  }

  /** Active alerts (for the metrics gauge). */
  async countActive(): Promise<number> {
    const [row] = await this.dataSource.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM alerts WHERE status = 'active' AND expires_at > now()`,
    );
    return row?.n ?? 0;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Candidate {
  id: string;
  kind: AlertKind;
  value: string;
  armed: boolean;
  reference: string | null;
  version: number;
  from: string;
  to: string;
  city: string | null;
  best: string | null;
  reserve: string | null;
}

/** The alerts whose state changes, as the columns of APPLY_SQL's unnest (body null: no notice). */
function stepCandidates(candidates: readonly Candidate[], now: Date) {
  const out = {
    ids: [] as string[],
    versions: [] as number[],
    armed: [] as boolean[],
    references: [] as Array<string | null>,
    his: [] as Array<string | null>,
    los: [] as Array<string | null>,
    bodies: [] as Array<string | null>,
  };
  const seen = new Set<string>();
  for (const c of candidates) {
    if (seen.has(c.id)) continue;
    seen.add(c.id);
    const condition: AlertCondition = { kind: c.kind, value: c.value };
    const state: AlertState = { armed: c.armed, reference: c.reference };
    const market: DirectionMarket = { best: c.best, reserve: c.reserve };
    const step = stepAlert(condition, state, market);
    if (!step.fire && sameAlertState(step.state, state)) continue;
    const watch = watchOf(condition, step.state);
    out.ids.push(c.id);
    out.versions.push(c.version);
    out.armed.push(step.state.armed);
    out.references.push(step.state.reference);
    out.his.push(watch.hi);
    out.los.push(watch.lo);
    const body: AlertNoticeBody = {
      event: 'alert.fired',
      alert: { id: c.id, from: c.from, to: c.to, city: c.city, kind: c.kind, value: c.value },
      best: c.best,
      reserve: c.reserve,
      previous: c.kind === 'moves' ? c.reference : null,
      firedAt: now.toISOString(),
    };
    out.bodies.push(step.fire ? JSON.stringify(body) : null);
  }
  return out;
}

/** The market of one direction (and city, or every city), as the evaluation computes it. */
async function marketOf(
  runner: { query: DataSource['query'] },
  from: string,
  to: string,
  city: string | null,
): Promise<DirectionMarket> {
  const rows = await runner.query<Array<{ best: string | null; reserve: string | null }>>(
    `SELECT max(s.rate)::text AS best, max(s.reserve)::text AS reserve FROM (
       SELECT DISTINCT ON (o.exchanger_id, o.city) o.rate, o.reserve
       FROM offers o JOIN feeds f ON f.id = o.feed_id JOIN exchangers e ON e.id = o.exchanger_id
       WHERE o.from_code = $1 AND o.to_code = $2 AND ($3::text IS NULL OR o.city = $3) AND ${FRESH_FEED_SQL}
         AND o.quarantine IS NULL
       ORDER BY o.exchanger_id, o.city, f.last_success_at DESC, f.id DESC) s`,
    [from, to, city],
  );
  return { best: rows[0]?.best ?? null, reserve: rows[0]?.reserve ?? null };
}
