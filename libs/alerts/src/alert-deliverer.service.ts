import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { AlertDeliveriesRepository, AttemptOutcome, DeliveryToAttempt } from '@app/database';
import { alertRetryDelayMs, DELIVERY_HEADER, EVENT_HEADER, signatureHeaders } from '@app/domain';
import { AlertsMetrics } from './alerts.metrics';
import { WebhookPostError, WebhookPoster } from './webhook-poster';

/**
 * How long a delivery job holds the notices it is sending (a job of ALERT_DELIVERY_BATCH notices takes seconds:
 * each POST at most ALERT_DELIVERY_TIMEOUT_MS); a worker dying with them frees them when it ends.
 */
export const DELIVERY_LEASE_MS = 60_000;

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

  /**
   * Tries the notices of `ids` pending and due (a delivery job's), each at its own next attempt, under a lease
   * (a copy of the job running at once sends none of them again); answers how many are to be tried again (the
   * job then fails, and BullMQ tries it again after its back-off).
   */
  async sendPending(ids: readonly string[], concurrency: number): Promise<{ retry: number }> {
    const notices = await this.deliveries.forAttemptMany(ids, DELIVERY_LEASE_MS);
    const { retry } = await this.sendAll(notices, concurrency);
    // Notices still pending that this try could not take (a re-queued job arriving before a notice's own
    // back-off is over, or another job holding it) count as to be tried again: the job comes back later
    // rather than leaving them to the overdue sweep.
    const waiting =
      notices.length < ids.length
        ? await this.deliveries.pendingBesides(
            ids,
            notices.map((n) => n.id),
          )
        : 0;
    return { retry: retry + waiting };
  }

  /** Tries a notice already read (the in-process deliverer claims them with what sending needs). */
  async send(notice: DeliveryToAttempt, attempt: number): Promise<AttemptResult> {
    const outcome = await this.post(notice, attempt);
    return this.settle(notice, outcome);
  }

  /**
   * Tries many notices read together, `concurrency` at a time, and records the delivered ones in one
   * statement (the in-process deliverer's path: a crossing of a thousand alerts is a thousand notices at once).
   */
  async sendAll(notices: readonly DeliveryToAttempt[], concurrency: number): Promise<{ retry: number }> {
    const delivered: Array<{ id: string; httpStatus: number }> = [];
    let retry = 0;
    let next = 0;
    const lane = async () => {
      while (next < notices.length) {
        const notice = notices[next++]!;
        const outcome = await this.post(notice, notice.attempts + 1);
        if (outcome.kind === 'delivered') delivered.push({ id: notice.id, httpStatus: outcome.httpStatus });
        else {
          if (outcome.kind === 'retry') retry++;
          await this.settle(notice, outcome);
        }
      }
    };
    // Every lane is let finish before the delivered ones are recorded: a lane failing to record an outcome (the
    // database gone for a moment) must not leave notices another lane is still posting delivered but unrecorded,
    // to be sent again.
    const lanes = await Promise.allSettled(Array.from({ length: Math.min(concurrency, notices.length) }, lane));
    await this.deliveries.recordDelivered(delivered);
    this.metrics.deliveries.inc({ outcome: 'delivered' }, delivered.length);
    const failed = lanes.find((l): l is PromiseRejectedResult => l.status === 'rejected');
    if (failed) throw failed.reason;
    return { retry };
  }

  /** One POST of a notice, or why it is not sent; nothing recorded yet. */
  private async post(notice: DeliveryToAttempt, attempt: number): Promise<AttemptOutcome> {
    const { deliveryAttempts, operatorSecret } = this.config.alerts;
    if (notice.stale) return { kind: 'dropped', reason: notice.stale };
    const secret = notice.alertId ? notice.secret : operatorSecret;
    if (!secret) return { kind: 'dropped', reason: 'no signing secret (OPERATOR_ALERT_SECRET unset)' };
    try {
      const status = await this.poster.post(notice.url, notice.body, {
        ...signatureHeaders(secret, notice.body, new Date()),
        [EVENT_HEADER]: notice.event,
        [DELIVERY_HEADER]: notice.id,
      });
      return { kind: 'delivered', httpStatus: status };
    } catch (error) {
      const failure = error instanceof WebhookPostError ? error : new WebhookPostError(String(error), null, true);
      const last = attempt >= deliveryAttempts || !failure.retryable;
      return last
        ? { kind: 'failed', error: failure.message, httpStatus: failure.httpStatus }
        : {
            kind: 'retry',
            error: failure.message,
            httpStatus: failure.httpStatus,
            delayMs: alertRetryDelayMs(attempt + 1),
          };
    }
  }

  /** Records an attempt's outcome (disabling the alert after too many undelivered notices in a row). */
  private async settle(notice: DeliveryToAttempt, outcome: AttemptOutcome): Promise<AttemptResult> {
    const { disabled } = await this.deliveries.record(notice.id, outcome, this.config.alerts.disableAfterFailures);
    if (disabled)
      this.logger.warn(
        `alert ${notice.alertId} disabled: ${this.config.alerts.disableAfterFailures} notices undelivered`,
      );
    this.metrics.deliveries.inc({ outcome: outcome.kind });
    return outcome.kind === 'retry' ? { done: false, error: outcome.error } : { done: true, outcome: outcome.kind };
  }
}
