import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';
import { maskSecretsInUrl } from './logger';

const QUIET_ROUTES = ['/health/live', '/health/ready', '/metrics'];

/** Structured logs (pino) for Nest and for every HTTP request, through the process's one logger. */
@Module({})
export class LoggingModule {
  static forRoot(logger: Logger): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            logger,
            autoLogging: { ignore: (req) => QUIET_ROUTES.includes((req.url ?? '').split('?')[0] ?? '') },
            customLogLevel: (_req, res, error) =>
              error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
            serializers: {
              // A key sent as `?access_token=` is refused, but must not reach the log either.
              req: (req: { method?: string; url?: string }) => ({
                method: req.method,
                url: req.url === undefined ? undefined : maskSecretsInUrl(req.url),
              }),
              res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
            },
          },
        }),
      ],
      exports: [LoggerModule],
    };
  }
}
