import { DynamicModule, Module } from '@nestjs/common';
import { FeedFetcher } from '@app/ingestion';
import { PartnerApiClient } from './partner-api.client';
import { PartnerScheduler } from './partner-scheduler';
import { PartnerSyncService } from './partner-sync.service';

/**
 * Partner programs: the client, the sync service and the schedule (through RecurringSchedules, which
 * the process provides).
 */
@Module({})
export class PartnersModule {
  static forRoot(): DynamicModule {
    return {
      module: PartnersModule,
      global: true,
      providers: [
        { provide: PartnerApiClient, inject: [FeedFetcher], useFactory: (fetcher: FeedFetcher) => new PartnerApiClient(fetcher) },
        PartnerSyncService,
        PartnerScheduler,
      ],
      exports: [PartnerSyncService, PartnerScheduler],
    };
  }
}
