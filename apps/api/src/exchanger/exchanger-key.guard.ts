import { CanActivate, ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiKeysRepository, ExchangerActor } from '@app/database';
import { presentedKey } from '../common/bearer-key';

/** The key that opened the cabinet: the exchanger it acts for, and its name. */
export interface CabinetKey extends ExchangerActor {
  name: string;
}

export type ExchangerRequest = FastifyRequest & { exchangerKey?: CabinetKey };

/**
 * `Authorization: Bearer <key>` on every cabinet route (`/v1/exchanger/…`): only a key scoped to an
 * exchanger opens it, and it sees that exchanger alone. An admin key is refused (403): it has no
 * exchanger, and the cabinet must never answer "every exchanger". Unknown 401, revoked 403, as
 * `presentedKey` answers them.
 */
@Injectable()
export class ExchangerKeyGuard implements CanActivate {
  constructor(private readonly keys: ApiKeysRepository) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<ExchangerRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const key = await presentedKey(this.keys, request, reply, {
      realm: 'ratewatch exchanger',
      noun: 'exchanger API key',
    });
    if (key.exchangerId === null)
      throw new ForbiddenException(
        `key ${key.id} is an admin key and has no exchanger: the cabinet answers keys scoped to one exchanger ` +
          '(admin:key create --exchanger <slug>, or POST /v1/admin/exchangers/{id}/keys)',
      );
    request.exchangerKey = { keyId: key.id, exchangerId: key.exchangerId, name: key.name };
    return true;
  }
}

/** The exchanger (and key) the guard found: a route behind ExchangerKeyGuard always has one. */
export function exchangerOf(request: ExchangerRequest): CabinetKey {
  if (!request.exchangerKey) throw new Error('a cabinet route ran without ExchangerKeyGuard');
  return request.exchangerKey;
}
