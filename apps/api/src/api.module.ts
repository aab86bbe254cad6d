import { DynamicModule, Module } from '@nestjs/common';
import { ApiValidationPipe } from './common/validation';
import { WebController } from './web/web.controller';
import { APP_PIPE } from '@nestjs/core';
import type { Logger } from 'pino';
import { AppConfig, ConfigModule } from '@app/config';
import { DatabaseModule } from '@app/database';
import { HealthModule, LoggingModule, MetricsModule } from '@app/observability';
import { IngestionModule } from '@app/ingestion';
import { PartnersModule } from '@app/partners';
import { QueueModule, RedisModule } from '@app/queue';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { ThrottlerModule } from '@nestjs/throttler';
import type { Redis } from 'ioredis';
import { APP_CONFIG } from '@app/config';
import { REDIS_CLIENT } from '@app/queue';
import { AdminModule } from './admin/admin.module';
import { PublicModule } from './public/public.module';

/** The HTTP app: public API, admin API, `/go`, health, metrics. It never consumes jobs. */
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
        // Fleet: the api changes schedules but never polls. Standalone: it polls in-process.
        ...(fleet ? [RedisModule, QueueModule.forRoot('ratewatch-api'), IngestionModule.forRoot('scheduler-only')] : [IngestionModule.forRoot('standalone')]),
        // Per-IP limits of the public API; counted in Redis in fleet mode, so all replicas share them.
        ThrottlerModule.forRootAsync({
          inject: [APP_CONFIG, { token: REDIS_CLIENT, optional: true }],
          useFactory: (cfg: AppConfig, redis?: Redis) => ({
            throttlers: [{ name: 'default', ttl: 60_000, limit: cfg.public.rateLimit }],
            skipIf: () => cfg.public.rateLimit === 0,
            ...(redis ? { storage: new ThrottlerStorageRedisService(redis) } : {}),
          }),
        }),
        PartnersModule.forRoot(fleet ? 'fleet' : 'standalone'),
        PublicModule,
        AdminModule,
      ],
      controllers: [WebController],
      providers: [
        { provide: APP_PIPE, useValue: new ApiValidationPipe() },
      ],
    };
  }
}
