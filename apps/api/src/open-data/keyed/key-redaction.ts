import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';

/** The keyed API's routes that take no key in the path (the key comes in X-Api-Key). */
const KEYLESS = new Set(['currencies', 'changers', 'presences', 'rates']);
const OPEN_PREFIX = '/v1/open/';

/**
 * `/v1/open/{key}/rest` → `/v1/open/***` + `/rest`: the URL a log may print. Other URLs are unchanged.
 * Whatever the key's spelling (escaped, long), nothing of it is kept.
 */
export function redactOpenKey(url: string): string {
  if (!url.startsWith(OPEN_PREFIX)) return url;
  const rest = url.slice(OPEN_PREFIX.length);
  const end = rest.search(/[/?#]/);
  const segment = end < 0 ? rest : rest.slice(0, end);
  if (segment === '' || KEYLESS.has(segment)) return url;
  return `${OPEN_PREFIX}***${end < 0 ? '' : rest.slice(end)}`;
}

type RawRequest = IncomingMessage & { originalUrl?: string };
type WithMiddleware = FastifyInstance & {
  use?: (fn: (req: RawRequest, res: unknown, next: () => void) => void) => unknown;
};

/**
 * Keeps open-data keys out of the logs. The request logger (pino-http, a Nest middleware run by
 * @fastify/middie) takes the URL when the request arrives, so the key is replaced before it: by the first
 * middleware, which this registers with middie when the module is instantiated — after the adapter set middie
 * up, before Nest registers the modules' middleware. The route has matched by then (its params hold the key);
 * the request log, error logs and anything else that prints the URL print `/v1/open/***` + `/…`.
 */
@Injectable()
export class OpenKeyRedaction {
  constructor(adapterHost: HttpAdapterHost) {
    const fastify = adapterHost.httpAdapter?.getInstance<WithMiddleware>();
    if (typeof fastify?.use !== 'function') return;
    fastify.use((req, _res, next) => {
      if (req.url !== undefined && req.url.startsWith(OPEN_PREFIX)) {
        const redacted = redactOpenKey(req.url);
        req.url = redacted;
        // middie puts `originalUrl` back as the URL when its middleware are done.
        req.originalUrl = redacted;
      }
      next();
    });
  }
}
