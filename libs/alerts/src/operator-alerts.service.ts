import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { AlertDeliveriesRepository, AlertsRepository, OperatorAlertsRepository } from '@app/database';
import { AlertDeliveryQueue } from './alert-delivery-queue';
import { AlertsMetrics } from './alerts.metrics';

/**
 * Notices whose attempt is overdue by this much are handed to the queue again (fleet: Redis lost their job, or a
 * worker died holding them). Well beyond a job's lease and a retry's usual lateness: a notice waiting out its
 * back-off, or in a job's hands, is never overdue, and a re-queued copy of a live job takes nothing.
 */
const REQUEUE_OVERDUE_MS = 5 * 60_000;
const REQUEUE_BATCH = 500;

/** Finished notices (their bodies) are kept this long for the operator page; inactive alerts this long, then deleted. */
export const DELIVERY_RETENTION_DAYS = 7;
export const INACTIVE_ALERT_RETENTION_DAYS = 30;

/** What one alerts housekeeping pass did. */
export interface AlertsHousekeeping {
  expired: number;
  operatorNotices: number;
  requeued: number;
}

/**
 * Alerts' upkeep, run by housekeeping (the workers in fleet mode, in-process in standalone mode, once per tick):
 * operators' alerts (DESIGN.md §12) — feeds failing for OPERATOR_ALERT_FEED_FAILING_MINUTES and their recovery,
 * new quarantines, partner syncs failing — queued to OPERATOR_ALERT_URL through the same delivery as visitors'
 * alerts; alerts past their expiry retired; notices the queue may have lost handed to it again; notices finished over
 * DELIVERY_RETENTION_DAYS ago and alerts inactive for INACTIVE_ALERT_RETENTION_DAYS deleted.
 */
@Injectable()
export class OperatorAlerts {
  private readonly logger = new Logger(OperatorAlerts.name);

  constructor(
    private readonly operator: OperatorAlertsRepository,
    private readonly alerts: AlertsRepository,
    private readonly deliveries: AlertDeliveriesRepository,
    private readonly queue: AlertDeliveryQueue,
    private readonly metrics: AlertsMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async run(now = new Date()): Promise<AlertsHousekeeping> {
    const expired = await this.alerts.expire();
    let operatorNotices = 0;
    const { operatorUrl, operatorSecret, feedFailingMinutes } = this.config.alerts;
    if (operatorUrl && operatorSecret) {
      const ids = await this.operator.queueChanges({ feedFailingMinutes, url: operatorUrl, now });
      operatorNotices = ids.length;
      if (ids.length > 0) {
        this.metrics.notices.inc({ source: 'operator' }, ids.length);
        this.logger.log(`${ids.length} operators' notices queued`);
        await this.queue.enqueue(ids);
      }
    }
    const stale = await this.deliveries.takeOverdue(REQUEUE_OVERDUE_MS, REQUEUE_BATCH);
    if (stale.length > 0) await this.queue.requeue(stale);
    const purgedNotices = await this.deliveries.purgeFinished(DELIVERY_RETENTION_DAYS);
    const purgedAlerts = await this.alerts.purgeInactive(INACTIVE_ALERT_RETENTION_DAYS);
    if (purgedNotices + purgedAlerts > 0)
      this.logger.log(`deleted ${purgedNotices} finished notices and ${purgedAlerts} inactive alerts`);
    return { expired, operatorNotices, requeued: stale.length };
  }
}
