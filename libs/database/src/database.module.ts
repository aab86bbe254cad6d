import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig } from '@app/config';
import { dataSourceOptions } from './data-source';
import { QuarantineRepository } from './integrity/quarantine.repository';
import { ApiKeysRepository } from './repositories/api-keys.repository';
import { AuditRepository } from './repositories/audit.repository';
import { CatalogRepository } from './repositories/catalog.repository';
import { ClicksRepository } from './repositories/clicks.repository';
import { ExchangersRepository } from './repositories/exchangers.repository';
import { FeedRunsRepository } from './repositories/feed-runs.repository';
import { FeedsRepository } from './repositories/feeds.repository';
import { OffersRepository } from './repositories/offers.repository';
import { PartnersRepository } from './repositories/partners.repository';
import { ClaimsRepository } from './reputation/claims.repository';
import { ReputationRepository } from './reputation/reputation.repository';
import { HistoryRepository } from './history/history.repository';

/** One repository per aggregate (README, Architecture): only these talk to PostgreSQL. */
const REPOSITORIES = [
  ApiKeysRepository,
  AuditRepository,
  CatalogRepository,
  ClicksRepository,
  ExchangersRepository,
  FeedRunsRepository,
  FeedsRepository,
  OffersRepository,
  PartnersRepository,
  QuarantineRepository,
  ReputationRepository,
  ClaimsRepository,
  HistoryRepository,
];

/** The one DataSource of a ratewatch process and the repositories over it. */
@Module({})
export class DatabaseModule {
  static forRoot(applicationName: string): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) => {
            if (!config.database.url)
              throw new Error('the database URL is not resolved yet (standalone mode starts its database before Nest)');
            return {
              ...dataSourceOptions({ url: config.database.url, poolSize: config.database.poolSize, applicationName }),
              retryAttempts: 3,
            };
          },
        }),
      ],
      providers: REPOSITORIES,
      exports: REPOSITORIES,
    };
  }
}
