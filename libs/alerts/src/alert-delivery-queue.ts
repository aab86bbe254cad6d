import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { JobsOptions, Queue } from 'bullmq';
import { APP_CONFIG, AppConfig } from '@app/config';
import { AlertDeliveriesRepository } from '@app/database';
import { withinDeadline } from '@app/messaging';
import {
  ALERT_DELIVERY_BATCH,
  AlertDeliveryJob,
  alertDeliveryJobId,
  alertDeliveryJobOptions,
  JOBS,
  QUEUES,
} from '@app/queue';
import { AlertDeliverer } from './alert-deliverer.service';

/**
 * Where queued notices go to be sent (DESIGN.md §12), one interface for both modes, like RecurringSchedules:
 * BullMQ's `alert-delivery` queue in fleet mode (the workers send), the in-process deliverer in standalone
 * mode. Either way the notice is already a row of alert_deliveries: the queue only says "send it".
 */
export abstract class AlertDeliveryQueue {
  /** Asks for these notices to be sent; never throws (a notice not handed over is picked up again later). */
  abstract enqueue(deliveryIds: readonly string[]): Promise<void>;

  /** Hands over again notices pending for long (housekeeping: the queue may have lost them). */
  requeue(deliveryIds: readonly string[]): Promise<void> {
    return this.enqueue(deliveryIds);
  }
}

/** How long adding jobs may take before the notices are left to the next housekeeping pass. */
const ADD_WAIT_MS = 3000;

/** Fleet mode: BullMQ jobs of up to ALERT_DELIVERY_BATCH notices, retried with back-off while one is to be retried. */
@Injectable()
export class BullAlertDeliveryQueue extends AlertDeliveryQueue {
  private readonly logger = new Logger(BullAlertDeliveryQueue.name);

  constructor(
    @InjectQueue(QUEUES.alertDelivery) private readonly queue: Queue<AlertDeliveryJob>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super();
  }

  enqueue(deliveryIds: readonly string[]): Promise<void> {
    return this.add(deliveryIds, '');
  }

  /** Under new job ids: the first jobs of these notices may still be kept as completed, and an id is added once. */
  override requeue(deliveryIds: readonly string[]): Promise<void> {
    return this.add(deliveryIds, `-again-${Date.now()}`);
  }

  private async add(deliveryIds: readonly string[], idSuffix: string): Promise<void> {
    if (deliveryIds.length === 0) return;
    const opts = alertDeliveryJobOptions(this.config.alerts.deliveryAttempts);
    const jobs: Array<{ name: string; data: AlertDeliveryJob; opts: JobsOptions }> = [];
    for (let at = 0; at < deliveryIds.length; at += ALERT_DELIVERY_BATCH) {
      const batch = deliveryIds.slice(at, at + ALERT_DELIVERY_BATCH);
      jobs.push({
        name: JOBS.deliverAlert,
        data: { deliveryIds: batch },
        opts: { ...opts, jobId: alertDeliveryJobId(batch) + idSuffix },
      });
    }
    try {
      const added = await withinDeadline(this.queue.addBulk(jobs as never), ADD_WAIT_MS);
      if (!added.done) this.logger.warn(`${jobs.length} notices not queued in time; housekeeping re-queues them`);
    } catch (error) {
      this.logger.warn(`could not queue ${jobs.length} notices (${String(error)}); housekeeping re-queues them`);
    }
  }
}

/** How many notices the in-process deliverer sends at once, takes at once, how often it looks for due ones, and its lease. */
const IN_PROCESS_CONCURRENCY = 64;
const IN_PROCESS_BATCH = 500;
const IN_PROCESS_TICK_MS = 1000;
const IN_PROCESS_LEASE_MS = 60_000;

/**
 * Standalone mode (no Redis): notices are sent in this process with the same attempts and back-off as
 * BullMQ's. Postgres holds the schedule (`next_attempt_at`), so pending notices survive a restart: every
 * tick takes the due ones under a lease; an enqueue wakes it at once.
 */
@Injectable()
export class InProcessAlertDeliveryQueue extends AlertDeliveryQueue implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(InProcessAlertDeliveryQueue.name);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    private readonly deliveries: AlertDeliveriesRepository,
    private readonly deliverer: AlertDeliverer,
  ) {
    super();
  }

  onModuleInit(): void {
    this.timer = setInterval(() => this.wake(), IN_PROCESS_TICK_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  enqueue(deliveryIds: readonly string[]): Promise<void> {
    if (deliveryIds.length > 0) this.wake();
    return Promise.resolve();
  }

  /** Sends what is due now (the tests and the bench call it to not wait for a tick). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .catch((error: unknown) => this.logger.warn(`alert deliveries: ${String(error)}`))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  private async drain(): Promise<void> {
    for (;;) {
      const due = await this.deliveries.claimDue(IN_PROCESS_BATCH, IN_PROCESS_LEASE_MS);
      if (due.length === 0 || this.stopped) return;
      await this.deliverer.sendAll(due, IN_PROCESS_CONCURRENCY);
    }
  }
}
