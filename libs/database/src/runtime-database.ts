import type { AppConfig } from '@app/config';
import { EmbeddedPostgres, EmbeddedPostgresOptions } from './embedded/embedded-postgres';

export interface RuntimeDatabase {
  /** The configuration with `database.url` resolved. */
  readonly config: AppConfig;
  /** Stops the embedded server, if this process started one. */
  stop(): Promise<void>;
}

type Log = (level: 'info' | 'warn' | 'debug', message: string) => void;

/**
 * Resolves where the database is: DATABASE_URL as configured, or an embedded PostgreSQL started in
 * DATA_DIR when DATABASE_URL is unset (standalone mode) — in DATABASE_FALLBACK_DIR instead when run as
 * root and the `postgres` user cannot reach DATA_DIR. `attachToRunning` (the CLI's) uses the database a
 * running ratewatch serves in DATA_DIR instead of refusing it, and leaves it running.
 */
export async function openRuntimeDatabase(
  config: AppConfig,
  log: Log,
  options: Pick<EmbeddedPostgresOptions, 'attachToRunning'> = {},
): Promise<RuntimeDatabase> {
  if (!config.database.embedded) return { config, stop: () => Promise.resolve() };
  const started = Date.now();
  const server = await EmbeddedPostgres.start({
    dataDir: config.database.dataDir,
    fallbackDir: config.database.fallbackDir,
    settings: config.database.embeddedSettings,
    log,
    ...options,
  });
  log(
    'info',
    `embedded PostgreSQL ready on 127.0.0.1:${server.port} in ${Date.now() - started} ms (data in ${server.clusterDir})`,
  );
  return {
    config: { ...config, database: { ...config.database, url: server.url } },
    stop: () => server.stop(),
  };
}
