/**
 * Abuse limits (DESIGN.md §11: abuse is the normal case). Counted per UTC day, the day the visitor hash
 * is salted for, over everything stored (pending, published or rejected alike: a limit on posting, not on
 * what moderators let through). The IP limits are looser than the visitor ones, as a household or an
 * office shares one address.
 */
export const REVIEW_LIMITS = {
  /** Reviews of one exchanger by one visitor a day. */
  perExchangerPerDay: 1,
  /** Reviews by one visitor a day, all exchangers together. */
  perVisitorPerDay: 5,
  /** Reviews from one IP address a day. */
  perIpPerDay: 10,
} as const;

export const CLAIM_LIMITS = {
  perExchangerPerDay: 1,
  perVisitorPerDay: 3,
  perIpPerDay: 6,
} as const;

export type SubmissionLimits = typeof REVIEW_LIMITS | typeof CLAIM_LIMITS;

/** The same text (or a small edit) about the same exchanger within this many days is refused. */
export const DUPLICATE_WINDOW_DAYS = 90;

/** A review is `visited` when its visitor clicked through `/go` to the exchanger within this many days. */
export const VISIT_WINDOW_DAYS = 30;

/**
 * A burst: more than `reviews` reviews of one exchanger within `minutes`. Nothing is refused (a popular
 * exchanger can have a busy hour); the reviews of the burst are flagged so moderators look at them together.
 */
export const BURST = { reviews: 5, minutes: 60 } as const;

/** True when `count` reviews of one exchanger within the burst window (the new one included) are a burst. */
export function isBurst(count: number): boolean {
  return count > BURST.reviews;
}

/** Seconds until the UTC day of `now` is over: when a daily limit frees up (at least 1). */
export function secondsToNextUtcDay(now: Date): number {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return Math.max(1, Math.ceil((next - now.getTime()) / 1000));
}
