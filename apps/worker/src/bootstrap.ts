import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger as NestPinoLogger } from 'nestjs-pino';
import type { Logger } from 'pino';
import { AppConfig } from '@app/config';
import { closeApp, closeHttpGracefully, createLogger } from '@app/observability';
import { WorkerModule } from './worker.module';

export interface RunningWorker {
  readonly app: NestFastifyApplication;
  readonly url: string;
  /** Finishes the jobs in hand (BullMQ workers close gracefully), closes pools. */
  close(signal?: string): Promise<void>;
}

/** Thrown when the worker is started outside fleet mode. */
export class WorkerModeError extends Error {
  override name = 'WorkerModeError';
}

export async function startWorker(
  config: AppConfig,
  logger: Logger = createLogger(config, 'ratewatch-worker'),
): Promise<RunningWorker> {
  if (config.mode !== 'fleet' || !config.database.url) {
    throw new WorkerModeError(
      'the worker runs in fleet mode only: set DATABASE_URL and REDIS_URL (in standalone mode `npm start` polls feeds in-process)',
    );
  }
  const app = await NestFactory.create<NestFastifyApplication>(
    WorkerModule.forRoot(config, logger),
    new FastifyAdapter(),
    {
      bufferLogs: true,
      abortOnError: false,
    },
  );
  app.useLogger(app.get(NestPinoLogger));
  // Health and metrics scrapes in hand are answered on SIGTERM, as on the api.
  closeHttpGracefully(app);
  await app.listen(config.worker.port, config.api.host);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.worker.port;
  const url = `http://127.0.0.1:${port}`;
  logger.info(`ratewatch worker up; health and metrics on ${url}`);
  return { app, url, close: (signal?: string) => closeApp(app, signal) };
}
