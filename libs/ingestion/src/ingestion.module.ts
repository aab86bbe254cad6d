import { DynamicModule, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { SnapshotChanges } from './events/snapshot-changes';
import { FeedFetcher } from './fetch/feed-fetcher';
import { IngestionMetrics } from './metrics/ingestion.metrics';
import { QueueMetrics } from './metrics/queue.metrics';
import { FeedPollService } from './poll/feed-poll.service';
import { NormalizationContextCache } from './poll/normalization-context.cache';
import { FeedScheduler } from './scheduling/feed-scheduler';

const fetcherProvider = {
  provide: FeedFetcher,
  inject: [APP_CONFIG],
  useFactory: (config: AppConfig) => new FeedFetcher({ allowPrivate: config.fetch.allowPrivate }),
};

/**
 * Feed ingestion for a process:
 *  - `worker`: the poll service and the feed schedules (the processor lives in apps/worker);
 *  - `standalone`: the poll service and the feed schedules (run in-process, see BackgroundModule);
 *  - `scheduler-only`: just the feed schedules, for the api in fleet mode (it changes schedules, it never polls).
 * The schedules go through RecurringSchedules: RecurringSchedulesModule must be imported in every role.
 */
@Module({})
export class IngestionModule {
  static forRoot(role: 'worker' | 'standalone' | 'scheduler-only'): DynamicModule {
    const polling = [fetcherProvider, IngestionMetrics, NormalizationContextCache, FeedPollService, SnapshotChanges];
    if (role === 'scheduler-only') {
      return {
        module: IngestionModule,
        global: true,
        providers: [fetcherProvider, SnapshotChanges, FeedScheduler],
        exports: [FeedScheduler, SnapshotChanges, FeedFetcher],
      };
    }
    if (role === 'worker') {
      return {
        module: IngestionModule,
        global: true,
        providers: [...polling, QueueMetrics, FeedScheduler],
        exports: [FeedPollService, FeedScheduler, FeedFetcher, SnapshotChanges],
      };
    }
    return {
      module: IngestionModule,
      global: true,
      providers: [...polling, FeedScheduler],
      exports: [FeedPollService, FeedScheduler, FeedFetcher, SnapshotChanges],
    };
  }
}
