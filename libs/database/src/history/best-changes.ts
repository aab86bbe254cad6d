import type { PoolClient } from 'pg';
import type { EntityManager } from 'typeorm';
import { shownOffersSql } from '../freshness';

/** A direction as writes name it: (from, to). Its cities are recorded with it. */
export type DirectionPair = readonly [string, string];

/**
 * Advisory lock slots that serialize recording per direction (class id, then a slot of 16 by the
 * direction's hash): a writer takes its slots in order, so two writers never deadlock, and a transaction
 * never holds more than 16 locks however many directions it touched.
 */
const HISTORY_LOCK_CLASS = 0x7261_7465;
const HISTORY_LOCK_SLOTS = 16;

/** What recording did: change points written. */
export interface RecordedChanges {
  changes: number;
}

/**
 * Records a change point for each direction (and city) among `pairs` whose best *shown* rate (shownOffersSql:
 * fresh feed, active exchanger, not held by the rate guard) is not the one history holds, inside the caller's
 * transaction (DESIGN.md §12). The direction's lock slots are taken first, so the bests are computed from a
 * snapshot that includes every write recorded before: two feeds writing one direction at once never leave
 * history with a best that neither sees.
 *
 * `writer`: the feed just written (and its exchanger) — then only the pairs where this write can have moved
 * the best are computed: those whose best the exchanger holds, or where one of its shown offers now beats
 * the best history holds. Everything else kept its best, since nothing else changed. Without `writer`
 * (housekeeping), every pair is computed. `at`: the change time (default: the clock, under the locks).
 */
export async function recordBestChanges(
  tx: EntityManager,
  pairs: readonly DirectionPair[],
  options: { writer?: { id: number; exchangerId: number }; at?: Date } = {},
): Promise<RecordedChanges> {
  if (pairs.length === 0) return { changes: 0 };
  const froms = pairs.map((p) => p[0]);
  const tos = pairs.map((p) => p[1]);
  // Named statements: each connection plans them once, not on every poll (the guard found planning a third of its cost).
  const client = (await tx.queryRunner!.connect()) as PoolClient;
  await client.query({ name: 'ratewatch_history_lock', text: LOCK_SQL, values: [froms, tos] });
  const { rows } = await client.query<{ changes: number }>(
    options.writer
      ? {
          name: 'ratewatch_history_writer',
          text: WRITER_SQL,
          values: [froms, tos, options.at ?? null, options.writer.id, options.writer.exchangerId],
        }
      : { name: 'ratewatch_history_pairs', text: EVERY_PAIR_SQL, values: [froms, tos, options.at ?? null] },
  );
  const row = rows[0];
  return { changes: row?.changes ?? 0 };
}

/** The lock slots of the pairs $1, $2, taken in order. */
const LOCK_SQL = `SELECT count(pg_advisory_xact_lock(${HISTORY_LOCK_CLASS}, slot)) FROM (
  SELECT DISTINCT hashtext(f || '>' || t) & (${HISTORY_LOCK_SLOTS} - 1) AS slot FROM unnest($1::text[], $2::text[]) AS u(f, t) ORDER BY slot
) s`;

const PAIRS = `SELECT DISTINCT * FROM unnest($1::text[], $2::text[]) AS t(from_code, to_code)`;

/**
 * Of the pairs a feed ($4, of exchanger $5) wrote, those whose best it can have moved: its exchanger holds a
 * best of the pair, or one of its offers there not held back beats the pair's recorded best (overall or in
 * its city), or there is none yet. A feed's own offers are the only ones that changed, so for the rest the
 * best history holds is still the best.
 */
const WRITER_PAIRS = `SELECT t.from_code, t.to_code FROM (${PAIRS}) t
  WHERE EXISTS (SELECT 1 FROM history_directions d WHERE d.from_code = t.from_code AND d.to_code = t.to_code AND d.holder = $5)
     OR EXISTS (
       SELECT 1 FROM offers o
       WHERE o.feed_id = $4 AND o.from_code = t.from_code AND o.to_code = t.to_code AND o.quarantine IS NULL
         AND (NOT EXISTS (SELECT 1 FROM history_directions d WHERE d.from_code = o.from_code AND d.to_code = o.to_code AND d.city = '' AND d.rate >= o.rate)
              OR (o.city <> '' AND NOT EXISTS (SELECT 1 FROM history_directions d WHERE d.from_code = o.from_code AND d.to_code = o.to_code AND d.city = o.city AND d.rate >= o.rate))))`;

/**
 * The recording statement over the pairs `candidates` yields: the best shown rate, offer count and holder
 * (the exchanger of the best; the smallest id on a tie) per pair overall (city '') and per city, against what
 * history holds; a change point where the rate differs (null: nothing shown any more), the holder kept up to
 * date where only it changed. Answers how many change points it wrote.
 */
function recordSql(candidates: string): string {
  return `WITH cand AS (${candidates}),
  shown AS (${shownOffersSql('(o.from_code, o.to_code) IN (SELECT from_code, to_code FROM cand)')}),
  grouped AS (
    SELECT s.from_code, s.to_code, CASE WHEN grouping(s.city) = 1 THEN '' ELSE s.city END AS city, grouping(s.city) AS whole,
           max(s.rate) AS rate, count(*)::int AS offers, (array_agg(s.exchanger_id ORDER BY s.rate DESC, s.exchanger_id))[1] AS holder
    FROM shown s GROUP BY GROUPING SETS ((s.from_code, s.to_code, s.city), (s.from_code, s.to_code))
  ),
  best AS (SELECT from_code, to_code, city, rate, offers, holder FROM grouped WHERE whole = 1 OR city <> ''),
  cur AS (SELECT d.id, d.from_code, d.to_code, d.city, d.rate, d.holder FROM history_directions d JOIN cand USING (from_code, to_code)),
  diff AS (
    SELECT COALESCE(b.from_code, c.from_code) AS from_code, COALESCE(b.to_code, c.to_code) AS to_code, COALESCE(b.city, c.city) AS city,
           b.rate, COALESCE(b.offers, 0) AS offers, b.holder, c.rate AS previous, c.id IS NULL OR c.rate IS DISTINCT FROM b.rate AS changed
    FROM best b FULL JOIN cur c ON c.from_code = b.from_code AND c.to_code = b.to_code AND c.city = b.city
    WHERE c.id IS NULL OR c.rate IS DISTINCT FROM b.rate OR c.holder IS DISTINCT FROM b.holder
  ),
  clock AS (SELECT COALESCE($3::timestamptz, clock_timestamp()) AS at),
  up AS (
    INSERT INTO history_directions AS h (from_code, to_code, city, rate, holder, changed_at)
    SELECT diff.from_code, diff.to_code, diff.city, diff.rate, diff.holder, clock.at FROM diff, clock
    ON CONFLICT ON CONSTRAINT history_directions_key DO UPDATE SET rate = excluded.rate, holder = excluded.holder,
       changed_at = CASE WHEN h.rate IS DISTINCT FROM excluded.rate THEN excluded.changed_at ELSE h.changed_at END
    RETURNING h.id, h.from_code, h.to_code, h.city
  ),
  points AS (
    INSERT INTO history_changes (direction_id, at, rate, previous, offers)
    SELECT up.id, clock.at, diff.rate, diff.previous, diff.offers
    FROM up JOIN diff USING (from_code, to_code, city), clock WHERE diff.changed
    ON CONFLICT (direction_id, at) DO UPDATE SET rate = excluded.rate, offers = excluded.offers
    RETURNING 1
  )
  SELECT count(*)::int AS changes FROM points`;
}

const WRITER_SQL = recordSql(WRITER_PAIRS);
const EVERY_PAIR_SQL = recordSql(PAIRS);
