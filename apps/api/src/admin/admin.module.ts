import { Module } from '@nestjs/common';
import { AdminAuthGuard } from './admin-auth.guard';
import { ADMIN_CONTROLLERS } from './admin.controllers';
import { AdminService } from './admin.service';
import { FeedRefresher } from './feed-refresher.service';

/** The admin API (`/v1/admin/*`, bearer keys). */
@Module({
  controllers: ADMIN_CONTROLLERS,
  providers: [
    AdminAuthGuard,
    AdminService,
    FeedRefresher,
  ],
})
export class AdminModule {}
