import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { AlertDeliveriesRepository, AttemptOutcome, DeliveryToAttempt } from '@app/database';
import { alertRetryDelayMs, DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signWebhook } from '@app/domain';
import { AlertsMetrics } from './alerts.metrics';
import { WebhookPostError, WebhookPoster } from './webhook-poster';

/** What an attempt came to, for the queue: done (delivered, failed for good, dropped) or try again later. */
export type AttemptResult = { done: true; outcome: AttemptOutcome['kind'] } | { done: false; error: string };

/**
 * Sends one notice (a row of alert_deliveries) once: signed (`X-Ratewatch-Signature`), through the
 * WebhookPoster, and records the outcome. The queue around it (BullMQ, or the in-process deliverer) decides
 * when to try again; `attempt` says whether this try is the last.
 */
@Injectable()
export class AlertDeliverer {
  private readonly logger = new Logger(AlertDeliverer.name);

  constructor(
    private readonly deliveries: AlertDeliveriesRepository,
    private readonly poster: WebhookPoster,
    private readonly metrics: AlertsMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Tries notice `id`; `attempt` counts from 1, the last being ALERT_DELIVERY_ATTEMPTS. */
  async attempt(id: string, attempt: number): Promise<AttemptResult> {
    const notice = await this.deliveries.forAttempt(id);
    if (!notice) return { done: true, outcome: 'dropped' };
    return this.send(notice, attempt);
  }

  /** Tries a notice already read (the in-process deliverer claims them with what sending needs). */
  async send(notice: DeliveryToAttempt, attempt: number): Promise<AttemptResult> {
    const id = notice.id;
    const { disableAfterFailures, deliveryAttempts, operatorSecret } = this.config.alerts;
    if (notice.stale) return this.finish(id, { kind: 'dropped', reason: notice.stale });
    const secret = notice.alertId ? notice.secret : operatorSecret;
    if (!secret) return this.finish(id, { kind: 'dropped', reason: 'no signing secret (OPERATOR_ALERT_SECRET unset)' });
    let outcome: AttemptOutcome;
    try {
      const status = await this.poster.post(notice.url, notice.body, {
        [SIGNATURE_HEADER]: signWebhook(secret, notice.body, new Date()),
        [EVENT_HEADER]: notice.event,
        [DELIVERY_HEADER]: notice.id,
      });
      outcome = { kind: 'delivered', httpStatus: status };
    } catch (error) {
      const failure = error instanceof WebhookPostError ? error : new WebhookPostError(String(error), null, true);
      const last = attempt >= deliveryAttempts || !failure.retryable;
      outcome = last
        ? { kind: 'failed', error: failure.message, httpStatus: failure.httpStatus }
        : {
            kind: 'retry',
            error: failure.message,
            httpStatus: failure.httpStatus,
            delayMs: alertRetryDelayMs(attempt + 1),
          };
    }
    const { disabled } = await this.deliveries.record(id, outcome, disableAfterFailures);
    if (disabled) this.logger.warn(`alert ${notice.alertId} disabled: ${disableAfterFailures} notices undelivered`);
    this.metrics.deliveries.inc({ outcome: outcome.kind });
    return outcome.kind === 'retry' ? { done: false, error: outcome.error } : { done: true, outcome: outcome.kind };
  }

  private async finish(id: string, outcome: AttemptOutcome): Promise<AttemptResult> {
    await this.deliveries.record(id, outcome, this.config.alerts.disableAfterFailures);
    this.metrics.deliveries.inc({ outcome: outcome.kind });
    return { done: true, outcome: outcome.kind };
  }
}
