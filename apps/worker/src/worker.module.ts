import { DynamicModule, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { AppConfig, ConfigModule } from '@app/config';
import { DatabaseModule } from '@app/database';
import { HealthModule, LoggingModule, MetricsModule } from '@app/observability';
import { IngestionModule } from '@app/ingestion';
import { PartnersModule } from '@app/partners';
import { QueueModule, RedisModule } from '@app/queue';
import { FeedPollProcessor } from './feed-poll.processor';
import { PartnerSyncProcessor } from './partner-sync.processor';

/** BullMQ consumers and scheduling, plus a small HTTP port for health and metrics. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig, logger: Logger): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(logger),
        DatabaseModule.forRoot('ratewatch-worker'),
        MetricsModule.forRoot('worker'),
        HealthModule.forRoot({ redis: true }),
        RedisModule,
        QueueModule.forRoot('ratewatch-worker'),
        IngestionModule.forRoot('worker'),
        PartnersModule.forRoot('fleet'),
      ],
      providers: [FeedPollProcessor, PartnerSyncProcessor],
    };
  }
}
