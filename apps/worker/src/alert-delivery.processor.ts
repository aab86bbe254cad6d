import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Job, UnrecoverableError } from 'bullmq';
import { AlertDeliverer } from '@app/alerts';
import { AlertDeliveryJob, JOBS, QUEUES } from '@app/queue';

/** Notices sent at once by one worker (each waits at most a few seconds on its receiver). */
export const ALERT_DELIVERY_CONCURRENCY = 32;

/**
 * Consumes the alert-delivery queue: one attempt of one notice (AlertDeliverer records it). An attempt that
 * should be tried again throws, so BullMQ retries it with the job's exponential back-off; a notice delivered,
 * dropped or failed for good completes the job.
 */
@Processor(QUEUES.alertDelivery, { concurrency: ALERT_DELIVERY_CONCURRENCY })
export class AlertDeliveryProcessor extends WorkerHost {
  constructor(private readonly deliverer: AlertDeliverer) {
    super();
  }

  async process(job: Job<AlertDeliveryJob>): Promise<unknown> {
    if (job.name !== JOBS.deliverAlert) throw new UnrecoverableError(`unknown job name ${job.name}`);
    if (typeof job.data.deliveryId !== 'string') throw new UnrecoverableError(`job ${job.id} has no delivery id`);
    const result = await this.deliverer.attempt(job.data.deliveryId, job.attemptsMade + 1);
    if (!result.done) throw new Error(result.error);
    return { outcome: result.outcome };
  }
}
