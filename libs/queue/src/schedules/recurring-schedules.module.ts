import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { APP_CONFIG, AppConfig } from '@app/config';
import { JOBS, PARTNER_SYNC_CONCURRENCY } from '../queues';
import { BullRecurringSchedules } from './bull-recurring-schedules';
import { InProcessRecurringSchedules } from './in-process-recurring-schedules';
import { RecurringSchedules } from './recurring-schedules';

/**
 * Provides `RecurringSchedules`: the BullMQ driver in fleet mode (QueueModule must be imported too),
 * the in-process driver in standalone mode (also provided as `InProcessRecurringSchedules`, where the
 * process registers what runs each job name).
 */
@Module({})
export class RecurringSchedulesModule {
  static forRoot(mode: 'fleet' | 'standalone'): DynamicModule {
    if (mode === 'fleet') {
      return {
        module: RecurringSchedulesModule,
        global: true,
        providers: [BullRecurringSchedules, { provide: RecurringSchedules, useExisting: BullRecurringSchedules }],
        exports: [RecurringSchedules],
      };
    }
    return {
      module: RecurringSchedulesModule,
      global: true,
      imports: [ScheduleModule.forRoot()],
      providers: [
        {
          provide: InProcessRecurringSchedules,
          inject: [SchedulerRegistry, APP_CONFIG],
          useFactory: (registry: SchedulerRegistry, config: AppConfig) =>
            new InProcessRecurringSchedules(registry, {
              [JOBS.pollFeed]: config.worker.concurrency,
              [JOBS.syncPartner]: PARTNER_SYNC_CONCURRENCY,
            }),
        },
        { provide: RecurringSchedules, useExisting: InProcessRecurringSchedules },
      ],
      exports: [RecurringSchedules, InProcessRecurringSchedules],
    };
  }
}
