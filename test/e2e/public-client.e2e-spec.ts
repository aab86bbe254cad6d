import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client as Pg } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@app/config';
import { FeedPollService } from '@app/ingestion';
import { RunningApi, startApi } from '../../apps/api/src/bootstrap';
import { createClient, createConfig } from '../client/generated/client';
import {
  citiesControllerList,
  currenciesControllerOne,
  directionsControllerList,
  exchangersControllerOne,
  ratesControllerTable,
} from '../client/generated/sdk.gen';
import { FeedServer } from '../support/feed-server';
import { createTestDatabase, TestDatabase } from '../support/services';

/**
 * The public API through the client generated from its own OpenAPI document (`npm run openapi:client`):
 * if a server answer and the document drift apart, this does not compile or these expectations fail.
 */
describe('the public API through the generated client', () => {
  let db: TestDatabase;
  let api: RunningApi;
  const feeds = new FeedServer();
  const client = () => createClient(createConfig({ baseUrl: api.url }));

  beforeAll(async () => {
    db = await createTestDatabase();
    await feeds.start();
    feeds.serve('/aura.xml', { body: readFileSync(join(__dirname, '../fixtures/feeds/standard.xml'), 'utf8') });
    api = await startApi(
      loadConfig({
        DATABASE_URL: db.url,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
        FETCH_ALLOW_PRIVATE: 'true',
        PUBLIC_RATE_LIMIT: '0',
      }),
    );
    const pg = new Pg({ connectionString: db.url });
    await pg.connect();
    const { rows } = await pg.query<{ id: number }>(
      `WITH e AS (INSERT INTO exchangers (slug, name, site_url, referral_url) VALUES ('aura', 'Aura', 'https://aura.example', 'https://aura.example/?rid=42') RETURNING id)
       INSERT INTO feeds (exchanger_id, url, interval_s) SELECT id, $1, 3600 FROM e RETURNING id`,
      [feeds.url('/aura.xml')],
    );
    await pg.end();
    expect((await api.app.get(FeedPollService).poll(rows[0]!.id, 'manual')).status).toBe('ok');
  });

  afterAll(async () => {
    await api?.close();
    await feeds.stop();
    await db?.drop();
  });

  it('reads a table, its calculator and its errors with the types of the document', async () => {
    const table = await ratesControllerTable({ client: client(), query: { from: 'BTC', to: 'SBERRUB' } });
    expect(table.response.status).toBe(200);
    const first = table.data!.items[0]!;
    expect(first.exchanger.slug).toBe('aura');
    expect(typeof first.rate).toBe('string');
    expect(first.goUrl).toBe('/go/aura?from=BTC&to=SBERRUB');

    const calculated = await ratesControllerTable({
      client: client(),
      query: { from: 'BTC', to: 'SBERRUB', amount: '0.5', side: 'give' },
    });
    expect(calculated.data!.items[0]!.get).toBe('3425000.25');

    const same = await ratesControllerTable({ client: client(), query: { from: 'BTC', to: 'BTC' } });
    expect(same.response.status).toBe(400);
    expect(same.error).toMatchObject({ statusCode: 400, error: 'Bad Request', message: 'from and to must differ' });
  });

  it('pages directions, and reads a currency, the cities and an exchanger', async () => {
    const page = await directionsControllerList({ client: client(), query: { from: 'BTC', limit: 1 } });
    expect(page.data!.items).toHaveLength(1);
    expect(page.data!.items[0]!.from).toBe('BTC');
    const btc = await currenciesControllerOne({ client: client(), path: { code: 'btc' } });
    expect(btc.data).toMatchObject({ code: 'BTC', urlName: 'bitcoin', unit: 'BTC' });
    expect(btc.data!.directionsFrom.map((d) => d.code)).toContain('SBERRUB');
    const cities = await citiesControllerList({ client: client(), query: { lang: 'en' } });
    expect(cities.data!.items.find((c) => c.code === 'MSK')?.name.en).toBe('Moscow');
    const aura = await exchangersControllerOne({ client: client(), path: { slug: 'aura' } });
    expect(aura.data!.slug).toBe('aura');
    const missing = await exchangersControllerOne({ client: client(), path: { slug: 'nobody' } });
    expect(missing.response.status).toBe(404);
    expect(typeof missing.error!.message).toBe('string');
  });
});
