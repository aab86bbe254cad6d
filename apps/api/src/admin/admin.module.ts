import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
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
  ],
})
export class AdminModule {}
