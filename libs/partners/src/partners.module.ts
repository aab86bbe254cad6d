import { DynamicModule, Module } from '@nestjs/common';
import { HttpClientModule, SafeHttpClient } from '@app/http-client';
import { PartnerApiClient } from './partner-api.client';
import { PartnerScheduler } from './partner-scheduler';
import { PartnerSyncRequester } from './partner-sync-requester';
import { PartnerSyncService } from './partner-sync.service';

/**
 * Partner programs: the client, the sync service, the schedule (through RecurringSchedules, which the
 * process provides) and the manual-sync requester (a queued job in fleet mode, in-process in standalone).
 */
@Module({})
export class PartnersModule {
  static forRoot(): DynamicModule {
    return {
      module: PartnersModule,
      global: true,
      imports: [HttpClientModule],
      providers: [
        {
          provide: PartnerApiClient,
          inject: [SafeHttpClient],
          useFactory: (http: SafeHttpClient) => new PartnerApiClient(http),
        },
        PartnerSyncService,
        PartnerScheduler,
        PartnerSyncRequester,
      ],
      exports: [PartnerSyncService, PartnerScheduler, PartnerSyncRequester],
    };
  }
}
