import type { Logger } from 'pino';
import { AppConfig, ConfigError, loadConfig } from '@app/config';
import { createLogger } from '../logging/logger';

export interface Closable {
  /** `signal` is the one that asked for the shutdown (SIGTERM starts with a drain, see startApi). */
  close(signal?: string): Promise<void>;
}

/** How long a graceful shutdown may take before the process exits anyway. */
const SHUTDOWN_TIMEOUT_MS = 30_000;

/**
 * The main() of every long-running ratewatch process: validate the configuration (a bad value stops
 * start-up with a message naming the variable), start, and on SIGTERM/SIGINT shut down gracefully —
 * finish in-flight requests and jobs, close pools — then exit.
 */
export function runProcess(name: string, start: (config: AppConfig, logger: Logger) => Promise<Closable>): void {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${name}: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config, name);
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));

  start(config, logger).then(
    (running) => {
      let stopping = false;
      const stop = (signal: NodeJS.Signals): void => {
        if (stopping) return;
        stopping = true;
        logger.info(`${signal} received: shutting down`);
        setTimeout(() => {
          logger.error(`shutdown took longer than ${SHUTDOWN_TIMEOUT_MS} ms: exiting`);
          process.exit(1);
        }, SHUTDOWN_TIMEOUT_MS).unref();
        running.close(signal).then(
          () => {
            logger.info('stopped');
            logger.flush();
            process.exit(0);
          },
          (error: unknown) => {
            logger.error({ err: error }, 'error during shutdown');
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    },
    (error: unknown) => {
      logger.fatal(
        { err: error },
        `${name} failed to start: ${error instanceof Error ? error.message : String(error)}`,
      );
      logger.flush();
      process.exit(1);
    },
  );
}
