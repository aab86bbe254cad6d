import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module } from '@nestjs/common';
import type { ConnectionOptions } from 'bullmq';
import { APP_CONFIG, AppConfig } from '@app/config';
import { redisOptions } from '@app/messaging';
import { FEED_POLL_JOB_OPTIONS, PARTNER_SYNC_JOB_OPTIONS, QUEUES } from './queues';
import { FeedPollQueues } from './shards/feed-poll-queues';

/** BullMQ connection options for a Redis URL (BullMQ declares its own RedisOptions type; hand it the fields it knows). */
export function bullConnection(url: string, connectionName: string): ConnectionOptions {
  const { host, port, username, password, db, tls, maxRetriesPerRequest, enableReadyCheck, retryStrategy } =
    redisOptions(url, connectionName);
  return {
    host,
    port,
    username,
    password,
    db,
    tls,
    connectionName,
    maxRetriesPerRequest,
    enableReadyCheck,
    retryStrategy: (attempt: number) => retryStrategy?.(attempt) ?? null,
  };
}

/** BullMQ on the configured Redis, with every ratewatch queue registered (fleet mode), the feed polls' shards too. */
@Module({})
export class QueueModule {
  static forRoot(connectionName: string): DynamicModule {
    return {
      module: QueueModule,
      global: true,
      imports: [
        BullModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) => {
            if (!config.redis.url) throw new Error('QueueModule needs REDIS_URL (fleet mode)');
            const connection = bullConnection(config.redis.url, connectionName);
            return { connection, prefix: config.redis.prefix };
          },
        }),
        BullModule.registerQueue(
          { name: QUEUES.feedPoll, defaultJobOptions: FEED_POLL_JOB_OPTIONS },
          { name: QUEUES.partnerSync, defaultJobOptions: PARTNER_SYNC_JOB_OPTIONS },
          { name: QUEUES.alertDelivery },
        ),
      ],
      providers: [FeedPollQueues],
      exports: [BullModule, FeedPollQueues],
    };
  }
}
