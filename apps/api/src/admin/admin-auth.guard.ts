import { CanActivate, ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiKeyInfo, ApiKeysRepository } from '@app/database';
import { presentedKey } from '../common/bearer-key';

export type AdminRequest = FastifyRequest & { adminKey?: ApiKeyInfo };

/**
 * `Authorization: Bearer <key>` on every admin route (401 and 403 as `presentedKey` answers them). A key
 * scoped to an exchanger is refused with 403 on every admin route: it opens that exchanger's cabinet
 * (`/v1/exchanger/…`) and nothing else.
 */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  constructor(private readonly keys: ApiKeysRepository) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AdminRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const key = await presentedKey(this.keys, request, reply, { realm: 'ratewatch admin', noun: 'admin API key' });
    if (key.exchangerId !== null)
      throw new ForbiddenException(
        `key ${key.id} is scoped to exchanger ${key.exchanger ?? key.exchangerId}: use /v1/exchanger/… (the admin API needs an admin key)`,
      );
    request.adminKey = key;
    return true;
  }
}
