import { EntityManager } from 'typeorm';
import { InvalidFieldError } from '@app/domain';
import { Actor } from '../repositories/audit.repository';

/** An exchanger's counts next to its rates: published reviews by tone, and claims open (open or answered). */
export interface Standing {
  positive: number;
  neutral: number;
  negative: number;
  claimsOpen: number;
}

export const NO_STANDING: Standing = Object.freeze({ positive: 0, neutral: 0, negative: 0, claimsOpen: 0 });

export type StandingColumn = 'positive' | 'neutral' | 'negative' | 'claims_open';

/**
 * Columns for a query that LEFT JOINs `exchanger_standing` as `alias` (absent rows read as zeros):
 *   SELECT …, ${standingColumnsSql('s')} FROM offers o … LEFT JOIN exchanger_standing s ON s.exchanger_id = o.exchanger_id
 * One primary-key lookup per exchanger, never a count over reviews.
 */
export function standingColumnsSql(alias: string): string {
  return `COALESCE(${alias}.positive, 0) AS "reviewsPositive", COALESCE(${alias}.neutral, 0) AS "reviewsNeutral",
          COALESCE(${alias}.negative, 0) AS "reviewsNegative", COALESCE(${alias}.claims_open, 0) AS "claimsOpen"`;
}

/** The columns `standingColumnsSql` reads, as a row brings them (integers: pg gives numbers). */
export interface StandingColumns {
  reviewsPositive: number;
  reviewsNeutral: number;
  reviewsNegative: number;
  claimsOpen: number;
}

/** The Standing of a row read with `standingColumnsSql`. */
export function standingOf(row: StandingColumns): Standing {
  return {
    positive: row.reviewsPositive,
    neutral: row.reviewsNeutral,
    negative: row.reviewsNegative,
    claimsOpen: row.claimsOpen,
  };
}

/**
 * Adds `delta` to one count of the exchanger, in the caller's transaction. The row is made by the first
 * increment; a decrement finds it (the CHECK refuses a negative proposed row even when it would conflict,
 * so the upsert is for increments only).
 */
export async function bumpStanding(
  tx: EntityManager,
  exchangerId: number,
  column: StandingColumn,
  delta: number,
): Promise<void> {
  if (delta > 0)
    await tx.query(
      `INSERT INTO exchanger_standing (exchanger_id, ${column}) VALUES ($1, $2)
       ON CONFLICT (exchanger_id) DO UPDATE SET ${column} = exchanger_standing.${column} + $2, updated_at = now()`,
      [exchangerId, delta],
    );
  else if (delta < 0)
    await tx.query(
      `UPDATE exchanger_standing SET ${column} = ${column} + $2, updated_at = now() WHERE exchanger_id = $1`,
      [exchangerId, delta],
    );
}

/** One moderation act, written in the transaction that makes it. */
export async function auditModeration(
  tx: EntityManager,
  actor: Actor,
  act: { entity: 'review' | 'claim'; id: string; action: string; from: string; to: string; reason: string | null },
): Promise<void> {
  await tx.query(
    `INSERT INTO moderation_audit (key_id, entity, entity_id, action, from_state, to_state, reason) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [actor.keyId, act.entity, act.id, act.action, act.from, act.to, act.reason],
  );
}

/** A page of a list read newest (or oldest) first by id; `next` is the cursor of the following page. */
export interface Page<T> {
  items: T[];
  next: string | null;
}

export interface PageRequest {
  limit: number;
  /** The `next` of the previous page. */
  cursor?: string | null;
}

/** The keyset cursor (an id), null for the first page; a cursor ratewatch did not make is refused. */
export function cursorId(page: PageRequest): string | null {
  if (page.cursor === undefined || page.cursor === null || page.cursor === '') return null;
  if (!/^[1-9]\d{0,17}$/.test(page.cursor)) throw new InvalidFieldError('cursor must be the next of a previous page');
  return page.cursor;
}

/** Cuts the `limit + 1` rows a page query read into the page and its next cursor. */
export function toPage<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  return { items, next: rows.length > limit ? items[items.length - 1]!.id : null };
}
