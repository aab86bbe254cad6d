import { ExecutionContext, ForbiddenException, UnauthorizedException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import type { ApiKeyInfo, ApiKeysRepository, KeyCheck } from '@app/database';
import { AdminAuthGuard, AdminRequest } from './admin-auth.guard';

const KEY = 'rw_presented-key-0123456789abcdef';

const info = (fields: Partial<ApiKeyInfo> = {}): ApiKeyInfo => ({
  id: 7,
  name: 'ops',
  prefix: KEY.slice(0, 10),
  createdAt: new Date(),
  lastUsedAt: null,
  revokedAt: null,
  exchangerId: null,
  exchanger: null,
  ...fields,
});

/** Runs the guard on a request with `authorization`, the repository answering `check`. */
async function guard(check: KeyCheck, authorization: string | null = `Bearer ${KEY}`) {
  const request = { headers: authorization === null ? {} : { authorization } } as AdminRequest;
  const headers: Record<string, string> = {};
  const reply = { header: (name: string, value: string) => (headers[name] = value) };
  const context = {
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => reply }),
  } as unknown as ExecutionContext;
  const keys = { check: (presented: string) => Promise.resolve(presented === KEY ? check : { status: 'unknown' }) };
  const outcome = await new AdminAuthGuard(keys as ApiKeysRepository).canActivate(context).catch((e: unknown) => e);
  return { outcome, request, headers };
}

describe('AdminAuthGuard', () => {
  it('lets an admin key through and hands it to the route', async () => {
    const key = info();
    const { outcome, request } = await guard({ status: 'valid', key });
    expect(outcome).toBe(true);
    expect(request.adminKey).toBe(key);
  });

  it('refuses a key scoped to an exchanger with 403 naming the scope and the cabinet', async () => {
    const { outcome, request } = await guard({
      status: 'valid',
      key: info({ id: 12, exchangerId: 3, exchanger: 'aura' }),
    });
    expect(outcome).toBeInstanceOf(ForbiddenException);
    expect((outcome as ForbiddenException).message).toMatch(
      /^key 12 is scoped to exchanger aura: use \/v1\/exchanger\//,
    );
    expect(request.adminKey).toBeUndefined();
  });

  it('refuses a revoked scoped key with 403 too', async () => {
    const key = info({ exchangerId: 3, exchanger: 'aura', revokedAt: new Date() });
    expect((await guard({ status: 'revoked', key })).outcome).toBeInstanceOf(ForbiddenException);
  });

  it('answers 401 with WWW-Authenticate for no key, a malformed header and an unknown key', async () => {
    for (const authorization of [null, 'Basic YWRtaW46YWRtaW4=', 'Bearer rw_unknown-key-0123456789']) {
      const { outcome, headers } = await guard({ status: 'valid', key: info() }, authorization);
      expect(outcome).toBeInstanceOf(UnauthorizedException);
      expect(headers['www-authenticate']).toMatch(/^Bearer realm="ratewatch admin"/);
    }
  });

  it('keeps the words of a revoked admin key', async () => {
    const { outcome } = await guard({ status: 'revoked', key: info({ revokedAt: new Date() }) });
    expect((outcome as ForbiddenException).message).toBe(
      'admin API key 7 (ops) was revoked: ask an operator for a new one',
    );
  });
});
