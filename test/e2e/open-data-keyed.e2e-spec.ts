import { createHash } from 'node:crypto';
import Decimal from 'decimal.js';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@app/config';
import { FeedPollService } from '@app/ingestion';
import { RunningApi, startApi } from '../../apps/api/src/bootstrap';
import { MarketValues } from '../../apps/api/src/public/rankrate/market-values.service';
import { FeedServer } from '../support/feed-server';
import { http } from '../support/http';
import { feedPublisher } from '../support/ingestion';
import { createTestDatabase, TestDatabase } from '../support/services';

const ADMIN_KEY = 'open-data-test-admin-key-0123456789abcdef';
const rates = (...items: string[]) => `<rates>${items.join('')}</rates>`;
const item = (from: string, to: string, inAmount: string, out: string, extra = '') =>
  `<item><from>${from}</from><to>${to}</to><in>${inAmount}</in><out>${out}</out>${extra}</item>`;

interface CreatedKey {
  id: number;
  key: string;
  prefix: string;
  perMinute: number;
  perDay: number;
  revokedAt: string | null;
}
interface ListedKey extends Omit<CreatedKey, 'key'> {
  usage: Array<{ day: string; served: number; refused: number }>;
}
interface Rate {
  changer: number;
  rate: string;
  rankrate: string;
  reserve: string;
  inmin: string;
  inmax: string;
  extra: unknown;
  marks: string[];
  city?: number;
}
interface ErrorBody {
  statusCode: number;
  message: string;
}

/**
 * The keyed JSON API (issue 22): BestChange v2's shapes under /v1/open/{key}/…, partner keys made and revoked
 * by the admin, quotas per minute and per day (429 with Retry-After), usage counted per day in PostgreSQL.
 */
describe('the keyed open-data API', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let second: RunningApi;
  let client: Client;
  const feeds = new FeedServer();
  const publish = feedPublisher(feeds, () => ({ database: client, poller: api.app.get(FeedPollService) }));
  const admin = (path: string, init: RequestInit = {}) =>
    http<unknown>(`${api.url}/v1/admin/open-keys${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${ADMIN_KEY}`,
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
    });
  const createKey = async (body: object) => {
    const answer = await admin('', { method: 'POST', body: JSON.stringify(body) });
    expect(answer.status).toBe(201);
    return answer.body as CreatedKey;
  };
  const listKeys = async () => ((await admin('')).body as { items: ListedKey[] }).items;
  const open = <T>(key: string, path: string, on: RunningApi = api) => http<T>(`${on.url}/v1/open/${key}/${path}`);
  let key: string;
  const ids = { BTC: 93, SBERRUB: 42, PMUSD: 40, CASHUSD: 89, USDTTRC20: 10 };
  const exchangerId = async (slug: string) =>
    (await client.query<{ id: number }>(`SELECT id FROM exchangers WHERE slug = $1`, [slug])).rows[0]!.id;

  beforeAll(async () => {
    db = await createTestDatabase();
    await feeds.start();
    const config = {
      DATABASE_URL: db.url,
      ADMIN_API_KEY: ADMIN_KEY,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      FETCH_ALLOW_PRIVATE: 'true',
      PUBLIC_CACHE_SECONDS: '0',
      PUBLIC_RATE_LIMIT: '0',
      OPEN_DATA_REFRESH_SECONDS: '1',
    };
    api = await startApi(loadConfig(config));
    second = await startApi(loadConfig(config));
    client = new Client({ connectionString: db.url });
    await client.connect();
    // BTC is worth 100000 USD (PMUSD's unit is USD): rankrate's $300 are 0.003 BTC.
    expect(
      (await publish('dollar', rates(item('BTC', 'PMUSD', '1', '100000', '<amount>500000</amount>')))).status,
    ).toBe('ok');
    expect(
      (
        await publish(
          'aura',
          rates(
            item(
              'BTC',
              'SBERRUB',
              '1',
              '6900000.5',
              '<amount>25000000</amount><minamount>0.001 BTC</minamount><param>manual</param>',
            ),
            item('USDTTRC20', 'CASHUSD', '1', '0.985', '<amount>100000</amount><city>MSK</city>'),
          ),
        )
      ).status,
    ).toBe('ok');
    expect(
      (await publish('bitok', rates(item('BTC', 'SBERRUB', '1', '6950000', '<amount>1000</amount>')))).status,
    ).toBe('ok');
    // The USD values follow the polls' change events within a few seconds (MarketValues): now.
    await api.app.get(MarketValues).refreshNow();
    key = (await createKey({ name: 'bot of example.org' })).key;
  });

  afterAll(async () => {
    await client?.end();
    await second?.close();
    await api?.close();
    await feeds.stop();
    await db?.drop();
  });

  it('makes a key shown once and stored as its SHA-256 only, with the default quotas, audited', async () => {
    const made = await createKey({ name: 'a partner', perMinute: 5, perDay: 100 });
    expect(made.key).toMatch(/^rwo_[0-9a-f]{32}$/);
    expect(made).toMatchObject({ perMinute: 5, perDay: 100, prefix: made.key.slice(0, 10), revokedAt: null });
    const stored = await client.query(`SELECT * FROM open_keys WHERE id = $1`, [made.id]);
    expect(stored.rows[0].key_hash).toBe(createHash('sha256').update(made.key).digest('hex'));
    expect(JSON.stringify(stored.rows)).not.toContain(made.key);
    const audit = await client.query(`SELECT entity, action, after FROM admin_audit WHERE entity = 'open_key'`);
    expect(audit.rows.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(audit.rows)).not.toContain(made.key);
    const listed = (await listKeys()).find((k) => k.id === made.id)!;
    expect(listed).not.toHaveProperty('key');
    expect((await listKeys()).find((k) => k.prefix === key.slice(0, 10))).toMatchObject({
      perMinute: 60,
      perDay: 50000,
    });
    // Admin only.
    expect((await http(`${api.url}/v1/admin/open-keys`)).status).toBe(401);
    expect((await admin('', { method: 'POST', body: JSON.stringify({ name: ' ', perDay: 0 }) })).status).toBe(400);
  });

  it('lists currencies and changers in BestChange v2 shapes, in English or Russian', async () => {
    const en = await open<{ currencies: Array<Record<string, unknown>> }>(key, 'currencies/en');
    expect(en.status).toBe(200);
    expect(Object.keys(en.body)).toEqual(['currencies']);
    expect(en.body.currencies.find((c) => c.id === ids.BTC)).toEqual({
      id: 93,
      code: 'BTC',
      name: 'Bitcoin (BTC)',
      viewname: 'BTC',
      crypto: true,
      cash: false,
      group: 0,
    });
    expect(en.body.currencies.find((c) => c.id === ids.SBERRUB)).toMatchObject({ name: 'Sberbank RUB', group: 3 });
    const ru = await open<{ currencies: Array<Record<string, unknown>> }>(key, 'currencies/ru');
    expect(ru.body.currencies.find((c) => c.id === ids.SBERRUB)).toMatchObject({ name: 'Сбербанк RUB' });
    expect(ru.body.currencies.find((c) => c.id === ids.CASHUSD)).toMatchObject({ cash: true, group: 5 });
    expect((await open<ErrorBody>(key, 'currencies/de')).status).toBe(400);
    const changers = await open<{ changers: Array<Record<string, unknown>> }>(key, 'changers/en');
    expect(Object.keys(changers.body)).toEqual(['changers']);
    expect(changers.body.changers.find((c) => c.id === 0)).toBeUndefined();
    expect(changers.body.changers.find((c) => c.name === 'Aura')).toMatchObject({
      active: true,
      reviews: { claim: 0, positive: 0, neutral: 0, negative: 0 },
    });
    // The key may come in X-Api-Key instead of the path.
    const byHeader = await http<{ changers: unknown[] }>(`${api.url}/v1/open/changers/ru`, {
      headers: { 'x-api-key': key },
    });
    expect(byHeader.status).toBe(200);
    expect(byHeader.body.changers).toHaveLength(changers.body.changers.length);
  });

  it('answers presences with 0 as a wildcard', async () => {
    const from = await open<{ presences: Array<{ pair: string }> }>(key, `presences/${ids.BTC}-0`);
    expect(from.body.presences.map((p) => p.pair).sort()).toEqual([`93-${ids.PMUSD}`, `93-${ids.SBERRUB}`]);
    const to = await open<{ presences: Array<{ pair: string }> }>(key, `presences/0-${ids.CASHUSD}`);
    expect(to.body.presences).toEqual([{ pair: `${ids.USDTTRC20}-${ids.CASHUSD}` }]);
    const bad = await open<ErrorBody>(key, 'presences/93_0');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('93_0');
  });

  it('answers rates of pairs as /v1/rates shows them: strings, best first, rankrate at $300, only the key "rates"', async () => {
    const answer = await open<{ rates: Record<string, Rate[]> }>(
      key,
      `rates/${ids.BTC}-${ids.SBERRUB}+${ids.USDTTRC20}-${ids.CASHUSD}+${ids.SBERRUB}-${ids.BTC}+${ids.BTC}-${ids.SBERRUB}`,
    );
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.body)).toEqual(['rates']);
    expect(Object.keys(answer.body.rates).sort()).toEqual(['10-89', '42-93', '93-42']);
    expect(answer.body.rates['42-93']).toEqual([]);
    const [best, second] = answer.body.rates['93-42']!;
    expect(best!.changer).toBe(await exchangerId('bitok'));
    expect(second).toEqual({
      changer: await exchangerId('aura'),
      // 1 / 6900000.5, 16 significant digits: given per 1 received.
      rate: new Decimal(1).div('6900000.5').toSignificantDigits(16, Decimal.ROUND_HALF_UP).toFixed(),
      // $300 = 0.003 BTC → 20700.0015 RUB, paid to the kopeck: 20700 → 0.003 / 20700.
      rankrate: new Decimal('0.003').div('20700').toSignificantDigits(16, Decimal.ROUND_HALF_UP).toFixed(),
      reserve: '25000000',
      inmin: '0.001',
      // No max: the reserve at the rate, 25000000 / 6900000.5 BTC.
      inmax: new Decimal('25000000').div('6900000.5').toDecimalPlaces(8, Decimal.ROUND_HALF_UP).toFixed(),
      extra: [],
      marks: ['manual'],
    });
    // Against /v1/rates: the same offers in the same order, rate = in / out.
    const table = await http<{ items: Array<{ exchanger: { slug: string }; in: string; out: string }> }>(
      `${api.url}/v1/rates?from=BTC&to=SBERRUB`,
    );
    expect(table.body.items.map((i) => i.exchanger.slug)).toEqual(['bitok', 'aura']);
    for (const [i, row] of table.body.items.entries())
      expect(answer.body.rates['93-42']![i]!.rate).toBe(
        new Decimal(row.in).div(row.out).toSignificantDigits(16, Decimal.ROUND_HALF_UP).toFixed(),
      );
    expect(answer.body.rates['10-89']).toEqual([
      expect.objectContaining({ changer: await exchangerId('aura'), city: 1, reserve: '100000' }),
    ]);
  });

  it('refuses malformed pairs, unknown ids and more than 500 pairs with 400 and a message', async () => {
    const bad = await open<ErrorBody>(key, 'rates/93-42+93x42');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('93x42');
    const unknown = await open<ErrorBody>(key, 'rates/93-999999');
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toContain('999999');
    const pairs = (n: number) =>
      Array.from({ length: n }, (_, i) => `${1 + (i % 300)}-${1 + Math.floor(i / 300)}`).join('+');
    const many = await open<{ rates: Record<string, Rate[]> }>(key, `rates/${pairs(500)}`);
    expect(many.status).toBe(200);
    expect(Object.keys(many.body.rates)).toHaveLength(500);
    const tooMany = await open<ErrorBody>(key, `rates/${pairs(501)}`);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.message).toMatch(/at most 500 pairs/);
  });

  it('refuses an unknown key with 401 and a missing one with 401, saying which', async () => {
    const unknown = await open<ErrorBody>('rwo_ffffffffffffffffffffffffffffffff', 'currencies/en');
    expect(unknown.status).toBe(401);
    expect(unknown.body.message).toMatch(/never issued/);
    const none = await http<ErrorBody>(`${api.url}/v1/open/currencies/en`);
    expect(none.status).toBe(401);
    expect(none.body.message).toMatch(/X-Api-Key/);
  });

  it('answers 429 with Retry-After past the quota per minute, and counts it', async () => {
    const limited = await createKey({ name: 'per minute', perMinute: 3, perDay: 1000 });
    // Four requests inside one minute window: start early enough in the minute.
    while (Date.now() % 60_000 > 50_000) await new Promise((resolve) => setTimeout(resolve, 200));
    for (let i = 0; i < 3; i++) expect((await open(limited.key, 'currencies/en')).status).toBe(200);
    const refused = await open<ErrorBody>(limited.key, 'currencies/en');
    expect(refused.status).toBe(429);
    expect(refused.body.message).toMatch(/3 requests a minute/);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const usage = (await listKeys()).find((k) => k.id === limited.id)!.usage;
    expect(usage).toEqual([{ day: new Date().toISOString().slice(0, 10), served: 3, refused: 1 }]);
  });

  it('answers 429 with Retry-After until midnight UTC past the quota per day; usage is written in batches', async () => {
    const limited = await createKey({ name: 'per day', perMinute: 100, perDay: 2 });
    expect((await open(limited.key, 'changers/en')).status).toBe(200);
    expect((await open(limited.key, 'changers/en')).status).toBe(200);
    const refused = await open<ErrorBody>(limited.key, 'changers/en');
    expect(refused.status).toBe(429);
    expect(refused.body.message).toMatch(/2 requests a day/);
    const untilMidnight = Math.ceil((86_400_000 - (Date.now() % 86_400_000)) / 1000);
    expect(Math.abs(Number(refused.headers.get('retry-after')) - untilMidnight)).toBeLessThanOrEqual(5);
    // The other replica counts from what PostgreSQL has once this one flushed: still refused there.
    const usage = (await listKeys()).find((k) => k.id === limited.id)!.usage;
    expect(usage).toEqual([{ day: new Date().toISOString().slice(0, 10), served: 2, refused: 1 }]);
    expect((await open(limited.key, 'changers/en', second)).status).toBe(429);
  });

  it('revokes a key at once here and within seconds on another replica (403), keeping it listed', async () => {
    const doomed = await createKey({ name: 'doomed' });
    expect((await open(doomed.key, 'currencies/en')).status).toBe(200);
    expect((await open(doomed.key, 'currencies/en', second)).status).toBe(200);
    const revoked = await admin(`/${doomed.id}`, { method: 'DELETE' });
    expect(revoked.status).toBe(204);
    const here = await open<ErrorBody>(doomed.key, 'currencies/en');
    expect(here.status).toBe(403);
    expect(here.body.message).toMatch(/revoked/);
    const deadline = Date.now() + 5000;
    let there = await open<ErrorBody>(doomed.key, 'currencies/en', second);
    while (there.status !== 403 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      there = await open<ErrorBody>(doomed.key, 'currencies/en', second);
    }
    expect(there.status).toBe(403);
    expect((await listKeys()).find((k) => k.id === doomed.id)!.revokedAt).not.toBeNull();
    expect((await admin(`/${doomed.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await admin('/999999', { method: 'DELETE' })).status).toBe(404);
    expect((await admin('/abc', { method: 'DELETE' })).status).toBe(400);
  });
});
