import { HttpAdapterHost } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { APP_CONFIG, AppConfig } from '@app/config';
import { maskSecretsInUrl } from '@app/observability';
import { writeCacheable } from '../cacheable-reply';
import { PublicCache } from '../public-cache.service';

/** The raw URLs the fast path looks at: a rates table with a query (the history lives at /v1/rates/history). */
const RATES_TABLE = '/v1/rates?';

/**
 * Hot /v1/rates answers skip Nest's pipeline: a table answered under this exact raw URL in the last
 * PUBLIC_CACHE_SECONDS is written from the cache by the first onRequest hook, before Nest's middleware
 * (the request logger and its async context), guards, pipes, interceptors and Fastify's reply pipeline.
 * The URL was validated when the answer was made; anything else — a miss, another spelling of the same
 * query, an invalid query — takes the normal path, which makes the answer and caches it under the URL.
 *
 * What a hit keeps of the normal path: the same status, headers and bytes (cacheableHead), 304 on
 * If-None-Match, HEAD, the request-duration metric (Fastify's onResponse hooks run for a hijacked reply),
 * the cache's hit counter, and the access log line when the log level shows it. What it skips: the
 * per-IP rate limit, which guards the misses that reach the database, not these cheap hits.
 */
export function serveHotRatesFirst(app: NestFastifyApplication, logger: Logger): void {
  const cache = app.get(PublicCache);
  const maxAge = app.get<AppConfig>(APP_CONFIG).public.cacheSeconds;
  // The adapter's own first hook calls this slot, ahead of every hook and middleware registered later.
  app
    .get(HttpAdapterHost)
    .httpAdapter.setOnRequestHook((request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
      const { method, url } = request;
      if ((method !== 'GET' && method !== 'HEAD') || !url.startsWith(RATES_TABLE)) return done();
      const hit = cache.peekRaw(url);
      if (!hit) return done();
      reply.hijack();
      // The line the request logger (pino-http, see LoggingModule) writes for the normal path.
      if (logger.isLevelEnabled('info')) {
        const started = Date.now();
        reply.raw.once('finish', () =>
          logger.info(
            {
              req: { method, url: maskSecretsInUrl(url) },
              res: { statusCode: reply.raw.statusCode },
              responseTime: Date.now() - started,
            },
            'request completed',
          ),
        );
      }
      writeCacheable(request.headers['if-none-match'], reply.raw, hit, maxAge);
    });
}
