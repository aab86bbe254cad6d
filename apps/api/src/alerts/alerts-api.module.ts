import { DynamicModule, Module } from '@nestjs/common';
import { AlertsModule } from '@app/alerts';
import { AdminAuthGuard } from '../admin/admin-auth.guard';
import { AdminAlertDeliveriesController } from './alert-deliveries.controller';
import { AlertsController } from './alerts.controller';
import { AlertsService } from './alerts.service';

/**
 * Alerts in the api (DESIGN.md §12): the public `/v1/alerts` and the admin view of deliveries; and, as in every
 * process that writes snapshots, the evaluator of its own changes with the delivery queue of the mode (fleet:
 * BullMQ, the workers send; standalone: sent in-process).
 */
@Module({})
export class AlertsApiModule {
  static forRoot(mode: 'fleet' | 'standalone'): DynamicModule {
    return {
      module: AlertsApiModule,
      imports: [AlertsModule.forRoot(mode)],
      controllers: [AlertsController, AdminAlertDeliveriesController],
      providers: [AlertsService, AdminAuthGuard],
    };
  }
}
