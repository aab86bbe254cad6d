/** Failures in a row before scheduled polls of a feed start backing off. */
export const BACKOFF_AFTER_FAILURES = 3;
/** The longest a failing feed waits between scheduled polls. */
export const MAX_BACKOFF_SECONDS = 15 * 60;

/**
 * When a failing feed may be polled again by its schedule: after BACKOFF_AFTER_FAILURES failures in
 * a row, the wait doubles with each further failure (2, 4, 8 … intervals), up to MAX_BACKOFF_SECONDS.
 * Null: poll now. Manual refreshes ignore it.
 */
export function backoffUntil(
  lastAttemptAt: Date | null,
  consecutiveFailures: number,
  intervalSeconds: number,
): Date | null {
  if (lastAttemptAt === null || consecutiveFailures < BACKOFF_AFTER_FAILURES) return null;
  const factor = 2 ** Math.min(consecutiveFailures - BACKOFF_AFTER_FAILURES + 1, 20);
  const waitSeconds = Math.min(intervalSeconds * factor, MAX_BACKOFF_SECONDS);
  return new Date(lastAttemptAt.getTime() + waitSeconds * 1000);
}
