import { DataSource, DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from './migrations';

export interface DataSourceSettings {
  readonly url: string;
  readonly poolSize?: number;
  /** Shown in pg_stat_activity: which ratewatch process holds a connection. */
  readonly applicationName?: string;
  /** How long a query waits for a connection of the pool (all busy, or the server slow to accept), ms. */
  readonly connectTimeoutMs?: number;
}

/**
 * The one definition of how ratewatch talks to PostgreSQL, shared by the api, the worker and the
 * CLI (migrations, seed). `synchronize` is off: the schema changes only through migrations.
 */
export function dataSourceOptions(settings: DataSourceSettings): DataSourceOptions {
  return {
    type: 'postgres',
    url: settings.url,
    // No entity classes: SQL lives in the repositories, row shapes in their types (README, Architecture).
    entities: [],
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    // Not 'error': TypeORM would log failed queries with their parameters, and parameters can hold secrets.
    logging: ['migration'],
    extra: {
      max: settings.poolSize ?? 10,
      application_name: settings.applicationName ?? 'ratewatch',
      connectionTimeoutMillis: settings.connectTimeoutMs ?? 5000,
    },
  };
}

export function createDataSource(settings: DataSourceSettings): DataSource {
  return new DataSource(dataSourceOptions(settings));
}
