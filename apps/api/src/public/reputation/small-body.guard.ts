import { CanActivate, ExecutionContext, Injectable, PayloadTooLargeException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/**
 * Largest body a visitor may post (a review or a claim: 2,000 characters of text, up to 4 bytes each, and
 * a few short fields fit with room to spare). The api's global limit is a megabyte, for admins' raw feeds.
 */
export const PUBLIC_MAX_BODY_BYTES = 16 * 1024;

/**
 * 413 for a visitor's body over PUBLIC_MAX_BODY_BYTES. The declared Content-Length is checked and so is
 * the body read (a chunked body declares none): anonymous posts never cost more than a small body.
 */
@Injectable()
export class SmallBodyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest & { rawBody?: Buffer }>();
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > PUBLIC_MAX_BODY_BYTES || (request.rawBody?.length ?? 0) > PUBLIC_MAX_BODY_BYTES)
      throw new PayloadTooLargeException(`the request body is too large: at most ${PUBLIC_MAX_BODY_BYTES} bytes`);
    return true;
  }
}
