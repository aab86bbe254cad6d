import type { AppConfig } from '@app/config';

/** What a command prints and how the process exits (0 success, 1 failure, 2 usage mistake). */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export interface CliCommand {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  run(args: string[], config: AppConfig, io: CliIo): Promise<number>;
}

/** A mistake in how the command was called: exit status 2 with the usage line. */
export class UsageError extends Error {
  override name = 'UsageError';
}
