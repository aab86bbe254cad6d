/**
 * How long a feed's last success stays true, in seconds (alias `f`): its stale limit, but never less than
 * one interval plus the timeout and a minute of scheduling slack — a 300 s limit on an hourly feed would
 * otherwise hide the exchanger 55 minutes of every hour although it never missed a poll.
 */
export const STALE_AFTER_SQL = `GREATEST(f.stale_after_s, f.interval_s + CEIL(f.timeout_ms / 1000.0)::int + 60)`;

/**
 * SQL condition for "this offer may be shown" (DESIGN.md §1, §7): its exchanger is active and its
 * feed is enabled, not in maintenance, and confirmed within its stale limit. Expects the aliases
 * `e` (exchangers) and `f` (feeds). One definition for every read query.
 */
export const FRESH_FEED_SQL = `e.status = 'active'
  AND f.enabled
  AND NOT f.in_maintenance
  AND f.last_success_at > now() - make_interval(secs => ${STALE_AFTER_SQL})`;

/**
 * The offers visitors see (DESIGN.md §7, §10), as a subquery: not held back by the rate guard, of fresh
 * feeds of active exchangers, one per exchanger, direction and city — the more recently confirmed feed's,
 * as `findDirectionOffers` shows them — so counts and best rates agree with the tables. Columns:
 * exchanger_id, from_code, to_code, city, rate, and feed_id (with from_code, to_code and city the picked
 * row's key in `offers`, for a reader that needs its other terms). `where` narrows it (aliases `o`, `f`, `e`).
 * `withHeld` keeps the held offers too: the market as the exchangers publish it, which the references
 * are the median of (so a market that really moves past the band takes its references along).
 */
export function shownOffersSql(where = 'TRUE', withHeld = false): string {
  return `SELECT DISTINCT ON (o.exchanger_id, o.from_code, o.to_code, o.city) o.exchanger_id, o.from_code, o.to_code, o.city, o.rate, o.feed_id
          FROM offers o JOIN feeds f ON f.id = o.feed_id JOIN exchangers e ON e.id = o.exchanger_id
          WHERE ${FRESH_FEED_SQL} ${withHeld ? '' : 'AND o.quarantine IS NULL'} AND (${where})
          ORDER BY o.exchanger_id, o.from_code, o.to_code, o.city, f.last_success_at DESC, f.id DESC`;
}

/**
 * The transaction settings of a paced read of the whole shown market (the rate guard's reference refresh, the
 * api's market values): memory for its one sort of every fresh offer (in memory, not on disk), and no parallel
 * workers. Both reads are paced by their own duration — the next waits a multiple of the last one's time, so
 * the database gives each at most a share of one connection. Parallel workers did not make a read cheaper (at
 * 1,000,000 offers ≈ 4 s of CPU either way, the machine's CPU over three reads) but shorter (3.3 s against
 * 4.0 s), so the pace let it run more often, on three cores at once beside the polls' writes (bench:scale at
 * 500 exchangers: the market read 29 % of PostgreSQL's CPU, the refresh about 8 %, sampled per backend).
 */
export const WHOLE_MARKET_READ_SETTINGS = `SET LOCAL work_mem = '64MB'; SET LOCAL max_parallel_workers_per_gather = 0`;
