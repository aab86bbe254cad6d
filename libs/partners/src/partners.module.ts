import { DynamicModule, Module } from '@nestjs/common';
import { FeedFetcher } from '@app/ingestion';
import { PartnerApiClient } from './partner-api.client';
import { BullPartnerScheduler, PartnerScheduler, StandalonePartnerScheduler } from './partner-scheduler';
import { PartnerSyncService } from './partner-sync.service';

/** Partner programs: the client, the sync service and the schedule (BullMQ in fleet mode, in-process in standalone). */
@Module({})
export class PartnersModule {
  static forRoot(mode: 'fleet' | 'standalone'): DynamicModule {
    return {
      module: PartnersModule,
      global: true,
      providers: [
        { provide: PartnerApiClient, inject: [FeedFetcher], useFactory: (fetcher: FeedFetcher) => new PartnerApiClient(fetcher) },
        PartnerSyncService,
        { provide: PartnerScheduler, useClass: mode === 'fleet' ? BullPartnerScheduler : StandalonePartnerScheduler },
      ],
      exports: [PartnerSyncService, PartnerScheduler],
    };
  }
}
