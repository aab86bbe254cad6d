import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CachedAnswer } from './public-cache.service';

/** Sends a cacheable JSON answer: `Cache-Control: public, max-age`, a strong ETag, 304 on If-None-Match. */
export function sendCacheable(
  request: FastifyRequest,
  reply: FastifyReply,
  answer: CachedAnswer,
  maxAgeSeconds: number,
): FastifyReply {
  reply.header('cache-control', maxAgeSeconds > 0 ? `public, max-age=${maxAgeSeconds}` : 'no-cache');
  reply.header('etag', answer.etag);
  const match = request.headers['if-none-match'];
  if (match && match.split(',').some((tag) => tag.trim() === answer.etag)) return reply.code(304).send();
  return reply.code(200).header('content-type', 'application/json; charset=utf-8').send(answer.body);
}
