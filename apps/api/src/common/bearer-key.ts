import { ForbiddenException, UnauthorizedException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiKeyInfo, ApiKeysRepository } from '@app/database';

/** Who a bearer key is for, as its answers name it: the `WWW-Authenticate` realm and the key's noun. */
export interface KeyRealm {
  /** `ratewatch admin` */
  realm: string;
  /** `admin API key` */
  noun: string;
}

/**
 * The key an `Authorization: Bearer <key>` header presents, checked: 401 when no key is sent, when the
 * header is not a bearer key, or when the key is unknown (never issued here, or mistyped); 403 when the
 * key was revoked. Each answer says which of these it is, and a 401 carries `WWW-Authenticate: Bearer`.
 * What the key may reach (its scope) is the caller's to decide.
 */
export async function presentedKey(
  keys: ApiKeysRepository,
  request: FastifyRequest,
  reply: FastifyReply,
  { realm, noun }: KeyRealm,
): Promise<ApiKeyInfo> {
  const header = request.headers.authorization;
  if (header === undefined || header.trim() === '') {
    reply.header('www-authenticate', `Bearer realm="${realm}"`);
    throw new UnauthorizedException(`no ${noun} sent: send Authorization: Bearer <key>`);
  }
  const match = /^Bearer\s+(\S{16,512})$/i.exec(header);
  if (!match) {
    reply.header('www-authenticate', `Bearer realm="${realm}", error="invalid_request"`);
    throw new UnauthorizedException(
      `the Authorization header is not an ${noun}: send Authorization: Bearer <key> (16-512 characters)`,
    );
  }
  const check = await keys.check(match[1]!);
  if (check.status === 'unknown') {
    reply.header('www-authenticate', `Bearer realm="${realm}", error="invalid_token"`);
    throw new UnauthorizedException(`unknown ${noun}: it was never issued here (mistyped or from elsewhere)`);
  }
  if (check.status === 'revoked')
    throw new ForbiddenException(
      `${noun} ${check.key.id} (${check.key.name}) was revoked: ask an operator for a new one`,
    );
  return check.key;
}
