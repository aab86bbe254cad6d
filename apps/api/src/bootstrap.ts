import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger as NestPinoLogger } from 'nestjs-pino';
import type { Logger } from 'pino';
import { AppConfig } from '@app/config';
import { ApiKeysRepository, migrateAndSeed, openRuntimeDatabase } from '@app/database';
import { closeApp, closeHttpGracefully, createLogger } from '@app/observability';
import { ApiModule } from './api.module';
import { MAX_BODY_BYTES } from './common/validation';
import { serveHotRatesFirst } from './public/rates/rates-fast-path';

export interface RunningApi {
  readonly app: NestFastifyApplication;
  /** Where it listens, e.g. http://127.0.0.1:3000 */
  readonly url: string;
  readonly config: AppConfig;
  /**
   * Drains requests, closes pools, then stops the embedded database (if any). Given SIGTERM, it first
   * answers 503 on /health/ready and keeps serving for SHUTDOWN_DRAIN_SECONDS, so a load balancer moves
   * traffic away before the listener closes. Every request received before the listener closes is
   * answered (with `Connection: close`); then the click buffer is flushed, then the pools close.
   */
  close(signal?: string): Promise<void>;
}

/**
 * Starts the api. In standalone mode (no REDIS_URL) it first brings up the database — embedded when
 * DATABASE_URL is unset — and applies migrations and the catalog seed; in fleet mode migrations are an
 * explicit step (`cli -- db:migrate`, the compose `migrate` service).
 */
export async function startApi(
  baseConfig: AppConfig,
  logger: Logger = createLogger(baseConfig, 'ratewatch-api'),
): Promise<RunningApi> {
  const started = Date.now();
  const database = await openRuntimeDatabase(baseConfig, (level, message) => logger[level](message));
  try {
    const config = database.config;
    if (config.mode === 'standalone' && config.database.url) {
      const setup = await migrateAndSeed(config.database.url);
      logger.info(setup, 'database ready (migrations and catalog seed applied)');
    }
    const app = await NestFactory.create<NestFastifyApplication>(
      ApiModule.forRoot(config, logger),
      new FastifyAdapter({ bodyLimit: MAX_BODY_BYTES, trustProxy: config.api.trustProxy }),
      { bufferLogs: true, abortOnError: false, rawBody: true },
    );
    // Feed bodies for the validator arrive as bytes (exactly as an exchanger would serve them).
    const fastify = app.getHttpAdapter().getInstance();
    fastify.removeContentTypeParser('text/plain');
    fastify.addContentTypeParser(
      ['text/plain', 'text/xml', 'application/xml'],
      { parseAs: 'buffer' },
      (_request, body, done) => done(null, body),
    );
    serveHotRatesFirst(app, logger);
    if (config.admin.bootstrapKey)
      await app.get(ApiKeysRepository).ensure(config.admin.bootstrapKey, 'bootstrap (ADMIN_API_KEY)');
    app.useLogger(app.get(NestPinoLogger));
    const document = SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('ratewatch')
        .setDescription('Best-rate tables, click-through and administration of an exchange-monitoring site.')
        .setVersion('1')
        .setLicense('MIT', 'https://opensource.org/licenses/MIT')
        .addServer('/', 'this server')
        .addBearerAuth(
          {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'ratewatch admin key',
            description: 'an admin API key: an opaque secret of 16-512 characters',
          },
          'admin',
        )
        .addBearerAuth(
          {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'ratewatch exchanger key',
            description: "a key scoped to one exchanger (its cabinet, /v1/exchanger/…): never the admin API's",
          },
          'exchanger',
        )
        .build(),
    );
    SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
    // Requests in hand are answered before the click buffer is flushed and the pools close.
    closeHttpGracefully(app);
    await app.listen(config.api.port, config.api.host);
    const address = app.getHttpServer().address();
    const port = typeof address === 'object' && address ? address.port : config.api.port;
    const url = `http://${config.api.host === '0.0.0.0' ? '127.0.0.1' : config.api.host}:${port}`;
    logger.info(
      { mode: config.mode, embeddedDatabase: config.database.embedded, startupMs: Date.now() - started },
      `ratewatch api listening on ${url}`,
    );
    return {
      app,
      url,
      config,
      close: async (signal?: string) => {
        await closeApp(app, signal);
        await database.stop();
      },
    };
  } catch (error) {
    await database.stop();
    throw error;
  }
}
