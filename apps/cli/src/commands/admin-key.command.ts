import { parseArgs } from 'node:util';
import type { AppConfig } from '@app/config';
import { ApiKeysRepository } from '@app/database';
import { CliCommand, CliIo, UsageError } from '../cli-command';
import { withDataSource } from '../cli-database';

const USAGE = 'admin:key create --name NAME | admin:key revoke ID | admin:key list';

/** Admin API keys: `create` prints a new key (shown once), `revoke` retires one, `list` shows them. */
export const adminKeyCommand: CliCommand = {
  name: 'admin:key',
  summary: 'create (prints the key once), revoke or list admin API keys',
  usage: USAGE,
  async run(args, config, io) {
    const [action, ...rest] = args;
    if (action === 'create') {
      const { name, positionals } = parseName(rest);
      if (typeof name !== 'string' || name.trim() === '' || positionals.length > 0)
        throw new UsageError('admin:key create needs --name NAME');
      const { key, info } = await withKeys(config, io, (keys) => keys.create(name.trim()));
      io.out(key);
      io.err(`created admin key ${info.id} (${info.name}); this is the only time it is shown`);
      return 0;
    }
    if (action === 'revoke') {
      const id = Number(rest[0]);
      if (rest.length !== 1 || !Number.isInteger(id) || id <= 0)
        throw new UsageError('admin:key revoke needs the key id');
      const info = await withKeys(config, io, (keys) => keys.revoke(id));
      if (!info) {
        io.err(`no admin key ${id}`);
        return 1;
      }
      io.out(JSON.stringify(info));
      return 0;
    }
    if (action === 'list' && rest.length === 0) {
      io.out(JSON.stringify(await withKeys(config, io, (keys) => keys.list())));
      return 0;
    }
    throw new UsageError(`unknown admin:key action "${action ?? ''}"`);
  },
};

function parseName(args: string[]): { name: string | undefined; positionals: string[] } {
  try {
    const parsed = parseArgs({ args, options: { name: { type: 'string' } }, allowPositionals: true });
    return { name: parsed.values.name, positionals: parsed.positionals };
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function withKeys<T>(config: AppConfig, io: CliIo, work: (keys: ApiKeysRepository) => Promise<T>): Promise<T> {
  return withDataSource(config, io, (dataSource) => work(new ApiKeysRepository(dataSource)));
}
