import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Job, UnrecoverableError } from 'bullmq';
import { AlertDeliverer } from '@app/alerts';
import { AlertDeliveryJob, JOBS, QUEUES } from '@app/queue';

/** Notices one job sends at once (each waits at most a few seconds on its receiver), and jobs one worker runs at once. */
export const ALERT_DELIVERY_CONCURRENCY = 32;
export const ALERT_DELIVERY_JOBS = 4;

/**
 * Consumes the alert-delivery queue: each try of a job sends its notices still pending (AlertDeliverer records
 * each outcome). While one of them is to be tried again the job fails, so BullMQ tries it again with its
 * exponential back-off (only the notices still pending are sent then); delivered, dropped or failed for good
 * complete it. Notices sent at once: a job's, up to ALERT_DELIVERY_CONCURRENCY, a few jobs at once.
 */
@Processor(QUEUES.alertDelivery, { concurrency: ALERT_DELIVERY_JOBS })
export class AlertDeliveryProcessor extends WorkerHost {
  constructor(private readonly deliverer: AlertDeliverer) {
    super();
  }

  async process(job: Job<AlertDeliveryJob>): Promise<unknown> {
    if (job.name !== JOBS.deliverAlert) throw new UnrecoverableError(`unknown job name ${job.name}`);
    const ids = job.data.deliveryIds;
    if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string'))
      throw new UnrecoverableError(`job ${job.id} has no delivery ids`);
    const { retry } = await this.deliverer.sendPending(ids, ALERT_DELIVERY_CONCURRENCY);
    if (retry > 0) throw new Error(`${retry} of ${ids.length} notices to try again`);
    return { notices: ids.length };
  }
}
