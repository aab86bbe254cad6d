import { DynamicModule, Module } from '@nestjs/common';
import { HousekeepingService } from './housekeeping.service';
import { InProcessJobs } from './in-process-jobs';
import { SchedulePlanner } from './schedule-planner.service';

/**
 * Background work of the process that does it — the workers in fleet mode, the one process in
 * standalone mode (never an api replica in fleet mode): planning every schedule at start (and after a
 * Redis reconnect), housekeeping, and in standalone mode what runs each scheduled job in-process.
 * Needs RecurringSchedulesModule, IngestionModule, PartnersModule and AlertsModule.
 */
@Module({})
export class BackgroundModule {
  static forRoot(mode: 'fleet' | 'standalone'): DynamicModule {
    return {
      module: BackgroundModule,
      providers: [HousekeepingService, SchedulePlanner, ...(mode === 'standalone' ? [InProcessJobs] : [])],
      exports: [HousekeepingService],
    };
  }
}
