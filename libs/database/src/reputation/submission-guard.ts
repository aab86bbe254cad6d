import { EntityManager } from 'typeorm';
import {
  DUPLICATE_WINDOW_DAYS,
  DuplicateTextError,
  NEAR_DUPLICATE_MAX_BITS,
  secondsToNextUtcDay,
  NotFoundError,
  SubmissionLimit,
  SubmissionLimitError,
  SubmissionLimits,
  VISIT_WINDOW_DAYS,
  VisitorIdentity,
} from '@app/domain';

/** The tables of visitors' submissions: same columns for visitor, IP, day, fingerprint. */
export type SubmissionTable = 'reviews' | 'claims';

// Advisory lock classes (the first key of pg_advisory_xact_lock(int, int)), one per thing a submission
// serialises on. Always taken in this order — exchanger, visitor, IP (one SELECT evaluates its list left
// to right) — so two submissions never wait on each other in a cycle.
const LOCK_EXCHANGER = 19_001;
const LOCK_VISITOR = 19_002;
const LOCK_IP = 19_003;

/** What a submission's checks found, to store with it. */
export interface Admission {
  visited: boolean;
}

/**
 * The checks every review or claim passes before it is stored, inside the transaction that stores it:
 *  1. Locks: the exchanger's (duplicates and bursts are about one exchanger), the visitor's and the IP's
 *     (the daily limits). Transaction-scoped advisory locks: every concurrent submission of the same
 *     visitor waits for the previous one to commit, so each counts what the others stored — 10,000
 *     posts at once store exactly as many as the limits allow. Other visitors' submissions do not wait.
 *  2. The daily limits (per exchanger, per visitor, per IP), counted over the rows of the day.
 *  3. Near-duplicates: a text whose fingerprint is within NEAR_DUPLICATE_MAX_BITS of one posted about
 *     the same exchanger in the last DUPLICATE_WINDOW_DAYS days (any state: rejected spam comes back).
 *  4. The visit: a unique click (bots' clicks never are) by the visitor — under the salt of the click's
 *     day — to this exchanger within VISIT_WINDOW_DAYS days.
 * Throws SubmissionLimitError or DuplicateTextError; the caller's transaction then stores nothing.
 */
export async function admitSubmission(
  tx: EntityManager,
  table: SubmissionTable,
  limits: SubmissionLimits,
  exchangerId: number,
  visitor: VisitorIdentity,
  fingerprint: string,
): Promise<Admission> {
  await tx.query(
    `SELECT pg_advisory_xact_lock(${LOCK_EXCHANGER}, $1), pg_advisory_xact_lock(${LOCK_VISITOR}, hashtext($2)), pg_advisory_xact_lock(${LOCK_IP}, hashtext($3))`,
    [exchangerId, visitor.hash, visitor.ipHash],
  );
  await checkLimits(tx, table, limits, exchangerId, visitor);
  const [duplicate] = await tx.query<Array<{ id: string }>>(
    `SELECT id FROM ${table}
     WHERE exchanger_id = $1 AND created_at > now() - make_interval(days => $2)
       AND bit_count((text_fingerprint # $3::bigint)::bit(64)) <= $4
     LIMIT 1`,
    [exchangerId, DUPLICATE_WINDOW_DAYS, fingerprint, NEAR_DUPLICATE_MAX_BITS],
  );
  if (duplicate)
    throw new DuplicateTextError(
      `the same text, or nearly, was already posted about this exchanger in the last ${DUPLICATE_WINDOW_DAYS} days`,
    );
  return { visited: await hasVisited(tx, exchangerId, visitor) };
}

/**
 * The daily limits alone, counted without locks. Submissions call it before their transaction, so a
 * visitor over a limit is refused by one read — a flood never queues on the visitor's lock nor holds
 * pool connections; admitSubmission counts again under the locks, which is what makes the limits exact.
 */
export async function checkLimits(
  tx: EntityManager,
  table: SubmissionTable,
  limits: SubmissionLimits,
  exchangerId: number,
  visitor: VisitorIdentity,
): Promise<void> {
  const [counts] = await tx.query<Array<{ here: number; visitor: number; ip: number }>>(
    `SELECT (SELECT count(*) FROM ${table} WHERE visitor_hash = $1 AND day = $2 AND exchanger_id = $3)::int AS here,
            (SELECT count(*) FROM ${table} WHERE visitor_hash = $1 AND day = $2)::int AS visitor,
            (SELECT count(*) FROM ${table} WHERE ip_hash = $4 AND day = $2)::int AS ip`,
    [visitor.hash, visitor.day, exchangerId, visitor.ipHash],
  );
  if (counts!.here >= limits.perExchangerPerDay) throw overLimit('exchanger-per-day', table, limits);
  if (counts!.visitor >= limits.perVisitorPerDay) throw overLimit('visitor-per-day', table, limits);
  if (counts!.ip >= limits.perIpPerDay) throw overLimit('ip-per-day', table, limits);
}

/**
 * True when the visitor clicked through to the exchanger within the visit window. Each day's clicks carry
 * that day's hash, so the visitor's hash of each day is looked up on its own day, through the index of
 * unique clicks (day, exchanger, …, visitor).
 */
async function hasVisited(tx: EntityManager, exchangerId: number, visitor: VisitorIdentity): Promise<boolean> {
  const [row] = await tx.query<Array<{ visited: boolean }>>(
    `SELECT EXISTS (
       SELECT 1 FROM unnest($2::date[], $3::text[]) AS w(day, hash)
       JOIN clicks c ON c.day = w.day AND c.exchanger_id = $1 AND c.visitor_hash = w.hash AND c.is_unique
       WHERE c.at > now() - make_interval(days => $4)
     ) AS visited`,
    [exchangerId, visitor.window.map((d) => d.day), visitor.window.map((d) => d.hash), VISIT_WINDOW_DAYS],
  );
  return row!.visited;
}

function overLimit(limit: SubmissionLimit, table: SubmissionTable, limits: SubmissionLimits): SubmissionLimitError {
  const what = table === 'reviews' ? 'review' : 'claim';
  const messages: Record<SubmissionLimit, string> = {
    'exchanger-per-day': `one ${what} of an exchanger a day: this visitor has posted one today`,
    'visitor-per-day': `at most ${limits.perVisitorPerDay} ${what}s a day: this visitor has posted them today`,
    'ip-per-day': `at most ${limits.perIpPerDay} ${what}s a day from one address: this address has posted them today`,
  };
  return new SubmissionLimitError(limit, messages[limit], secondsToNextUtcDay(new Date()));
}

/**
 * Runs the INSERT of an admitted submission. A foreign-key refusal means the exchanger does not exist
 * (404). A unique-index refusal (one per exchanger, visitor and day) cannot happen under the locks, but if
 * it ever did it is that limit, not a 500.
 */
export async function insertSubmission<T>(
  query: Promise<T>,
  table: SubmissionTable,
  limits: SubmissionLimits,
  exchangerId: number,
): Promise<T> {
  try {
    return await query;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === '23503') throw new NotFoundError(`exchanger ${exchangerId} does not exist`);
    if (code === '23505') throw overLimit('exchanger-per-day', table, limits);
    throw error;
  }
}
