import { CanActivate, ExecutionContext, Injectable, PayloadTooLargeException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/** Largest body of POST /v1/alerts: a direction, a condition, a URL of at most 2,048 characters and a date fit. */
export const ALERT_MAX_BODY_BYTES = 4 * 1024;

/** 413 for an alert body over ALERT_MAX_BODY_BYTES, declared or read (a chunked body declares none). */
@Injectable()
export class SmallAlertBodyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest & { rawBody?: Buffer }>();
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > ALERT_MAX_BODY_BYTES || (request.rawBody?.length ?? 0) > ALERT_MAX_BODY_BYTES)
      throw new PayloadTooLargeException(`the request body is too large: at most ${ALERT_MAX_BODY_BYTES} bytes`);
    return true;
  }
}
