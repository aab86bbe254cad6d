import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig } from '@app/config';
import { dataSourceOptions } from './data-source';
import { AdminRepository } from './repositories/admin.repository';
import { ApiKeysRepository } from './repositories/api-keys.repository';
import { CatalogRepository } from './repositories/catalog.repository';
import { ClicksRepository } from './repositories/clicks.repository';
import { CurrenciesRepository } from './repositories/currencies.repository';
import { FeedsRepository } from './repositories/feeds.repository';
import { PartnersRepository } from './repositories/partners.repository';
import { RateHistoryRepository } from './repositories/rate-history.repository';
import { RatesRepository } from './repositories/rates.repository';

const REPOSITORIES = [AdminRepository, ApiKeysRepository, CatalogRepository, ClicksRepository, CurrenciesRepository, FeedsRepository, PartnersRepository, RateHistoryRepository, RatesRepository];

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
            if (!config.database.url) throw new Error('the database URL is not resolved yet (standalone mode starts its database before Nest)');
            return { ...dataSourceOptions({ url: config.database.url, poolSize: config.database.poolSize, applicationName }), retryAttempts: 3 };
          },
        }),
      ],
      providers: REPOSITORIES,
      exports: REPOSITORIES,
    };
  }
}
