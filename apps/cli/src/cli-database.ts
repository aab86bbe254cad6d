import type { AppConfig } from '@app/config';
import { createDataSource, openRuntimeDatabase } from '@app/database';
import type { DataSource } from 'typeorm';
import type { CliIo } from './cli-command';

/**
 * Runs `work` with the database URL: DATABASE_URL; or the embedded database in DATA_DIR, the one a
 * running ratewatch serves (left running) or else one started and stopped around `work`.
 */
export async function withDatabaseUrl<T>(config: AppConfig, io: CliIo, work: (url: string) => Promise<T>): Promise<T> {
  // The CLI may use the embedded database of a running server (a second server on the folder is refused):
  // so `admin:key create` works while ratewatch runs.
  const database = await openRuntimeDatabase(
    config,
    (level, message) => {
      if (level !== 'debug') io.err(message);
    },
    { attachToRunning: true },
  );
  try {
    if (!database.config.database.url) throw new Error('no database URL');
    return await work(database.config.database.url);
  } finally {
    await database.stop();
  }
}

/** Runs `work` with a one-connection DataSource on that database. */
export function withDataSource<T>(
  config: AppConfig,
  io: CliIo,
  work: (dataSource: DataSource) => Promise<T>,
): Promise<T> {
  return withDatabaseUrl(config, io, async (url) => {
    const dataSource = createDataSource({ url, poolSize: 1, applicationName: 'ratewatch-cli' });
    await dataSource.initialize();
    try {
      return await work(dataSource);
    } finally {
      await dataSource.destroy();
    }
  });
}
