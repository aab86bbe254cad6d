import { ConfigError, loadConfig } from '@app/config';
import { CliCommand, CliIo, UsageError } from './cli-command';
import { adminKeyCommand } from './commands/admin-key.command';
import { dbMigrateCommand, dbSeedCommand } from './commands/db.commands';
import { feedCheckCommand } from './commands/feed-check.command';

export const COMMANDS: readonly CliCommand[] = [feedCheckCommand, adminKeyCommand, dbMigrateCommand, dbSeedCommand];

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.usage.length));
  return [
    'usage: npm run -s cli -- <command> [options]',
    '',
    ...COMMANDS.map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

/** Runs one CLI invocation and returns its exit status. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    io.out(help());
    return name ? 0 : 2;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  try {
    return await command.run(args, loadConfig(env), io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\nusage: npm run -s cli -- ${command.usage}`);
      return 2;
    }
    if (error instanceof ConfigError) {
      io.err(error.message);
      return 1;
    }
    io.err(`${name} failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}
