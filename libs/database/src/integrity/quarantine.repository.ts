import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { FRESH_FEED_SQL, shownOffersSql, WHOLE_MARKET_READ_SETTINGS } from '../freshness';
import { markPending } from '../history/best-changes';
import { Actor, auditedTransaction } from '../repositories/audit.repository';
import { GuardOutcome, IntegrityPolicy, StoredQuarantine, sweepOffers } from './rate-guard';

/** Liquid currencies a thin direction's cross rate may go through, most liquid first. */
export const PIVOT_CURRENCIES = ['USDTTRC20', 'BTC', 'USDTERC20', 'ETH'] as const;

/** How long a direction that fell below three exchangers is judged by its last market reference. */
export const REFERENCE_HISTORY_HOURS = 6;

/** An exchanger with at least this share of its shown-or-held offers held back is flagged as a whole. */
export const FLAG_SHARE = 0.5;

export interface ReferenceRefresh {
  /** Directions with a market reference (three exchangers or more) after the refresh. */
  market: number;
  /** Of those, the references written because they moved or are new. */
  written: number;
  history: number;
  /** Thin directions with a pivot reference after the refresh. */
  pivot: number;
  /** Of those, the references written because they moved or are new. */
  pivotWritten: number;
  /** History references expired, and pivot references no longer derivable (legs gone, or the direction empty). */
  dropped: number;
  ms: number;
}

export interface QuarantinedOffer {
  exchangerId: number;
  exchanger: string;
  feedId: number;
  from: string;
  to: string;
  city: string | null;
  rate: string;
  reason: StoredQuarantine['reason'];
  reference: string;
  referenceSource: StoredQuarantine['referenceSource'];
  deviationPercent: string;
  since: string;
}

export interface FlaggedExchanger {
  exchangerId: number;
  exchanger: string;
  quarantined: number;
  offers: number;
}

export interface QuarantineException {
  exchangerId: number;
  from: string;
  to: string;
  city: string | null;
  until: string;
  reason: string;
}

/**
 * Rate integrity's state (DESIGN.md §10): the references the guard judges with, the offers it holds back,
 * the exchangers it flags, and the operators' exceptions.
 */
@Injectable()
export class QuarantineRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Recomputes every direction's reference from the fresh offers, in one transaction: `market` — the
   * median rate of at least three distinct exchangers (one offer each; held offers count too: a median
   * shrugs off a minority of wrong rates, and a market that really moves past the band within a refresh
   * takes its reference along instead of being held back as a whole); a direction that fell below three keeps its last market rate as `history` for
   * REFERENCE_HISTORY_HOURS; a thin direction with neither gets a `pivot` cross rate through a liquid
   * currency whose two legs have market references; anything else has no reference (no judgement).
   */
  async refreshReferences(): Promise<ReferenceRefresh> {
    const started = Date.now();
    return this.dataSource.transaction(async (tx) => {
      // One refresher at a time (the workers of a fleet all run the housekeeping schedule's jobs).
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('ratewatch:direction_references'))`);
      // Exchangers with more than one fresh feed: only their offers need the one-per-exchanger pick of the
      // shown-offers definition (a feed has one offer per direction and city), so the rest skip its sort.
      const [multi] = await tx.query<Array<{ ids: number[] }>>(
        `SELECT COALESCE(array_agg(exchanger_id), '{}') AS ids FROM (
           SELECT f.exchanger_id FROM feeds f JOIN exchangers e ON e.id = f.exchanger_id
           WHERE ${FRESH_FEED_SQL} GROUP BY f.exchanger_id HAVING count(*) > 1) m`,
      );
      // One pass over the fresh offers: every direction's exchangers and median, kept for the steps below.
      // Grouped byte-wise ("C": the same groups, a much cheaper sort than the locale's), in memory.
      await tx.query(WHOLE_MARKET_READ_SETTINGS);
      await tx.query(
        `CREATE TEMP TABLE refresh_directions (from_code varchar(16), to_code varchar(16), city varchar(32), rate numeric, n int)
         ON COMMIT DROP`,
      );
      await tx.query(
        `INSERT INTO refresh_directions
         SELECT from_code COLLATE "C", to_code COLLATE "C", city COLLATE "C",
                percentile_disc(0.5) WITHIN GROUP (ORDER BY rate), count(*)::int
         FROM (SELECT o.from_code, o.to_code, o.city, o.rate
               FROM offers o JOIN feeds f ON f.id = o.feed_id JOIN exchangers e ON e.id = o.exchanger_id
               WHERE ${FRESH_FEED_SQL} AND o.exchanger_id <> ALL($1::int[])
               UNION ALL
               SELECT s.from_code, s.to_code, s.city, s.rate FROM (${shownOffersSql('o.exchanger_id = ANY($1::int[])', true)}) s) shown
         GROUP BY 1, 2, 3`,
        [multi!.ids],
      );
      // Row counts for the planner: the thin directions below are looked up in direction_references by key.
      await tx.query(`ANALYZE refresh_directions`);
      // Only references that moved are written: most directions' medians are where the last refresh left
      // them, and rewriting all of them (≈ 100,000 rows every 20 s at 1,000,000 offers) was most of the
      // refresh's cost. They are picked by a join before the upsert: an ON CONFLICT … WHERE that turned an
      // unchanged row down still locked it: a dirtied page and a WAL record for every direction, every
      // refresh. `market_at` is then when the market reference last moved; it is set to the moment the
      // market left when a reference turns to history (below).
      const [market] = await tx.query<Array<{ n: number; written: number }>>(
        `WITH moved AS (
           SELECT s.from_code, s.to_code, s.city, s.rate, s.n FROM refresh_directions s
           LEFT JOIN direction_references r ON r.from_code = s.from_code AND r.to_code = s.to_code AND r.city = s.city
           WHERE s.n >= 3 AND (r.rate, r.source, r.exchangers, r.via) IS DISTINCT FROM (s.rate, 'market', s.n, NULL::text)
         ), written AS (
           INSERT INTO direction_references AS r (from_code, to_code, city, rate, source, exchangers, via, market_at, updated_at)
           SELECT from_code, to_code, city, rate, 'market', n, NULL, now(), now() FROM moved
           ON CONFLICT (from_code, to_code, city) DO UPDATE
             SET rate = EXCLUDED.rate, source = 'market', exchangers = EXCLUDED.exchangers, via = NULL,
                 market_at = EXCLUDED.market_at, updated_at = EXCLUDED.updated_at
           RETURNING 1
         )
         SELECT (SELECT count(*)::int FROM refresh_directions WHERE n >= 3) AS n, (SELECT count(*)::int FROM written) AS written`,
      );
      // Below three now: the last market rate stays the reference for a while (from now: it held until this
      // refresh), then goes.
      const [history] = await tx.query<Array<{ n: number }>>(
        `WITH aged AS (
           UPDATE direction_references r SET source = 'history', market_at = now(), updated_at = now()
           WHERE source = 'market' AND NOT EXISTS (
             SELECT 1 FROM refresh_directions s
             WHERE s.n >= 3 AND s.from_code = r.from_code AND s.to_code = r.to_code AND s.city = r.city)
           RETURNING 1
         ) SELECT count(*)::int AS n FROM aged`,
      );
      const [dropped] = await tx.query<Array<{ n: number }>>(
        `WITH gone AS (
           DELETE FROM direction_references
           WHERE source = 'history' AND market_at <= now() - make_interval(hours => $1)
           RETURNING 1
         ) SELECT count(*)::int AS n FROM gone`,
        [REFERENCE_HISTORY_HOURS],
      );
      // The planner's count of the references (pivots as the last refresh left them), made true when it is
      // off by more than a tenth: the pivot step and the guard's statements look references up per row, and a plan made with an empty table's statistics (a new
      // database, a fleet's first vacuum) scans them all for each (25 s a poll at 1,000 exchangers). Servers
      // without autovacuum, or before its next round, would keep such plans.
      const [counts] = await tx.query<Array<{ n: number; counted: number }>>(
        `SELECT (SELECT count(*)::int FROM direction_references) AS n,
                (SELECT reltuples::float8 FROM pg_class WHERE oid = 'direction_references'::regclass) AS counted`,
      );
      if (Math.abs(counts!.n - counts!.counted) > counts!.n / 10) await tx.query(`ANALYZE direction_references`);
      // Thin directions: offers of fewer than three exchangers, and no history reference. Picked first
      // (MATERIALIZED), against the history references hashed: left to the planner, the anti-join ran last,
      // one probe of direction_references per joined leg pair (279,000 probes, 5 of the statement's 9 s at
      // 250 exchangers, auto_explain in bench:scale). The pivot references of the last refresh are kept and
      // only the ones that moved are written, as the market ones are; the ones no longer derivable go.
      // Deleting and inserting every pivot reference on every refresh (42,000 at 250 exchangers) cost a
      // second of its own and left as many dead rows for the guard's look-ups to step over.
      const [pivot] = await tx.query<Array<{ n: number; written: number; gone: number }>>(
        `WITH kept AS MATERIALIZED (
           SELECT from_code, to_code, city FROM direction_references WHERE source = 'history'
         ), thin AS MATERIALIZED (
           SELECT s.from_code, s.to_code, s.city FROM refresh_directions s
           WHERE s.n < 3 AND NOT EXISTS (SELECT 1 FROM kept k
                                         WHERE k.from_code = s.from_code AND k.to_code = s.to_code AND k.city = s.city)
         ), pivots AS (
           SELECT code, ord FROM unnest($1::text[]) WITH ORDINALITY AS p(code, ord)
         ),
         -- The legs into and out of the pivots (a few thousand market references), each read once and joined
         -- by hash: probing direction_references by key for every thin direction, pivot and city (some
         -- 400,000 lookups at 1,000 exchangers) took 14 s a refresh.
         into_pivot AS MATERIALIZED (
           SELECT r.from_code, r.to_code AS via, r.city, r.rate, r.exchangers FROM direction_references r
           WHERE r.source = 'market' AND r.to_code = ANY($1::text[])
         ), out_of_pivot AS MATERIALIZED (
           SELECT r.from_code AS via, r.to_code, r.city, r.rate, r.exchangers FROM direction_references r
           WHERE r.source = 'market' AND r.from_code = ANY($1::text[])
         ), cross_rates AS MATERIALIZED (
           SELECT DISTINCT ON (t.from_code, t.to_code, t.city)
                  t.from_code, t.to_code, t.city, a.rate * b.rate AS rate, LEAST(a.exchangers, b.exchangers) AS n, p.code AS via
           FROM thin t
           JOIN into_pivot a ON a.from_code = t.from_code AND a.city IN (t.city, '')
           JOIN pivots p ON p.code = a.via AND p.code NOT IN (t.from_code, t.to_code)
           JOIN out_of_pivot b ON b.via = a.via AND b.to_code = t.to_code AND b.city IN (t.city, '')
           ORDER BY t.from_code, t.to_code, t.city, p.ord, a.city DESC, b.city DESC
         ), moved AS (
           SELECT c.* FROM cross_rates c
           LEFT JOIN direction_references r ON r.from_code = c.from_code AND r.to_code = c.to_code AND r.city = c.city
           WHERE (r.rate, r.source, r.exchangers, r.via) IS DISTINCT FROM (c.rate, 'pivot', c.n, c.via)
         ), written AS (
           INSERT INTO direction_references AS r (from_code, to_code, city, rate, source, exchangers, via, market_at, updated_at)
           SELECT from_code, to_code, city, rate, 'pivot', n, via, NULL, now() FROM moved
           ON CONFLICT (from_code, to_code, city) DO UPDATE
             SET rate = EXCLUDED.rate, source = 'pivot', exchangers = EXCLUDED.exchangers, via = EXCLUDED.via,
                 market_at = NULL, updated_at = EXCLUDED.updated_at
           RETURNING 1
         ), gone AS (
           DELETE FROM direction_references r
           WHERE r.source = 'pivot' AND NOT EXISTS (SELECT 1 FROM cross_rates c
                                                    WHERE c.from_code = r.from_code AND c.to_code = r.to_code AND c.city = r.city)
           RETURNING 1
         ) SELECT (SELECT count(*)::int FROM cross_rates) AS n, (SELECT count(*)::int FROM written) AS written,
                  (SELECT count(*)::int FROM gone) AS gone`,
        [PIVOT_CURRENCIES],
      );
      // The refresh's moment (its transaction's start) and its cost so far (the sweep adds its own).
      await tx.query(
        `INSERT INTO reference_refreshes (refreshed_at, took_ms) VALUES (now(), $1)
         ON CONFLICT (one) DO UPDATE SET refreshed_at = EXCLUDED.refreshed_at, took_ms = EXCLUDED.took_ms`,
        [Date.now() - started],
      );
      return {
        market: market!.n,
        written: market!.written,
        history: history!.n,
        pivot: pivot!.n,
        pivotWritten: pivot!.written,
        dropped: dropped!.n + pivot!.gone,
        ms: Date.now() - started,
      };
    });
  }

  /**
   * Judges the stored offers against the references (see `sweepOffers`), in one transaction; its time is
   * added to the last refresh's cost (`refreshDue`). With `recordHistory`, the directions where it held or
   * freed offers are marked for the rate history in that transaction (DESIGN.md §12), to be computed over
   * every shown offer: a poll's mark written before carries the feed's offers as they were shown then, and a
   * drain that sees the sweep's verdicts must see this mark too, or it could record an offer the sweep holds.
   */
  sweep(policy: IntegrityPolicy, recordHistory = false): Promise<GuardOutcome> {
    const started = Date.now();
    return this.dataSource.transaction(async (tx) => {
      const outcome = await sweepOffers(tx, policy);
      if (recordHistory) await markPending(tx, outcome.touched, null);
      await tx.query(`UPDATE reference_refreshes SET took_ms = took_ms + $1`, [Date.now() - started]);
      return outcome;
    });
  }

  /**
   * Whether the references may be refreshed again: `pace` times as long as the last refresh and its sweep
   * took has passed since they ended (always, when never refreshed). The guard's upkeep reads every fresh
   * offer; at 2,000,000 offers it takes tens of seconds, and a fixed schedule would run it back to back.
   */
  async refreshDue(pace: number): Promise<boolean> {
    const [row] = await this.dataSource.query<Array<{ due: boolean }>>(
      `SELECT NOT EXISTS (SELECT FROM reference_refreshes
                          WHERE now() < refreshed_at + make_interval(secs => took_ms * (1 + $1::float8) / 1000)) AS due`,
      [pace],
    );
    return row!.due;
  }

  /** Seconds since the references were last refreshed (null: never): the guard's own freshness. */
  async referenceAgeSeconds(): Promise<number | null> {
    const [row] = await this.dataSource.query<Array<{ age: number | null }>>(
      `SELECT EXTRACT(EPOCH FROM now() - refreshed_at)::float AS age FROM reference_refreshes`,
    );
    return row?.age ?? null;
  }

  /** Every held offer with its verdict, newest first; and the exchangers most of whose offers are held. */
  async list(): Promise<{ items: QuarantinedOffer[]; flagged: FlaggedExchanger[]; exceptions: QuarantineException[] }> {
    const items = await this.dataSource.query<QuarantinedOffer[]>(
      `SELECT o.exchanger_id AS "exchangerId", e.slug AS exchanger, o.feed_id AS "feedId", o.from_code AS "from", o.to_code AS "to",
              NULLIF(o.city, '') AS city, o.rate::text AS rate, o.quarantine->>'reason' AS reason,
              o.quarantine->>'reference' AS reference, o.quarantine->>'referenceSource' AS "referenceSource",
              o.quarantine->>'deviationPercent' AS "deviationPercent", o.quarantine->>'since' AS since
       FROM offers o JOIN exchangers e ON e.id = o.exchanger_id
       WHERE o.quarantine IS NOT NULL
       ORDER BY o.quarantine->>'since' DESC, e.slug, o.from_code, o.to_code, o.city
       LIMIT 1000`,
    );
    const flagged = await this.dataSource.query<FlaggedExchanger[]>(
      `SELECT x.exchanger_id AS "exchangerId", e.slug AS exchanger, x.held AS quarantined, x.total AS offers
       FROM (SELECT exchanger_id, count(*) FILTER (WHERE quarantine IS NOT NULL)::int AS held, count(*)::int AS total
             FROM offers WHERE exchanger_id IN (SELECT exchanger_id FROM offers WHERE quarantine IS NOT NULL)
             GROUP BY exchanger_id) x
       JOIN exchangers e ON e.id = x.exchanger_id
       WHERE x.held >= x.total * $1::numeric
       ORDER BY x.held DESC`,
      [FLAG_SHARE],
    );
    const exceptions = await this.dataSource.query<QuarantineException[]>(
      `SELECT exchanger_id AS "exchangerId", from_code AS "from", to_code AS "to", NULLIF(city, '') AS city, until, reason
       FROM quarantine_exceptions WHERE until > now() ORDER BY until`,
    );
    return { items, flagged, exceptions };
  }

  /**
   * Accepts an exchanger's direction (and city) for `hours`: its offers there are shown whatever the guard
   * says until then, and those held now are freed at once — with `recordHistory`, the direction is marked for
   * the rate history in the same transaction (a freed offer can be the new best: DESIGN.md §12). Audited.
   * Returns the freed offers' count.
   */
  accept(
    actor: Actor,
    exception: { exchangerId: number; from: string; to: string; city: string | null; hours: number; reason: string },
    recordHistory = false,
  ): Promise<{ until: string; released: number }> {
    return auditedTransaction(this.dataSource, actor, 'create', 'quarantine-exception', async (tx) => {
      const city = exception.city ?? '';
      const [row] = await tx.query<Array<{ until: Date }>>(
        `INSERT INTO quarantine_exceptions (exchanger_id, from_code, to_code, city, until, reason)
         VALUES ($1, $2, $3, $4, now() + make_interval(hours => $5), $6)
         ON CONFLICT (exchanger_id, from_code, to_code, city) DO UPDATE SET until = EXCLUDED.until, reason = EXCLUDED.reason, created_at = now()
         RETURNING until`,
        [exception.exchangerId, exception.from, exception.to, city, exception.hours, exception.reason],
      );
      const released = await tx.query<unknown[]>(
        `UPDATE offers SET quarantine = NULL
         WHERE exchanger_id = $1 AND from_code = $2 AND to_code = $3 AND city = $4 AND quarantine IS NOT NULL RETURNING 1`,
        [exception.exchangerId, exception.from, exception.to, city],
      );
      if (recordHistory && rowCount(released) > 0) await markPending(tx, [[exception.from, exception.to]], null);
      const until = row!.until.toISOString();
      const after = { ...exception, city: exception.city, until };
      return {
        before: null,
        after,
        entityId: `${exception.exchangerId}:${exception.from}:${exception.to}:${city}`,
        result: { until, released: rowCount(released) },
      };
    });
  }
}

function rowCount(result: unknown): number {
  // TypeORM answers an UPDATE … RETURNING with [rows, count].
  return Array.isArray(result) && Array.isArray(result[0])
    ? result[0].length
    : Array.isArray(result)
      ? result.length
      : 0;
}
