import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { APP_CONFIG, AppConfig } from '@app/config';
import { FeedFetcher } from '@app/ingestion';
import { AdminAuthGuard } from './admin-auth.guard';
import { ADMIN_CONTROLLERS } from './admin.controllers';
import { AdminService } from './admin.service';
import { DomainErrorFilter } from './admin-errors.filter';
import { FeedRefresher } from './feed-refresher.service';

/** The admin API (`/v1/admin/*`, bearer keys). */
@Module({
  controllers: ADMIN_CONTROLLERS,
  providers: [
    AdminAuthGuard,
    AdminService,
    FeedRefresher,
    { provide: APP_FILTER, useClass: DomainErrorFilter },
    // The validator fetches through the same hardened fetcher as the pollers (the fleet api has no poller).
    { provide: FeedFetcher, inject: [APP_CONFIG], useFactory: (config: AppConfig) => new FeedFetcher({ allowPrivate: config.fetch.allowPrivate }) },
  ],
})
export class AdminModule {}
