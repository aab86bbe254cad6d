/** How long an alert lives when its creator names no expiry, and at most (days). */
export const ALERT_DEFAULT_DAYS = 30;
export const ALERT_MAX_DAYS = 365;

/** The first retry of an undelivered notice waits this long; each next one twice as long (exponential). */
export const ALERT_DELIVERY_BACKOFF_MS = 2000;

/** How long one webhook POST may take, in all (connect, send, answer). */
export const ALERT_DELIVERY_TIMEOUT_MS = 5000;

/** The wait before attempt `attempt` (2, 3…) of a notice: BullMQ's exponential back-off, the same in-process. */
export function alertRetryDelayMs(attempt: number, baseMs = ALERT_DELIVERY_BACKOFF_MS): number {
  return baseMs * 2 ** Math.max(0, attempt - 2);
}
