import { DynamicModule, Module } from '@nestjs/common';
import { HttpClientModule } from '@app/http-client';
import { SnapshotChanges } from '@app/messaging';
import { CatalogSnapshots } from './catalog/catalog-snapshots';
import { HistoryRecorder } from './history/history-recorder';
import { IngestionMetrics } from './metrics/ingestion.metrics';
import { QueueMetrics } from './metrics/queue.metrics';
import { FeedPollService } from './poll/feed-poll.service';
import { FeedScheduler } from './scheduling/feed-scheduler';

/**
 * Feed ingestion for a process:
 *  - `worker`: the poll service, the history recorder and the feed schedules (the processor lives in apps/worker);
 *  - `standalone`: the poll service, the history recorder and the feed schedules (run in-process, see
 *    BackgroundModule);
 *  - `scheduler-only`: just the feed schedules, for the api in fleet mode (it changes schedules, it never polls).
 * The schedules go through RecurringSchedules: RecurringSchedulesModule must be imported in every role.
 * The outgoing HTTP client (HttpClientModule, global) comes along: the validator and partners use it too.
 */
@Module({})
export class IngestionModule {
  static forRoot(role: 'worker' | 'standalone' | 'scheduler-only'): DynamicModule {
    const polling = [IngestionMetrics, CatalogSnapshots, FeedPollService, SnapshotChanges, HistoryRecorder];
    if (role === 'scheduler-only') {
      return {
        module: IngestionModule,
        global: true,
        imports: [HttpClientModule],
        providers: [SnapshotChanges, FeedScheduler, CatalogSnapshots],
        exports: [FeedScheduler, SnapshotChanges, CatalogSnapshots],
      };
    }
    if (role === 'worker') {
      return {
        module: IngestionModule,
        global: true,
        imports: [HttpClientModule],
        providers: [...polling, QueueMetrics, FeedScheduler],
        // IngestionMetrics: the worker's processor times how long a due poll waited in the queue.
        exports: [FeedPollService, FeedScheduler, SnapshotChanges, CatalogSnapshots, HistoryRecorder, IngestionMetrics],
      };
    }
    return {
      module: IngestionModule,
      global: true,
      imports: [HttpClientModule],
      providers: [...polling, FeedScheduler],
      exports: [FeedPollService, FeedScheduler, SnapshotChanges, CatalogSnapshots, HistoryRecorder],
    };
  }
}
