import { Logger } from '@nestjs/common';
import { withinDeadline } from '@app/messaging';

/** How long an admin answer waits for the schedule (Redis in fleet mode) before it answers anyway. */
export const SCHEDULE_WAIT_MS = 2000;
const logger = new Logger('Schedules');

/**
 * Runs a schedule update that follows a committed admin change, waiting for it at most
 * SCHEDULE_WAIT_MS. The database is the truth: while Redis is away the change is already stored, the
 * update goes on in the background (BullMQ sends it when Redis is back), and the workers reconcile
 * every schedule on reconnect — so the admin's answer need not hang for the outage.
 */
export async function followSchedule(what: string, work: () => Promise<unknown>): Promise<void> {
  const update = work().then(
    () => 'done' as const,
    (error: unknown) => {
      logger.error(`${what}: the schedule update failed (the workers' reconcile will repair it): ${String(error)}`);
      return 'failed' as const;
    },
  );
  const outcome = await withinDeadline(update, SCHEDULE_WAIT_MS);
  if (!outcome.done)
    logger.warn(
      `${what}: the schedule store (Redis) is slow or away; the change is saved and its schedule follows when it answers`,
    );
}
