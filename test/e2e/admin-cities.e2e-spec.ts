import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@app/config';
import { CATALOG_VERSION_CHECK_MS } from '@app/ingestion';
import { RunningApi, startApi } from '../../apps/api/src/bootstrap';
import { http, HttpAnswer } from '../support/http';
import { createTestDatabase, TestDatabase } from '../support/services';

const ADMIN_KEY = 'test-bootstrap-key-cities-0123456789abcdefghijklmnopqrstuvwxyz';

interface AdminCity {
  code: string;
  nameEn: string;
  nameRu: string;
  country: string | null;
  aliases: Array<{ id: number; alias: string }>;
}
interface ErrorBody {
  statusCode: number;
  message: string;
}

/** The admin's city catalog over HTTP: list, add, rename, aliases (audited), and the public side seeing it. */
describe('admin cities', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let pg: Client;

  const call = <T>(method: string, path: string, body?: unknown, key: string | null = ADMIN_KEY) =>
    http<T>(`${api.url}${path}`, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  /** Polls `path` until `done` holds (the api re-reads the catalog within CATALOG_VERSION_CHECK_MS). */
  async function eventually<T>(path: string, done: (answer: HttpAnswer<T>) => boolean): Promise<HttpAnswer<T>> {
    const deadline = Date.now() + CATALOG_VERSION_CHECK_MS * 5;
    for (;;) {
      const answer = await call<T>('GET', path, undefined, null);
      if (done(answer) || Date.now() > deadline) return answer;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startApi(
      loadConfig({
        DATABASE_URL: db.url,
        ADMIN_API_KEY: ADMIN_KEY,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
        PUBLIC_RATE_LIMIT: '0',
      }),
    );
    pg = new Client({ connectionString: db.url });
    await pg.connect();
  });

  afterAll(async () => {
    await api?.close();
    await pg?.end();
    await db?.drop();
  });

  it('needs an admin key', async () => {
    expect((await call('GET', '/v1/admin/cities', undefined, null)).status).toBe(401);
    expect((await call('POST', '/v1/admin/city-aliases', { alias: 'x', code: 'MSK' }, null)).status).toBe(401);
  });

  it('lists the seeded cities with their aliases', async () => {
    const answer = await call<{ items: AdminCity[] }>('GET', '/v1/admin/cities');
    expect(answer.status).toBe(200);
    const spb = answer.body.items.find((c) => c.code === 'SPB');
    expect(spb).toMatchObject({ nameEn: 'Saint Petersburg', nameRu: 'Санкт-Петербург', country: 'RU' });
    expect(spb?.aliases.map((a) => a.alias)).toEqual(expect.arrayContaining(['ST.PETERSBURG', 'Санкт-Петербург']));
  });

  it('adds a city and an alias that the public side uses at once, and audits both', async () => {
    const created = await call<AdminCity>('POST', '/v1/admin/cities', {
      code: 'limassol',
      nameEn: ' Limassol ',
      nameRu: 'Лимасол',
      country: 'cy',
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      code: 'LIMASSOL',
      nameEn: 'Limassol',
      nameRu: 'Лимасол',
      country: 'CY',
      aliases: [],
    });
    const alias = await call<{ id: number; alias: string; code: string }>('POST', '/v1/admin/city-aliases', {
      alias: 'Lemesos',
      code: 'LIMASSOL',
    });
    expect(alias.status).toBe(201);
    expect(alias.body).toMatchObject({ alias: 'Lemesos', code: 'LIMASSOL' });

    const listed = await eventually<{ items: Array<{ code: string }> }>('/v1/cities', (a) =>
      a.body.items.some((c) => c.code === 'LIMASSOL'),
    );
    expect(listed.body.items.some((c) => c.code === 'LIMASSOL')).toBe(true);
    const byName = await eventually<ErrorBody>('/v1/rates?from=USDTTRC20&to=CASHEUR&city=lemesos', (a) =>
      a.body.message?.includes('LIMASSOL'),
    );
    expect(byName.status).toBe(400);
    expect(byName.body.message).toContain('did you mean LIMASSOL?');
    expect((await call('GET', '/v1/rates?from=USDTTRC20&to=CASHEUR&city=limassol', undefined, null)).status).toBe(200);

    const audit = await pg.query<{ action: string; entity: string; entity_id: string }>(
      `SELECT action, entity, entity_id FROM admin_audit WHERE entity IN ('city', 'city-alias') ORDER BY id`,
    );
    expect(audit.rows).toEqual([
      { action: 'create', entity: 'city', entity_id: 'LIMASSOL' },
      { action: 'create', entity: 'city-alias', entity_id: String(alias.body.id) },
    ]);
  });

  it('renames a city, and answers 404 for one it does not have', async () => {
    const renamed = await call<AdminCity>('PATCH', '/v1/admin/cities/limassol', { nameRu: 'Лимассол', country: null });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ code: 'LIMASSOL', nameRu: 'Лимассол', country: null });
    expect(renamed.body.aliases.map((a) => a.alias)).toEqual(['Lemesos']);
    const missing = await call<ErrorBody>('PATCH', '/v1/admin/cities/NOWHERE', { nameEn: 'x' });
    expect(missing.status).toBe(404);
    expect((await call('PATCH', '/v1/admin/cities/%00', { nameEn: 'x' })).status).toBe(404);
    expect((await call('PATCH', '/v1/admin/cities/LIMASSOL', { nameEn: 'Lima\u0000ssol' })).status).toBe(400);
  });

  it('refuses spellings that would name two cities (409) and bad input (400)', async () => {
    const taken = await call<ErrorBody>('POST', '/v1/admin/city-aliases', { alias: 'moscow', code: 'SPB' });
    expect(taken.status).toBe(409);
    expect(taken.body.message).toBe('an alias spelled like moscow exists');
    const code = await call<ErrorBody>('POST', '/v1/admin/city-aliases', { alias: 'M.S.K.', code: 'SPB' });
    expect(code.status).toBe(409);
    expect(code.body.message).toContain('spelled like the city code MSK');
    const cityLikeAlias = await call<ErrorBody>('POST', '/v1/admin/cities', {
      code: 'MOSCOW',
      nameEn: 'Moscow',
      nameRu: 'Москва',
    });
    expect(cityLikeAlias.status).toBe(409);
    expect(cityLikeAlias.body.message).toContain('MOSCOW is an alias of MSK');
    expect((await call('POST', '/v1/admin/cities', { code: 'MSK', nameEn: 'Moscow', nameRu: 'Москва' })).status).toBe(
      409,
    );
    expect((await call('POST', '/v1/admin/city-aliases', { alias: 'Gotham', code: 'GOTHAM' })).status).toBe(400);
    expect((await call('POST', '/v1/admin/city-aliases', { alias: '...', code: 'MSK' })).status).toBe(400);
    expect((await call('POST', '/v1/admin/city-aliases', { alias: 'Mos\u0000cow', code: 'MSK' })).status).toBe(400);
    expect((await call('POST', '/v1/admin/cities', { code: 'Two Words', nameEn: 'x', nameRu: 'y' })).status).toBe(400);
    expect((await call('POST', '/v1/admin/cities', { code: 'OK', nameEn: '', nameRu: 'y' })).status).toBe(400);
    expect(
      (await call('POST', '/v1/admin/cities', { code: 'OK', nameEn: 'x', nameRu: 'y', country: 'RUS' })).status,
    ).toBe(400);
  });

  it('deletes an alias (204, then 404), after which the spelling is an unknown city', async () => {
    const { rows } = await pg.query<{ id: number }>(`SELECT id FROM city_aliases WHERE alias = 'Lemesos'`);
    const id = rows[0]!.id;
    expect((await call('DELETE', `/v1/admin/city-aliases/${id}`)).status).toBe(204);
    expect((await call('DELETE', `/v1/admin/city-aliases/${id}`)).status).toBe(404);
    expect((await call('DELETE', '/v1/admin/city-aliases/abc')).status).toBe(400);
    const unknown = await eventually<ErrorBody>('/v1/rates?from=USDTTRC20&to=CASHEUR&city=Lemesos', (a) =>
      a.body.message?.startsWith('unknown city'),
    );
    expect(unknown.body.message).toContain('unknown city');
  });
});
