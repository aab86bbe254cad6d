import { createDataSource, migrateAndSeed, openRuntimeDatabase, seedCatalog } from '@app/database';
import type { AppConfig } from '@app/config';
import { CliCommand, CliIo, UsageError } from '../cli-command';

async function withDatabaseUrl<T>(config: AppConfig, io: CliIo, work: (url: string) => Promise<T>): Promise<T> {
  const database = await openRuntimeDatabase(config, (level, message) => {
    if (level !== 'debug') io.err(message);
  });
  try {
    if (!database.config.database.url) throw new Error('no database URL');
    return await work(database.config.database.url);
  } finally {
    await database.stop();
  }
}

export const dbMigrateCommand: CliCommand = {
  name: 'db:migrate',
  summary: 'apply pending migrations and seed the currency catalog (idempotent)',
  usage: 'db:migrate',
  async run(args, config, io) {
    if (args.length > 0) throw new UsageError(`db:migrate takes no arguments, got ${args.join(' ')}`);
    const result = await withDatabaseUrl(config, io, migrateAndSeed);
    io.out(JSON.stringify(result));
    return 0;
  },
};

export const dbSeedCommand: CliCommand = {
  name: 'db:seed',
  summary: 'add missing catalog currencies and default aliases (never overwrites admin edits)',
  usage: 'db:seed',
  async run(args, config, io) {
    if (args.length > 0) throw new UsageError(`db:seed takes no arguments, got ${args.join(' ')}`);
    const result = await withDatabaseUrl(config, io, async (url) => {
      const dataSource = createDataSource({ url, poolSize: 1, applicationName: 'ratewatch-cli' });
      await dataSource.initialize();
      try {
        return await seedCatalog(dataSource);
      } finally {
        await dataSource.destroy();
      }
    });
    io.out(JSON.stringify(result));
    return 0;
  },
};
