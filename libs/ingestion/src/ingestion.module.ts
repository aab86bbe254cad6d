import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { APP_CONFIG, AppConfig } from '@app/config';
import { SnapshotChanges } from './events/snapshot-changes';
import { FeedFetcher } from './fetch/feed-fetcher';
import { IngestionMetrics } from './metrics/ingestion.metrics';
import { QueueMetrics } from './metrics/queue.metrics';
import { FeedPollService } from './poll/feed-poll.service';
import { NormalizationContextCache } from './poll/normalization-context.cache';
import { BullFeedScheduler } from './scheduling/bull-feed-scheduler';
import { FeedScheduler } from './scheduling/feed-scheduler';
import { StandaloneFeedScheduler } from './scheduling/standalone-feed-scheduler';

const fetcherProvider = {
  provide: FeedFetcher,
  inject: [APP_CONFIG],
  useFactory: (config: AppConfig) => new FeedFetcher({ allowPrivate: config.fetch.allowPrivate }),
};

/**
 * Feed ingestion for a process:
 *  - `worker`: the poll service and the BullMQ schedulers (the processor lives in apps/worker);
 *  - `standalone`: the poll service driven by in-process timers;
 *  - `scheduler-only`: just the BullMQ schedulers, for the api in fleet mode (it changes schedules, it never polls).
 * QueueModule must be imported for `worker` and `scheduler-only`.
 */
@Module({})
export class IngestionModule {
  static forRoot(role: 'worker' | 'standalone' | 'scheduler-only'): DynamicModule {
    const polling = [fetcherProvider, IngestionMetrics, NormalizationContextCache, FeedPollService, SnapshotChanges];
    if (role === 'scheduler-only') {
      return {
        module: IngestionModule,
        global: true,
        providers: [fetcherProvider, SnapshotChanges, { provide: FeedScheduler, useClass: BullFeedScheduler }],
        exports: [FeedScheduler, SnapshotChanges, FeedFetcher],
      };
    }
    if (role === 'worker') {
      return {
        module: IngestionModule,
        global: true,
        providers: [...polling, QueueMetrics, { provide: FeedScheduler, useClass: BullFeedScheduler }],
        exports: [FeedPollService, FeedScheduler, FeedFetcher, SnapshotChanges],
      };
    }
    return {
      module: IngestionModule,
      global: true,
      imports: [ScheduleModule.forRoot()],
      providers: [...polling, { provide: FeedScheduler, useClass: StandaloneFeedScheduler }],
      exports: [FeedPollService, FeedScheduler, FeedFetcher, SnapshotChanges],
    };
  }
}
