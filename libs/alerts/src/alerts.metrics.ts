import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { AlertsRepository } from '@app/database';
import { METRICS_REGISTRY } from '@app/observability';

/** Alerts' metrics (DESIGN.md §12) on the process's `/metrics`: where changes are evaluated and notices sent. */
@Injectable()
export class AlertsMetrics {
  readonly active: Gauge;
  readonly evaluations: Counter<'outcome'>;
  readonly evaluationDuration: Histogram;
  readonly notices: Counter<'source'>;
  readonly deliveries: Counter<'outcome'>;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry, alerts: AlertsRepository) {
    this.active = new Gauge({
      name: 'ratewatch_alerts_active',
      help: 'Active visitors’ alerts (not expired, deleted or disabled)',
      registers: [registry],
      async collect() {
        this.set(await alerts.countActive());
      },
    });
    this.evaluations = new Counter({
      name: 'ratewatch_alert_evaluations_total',
      help: 'Evaluations of changed directions, by outcome (fired: at least one notice; quiet: none; failed)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.evaluationDuration = new Histogram({
      name: 'ratewatch_alert_evaluation_duration_seconds',
      help: 'Duration of one evaluation of changed directions (reading the alerts reached and writing the crossings)',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    });
    this.notices = new Counter({
      name: 'ratewatch_alert_notices_total',
      help: 'Notices queued: visitors’ alerts that fired, and operators’ alerts',
      labelNames: ['source'],
      registers: [registry],
    });
    this.deliveries = new Counter({
      name: 'ratewatch_alert_delivery_attempts_total',
      help: 'Webhook delivery attempts by outcome (delivered, retry, failed: undelivered for good, dropped: its alert is gone)',
      labelNames: ['outcome'],
      registers: [registry],
    });
  }
}
