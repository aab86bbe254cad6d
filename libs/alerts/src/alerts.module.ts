import { DynamicModule, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { AlertDeliveriesRepository, AlertsRepository, OperatorAlertsRepository } from '@app/database';
import { AlertDeliverer } from './alert-deliverer.service';
import { AlertDeliveryQueue, BullAlertDeliveryQueue, InProcessAlertDeliveryQueue } from './alert-delivery-queue';
import { AlertEvaluator } from './alert-evaluator.service';
import { AlertsMetrics } from './alerts.metrics';
import { OperatorAlerts } from './operator-alerts.service';
import { WebhookPoster } from './webhook-poster';

/**
 * Alerts (DESIGN.md §12) in a process that writes snapshots or serves /v1/alerts: the evaluator of its own
 * changes, the deliverer, and the delivery queue of the mode — BullMQ (QueueModule needed) in fleet mode, the
 * in-process deliverer in standalone mode. Needs IngestionModule (SnapshotChanges) and DatabaseModule.
 */
@Module({})
export class AlertsModule {
  static forRoot(mode: 'fleet' | 'standalone'): DynamicModule {
    return {
      module: AlertsModule,
      global: true,
      providers: [
        AlertsRepository,
        AlertDeliveriesRepository,
        OperatorAlertsRepository,
        AlertsMetrics,
        {
          provide: WebhookPoster,
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) => new WebhookPoster(config.fetch.allowPrivate),
        },
        AlertDeliverer,
        AlertEvaluator,
        OperatorAlerts,
        ...(mode === 'fleet'
          ? [BullAlertDeliveryQueue, { provide: AlertDeliveryQueue, useExisting: BullAlertDeliveryQueue }]
          : [InProcessAlertDeliveryQueue, { provide: AlertDeliveryQueue, useExisting: InProcessAlertDeliveryQueue }]),
      ],
      exports: [
        AlertsRepository,
        AlertDeliveriesRepository,
        AlertDeliverer,
        AlertDeliveryQueue,
        AlertEvaluator,
        OperatorAlerts,
        WebhookPoster,
        AlertsMetrics,
      ],
    };
  }
}
