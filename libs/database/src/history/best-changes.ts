import type { PoolClient } from 'pg';
import type { EntityManager } from 'typeorm';
import { FRESH_FEED_SQL, shownOffersSql } from '../freshness';

/** A direction as writes name it: (from, to). Its cities are recorded with it. */
export type DirectionPair = readonly [string, string];

/**
 * Advisory lock slots that serialize recording per direction (class id, then a slot of 16 by the
 * direction's hash): a writer takes its slots in order, so two writers never deadlock, and a transaction
 * never holds more than 16 locks however many directions it touched.
 */
export const HISTORY_LOCK_CLASS = 0x7261_7465;
const HISTORY_LOCK_SLOTS = 16;
/**
 * Pairs per statement when bests are computed over the market: a 40,000-direction first snapshot in one
 * statement sorts and hashes every pair's offers at once (and a cached generic plan sized for a few pairs
 * does it by nested loops); a thousand at a time keeps each statement's plan and memory small.
 */
const PAIRS_PER_STATEMENT = 1_000;
/**
 * A write of more pairs than this runs its statements unnamed, planned for the pairs it has: a named
 * statement's plan is cached per connection, and after five polls of small feeds PostgreSQL keeps a generic
 * plan sized for a few pairs — which took a 40,000-direction first snapshot from 2 s to over 30 s.
 */
const NAMED_MAX_PAIRS = 1_000;

/** `name` for a statement over `pairs` pairs (planned once per connection), none for a large write. */
const statementName = (name: string, pairs: number) => (pairs <= NAMED_MAX_PAIRS ? name : undefined);

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
 * `writer`: the feed just written (and its exchanger) — then only its exchanger's offers changed, so its own
 * shown rates decide (WRITER_SQL), and only the pairs whose best it lowered or withdrew are computed over
 * every offer. Without `writer` (housekeeping), every pair is computed. `at`: the change time (default: the
 * clock, under the locks).
 */
export async function recordBestChanges(
  tx: EntityManager,
  pairs: readonly DirectionPair[],
  options: { writer?: { id: number; exchangerId: number }; at?: Date } = {},
): Promise<RecordedChanges> {
  if (pairs.length === 0) return { changes: 0 };
  const froms = pairs.map((p) => p[0]);
  const tos = pairs.map((p) => p[1]);
  // Named statements: each connection plans them once, not on every poll (the guard found planning a third of
  // its cost) — but not for a large write (NAMED_MAX_PAIRS).
  const client = (await tx.queryRunner!.connect()) as PoolClient;
  const named = pairs.length <= NAMED_MAX_PAIRS;
  await client.query({
    name: statementName('ratewatch_history_lock', pairs.length),
    text: LOCK_SQL,
    values: [froms, tos],
  });
  const at = options.at ?? null;
  if (!options.writer) return { changes: await recordPairs(client, froms, tos, at, named) };
  const writer = options.writer;
  // A large write's statements over its own offers, planned by estimates that know nothing of the rows it has
  // just written (statistics are of the market before it), chose nested loops over tens of thousands of rows
  // (a 40,000-direction first snapshot: minutes); hash joins are linear — only for those statements.
  return withoutNestedLoops(client, !named, async () => {
    const { rows } = await client.query<{ changes: number; froms: string[] | null; tos: string[] | null }>({
      name: statementName('ratewatch_history_writer', pairs.length),
      text: WRITER_SQL,
      values: [froms, tos, at, writer.exchangerId],
    });
    const row = rows[0];
    // Only a holder that lowered or withdrew its rate (or a scope history has no row for yet) needs the next
    // best: where no other exchanger has an offer (a large feed's first snapshot: directions nobody else
    // publishes), the writer's own shown offers are every shown offer, so they decide alone (OWN_PAIRS_SQL,
    // without reading the market).
    if (!row?.froms?.length) return { changes: row?.changes ?? 0, rest: null };
    const own = await client.query<{ changes: number; froms: string[] | null; tos: string[] | null }>({
      name: named ? 'ratewatch_history_own' : undefined,
      text: OWN_PAIRS_SQL,
      values: [row.froms, row.tos ?? [], at, writer.exchangerId],
    });
    const rest = own.rows[0]?.froms?.length ? { froms: own.rows[0].froms, tos: own.rows[0].tos ?? [] } : null;
    return { changes: (row.changes ?? 0) + (own.rows[0]?.changes ?? 0), rest };
  }).then(async ({ changes, rest }) => ({
    // The rest over every shown offer, by the market's indexes (nested loops again).
    changes: changes + (rest ? await recordPairs(client, rest.froms, rest.tos, at, named) : 0),
  }));
}

/**
 * Runs `work` with enable_nestloop off when `off`, then as it was — and JIT off meanwhile: a nested loop the
 * plan cannot avoid then costs like ten billion rows, which made PostgreSQL spend 1.7 s compiling the first
 * snapshot's statement for 0.7 s of work.
 */
async function withoutNestedLoops<T>(client: PoolClient, off: boolean, work: () => Promise<T>): Promise<T> {
  if (!off) return work();
  const { rows } = await client.query<{ nestloop: string; jit: string }>(
    `SELECT current_setting('enable_nestloop') AS nestloop, current_setting('jit') AS jit,
            set_config('enable_nestloop', 'off', true), set_config('jit', 'off', true)`,
  );
  const result = await work();
  await client.query(`SELECT set_config('enable_nestloop', $1, true), set_config('jit', $2, true)`, [
    rows[0]?.nestloop ?? 'on',
    rows[0]?.jit ?? 'on',
  ]);
  return result;
}

/** Computes the pairs' bests over every shown offer and records where they differ from history's, in chunks. */
async function recordPairs(
  client: PoolClient,
  froms: string[],
  tos: string[],
  at: Date | null,
  named: boolean,
): Promise<number> {
  let changes = 0;
  for (let i = 0; i < froms.length; i += PAIRS_PER_STATEMENT) {
    const { rows } = await client.query<{ changes: number }>({
      name: named ? 'ratewatch_history_pairs' : undefined,
      text: EVERY_PAIR_SQL,
      values: [froms.slice(i, i + PAIRS_PER_STATEMENT), tos.slice(i, i + PAIRS_PER_STATEMENT), at],
    });
    changes += rows[0]?.changes ?? 0;
  }
  return changes;
}

/** The lock slots of the pairs $1, $2, taken in order. */
const LOCK_SQL = `SELECT count(pg_advisory_xact_lock(${HISTORY_LOCK_CLASS}, slot)) FROM (
  SELECT DISTINCT hashtext(f || '>' || t) & (${HISTORY_LOCK_SLOTS} - 1) AS slot FROM unnest($1::text[], $2::text[]) AS u(f, t) ORDER BY slot
) s`;

const PAIRS = `SELECT DISTINCT * FROM unnest($1::text[], $2::text[]) AS t(from_code, to_code)`;

/**
 * The recording statement over the pairs `candidates` yields: the best shown rate, offer count and holder
 * (the exchanger of the best; the smallest id on a tie) per pair overall (city '') and per city, against what
 * history holds; a change point where the rate differs (null: nothing shown any more), the holder kept up to
 * date where only it changed. Answers how many change points it wrote.
 */
function recordSql(candidates: string): string {
  return `WITH ${recordCtes(candidates)}
  SELECT count(*)::int AS changes FROM points`;
}

/** recordSql's common table expressions, `shown` rows from `shownRows(where)` (default: every shown offer). */
function recordCtes(candidates: string, shownRows = SHOWN_ROWS_SQL): string {
  return `cand AS (${candidates}),
  shown AS (${shownRows('(o.from_code, o.to_code) IN (SELECT from_code, to_code FROM cand)')}),
  best AS (${SCOPES_OF(
    'shown',
    'max(s.rate) AS rate, count(*)::int AS offers, (array_agg(s.exchanger_id ORDER BY s.rate DESC, s.exchanger_id))[1] AS holder',
  )}),
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
  )`;
}

/** Best rate per pair overall (city '') and per city of `shown` (a CTE with from_code, to_code, city, rate, …). */
const SCOPES_OF = (shown: string, aggregates: string) => `SELECT * FROM (
    SELECT s.from_code, s.to_code, CASE WHEN grouping(s.city) = 1 THEN '' ELSE s.city END AS city, grouping(s.city) AS whole, ${aggregates}
    FROM ${shown} s GROUP BY GROUPING SETS ((s.from_code, s.to_code, s.city), (s.from_code, s.to_code))
  ) g WHERE whole = 1 OR city <> ''`;

/**
 * The rows of shownOffersSql(where) (exchanger_id, from_code, to_code, city, rate), without sorting them all to
 * pick each exchanger's feed: only an exchanger with several shown feeds (rare) needs that pick; every
 * other offer of a shown feed, not held back, is shown as it is.
 */
const SHOWN_ROWS_SQL = (where: string) => `WITH live AS (
    SELECT f.id, f.exchanger_id, f.last_success_at FROM feeds f JOIN exchangers e ON e.id = f.exchanger_id WHERE ${FRESH_FEED_SQL}
  ),
  shared AS (SELECT exchanger_id FROM live GROUP BY exchanger_id HAVING count(*) > 1)
  SELECT o.exchanger_id, o.from_code, o.to_code, o.city, o.rate FROM offers o
  WHERE o.quarantine IS NULL AND (${where}) AND (o.feed_id IN (SELECT id FROM live)) IS TRUE
    AND (o.exchanger_id IN (SELECT exchanger_id FROM shared)) IS NOT TRUE
  UNION ALL
  SELECT * FROM (
    SELECT DISTINCT ON (o.exchanger_id, o.from_code, o.to_code, o.city) o.exchanger_id, o.from_code, o.to_code, o.city, o.rate
    FROM offers o JOIN live f ON f.id = o.feed_id
    WHERE o.quarantine IS NULL AND (${where}) AND o.exchanger_id IN (SELECT exchanger_id FROM shared)
    ORDER BY o.exchanger_id, o.from_code, o.to_code, o.city, f.last_success_at DESC, f.id DESC
  ) picked`;

/**
 * The recording statement of a feed's write (pairs $1, $2 it touched, time $3, its exchanger $4). Only the
 * writer's offers changed, so per scope (pair overall and per city) its own shown rate decides against the
 * best history holds, without reading the other offers:
 * - it beats the recorded best (or ties it with a smaller exchanger id, or nothing was shown): the new best
 *   is its rate, it holds it; the offers shown are counted for the change point;
 * - it held the best and lowered or withdrew it, or history has no row for the scope yet: the pair needs
 *   its next best — answered in `froms`/`tos` for EVERY_PAIR_SQL (nothing written for it here);
 * - otherwise the best did not move.
 * Answers the change points written and the pairs left to compute.
 */
const WRITER_SQL = `WITH pairs AS (${PAIRS}),
  mine AS (${shownOffersSql('f.exchanger_id = $4 AND o.exchanger_id = $4 AND (o.from_code, o.to_code) IN (SELECT from_code, to_code FROM pairs)')}),
  mine_best AS (${SCOPES_OF('mine', 'max(s.rate) AS rate')}),
  cur AS (SELECT d.id, d.from_code, d.to_code, d.city, d.rate, d.holder FROM history_directions d JOIN pairs USING (from_code, to_code)),
  scopes AS (
    SELECT COALESCE(m.from_code, c.from_code) AS from_code, COALESCE(m.to_code, c.to_code) AS to_code, COALESCE(m.city, c.city) AS city,
           m.rate AS mine, c.id, c.rate AS recorded, c.holder
    FROM mine_best m FULL JOIN cur c ON c.from_code = m.from_code AND c.to_code = m.to_code AND c.city = m.city
  ),
  redo AS (SELECT DISTINCT from_code, to_code FROM scopes WHERE id IS NULL OR (holder = $4 AND (mine IS NULL OR mine < recorded))),
  own AS (
    SELECT s.* FROM scopes s
    WHERE s.mine IS NOT NULL AND (s.recorded IS NULL OR s.mine > s.recorded OR (s.mine = s.recorded AND $4 < s.holder))
      AND NOT EXISTS (SELECT 1 FROM redo r WHERE r.from_code = s.from_code AND r.to_code = s.to_code)
  ),
  moved AS (SELECT DISTINCT from_code, to_code FROM own WHERE mine IS DISTINCT FROM recorded),
  shown AS (${SHOWN_ROWS_SQL('(o.from_code, o.to_code) IN (SELECT from_code, to_code FROM moved)')}),
  counted AS (${SCOPES_OF('shown', 'count(*)::int AS offers')}),
  clock AS (SELECT COALESCE($3::timestamptz, clock_timestamp()) AS at),
  up AS (
    UPDATE history_directions h SET rate = own.mine, holder = $4,
           changed_at = CASE WHEN h.rate IS DISTINCT FROM own.mine THEN clock.at ELSE h.changed_at END
    FROM own, clock WHERE h.id = own.id
    RETURNING h.id
  ),
  points AS (
    INSERT INTO history_changes (direction_id, at, rate, previous, offers)
    SELECT own.id, clock.at, own.mine, own.recorded, COALESCE(n.offers, 0)
    FROM own JOIN up USING (id) CROSS JOIN clock
    LEFT JOIN counted n ON n.from_code = own.from_code AND n.to_code = own.to_code AND n.city = own.city
    WHERE own.mine IS DISTINCT FROM own.recorded
    ON CONFLICT (direction_id, at) DO UPDATE SET rate = excluded.rate, offers = excluded.offers
    RETURNING 1
  )
  SELECT (SELECT count(*)::int FROM points) AS changes,
         (SELECT array_agg(from_code ORDER BY from_code, to_code) FROM redo) AS froms,
         (SELECT array_agg(to_code ORDER BY from_code, to_code) FROM redo) AS tos`;

const EVERY_PAIR_SQL = recordSql(PAIRS);

/**
 * OWN_PAIRS_SQL (pairs $1, $2, time $3, the writer's exchanger $4): the pairs in which no other exchanger has
 * an offer (shown or not, so nothing another feed shows is missed) are recorded from the writer's own shown
 * offers — all there is to show there; the others are answered in `froms`/`tos` for EVERY_PAIR_SQL. Under the
 * pairs' lock slots, an offer another writer has not committed yet is recorded by that writer after this one.
 */
const OWN_PAIRS_SQL = `WITH alone AS (
    SELECT p.from_code, p.to_code, NOT EXISTS (
      SELECT 1 FROM offers x WHERE x.from_code = p.from_code AND x.to_code = p.to_code AND x.exchanger_id <> $4
    ) AS alone FROM (${PAIRS}) p
  ),
  ${recordCtes('SELECT from_code, to_code FROM alone WHERE alone', (where) => shownOffersSql(`o.exchanger_id = $4 AND f.exchanger_id = $4 AND (${where})`))}
  SELECT (SELECT count(*)::int FROM points) AS changes,
         (SELECT array_agg(from_code ORDER BY from_code, to_code) FROM alone WHERE NOT alone) AS froms,
         (SELECT array_agg(to_code ORDER BY from_code, to_code) FROM alone WHERE NOT alone) AS tos`;
