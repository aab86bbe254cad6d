import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { APP_CONFIG, AppConfig } from '@app/config';
import { DurationSeries, HttpMetrics, maskSecretsInUrl } from '@app/observability';
import { cacheableHead, writeCacheable } from '../cacheable-reply';
import { CachedAnswer, PublicCache } from '../public-cache.service';

/** The raw URLs the fast path looks at: a rates table with a query (the history lives at /v1/rates/history). */
const RATES_TABLE = '/v1/rates?';
/** The route template the normal path's requests are counted under in http_request_duration_seconds. */
const RATES_ROUTE = '/v1/rates';

type RequestListener = (this: Server, request: IncomingMessage, response: ServerResponse) => void;

const IF_NONE_MATCH = 'if-none-match';

/**
 * The request's If-None-Match as `request.headers` would give it (repeated fields joined by ", "), read from
 * the raw header list: `request.headers` is built on first use (every field's name lowercased into a new
 * object), work a hot answer without the header does not need.
 */
export function ifNoneMatchOf(rawHeaders: readonly string[]): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length !== IF_NONE_MATCH.length || name.toLowerCase() !== IF_NONE_MATCH) continue;
    value = value === undefined ? rawHeaders[i + 1]! : `${value}, ${rawHeaders[i + 1]!}`;
  }
  return value;
}

/**
 * Hot /v1/rates answers skip Fastify and Nest: a table answered under this exact raw URL in the last
 * PUBLIC_CACHE_SECONDS is written from the cache by the HTTP server's request listener, before Fastify routes
 * the request (no route lookup, no request and reply objects, no hooks, no response listeners), Nest's
 * middleware (the request logger and its async context), guards, pipes and interceptors. The URL was validated
 * when the answer was made; anything else — a miss, another spelling of the same query, an invalid query —
 * goes to Fastify as before, which makes the answer and caches it under the URL.
 *
 * What a hit keeps of the normal path: the same status, headers and bytes (cacheableHead), 304 on
 * If-None-Match, HEAD, the request-duration metric under the route's labels (the time to write the answer:
 * Fastify's hook, which a hit no longer passes, measured to the response's `finish`), the cache's hit counter,
 * the access log line when the log level shows it, and `Connection: close` during a shutdown drain (the
 * drain's listener, added later with prependListener, still runs first). What it skips: the per-IP rate
 * limit, which guards the misses that reach the database, not these cheap hits.
 *
 * Call it once, before `listen`: it wraps the request listeners the server has then (Fastify's own).
 */
export function serveHotRatesFirst(app: NestFastifyApplication, logger: Logger): void {
  const cache = app.get(PublicCache);
  const maxAge = app.get<AppConfig>(APP_CONFIG).public.cacheSeconds;
  const metrics = app.get(HttpMetrics);
  // GET 200, GET 304, HEAD 200, HEAD 304: looked up once each, then observed into directly.
  const durations: Array<DurationSeries | undefined> = [];
  const durationsOf = (method: 'GET' | 'HEAD', status: 200 | 304): DurationSeries => {
    const index = (method === 'GET' ? 0 : 2) + (status === 200 ? 0 : 1);
    return (durations[index] ??= metrics.series(method, RATES_ROUTE, status));
  };
  // The head of each hot answer's 200 (cacheableHead, the one definition), made once: the same array is written
  // for every unconditional request of it (writeHead reads it, never changes it). Goes with its answer.
  const heads = new WeakMap<CachedAnswer, string[]>();
  const headOf = (answer: CachedAnswer): string[] => {
    let head = heads.get(answer);
    if (head === undefined) heads.set(answer, (head = cacheableHead(undefined, answer, maxAge).headers));
    return head;
  };

  /** Writes the hot answer this request names and answers true, or answers false (the normal path's). */
  const serveHot = (request: IncomingMessage, response: ServerResponse): boolean => {
    const { method, url } = request;
    if ((method !== 'GET' && method !== 'HEAD') || url === undefined || !url.startsWith(RATES_TABLE)) return false;
    const started = performance.now();
    const hit = cache.peekRaw(url);
    if (!hit) return false;
    // The line the request logger (pino-http, see LoggingModule) writes for the normal path.
    if (logger.isLevelEnabled('info')) {
      const startedAt = Date.now();
      response.once('finish', () =>
        logger.info(
          {
            req: { method, url: maskSecretsInUrl(url) },
            res: { statusCode: response.statusCode },
            responseTime: Date.now() - startedAt,
          },
          'request completed',
        ),
      );
    }
    const ifNoneMatch = ifNoneMatchOf(request.rawHeaders);
    let status: 200 | 304 = 200;
    if (ifNoneMatch === undefined) {
      response.writeHead(200, headOf(hit));
      response.end(hit.bytes);
    } else status = writeCacheable(ifNoneMatch, response, hit, maxAge);
    durationsOf(method, status).observe((performance.now() - started) / 1000);
    return true;
  };

  const server: Server = app.getHttpServer();
  const routed = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', function (this: Server, request: IncomingMessage, response: ServerResponse): void {
    if (serveHot(request, response)) return;
    for (const listener of routed) listener.call(this, request, response);
  });
}
