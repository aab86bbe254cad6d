import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { HistoryRetention } from '@app/config';
import { InvalidRequestError } from '@app/domain';
import { FRESH_FEED_SQL } from '../freshness';
import {
  DirectionPair,
  drainPending,
  DrainResult,
  HISTORY_LOCK_CLASS,
  markFeedsMoved,
  markPending,
} from './best-changes';

export type HistoryResolution = 'minute' | 'hour' | 'day';

/** One bucket of a direction's best shown rate: decimals as strings; `open`/`close` null while nothing was shown. */
export interface HistoryPoint {
  at: string;
  open: string | null;
  high: string;
  low: string;
  close: string | null;
  /** Offers shown at the bucket's close. */
  offers: number;
}

export interface HistoryQuery {
  from: string;
  to: string;
  /** A city code; null or '' for the table without a city (every city). */
  city?: string | null;
  resolution: HistoryResolution;
  since: Date;
  /** Default: now. */
  until?: Date;
}

/** The most buckets one series may span (90 days of hours fit; a week of minutes does not). */
export const MAX_HISTORY_POINTS = 3_000;

/**
 * How long after an hour ends its change points are folded: a write's change point carries the time it was
 * computed, and commits a moment later — five minutes leave room for a slow commit.
 */
const SETTLE_MINUTES = 5;
/**
 * How long change points are kept, in seconds, whatever the minutes' retention: the tail `series` reads (the
 * hour not folded yet) and its settling, with room for a roll-up that ran late — longer than the fold lags
 * behind now (an hour and SETTLE_MINUTES), so a point is never pruned before it is folded. Folded, the packed
 * minute buckets hold what it said at a minute's resolution.
 */
const CHANGE_POINTS_KEPT = 2 * 3_600;
/** The roll-up's own advisory lock (one roll-up at a time in a fleet; the recorder's is -2). */
const ROLLUP_LOCK = `pg_try_advisory_xact_lock(${HISTORY_LOCK_CLASS}, -1)`;
const ORIGIN = `'2000-01-01T00:00:00Z'::timestamptz`;

const RESOLUTIONS: Record<HistoryResolution, { table: string; interval: string; ms: number }> = {
  minute: { table: 'history_minutes', interval: '1 minute', ms: 60_000 },
  hour: { table: 'history_hours', interval: '1 hour', ms: 3_600_000 },
  day: { table: 'history_days', interval: '1 day', ms: 86_400_000 },
};

export interface RollUpResult {
  /** False when another process was rolling up. */
  ran: boolean;
  /** Change points folded (again, for the last few minutes), and buckets written per resolution. */
  folded: number;
  buckets: Record<HistoryResolution, number>;
  pruned: { changes: number } & Record<HistoryResolution, number>;
  foldedUntil: string | null;
}

/**
 * The rate history of every direction (DESIGN.md §12): the series a chart reads, the roll-up of change
 * points into minute, hour and day buckets with retention per resolution, and the re-evaluation of bests
 * that change without a write of their own (a feed going stale or into maintenance, a release by the guard).
 * Writes mark the directions they touched (`markPending`, FeedsRepository.applyAnswer); the change points are
 * written by `drain`, which the HistoryRecorder of every polling process runs (one at a time in the fleet).
 */
@Injectable()
export class HistoryRepository {
  private readonly listeners = new Set<(result: DrainResult) => void>();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Hears every drain this process makes that recorded something (metrics count its change points). */
  onRecorded(listener: (result: DrainResult) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Records the pending directions (drainPending), batch after batch until none of the rows there when it
   * started (and none added meanwhile) is left. Without `wait`, it gives up at once when another process is
   * draining (`ran: false`; that one records them). `stop` is asked between batches: a process shutting down
   * leaves the rest of a backlog (after an outage, minutes of it) pending for the next recorder instead of
   * holding its shutdown until the whole backlog is recorded. Answers the batches' sums (`more`: rows left).
   */
  async drain(
    options: { wait?: boolean; at?: Date; maxPairs?: number; stop?: () => boolean } = {},
  ): Promise<DrainResult> {
    const total: DrainResult = {
      ran: true,
      writes: 0,
      marked: 0,
      pairs: 0,
      byWriters: 0,
      computed: 0,
      carried: 0,
      changes: 0,
      more: false,
    };
    for (;;) {
      const batch = await drainPending(this.dataSource, options);
      if (!batch.ran) return { ...total, ran: total.writes > 0, more: true };
      if (batch.writes > 0) for (const listener of this.listeners) listener(batch);
      for (const key of ['writes', 'marked', 'pairs', 'byWriters', 'computed', 'carried', 'changes'] as const)
        total[key] += batch[key];
      if (!batch.more) return total;
      if (options.stop?.()) return { ...total, more: true };
    }
  }

  /**
   * Writes waiting to be recorded, and the age of the oldest in seconds (0 when none): a backlog that grows
   * means the recorder falls behind the writes (its gauge on /metrics). The count stops at 100,000 so a huge
   * backlog is not counted row by row at every scrape.
   */
  async backlog(): Promise<{ writes: number; oldestSeconds: number }> {
    const [row] = await this.dataSource.query<Array<{ writes: number; oldest: number | null }>>(
      `SELECT (SELECT count(*)::int FROM (SELECT 1 FROM history_pending LIMIT 100000) p) AS writes,
              EXTRACT(EPOCH FROM now() - (SELECT at FROM history_pending ORDER BY id LIMIT 1))::float8 AS oldest`,
    );
    return { writes: row?.writes ?? 0, oldestSeconds: Math.max(0, row?.oldest ?? 0) };
  }

  /**
   * A direction's buckets at `resolution` from `since` until `until`, oldest first: only buckets in which the
   * best changed (between two points the rate stayed at the previous close), led by the bucket of `since`
   * carrying the rate then. Buckets not rolled up yet come from the change points, so a change shows at once.
   * More than MAX_HISTORY_POINTS buckets in the range is an InvalidRequestError that says what to do.
   */
  async series(query: HistoryQuery): Promise<HistoryPoint[]> {
    const { ms } = RESOLUTIONS[query.resolution];
    const until = query.until ?? new Date();
    const start = Math.floor(query.since.getTime() / ms) * ms;
    if (until.getTime() <= query.since.getTime()) throw new InvalidRequestError('since must be before until');
    const span = Math.ceil((until.getTime() - start) / ms);
    if (span > MAX_HISTORY_POINTS)
      throw new InvalidRequestError(
        `since…until spans ${span} ${query.resolution} buckets; at most ${MAX_HISTORY_POINTS}: narrow the range or ask for a coarser resolution`,
      );
    const rows = await this.dataSource.query<Array<Omit<HistoryPoint, 'at'> & { at: Date }>>(
      SERIES_SQL[query.resolution],
      [query.from, query.to, query.city ?? '', new Date(start), until],
    );
    return rows.map((r) => ({ ...r, at: r.at.toISOString() }));
  }

  /**
   * Folds the change points of the complete hours since the last roll-up (an hour is complete SETTLE_MINUTES
   * after it ends, for writes that committed late) into minute buckets, packed one row per direction and
   * hour, and hour buckets, and those hours' days into day buckets recomputed whole from the hours — so
   * running it again gives the same buckets — then prunes each resolution past its retention (change points
   * after CHANGE_POINTS_KEPT). The hour not folded yet is the tail `series` reads from
   * the change points.
   */
  async rollUp(retention: HistoryRetention, now = new Date()): Promise<RollUpResult> {
    return this.dataSource.transaction(async (tx) => {
      const [lock] = await tx.query<Array<{ got: boolean }>>(`SELECT ${ROLLUP_LOCK} AS got`);
      const result: RollUpResult = {
        ran: lock?.got === true,
        folded: 0,
        buckets: { minute: 0, hour: 0, day: 0 },
        pruned: { changes: 0, minute: 0, hour: 0, day: 0 },
        foldedUntil: null,
      };
      if (!result.ran) return result;
      const [state] = await tx.query<Array<{ start: Date | null; cutoff: Date }>>(
        `SELECT COALESCE(r.folded_until, (SELECT date_bin('1 hour', min(at), ${ORIGIN}) FROM history_changes)) AS start,
                date_bin('1 hour', $1::timestamptz - make_interval(mins => ${SETTLE_MINUTES}), ${ORIGIN}) AS cutoff
         FROM history_rollup r FOR UPDATE`,
        [now],
      );
      const { start, cutoff } = state!;
      if (start !== null && start < cutoff) {
        const [folded] = await tx.query<Array<{ n: number }>>(
          `SELECT count(*)::int AS n FROM history_changes WHERE at >= $1 AND at < $2`,
          [start, cutoff],
        );
        result.folded = folded?.n ?? 0;
        result.buckets.minute = await count(tx, PACK_MINUTES, [start, cutoff]);
        result.buckets.hour = await count(tx, FOLD_HOURS, [start, cutoff]);
        result.buckets.day = await count(tx, FOLD_DAYS, [start, cutoff]);
      }
      const until = start !== null && start > cutoff ? start : cutoff;
      await tx.query(`UPDATE history_rollup SET folded_until = $1`, [until]);
      result.foldedUntil = until.toISOString();
      result.pruned.changes = await prune(tx, 'history_changes', 'at', CHANGE_POINTS_KEPT, now);
      for (const resolution of ['minute', 'hour', 'day'] as const)
        result.pruned[resolution] = await prune(
          tx,
          RESOLUTIONS[resolution].table,
          'bucket',
          retention[resolution],
          now,
        );
      return result;
    });
  }

  /**
   * Records the pairs' bests again over every shown offer, whatever wrote last (the guard's sweep held or freed
   * offers there): marks them pending, then drains, waiting for a drain under way elsewhere — with no pairs
   * too, so housekeeping leaves every write before it recorded. Answers the change points that drain wrote (of
   * these pairs and of any other pending then).
   */
  async reevaluate(pairs: readonly DirectionPair[], at?: Date): Promise<number> {
    if (pairs.length > 0) await this.dataSource.transaction((tx) => markPending(tx, pairs, null));
    return (await this.drain({ wait: true, ...(at ? { at } : {}) })).changes;
  }

  /**
   * Bests that moved without a write (DESIGN.md §12): feeds shown now that were not at the last call (fresh
   * again, out of maintenance, new) may beat the recorded best in their directions — as if their exchangers
   * had just written those offers, so the pairs where an offer of theirs could move the recorded best are
   * marked pending with its exchanger as the writer and its own rates decide (a fleet catching up after
   * falling behind brings hundreds of feeds back at once; computing each of their pairs over every shown offer
   * was the whole market again, and deciding all of them by their writers a good part of it); feeds hidden
   * since (stale, maintenance, disabled, deleted, their exchanger no longer active) matter only where their
   * exchanger holds a best, which is computed again over every shown offer (`markFeedsMoved`). A feed shown
   * that a drain found hidden since the last call (`missed`, see MISSED_SQL) counts as shown again. The feeds'
   * states are remembered with those marks, then the marks drained. `pairs`: pairs marked; `computed`: pairs the
   * drain computed over every shown offer.
   */
  async reevaluateFeeds(at?: Date): Promise<{ feeds: number; pairs: number; computed: number; changes: number }> {
    const flips = await this.dataSource.query<
      Array<{ feedId: number; exchangerId: number; shown: boolean; was: boolean | null; gone: boolean }>
    >(
      `SELECT f.id AS "feedId", f.exchanger_id AS "exchangerId", state.shown, h.shown AS was, false AS gone
       FROM feeds f JOIN exchangers e ON e.id = f.exchanger_id LEFT JOIN history_feeds h ON h.feed_id = f.id
       CROSS JOIN LATERAL (SELECT COALESCE((${FRESH_FEED_SQL}), false) AS shown) state
       WHERE h.shown IS DISTINCT FROM state.shown OR (h.missed AND state.shown)
       UNION ALL
       SELECT h.feed_id, h.exchanger_id, false, h.shown, true FROM history_feeds h WHERE NOT EXISTS (SELECT 1 FROM feeds f WHERE f.id = h.feed_id)`,
    );
    if (flips.length === 0) return { feeds: 0, pairs: 0, computed: 0, changes: 0 };
    const appeared = flips.filter((f) => f.shown).map((f) => f.feedId);
    const vanished = flips.filter((f) => !f.shown && f.was === true).map((f) => f.exchangerId);
    const kept = flips.filter((f) => !f.gone);
    // Remembered with the marks, before the drain: a drain may take minutes behind a backlog (a fleet's first
    // snapshots), and the next minute's re-evaluation, finding the same feeds unremembered, marked all their
    // pairs again (bench:scale: the marking statement 15–21 times a window, 3–7 s each).
    const pairs = await markFeedsMoved(this.dataSource, appeared, vanished, (tx) =>
      tx.query(
        `WITH gone AS (DELETE FROM history_feeds WHERE feed_id = ANY($4::int[]))
         INSERT INTO history_feeds (feed_id, exchanger_id, shown) SELECT * FROM unnest($1::int[], $2::int[], $3::boolean[])
         ON CONFLICT (feed_id) DO UPDATE SET exchanger_id = excluded.exchanger_id, shown = excluded.shown, missed = false`,
        [
          kept.map((f) => f.feedId),
          kept.map((f) => f.exchangerId),
          kept.map((f) => f.shown),
          flips.filter((f) => f.gone).map((f) => f.feedId),
        ],
      ),
    );
    const drained = await this.drain({ wait: true, ...(at ? { at } : {}) });
    return { feeds: flips.length, pairs, computed: drained.computed, changes: drained.changes };
  }
}

/** Runs a writing statement (`… RETURNING 1`) and answers how many rows it wrote. */
async function count(tx: EntityManager, statement: string, params: unknown[]): Promise<number> {
  const [row] = await tx.query<Array<{ n: number }>>(
    `WITH w AS (${statement}) SELECT count(*)::int AS n FROM w`,
    params,
  );
  return row?.n ?? 0;
}

/**
 * Items in time order fold into a bucket the same way whether they are change points (open = the rate
 * before, close = the rate after) or finer buckets: the first open, the highest high, the lowest low, the
 * last close and its offer count.
 */
const FOLD = (t: string) => `(array_agg(open ORDER BY ${t}))[1] AS open, max(high) AS high, min(low) AS low,
  (array_agg(close ORDER BY ${t} DESC))[1] AS close, (array_agg(offers ORDER BY ${t} DESC))[1] AS offers`;

/** A change point as a foldable item: GREATEST and LEAST skip the null side (nothing shown). */
const CHANGE_ITEMS = `SELECT direction_id, at AS t, previous AS open, GREATEST(previous, rate) AS high, LEAST(previous, rate) AS low, rate AS close, offers
  FROM history_changes`;

/** Upserts a bucket; one folded again to the same values is not rewritten (no dead row per refold). */
const UPSERT = `ON CONFLICT (direction_id, bucket) DO UPDATE SET open = excluded.open, high = excluded.high, low = excluded.low,
  close = excluded.close, offers = excluded.offers
  WHERE (b.open, b.high, b.low, b.close, b.offers) IS DISTINCT FROM (excluded.open, excluded.high, excluded.low, excluded.close, excluded.offers)
  RETURNING 1`;

/** Minute buckets of the change points in [$1, $2) (whole hours), packed per direction and hour (the migration 1764073400000 says how). */
const PACK_MINUTES = `INSERT INTO history_minutes AS b (direction_id, bucket, open, minutes, closes, highs, lows, offers)
  SELECT direction_id, hour, (array_agg(open ORDER BY minute))[1],
         array_agg((extract(epoch FROM minute - hour) / 60)::smallint ORDER BY minute),
         array_agg(close ORDER BY minute),
         array_agg(NULLIF(high, GREATEST(open, close)) ORDER BY minute),
         array_agg(NULLIF(low, LEAST(open, close)) ORDER BY minute),
         array_agg(CASE WHEN offers IS DISTINCT FROM before THEN offers END ORDER BY minute)
  FROM (
    SELECT m.*, lag(m.offers) OVER (PARTITION BY m.direction_id, m.hour ORDER BY m.minute) AS before
    FROM (
      SELECT direction_id, date_bin('1 minute', t, ${ORIGIN}) AS minute, date_bin('1 hour', t, ${ORIGIN}) AS hour, ${FOLD('t')}
      FROM (${CHANGE_ITEMS} WHERE at >= $1 AND at < $2) c GROUP BY 1, 2, 3
    ) m
  ) m
  GROUP BY direction_id, hour
  ON CONFLICT (direction_id, bucket) DO UPDATE SET open = excluded.open, minutes = excluded.minutes, closes = excluded.closes,
    highs = excluded.highs, lows = excluded.lows, offers = excluded.offers
  WHERE (b.open, b.minutes, b.closes, b.highs, b.lows, b.offers) IS DISTINCT FROM
        (excluded.open, excluded.minutes, excluded.closes, excluded.highs, excluded.lows, excluded.offers)
  RETURNING 1`;

/**
 * The minute buckets of the packed rows of history_minutes `m` (a lateral over one row): bucket i opens at
 * the close of bucket i − 1 (the first at the row's open), its high and low where not stored are the greater
 * and lesser of open and close, its offers where not stored those of the last bucket that stored them.
 */
export const UNPACKED_MINUTES = `SELECT m.bucket + make_interval(mins => u.minute) AS bucket, u.open,
    COALESCE(m.highs[u.i], GREATEST(u.open, u.close)) AS high, COALESCE(m.lows[u.i], LEAST(u.open, u.close)) AS low,
    u.close, m.offers[u.stored] AS offers
  FROM (
    SELECT z.i, z.minute::int AS minute, z.close, CASE WHEN z.i = 1 THEN m.open ELSE lag(z.close) OVER w END AS open,
           max(z.i) FILTER (WHERE m.offers[z.i] IS NOT NULL) OVER w AS stored
    FROM unnest(m.minutes, m.closes) WITH ORDINALITY AS z(minute, close, i) WINDOW w AS (ORDER BY z.i)
  ) u`;

/** Hour buckets of the change points in [$1, $2) (whole hours). */
const FOLD_HOURS = `INSERT INTO history_hours AS b (direction_id, bucket, open, high, low, close, offers)
  SELECT direction_id, date_bin('1 hour', t, ${ORIGIN}) AS bucket, ${FOLD('t')}
  FROM (${CHANGE_ITEMS} WHERE at >= $1 AND at < $2) c
  GROUP BY 1, 2 ${UPSERT}`;

/** Day buckets overlapping [$1, $2), recomputed whole from the hours, for the directions that changed then. */
const FOLD_DAYS = `INSERT INTO history_days AS b (direction_id, bucket, open, high, low, close, offers)
  SELECT direction_id, date_bin('1 day', bucket, ${ORIGIN}) AS b, ${FOLD('bucket')}
  FROM history_hours
  WHERE bucket >= date_bin('1 day', $1::timestamptz, ${ORIGIN}) AND bucket < $2
    AND direction_id IN (SELECT DISTINCT direction_id FROM history_changes WHERE at >= $1 AND at < $2)
  GROUP BY 1, 2 ${UPSERT}`;

/**
 * Deletes rows of `table` older than `seconds` (0 = kept for ever), one index range per direction (the
 * primary key leads with it), never a scan of the table. Change points still to be folded are never pruned:
 * retention is at least a day.
 */
async function prune(tx: EntityManager, table: string, column: string, seconds: number, now: Date): Promise<number> {
  if (seconds === 0) return 0;
  return count(
    tx,
    `DELETE FROM ${table} x USING history_directions d
     WHERE x.direction_id = d.id AND x.${column} < $1::timestamptz - make_interval(secs => $2) RETURNING 1`,
    [now, seconds],
  );
}

/**
 * The series of one direction ($1, $2, city $3) from $4 (the first bucket's start) until $5 at `resolution`:
 * the stored buckets before the hour the roll-up is in (for days: before that day, then its stored hours),
 * then the change points not rolled up yet folded at the resolution — led by the rate at $4 when no bucket
 * starts there.
 */
function seriesSql(resolution: HistoryResolution): string {
  const { table, interval } = RESOLUTIONS[resolution];
  const bin = (t: string) => `date_bin('${interval}', ${t}, ${ORIGIN})`;
  /** The stored buckets of direction d.id from `where` (on the table, alias s) as rows bucket, open, high, low, close, offers. */
  const stored = (where: string, order = '') =>
    resolution === 'minute'
      ? `SELECT x.* FROM (SELECT s.* FROM history_minutes s, d WHERE s.direction_id = d.id AND (${where}) ${order}) m
         CROSS JOIN LATERAL (${UNPACKED_MINUTES}) x`
      : `SELECT s.bucket, s.open, s.high, s.low, s.close, s.offers FROM ${table} s, d WHERE s.direction_id = d.id AND (${where}) ${order}`;
  return `WITH d AS (SELECT id FROM history_directions WHERE from_code = $1 AND to_code = $2 AND city = $3),
    edge AS (SELECT ${bin('COALESCE(folded_until, $5::timestamptz)')} AS b, COALESCE(folded_until, '-infinity') AS w FROM history_rollup),
    stored AS (
      SELECT x.bucket AS at, x.open, x.high, x.low, x.close, x.offers
      FROM (${stored(`s.bucket >= ${resolution === 'minute' ? `date_bin('1 hour', $4::timestamptz, ${ORIGIN})` : '$4'} AND s.bucket < (SELECT LEAST(b, $5) FROM edge)`)}) x, edge
      WHERE x.bucket >= $4 AND x.bucket < LEAST(edge.b, $5)
    ),
    tail AS (
      SELECT ${bin('t')} AS at, ${FOLD('t')} FROM (
        ${
          resolution === 'day'
            ? `SELECT h.bucket AS t, h.open, h.high, h.low, h.close, h.offers FROM history_hours h, d, edge
               WHERE h.direction_id = d.id AND h.bucket >= GREATEST(edge.b, $4) AND h.bucket < edge.w AND h.bucket < $5
               UNION ALL`
            : ''
        }
        SELECT c.t, c.open, c.high, c.low, c.close, c.offers FROM (${CHANGE_ITEMS}) c, d, edge
        WHERE c.direction_id = d.id AND c.t >= edge.w AND c.t >= $4 AND c.t < $5
      ) items GROUP BY 1
    ),
    points AS (SELECT * FROM stored UNION ALL SELECT * FROM tail),
    before AS (
      SELECT $4::timestamptz AS at, p.close AS open, p.close AS high, p.close AS low, p.close, p.offers
      FROM (SELECT * FROM (SELECT c.rate AS close, c.offers, 1 AS source FROM history_changes c, d
                           WHERE c.direction_id = d.id AND c.at < $4 ORDER BY c.at DESC LIMIT 1) last_change
            UNION ALL
            SELECT * FROM (SELECT x.close, x.offers, 2 FROM (${stored('s.bucket < $4', 'ORDER BY s.bucket DESC LIMIT 2')}) x
                           WHERE x.bucket < $4 ORDER BY x.bucket DESC LIMIT 1) last_bucket
            ORDER BY source LIMIT 1) p
      WHERE p.close IS NOT NULL AND NOT EXISTS (SELECT 1 FROM points WHERE points.at = $4)
    )
    SELECT at, open::text, high::text, low::text, close::text, offers FROM (SELECT * FROM before UNION ALL SELECT * FROM points) x
    ORDER BY at`;
}

const SERIES_SQL: Record<HistoryResolution, string> = {
  minute: seriesSql('minute'),
  hour: seriesSql('hour'),
  day: seriesSql('day'),
};
