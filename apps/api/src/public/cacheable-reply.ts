import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CachedAnswer } from './public-cache.service';

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

/** Sends a cacheable JSON answer: `Cache-Control: public, max-age`, a strong ETag, 304 on If-None-Match. */
export function sendCacheable(
  request: FastifyRequest,
  reply: FastifyReply,
  answer: CachedAnswer,
  maxAgeSeconds: number,
): FastifyReply {
  reply.header('cache-control', maxAgeSeconds > 0 ? `public, max-age=${maxAgeSeconds}` : 'no-cache');
  reply.header('etag', answer.etag);
  if (noneMatchHits(request.headers['if-none-match'], answer.etag)) return reply.code(304).send();
  return reply.code(200).header('content-type', 'application/json; charset=utf-8').send(answer.body);
}
