import { parseArgs } from 'node:util';
import type { AppConfig } from '@app/config';
import { ApiKeysRepository, ExchangersRepository } from '@app/database';
import type { DataSource } from 'typeorm';
import { CliCommand, CliIo, UsageError } from '../cli-command';
import { withDataSource } from '../cli-database';

const USAGE = 'admin:key create --name NAME [--exchanger SLUG] | admin:key revoke ID | admin:key list';

/**
 * API keys: `create` prints a new key (shown once) — an admin key, or with `--exchanger` one scoped to that
 * exchanger's cabinet —, `revoke` retires one, `list` shows them with their scope.
 */
export const adminKeyCommand: CliCommand = {
  name: 'admin:key',
  summary: 'create (prints the key once; --exchanger SLUG scopes it to one exchanger), revoke or list API keys',
  usage: USAGE,
  async run(args, config, io) {
    const [action, ...rest] = args;
    if (action === 'create') return createKey(rest, config, io);
    if (action === 'revoke') {
      const id = Number(rest[0]);
      if (rest.length !== 1 || !Number.isInteger(id) || id <= 0)
        throw new UsageError('admin:key revoke needs the key id');
      const info = await withKeys(config, io, (keys) => keys.revoke(id));
      if (!info) {
        io.err(`no API key ${id}`);
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

/** `create --name NAME [--exchanger SLUG]`: prints the key (the only time it exists), 1 for an unknown slug. */
async function createKey(args: string[], config: AppConfig, io: CliIo): Promise<number> {
  const { name, exchanger, positionals } = parseCreate(args);
  if (typeof name !== 'string' || name.trim() === '' || positionals.length > 0)
    throw new UsageError('admin:key create needs --name NAME');
  if (exchanger !== undefined && exchanger.trim() === '')
    throw new UsageError('admin:key create --exchanger needs the exchanger slug');
  const created = await withDataSource(config, io, async (dataSource) => {
    const scope = exchanger === undefined ? null : await exchangerIdOf(dataSource, exchanger.trim());
    if (scope === undefined) return null;
    return new ApiKeysRepository(dataSource).create(name.trim(), scope);
  });
  if (!created) {
    io.err(`no exchanger with the slug "${exchanger}": see GET /v1/admin/exchangers`);
    return 1;
  }
  const { key, info } = created;
  io.out(key);
  io.err(
    info.exchanger === null
      ? `created admin key ${info.id} (${info.name}); this is the only time it is shown`
      : `created key ${info.id} (${info.name}) scoped to exchanger ${info.exchanger}: it opens /v1/exchanger/… only; this is the only time it is shown`,
  );
  return 0;
}

function parseCreate(args: string[]): {
  name: string | undefined;
  exchanger: string | undefined;
  positionals: string[];
} {
  try {
    const parsed = parseArgs({
      args,
      options: { name: { type: 'string' }, exchanger: { type: 'string' } },
      allowPositionals: true,
    });
    return { name: parsed.values.name, exchanger: parsed.values.exchanger, positionals: parsed.positionals };
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** The id of the exchanger with this slug, or undefined when there is none (exchangers are few: read them all). */
async function exchangerIdOf(dataSource: DataSource, slug: string): Promise<number | undefined> {
  return (await new ExchangersRepository(dataSource).list()).find((exchanger) => exchanger.slug === slug)?.id;
}

function withKeys<T>(config: AppConfig, io: CliIo, work: (keys: ApiKeysRepository) => Promise<T>): Promise<T> {
  return withDataSource(config, io, (dataSource) => work(new ApiKeysRepository(dataSource)));
}
