/** What `withinDeadline` saw: the work's value, or that the deadline came first. */
export type DeadlineOutcome<T> = { done: true; value: T } | { done: false };

/**
 * Waits for `work` at most `ms` milliseconds — the one timeout helper of ratewatch (admin answers that
 * must not hang on Redis, the rate limiter, health checks). The work itself goes on either way; its
 * failure rejects as usual, and a failure after the deadline is not left unhandled.
 */
export async function withinDeadline<T>(work: Promise<T>, ms: number): Promise<DeadlineOutcome<T>> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<DeadlineOutcome<T>>((resolve) => {
    timer = setTimeout(() => resolve({ done: false }), ms);
    timer.unref();
  });
  try {
    return await Promise.race([work.then((value): DeadlineOutcome<T> => ({ done: true, value })), late]);
  } finally {
    clearTimeout(timer);
  }
}
