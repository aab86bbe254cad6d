import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiKeyInfo, ApiKeysRepository } from '@app/database';

export type AdminRequest = FastifyRequest & { adminKey?: ApiKeyInfo };

/**
 * `Authorization: Bearer <key>` on every admin route. 401 when no key is sent, when the header is not a
 * bearer key, or when the key is unknown (never issued here, or mistyped); 403 when the key was revoked.
 * Each answer says which of these it is, and a 401 carries `WWW-Authenticate: Bearer`.
 */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  constructor(private readonly keys: ApiKeysRepository) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AdminRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const header = request.headers.authorization;
    if (header === undefined || header.trim() === '') {
      reply.header('www-authenticate', 'Bearer realm="ratewatch admin"');
      throw new UnauthorizedException('no admin API key sent: send Authorization: Bearer <key>');
    }
    const match = /^Bearer\s+(\S{16,512})$/i.exec(header);
    if (!match) {
      reply.header('www-authenticate', 'Bearer realm="ratewatch admin", error="invalid_request"');
      throw new UnauthorizedException(
        'the Authorization header is not an admin API key: send Authorization: Bearer <key> (16-512 characters)',
      );
    }
    const check = await this.keys.check(match[1]!);
    if (check.status === 'unknown') {
      reply.header('www-authenticate', 'Bearer realm="ratewatch admin", error="invalid_token"');
      throw new UnauthorizedException('unknown admin API key: it was never issued here (mistyped or from elsewhere)');
    }
    if (check.status === 'revoked')
      throw new ForbiddenException(
        `admin API key ${check.key.id} (${check.key.name}) was revoked: ask an operator for a new one`,
      );
    request.adminKey = check.key;
    return true;
  }
}
