import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { BackgroundModule } from '@app/background';
import { APP_CONFIG, AppConfig, ConfigModule } from '@app/config';
import { DatabaseModule } from '@app/database';
import { IngestionModule } from '@app/ingestion';
import { HealthModule, LoggingModule, MetricsModule } from '@app/observability';
import { PartnersModule } from '@app/partners';
import { FailOpenThrottlerStorage, REDIS_CLIENT, RedisModule } from '@app/messaging';
import { QueueModule, RecurringSchedulesModule } from '@app/queue';
import { AdminModule } from './admin/admin.module';
import { AlertsApiModule } from './alerts/alerts-api.module';
import { ExchangerKeysModule } from './admin/exchanger-keys/exchanger-keys.module';
import { ApiErrorFilter } from './common/api-errors.filter';
import { ApiValidationPipe } from './common/validation';
import { ExchangerCabinetModule } from './exchanger/exchanger.module';
import { PublicModule } from './public/public.module';
import { OpenDataModule } from './open-data/open-data.module';
import { WebController } from './web/web.controller';

/** The HTTP app: public API, admin API, the exchangers' cabinet, `/go`, the reference pages, health, metrics. It never consumes jobs. */
@Module({})
export class ApiModule {
  static forRoot(config: AppConfig, logger: Logger): DynamicModule {
    const fleet = config.mode === 'fleet';
    return {
      module: ApiModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(logger),
        DatabaseModule.forRoot('ratewatch-api'),
        MetricsModule.forRoot('api'),
        HealthModule.forRoot({ redis: fleet, drainMs: config.shutdownDrainSeconds * 1000 }),
        // Fleet: the api changes schedules and enqueues jobs, but never runs them (no housekeeping
        // either: the workers do it). Standalone: every scheduled job runs in-process.
        RecurringSchedulesModule.forRoot(fleet ? 'fleet' : 'standalone'),
        ...(fleet
          ? [RedisModule, QueueModule.forRoot('ratewatch-api'), IngestionModule.forRoot('scheduler-only')]
          : [IngestionModule.forRoot('standalone'), BackgroundModule.forRoot('standalone')]),
        // Per-IP limits of the public API; counted in Redis in fleet mode, so all replicas share them
        // (uncounted, never waiting, while Redis is away).
        ThrottlerModule.forRootAsync({
          inject: [APP_CONFIG, { token: REDIS_CLIENT, optional: true }],
          useFactory: (cfg: AppConfig, redis?: Redis) => ({
            throttlers: [{ name: 'default', ttl: 60_000, limit: cfg.public.rateLimit }],
            skipIf: () => cfg.public.rateLimit === 0,
            ...(redis ? { storage: new FailOpenThrottlerStorage(redis, cfg.redis.prefix) } : {}),
          }),
        }),
        PartnersModule.forRoot(),
        PublicModule,
        OpenDataModule,
        AdminModule,
        ExchangerKeysModule,
        ExchangerCabinetModule,
        AlertsApiModule.forRoot(fleet ? 'fleet' : 'standalone'),
      ],
      controllers: [WebController],
      providers: [
        { provide: APP_PIPE, useValue: new ApiValidationPipe() },
        { provide: APP_FILTER, useClass: ApiErrorFilter },
      ],
    };
  }
}
