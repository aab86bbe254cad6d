import { Processor } from '@nestjs/bullmq';
import { DynamicModule, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { AppConfig, ConfigModule } from '@app/config';
import { DatabaseModule } from '@app/database';
import { HealthModule, LoggingModule, MetricsModule } from '@app/observability';
import { IngestionModule } from '@app/ingestion';
import { PartnersModule } from '@app/partners';
import { QUEUES, QueueModule, RedisModule } from '@app/queue';
import { FeedPollProcessor, feedPollWorkerOptions } from './feed-poll.processor';
import { PartnerSyncProcessor } from './partner-sync.processor';

/** BullMQ consumers and scheduling, plus a small HTTP port for health and metrics. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig, logger: Logger): DynamicModule {
    // Worker options come from the configuration, so the decorator is applied here rather than on the class.
    Processor(QUEUES.feedPoll, feedPollWorkerOptions(config))(FeedPollProcessor);
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(logger),
        DatabaseModule.forRoot('ratewatch-worker'),
        MetricsModule.forRoot('worker'),
        // No traffic comes to a worker: nothing to drain, SIGTERM lets the jobs in hand finish.
        HealthModule.forRoot({ redis: true, drainMs: 0 }),
        RedisModule,
        QueueModule.forRoot('ratewatch-worker'),
        IngestionModule.forRoot('worker'),
        PartnersModule.forRoot('fleet'),
      ],
      providers: [FeedPollProcessor, PartnerSyncProcessor],
    };
  }
}
