import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { PoolClient, QueryArrayResult } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import type { FeedFormatSetting, FeedRunStatus, NormalizedOffer, StoredError, StoredReject } from '@app/domain';
import { FRESH_FEED_SQL, STALE_AFTER_SQL } from '../freshness';
import {
  GuardOutcome,
  INTEGRITY_OFF,
  IntegrityPolicy,
  judgeWritten,
  narrowestBand,
  NO_GUARD,
} from '../integrity/rate-guard';
import { Ahead, NO_CHANGE, replaceSnapshot, SnapshotChange, snapshotCache, STAGE_FROM_ROWS } from './snapshot-writer';
import { FEED_SEEN_SQL, MARK_PENDING_SQL, markValues } from '../history/best-changes';
import { referenceCache } from '../integrity/reference-cache';
import { Actor, auditedTransaction } from './audit.repository';
import { assignments, rowsOf, unique } from './sql';
import { integerLiteral } from '../sql-literals';
import { executeOn } from '../session-statements';
import { PairMap } from '../pair-map';

export type { SnapshotChange };

/** What a poll needs to know about its feed. */
export interface FeedToPoll {
  id: number;
  exchangerId: number;
  exchangerStatus: string;
  url: string;
  format: FeedFormatSetting;
  intervalSeconds: number;
  timeoutMs: number;
  enabled: boolean;
  etag: string | null;
  lastModified: string | null;
  contentHash: string | null;
  lastAttemptAt: Date | null;
  consecutiveFailures: number;
  /** The catalog version now: part of the content hash, so an alias change re-reads an unchanged body. */
  catalogVersion: string;
}

export interface FeedRow {
  id: number;
  exchangerId: number;
  url: string;
  format: string;
  intervalSeconds: number;
  timeoutMs: number;
  staleAfterSeconds: number;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

const FEED = `id, exchanger_id AS "exchangerId", url, format, interval_s AS "intervalSeconds", timeout_ms AS "timeoutMs",
  stale_after_s AS "staleAfterSeconds", enabled, created_at AS "createdAt", updated_at AS "updatedAt"`;
const FEED_COLUMNS: Record<string, string> = {
  url: 'url',
  format: 'format',
  intervalSeconds: 'interval_s',
  timeoutMs: 'timeout_ms',
  staleAfterSeconds: 'stale_after_s',
  enabled: 'enabled',
};

/** The states `ratewatch_feeds` counts (a feed may be in several: fresh and rejecting). */
export type FeedCountState = 'fresh' | 'stale' | 'failing' | 'maintenance' | 'rejecting';

/** How many of a feed's latest reading runs must all reject items for its health to say `rejecting`. */
export const READS_JUDGED = 3;

/** How many reasons of the last read's rejected items the health list carries (the runs carry them all). */
const REJECTS_SHOWN = 5;

/** The latest READS_JUDGED reading runs of feed `f` (LATERAL): how many, how many rejected, and the last one's rejects. */
const LATEST_READS_SQL = `
  SELECT count(*)::int AS judged, count(*) FILTER (WHERE r.rejected > 0)::int AS rejecting,
         (array_agg(r.rejected ORDER BY r.started_at DESC, r.id DESC))[1] AS last_rejected,
         (array_agg(r.rejects ORDER BY r.started_at DESC, r.id DESC))[1] AS last_rejects
  FROM (SELECT fr.id, fr.started_at, fr.rejected,
               (SELECT COALESCE(jsonb_agg(x), '[]'::jsonb) FROM (SELECT x FROM jsonb_array_elements(fr.rejects) x LIMIT ${REJECTS_SHOWN}) s) AS rejects
        FROM feed_runs fr WHERE fr.feed_id = f.id AND fr.items > 0
        ORDER BY fr.started_at DESC, fr.id DESC LIMIT ${READS_JUDGED}) r`;
/** Over LATEST_READS_SQL as `reads`: every judged read rejected items. */
const REJECTING_SQL = `COALESCE(reads.judged > 0 AND reads.judged = reads.rejecting, false)`;

/** One row of feed_runs as the poll service produces it. */
export interface FeedRunRecord {
  trigger: string;
  startedAt: Date;
  durationMs: number;
  status: FeedRunStatus;
  format: string | null;
  /** The dialect the reader recognised (`xml-eref-1.1`, `json-1.3`, …), when it read items. */
  dialect: string | null;
  httpStatus: number | null;
  bytes: number | null;
  items: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  inserted: number;
  updated: number;
  deleted: number;
  /** Offers of the feed the rate guard holds back after this run, and those it freed (DESIGN.md §10). */
  quarantined: number;
  released: number;
  error: StoredError | null;
  rejects: StoredReject[];
  warnings: string[];
}

/** A run with nothing read or written yet: a poll (or a test, or a bench) fills in what happened. */
export function newFeedRun(trigger: string, status: FeedRunStatus, fields: Partial<FeedRunRecord> = {}): FeedRunRecord {
  return {
    trigger,
    startedAt: new Date(),
    durationMs: 0,
    status,
    format: null,
    dialect: null,
    httpStatus: null,
    bytes: null,
    items: 0,
    accepted: 0,
    rejected: 0,
    duplicates: 0,
    inserted: 0,
    updated: 0,
    deleted: 0,
    quarantined: 0,
    released: 0,
    error: null,
    rejects: [],
    warnings: [],
    ...fields,
  };
}

/** The state a successful answer leaves on the feed. */
export interface FeedAnswerState {
  etag: string | null;
  lastModified: string | null;
  contentHash: string | null;
}

export interface SchedulableFeed {
  id: number;
  intervalSeconds: number;
}

/** Runs kept per feed, and for how long (bounded retention). */
export const RUNS_KEPT_PER_FEED = 1000;
export const RUNS_KEPT_DAYS = 7;

@Injectable()
export class FeedsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  listOfExchanger(exchangerId: number): Promise<FeedRow[]> {
    return this.dataSource.query(`SELECT ${FEED} FROM feeds WHERE exchanger_id = $1 ORDER BY id`, [exchangerId]);
  }

  async find(id: number): Promise<FeedRow | null> {
    const [row] = await this.dataSource.query<FeedRow[]>(`SELECT ${FEED} FROM feeds WHERE id = $1`, [id]);
    return row ?? null;
  }

  create(
    actor: Actor,
    exchangerId: number,
    fields: Omit<FeedRow, 'id' | 'exchangerId' | 'createdAt' | 'updatedAt'>,
  ): Promise<FeedRow> {
    return auditedTransaction(this.dataSource, actor, 'create', 'feed', async (tx) => {
      // An exchanger deleted since the service checked it is a conflict (409), not a 500.
      const [row] = await unique(
        tx.query<FeedRow[]>(
          `INSERT INTO feeds (exchanger_id, url, format, interval_s, timeout_ms, stale_after_s, enabled) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${FEED}`,
          [
            exchangerId,
            fields.url,
            fields.format,
            fields.intervalSeconds,
            fields.timeoutMs,
            fields.staleAfterSeconds,
            fields.enabled,
          ],
        ),
        'url is already registered as a feed (one feed per URL: it would be polled twice)',
        `exchanger ${exchangerId} does not exist (any more)`,
      );
      return { before: null, after: row! };
    });
  }

  update(actor: Actor, id: number, fields: Partial<FeedRow>): Promise<FeedRow | null> {
    return auditedTransaction(this.dataSource, actor, 'update', 'feed', async (tx) => {
      const [before] = await tx.query<FeedRow[]>(`SELECT ${FEED} FROM feeds WHERE id = $1 FOR UPDATE`, [id]);
      if (!before) return { before: null, after: null };
      const { sets, values } = assignments(fields, FEED_COLUMNS, 2);
      if (sets.length === 0) return { before, after: before };
      const [after] = rowsOf<FeedRow>(
        await unique(
          tx.query(`UPDATE feeds SET ${sets.join(', ')}, updated_at = now() WHERE id = $1 RETURNING ${FEED}`, [
            id,
            ...values,
          ]),
          'url is already registered as another feed (one feed per URL: it would be polled twice)',
        ),
      );
      return { before, after: after! };
    });
  }

  delete(actor: Actor, id: number): Promise<boolean> {
    return auditedTransaction(this.dataSource, actor, 'delete', 'feed', async (tx) => {
      const [before] = await tx.query<FeedRow[]>(`SELECT ${FEED} FROM feeds WHERE id = $1 FOR UPDATE`, [id]);
      if (!before) return { before: null, after: null, result: false };
      await tx.query(`DELETE FROM offers WHERE feed_id = $1`, [id]);
      await tx.query(`DELETE FROM feeds WHERE id = $1`, [id]);
      return { before, after: null, result: true };
    });
  }

  /**
   * Every feed with its last poll, failures, freshness and offer count, and what its recent reads rejected:
   * `rejecting` when each of its last READS_JUDGED runs that read items rejected some (an unknown code, an
   * invalid item) — a feed that loses offers on every poll, which no failure count shows. Runs that read
   * nothing (not modified, unchanged, maintenance, a failed fetch) neither count nor break the streak: an
   * unchanged body rejects what it rejected before, and the catalog version in its hash re-reads it when an
   * alias is added. Of one exchanger's feeds only when `exchangerId` is given (its cabinet).
   */
  health(exchangerId: number | null = null): Promise<unknown[]> {
    return this.dataSource.query(
      `SELECT f.id, f.exchanger_id AS "exchangerId", e.slug AS "exchangerSlug", e.name AS "exchangerName", f.url, f.enabled,
              e.status AS "exchangerStatus", f.last_attempt_at AS "lastAttemptAt", f.last_success_at AS "lastSuccessAt",
              f.last_status AS "lastStatus", f.last_error AS "lastError",
              f.consecutive_failures AS "consecutiveFailures", f.in_maintenance AS "inMaintenance", COALESCE((${FRESH_FEED_SQL}), false) AS fresh,
              (SELECT count(*)::int FROM offers o WHERE o.feed_id = f.id) AS offers,
              reads.last_rejected AS "lastRejected", COALESCE(reads.last_rejects, '[]'::jsonb) AS "lastRejects",
              ${REJECTING_SQL} AS rejecting
       FROM feeds f JOIN exchangers e ON e.id = f.exchanger_id
       LEFT JOIN LATERAL (${LATEST_READS_SQL}) reads ON true
       WHERE $1::int IS NULL OR f.exchanger_id = $1
       ORDER BY f.id`,
      [exchangerId],
    );
  }

  async findForPoll(feedId: number): Promise<FeedToPoll | null> {
    const [row] = await this.dataSource.query<FeedToPoll[]>(
      `SELECT f.id, f.exchanger_id AS "exchangerId", e.status AS "exchangerStatus", f.url, f.format,
              f.interval_s AS "intervalSeconds", f.timeout_ms AS "timeoutMs", f.enabled, f.etag,
              f.last_modified AS "lastModified", f.content_hash AS "contentHash",
              f.last_attempt_at AS "lastAttemptAt", f.consecutive_failures AS "consecutiveFailures",
              (SELECT version::text FROM catalog_version) AS "catalogVersion"
       FROM feeds f JOIN exchangers e ON e.id = f.exchanger_id
       WHERE f.id = $1`,
      [feedId],
    );
    return row ?? null;
  }

  /** Feeds that should have a schedule: enabled, of an active exchanger. */
  async listSchedulable(): Promise<SchedulableFeed[]> {
    return this.dataSource.query<SchedulableFeed[]>(
      `SELECT f.id, f.interval_s AS "intervalSeconds"
       FROM feeds f JOIN exchangers e ON e.id = f.exchanger_id
       WHERE f.enabled AND e.status = 'active'
       ORDER BY f.id`,
    );
  }

  /**
   * 304 or the same bytes as last time: the poll succeeded and nothing else changes. One statement
   * (the feed row and the run), so this path costs one round trip.
   */
  async recordUnchanged(feedId: number, run: FeedRunRecord, answer: FeedAnswerState): Promise<void> {
    await this.dataSource.query(
      `WITH feed AS (
         UPDATE feeds SET last_attempt_at = $2, last_success_at = $2, last_status = $3, last_error = NULL,
                consecutive_failures = 0, etag = COALESCE($4, etag), last_modified = COALESCE($5, last_modified)
         WHERE id = $1 RETURNING id
       )
       ${INSERT_RUN} SELECT feed.id, ${RUN_VALUES} FROM feed`,
      [feedId, run.startedAt, run.status, answer.etag, answer.lastModified, ...runParams(run)],
    );
  }

  /** A failed poll: the offers stay as they are (until they go stale); the failure is counted. */
  async recordFailure(feedId: number, run: FeedRunRecord): Promise<void> {
    await this.dataSource.query(
      `WITH feed AS (
         UPDATE feeds SET last_attempt_at = $2, last_status = 'error', last_error = $3::jsonb,
                consecutive_failures = consecutive_failures + 1
         WHERE id = $1 RETURNING id
       )
       ${INSERT_RUN} SELECT feed.id, ${RUN_VALUES_FROM(4)} FROM feed`,
      [feedId, run.startedAt, JSON.stringify(run.error), ...runParams(run)],
    );
  }

  /**
   * Applies a good answer in one transaction, holding the feed row's lock so two polls of one feed
   * never interleave: the snapshot diff (`offers` null for maintenance, which keeps the offers but
   * hides them), the rate guard's verdicts on what changed (`integrity`; DESIGN.md §10), the feed's
   * state and the run; with `recordHistory`, the touched directions marked for the rate history (DESIGN.md
   * §12): one row appended, which no other writer waits on — the HistoryRecorder records their bests after
   * the commit, and the mark commits (or not) with the snapshot. Change points are the recorder's (it counts
   * them).
   */
  async applyAnswer(
    feed: { id: number; exchangerId: number },
    run: FeedRunRecord,
    answer: FeedAnswerState,
    offers: readonly NormalizedOffer[] | null,
    integrity: IntegrityPolicy = INTEGRITY_OFF,
    recordHistory = false,
  ): Promise<SnapshotChange & { guard: GuardOutcome; leftMaintenance: boolean }> {
    // The transaction is begun with the lock's statement, sent ahead of the snapshot write's first (FeedRowLock),
    // and committed with the last one (simple queries of several statements each): a write under a valid cache is
    // two round trips. An error anywhere rolls it back (a ROLLBACK after a failed COMMIT only warns: the
    // transaction is over either way).
    const runner = this.dataSource.createQueryRunner();
    const client = (await runner.connect()) as PoolClient;
    const lock = new FeedRowLock(feed.id);
    let open = false;
    try {
      open = true;
      // Maintenance writes no offers: the lock goes alone.
      if (offers === null) await lock.send(client);
      const result =
        lock.row === null
          ? null
          : await this.applyLocked(runner.manager, feed, run, answer, offers, integrity, recordHistory, lock);
      // Deleted (with its exchanger) while it was being fetched: nothing of it may be written any more.
      if (result === null) {
        await client.query('COMMIT');
        open = false;
        return { ...NO_CHANGE, guard: NO_GUARD, leftMaintenance: false };
      }
      // Until it answers, the transaction may still be open: a failed statement skips the COMMIT after it.
      const execution = await executeOn(client, APPLIED_STATEMENT, APPLIED_SQL, result.values);
      await execution.send((text) => client.query(`${text}; COMMIT`));
      open = false;
      return result.change;
    } catch (error) {
      if (open) await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }

  /**
   * applyAnswer under the feed row's lock (sent ahead of the snapshot write's first statement): writes the
   * snapshot and judges it; answers what changed and the values of the feed's state, its run and the history
   * mark (APPLIED_SQL's: it goes with the COMMIT) — or null when the lock found the feed gone.
   */
  private async applyLocked(
    tx: EntityManager,
    feed: { id: number; exchangerId: number },
    run: FeedRunRecord,
    answer: FeedAnswerState,
    offers: readonly NormalizedOffer[] | null,
    integrity: IntegrityPolicy,
    recordHistory: boolean,
    lock: FeedRowLock,
  ): Promise<{ change: SnapshotChange & { guard: GuardOutcome; leftMaintenance: boolean }; values: unknown[] } | null> {
    {
      // The guard's candidates are read by the write's own statement (writtenCandidatesSql), then judged: only
      // offers whose verdict changed cost a statement more.
      const now = new Date();
      // Only the offers the process's copy of the references finds suspect are judged, when the copy is current.
      const band = integrity.enabled ? narrowestBand(integrity) : null;
      const read = band === null ? null : { band, now, references: referenceCache.view(band, this.dataSource) };
      const snapshot =
        offers === null ? null : await replaceSnapshot(tx, feed, offers, snapshotCache, STAGE_FROM_ROWS, read, lock);
      if (band !== null) referenceCache.seen(snapshot?.referencesVersion ?? null, this.dataSource, band);
      const locked = lock.row;
      if (locked === null) return null;
      if (locked === undefined) throw new Error(`feed ${feed.id}: the write sent no lock`);
      // Back from maintenance: its offers are shown again, in every direction, even where none changed.
      const leftMaintenance = locked.maintenance && offers !== null;
      const written: SnapshotChange = snapshot === null ? NO_CHANGE : withoutGuardRead(snapshot);
      // The guard's verdicts name every offer of the feed it holds now: the history mark can carry the shown ones.
      const held = new Set<string>();
      const guard =
        snapshot?.candidates == null
          ? NO_GUARD
          : await judgeWritten(tx, snapshot.candidates, snapshot.stale, integrity, now, held);
      // The mark carries the feed's shown offers in the directions it names: looked for among the written ones
      // alone when those are all there are (a 5 % change: 500 offers, not the feed's 10,000).
      const inTouched = guard.touched.length === 0 ? (snapshot?.touchedOffers ?? null) : null;
      const carry =
        offers !== null && snapshot?.candidates != null ? { feedId: feed.id, offers: inTouched ?? offers, held } : null;
      const change = { ...written, touched: mergeDirections(written.touched, guard.touched), guard };
      const changed = change.inserted + change.updated + change.deleted + guard.touched.length > 0;
      // The feed's state, its run and the history mark (markPending's row, when asked for): APPLIED_SQL's values.
      const values = [
        feed.id,
        run.startedAt,
        run.status,
        offers === null,
        answer.etag,
        answer.lastModified,
        answer.contentHash,
        changed || offers === null,
        ...runParams({
          ...run,
          inserted: change.inserted,
          updated: change.updated,
          deleted: change.deleted,
          quarantined: guard.quarantined,
          released: guard.released,
        }),
        ...markValues(recordHistory ? change.touched : [], feed.exchangerId, carry),
        // Every offer of the feed marked (none unchanged): the history may take the feed as shown.
        recordHistory && offers !== null && written.inserted === offers.length,
      ];
      return { change: { ...change, leftMaintenance }, values };
    }
  }

  /** Bounded retention of feed_runs: the last RUNS_KEPT_PER_FEED per feed, none older than RUNS_KEPT_DAYS. */
  async pruneRuns(): Promise<number> {
    const [result] = await this.dataSource.query<Array<{ pruned: number }>>(
      `WITH old AS (
         DELETE FROM feed_runs WHERE started_at < now() - make_interval(days => $1) RETURNING id
       ), excess AS (
         DELETE FROM feed_runs r USING (
           SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY feed_id ORDER BY started_at DESC, id DESC) AS n FROM feed_runs) ranked
           WHERE n > $2
         ) extra WHERE r.id = extra.id AND r.id NOT IN (SELECT id FROM old) RETURNING r.id
       )
       SELECT ((SELECT count(*) FROM old) + (SELECT count(*) FROM excess))::int AS pruned`,
      [RUNS_KEPT_DAYS, RUNS_KEPT_PER_FEED],
    );
    return result?.pruned ?? 0;
  }

  /** How many enabled feeds are fresh, stale, failing, in maintenance or rejecting (for metrics and health). */
  async countByState(): Promise<Record<FeedCountState, number>> {
    const [row] = await this.dataSource.query<Array<Record<FeedCountState, string>>>(
      `SELECT count(*) FILTER (WHERE ${FRESH_FEED_SQL}) AS fresh,
              count(*) FILTER (WHERE NOT f.in_maintenance AND (f.last_success_at IS NULL OR f.last_success_at <= now() - make_interval(secs => ${STALE_AFTER_SQL}))) AS stale,
              count(*) FILTER (WHERE f.consecutive_failures > 0) AS failing,
              count(*) FILTER (WHERE f.in_maintenance) AS maintenance,
              count(*) FILTER (WHERE ${REJECTING_SQL}) AS rejecting
       FROM feeds f JOIN exchangers e ON e.id = f.exchanger_id
       LEFT JOIN LATERAL (${LATEST_READS_SQL}) reads ON true
       WHERE f.enabled AND e.status = 'active'`,
    );
    return {
      fresh: Number(row?.fresh ?? 0),
      stale: Number(row?.stale ?? 0),
      failing: Number(row?.failing ?? 0),
      maintenance: Number(row?.maintenance ?? 0),
      rejecting: Number(row?.rejecting ?? 0),
    };
  }
}

/**
 * The feed row's lock, which begins the poll's transaction: sent ahead of the snapshot write's first statement
 * (Ahead), or alone (`send`) when nothing is written. `row`: unknown until answered; null: the feed is gone.
 */
class FeedRowLock implements Ahead {
  readonly sql: string;
  row: { maintenance: boolean } | null | undefined = undefined;

  constructor(feedId: number) {
    this.sql = `BEGIN; SELECT in_maintenance::text AS maintenance FROM feeds WHERE id = ${integerLiteral(feedId)} FOR UPDATE`;
  }

  answered(rows: ReadonlyArray<ReadonlyArray<unknown>>): boolean {
    this.row = rows.length === 0 ? null : { maintenance: rows[0]![0] === 'true' };
    return this.row !== null;
  }

  async send(client: PoolClient): Promise<void> {
    const results = (await client.query({ text: this.sql, rowMode: 'array' })) as unknown as QueryArrayResult[];
    this.answered(results.flatMap((r) => r.rows));
  }
}

/** A write's counts and directions, without what it read for the guard. */
function withoutGuardRead(written: SnapshotChange): SnapshotChange {
  return { inserted: written.inserted, updated: written.updated, deleted: written.deleted, touched: written.touched };
}

/**
 * The directions of `a` (distinct: a write's) and those of `b` (the guard's) not among them, each once: only
 * `b`'s are looked up — `a` is a fully changed feed's 10,000 directions, `b` a few the guard held or freed.
 */
export function mergeDirections(
  a: ReadonlyArray<[string, string]>,
  b: ReadonlyArray<[string, string]>,
): Array<[string, string]> {
  const all = [...a];
  if (b.length === 0) return all;
  const extra = new PairMap<true>();
  for (const [from, to] of b) extra.set(from, to, true);
  for (const [from, to] of a) extra.delete(from, to);
  // In b's order, each once: a direction leaves the map when it is taken.
  for (const d of b) if (extra.delete(d[0], d[1])) all.push(d);
  return all;
}

const INSERT_RUN = `INSERT INTO feed_runs (feed_id, trigger, started_at, duration_ms, status, format, http_status, bytes, items, accepted, rejected,
                                           duplicates, inserted, updated, deleted, error_code, error_message, rejects, warnings, dialect,
                                           quarantined, released)`;

/** Placeholders for the 21 run values, numbered from `first`. */
function RUN_VALUES_FROM(first: number): string {
  const p = (i: number) => `$${first + i}`;
  return `${p(0)}, ${p(1)}::timestamptz, ${p(2)}::int, ${p(3)}, ${p(4)}, ${p(5)}::int, ${p(6)}::int, ${p(7)}::int, ${p(8)}::int, ${p(9)}::int,
          ${p(10)}::int, ${p(11)}::int, ${p(12)}::int, ${p(13)}::int, ${p(14)}, ${p(15)}, ${p(16)}::jsonb, ${p(17)}::jsonb, ${p(18)},
          ${p(19)}::int, ${p(20)}::int`;
}
const RUN_VALUES = RUN_VALUES_FROM(6);

/**
 * A good answer's last statement, sent with the COMMIT (applyAnswer): the feed's state, its run, the history mark
 * (markPending's row, when asked for) and the feed handed to the history as seen — with applyLocked's values.
 * A prepared statement of each connection (executeOn): parsed and analysed once, not on every poll.
 */
const APPLIED_STATEMENT = 'ratewatch_poll_applied';
const APPLIED_SQL = `WITH feed AS (
    UPDATE feeds SET last_attempt_at = $2, last_success_at = $2, last_status = $3, last_error = NULL,
           consecutive_failures = 0, in_maintenance = $4, etag = $5, last_modified = $6, content_hash = $7,
           last_change_at = CASE WHEN $8::boolean THEN $2 ELSE last_change_at END
    WHERE id = $1 RETURNING id
  ), mark AS (${MARK_PENDING_SQL(30)}), seen AS (${FEED_SEEN_SQL(1, 37)})
  ${INSERT_RUN} SELECT feed.id, ${RUN_VALUES_FROM(9)} FROM feed`;

function runParams(run: FeedRunRecord): unknown[] {
  return [
    run.trigger,
    run.startedAt,
    run.durationMs,
    run.status,
    run.format,
    run.httpStatus,
    run.bytes,
    run.items,
    run.accepted,
    run.rejected,
    run.duplicates,
    run.inserted,
    run.updated,
    run.deleted,
    run.error?.code ?? null,
    run.error?.message ?? null,
    JSON.stringify(run.rejects),
    JSON.stringify(run.warnings),
    run.dialect,
    run.quarantined,
    run.released,
  ];
}
