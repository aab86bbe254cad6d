import { Processor } from '@nestjs/bullmq';
import { DynamicModule, Module } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { AlertsModule } from '@app/alerts';
import { BackgroundModule } from '@app/background';
import { APP_CONFIG, AppConfig, ConfigModule } from '@app/config';
import { DatabaseModule } from '@app/database';
import { HealthModule, LoggingModule, METRICS_REGISTRY, MetricsModule } from '@app/observability';
import { IngestionModule } from '@app/ingestion';
import { PartnersModule } from '@app/partners';
import { REDIS_CLIENT, RedisModule } from '@app/messaging';
import { QUEUES, QueueModule, RecurringSchedulesModule } from '@app/queue';
import { AlertDeliveryProcessor } from './alert-delivery.processor';
import { FeedPollProcessor, feedPollWorkerOptions } from './feed-poll.processor';
import { FeedPollShardWorkers } from './feed-poll-shard-workers';
import { PartnerSyncProcessor } from './partner-sync.processor';

/** BullMQ consumers, schedule planning and housekeeping, plus a small HTTP port for health and metrics. */
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
        RecurringSchedulesModule.forRoot('fleet'),
        IngestionModule.forRoot('worker'),
        PartnersModule.forRoot(),
        // Evaluates the alerts of the changes this worker makes, and sends their notices (alert-delivery queue).
        AlertsModule.forRoot('fleet'),
        // Plans every schedule (at start and after a Redis reconnect) and runs the housekeeping jobs.
        BackgroundModule.forRoot('fleet'),
      ],
      providers: [
        FeedPollProcessor,
        PartnerSyncProcessor,
        AlertDeliveryProcessor,
        // The feed polls' shards (FEED_POLL_SHARDS > 1) this worker owns, run through the same processor.
        {
          provide: FeedPollShardWorkers,
          inject: [APP_CONFIG, REDIS_CLIENT, FeedPollProcessor, METRICS_REGISTRY],
          useFactory: (config: AppConfig, redis: Redis, processor: FeedPollProcessor, registry: Registry) =>
            new FeedPollShardWorkers(config, redis, (job) => processor.process(job), { registry }),
        },
      ],
    };
  }
}
