import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiKeyInfo, ApiKeysRepository } from '@app/database';

export type AdminRequest = FastifyRequest & { adminKey?: ApiKeyInfo };

/** `Authorization: Bearer <key>` on every admin route: 401 without a key or with a wrong one, 403 with a revoked one. */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  constructor(private readonly keys: ApiKeysRepository) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AdminRequest>();
    const match = /^Bearer\s+(\S{16,512})$/i.exec(request.headers.authorization ?? '');
    if (!match) throw new UnauthorizedException('send an admin API key: Authorization: Bearer <key>');
    const check = await this.keys.check(match[1]!);
    if (check.status === 'unknown') throw new UnauthorizedException('this admin API key is not valid');
    if (check.status === 'revoked')
      throw new ForbiddenException(`admin API key ${check.key.id} (${check.key.name}) was revoked`);
    request.adminKey = check.key;
    return true;
  }
}
