import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CachedAnswer } from './public-cache.service';

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * True when `If-None-Match` names `etag` the way RFC 9110 §13.1.2 compares for it: weakly (`W/"x"` matches
 * `"x"` — a compressing proxy weakens the ETags it passes on, and browsers send them back so) or `*`.
 */
export function noneMatchHits(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const opaque = etag.replace(/^W\//, '');
  return header.split(',').some((tag) => {
    const candidate = tag.trim();
    return candidate === '*' || candidate.replace(/^W\//, '') === opaque;
  });
}

/** `Cache-Control` of a public answer cached for `maxAgeSeconds` (0: revalidate every time). */
export function cacheControl(maxAgeSeconds: number): string {
  return maxAgeSeconds > 0 ? `public, max-age=${maxAgeSeconds}` : 'no-cache';
}

/**
 * The status and headers of a cacheable answer, in the order they are written: `Cache-Control: public,
 * max-age`, a strong ETag, and for a 200 the JSON type and length; 304 when If-None-Match names the ETag.
 * The one definition both senders use, so the fast path and Fastify's reply cannot drift apart.
 */
export function cacheableHead(
  ifNoneMatch: string | undefined,
  answer: CachedAnswer,
  maxAgeSeconds: number,
): { status: 200 | 304; headers: string[] } {
  const headers = ['cache-control', cacheControl(maxAgeSeconds), 'etag', answer.etag];
  if (noneMatchHits(ifNoneMatch, answer.etag)) return { status: 304, headers };
  headers.push('content-type', JSON_TYPE, 'content-length', String(answer.bytes.length));
  return { status: 200, headers };
}

/** Sends a cacheable JSON answer through Fastify's reply (see cacheableHead). */
export function sendCacheable(
  request: FastifyRequest,
  reply: FastifyReply,
  answer: CachedAnswer,
  maxAgeSeconds: number,
): FastifyReply {
  const { status, headers } = cacheableHead(request.headers['if-none-match'], answer, maxAgeSeconds);
  for (let i = 0; i < headers.length; i += 2) reply.header(headers[i]!, headers[i + 1]);
  return status === 304 ? reply.code(304).send() : reply.code(200).send(answer.bytes);
}

/**
 * Writes the same answer as sendCacheable straight to Node's response: the bytes made once, no serializer,
 * no onSend hooks. A HEAD gets the headers alone (node:http drops the body of an answer to HEAD).
 * Returns the status written.
 */
export function writeCacheable(
  ifNoneMatch: string | undefined,
  response: ServerResponse,
  answer: CachedAnswer,
  maxAgeSeconds: number,
): 200 | 304 {
  const { status, headers } = cacheableHead(ifNoneMatch, answer, maxAgeSeconds);
  response.writeHead(status, headers);
  if (status === 304) response.end();
  else response.end(answer.bytes);
  return status;
}
