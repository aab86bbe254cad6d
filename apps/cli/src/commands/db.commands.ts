import { migrateAndSeed, seedCatalog } from '@app/database';
import { CliCommand, UsageError } from '../cli-command';
import { withDatabaseUrl, withDataSource } from '../cli-database';

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
    const result = await withDataSource(config, io, (dataSource) => seedCatalog(dataSource));
    io.out(JSON.stringify(result));
    return 0;
  },
};
