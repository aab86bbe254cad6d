import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@app/config';
import { FeedPollService } from '@app/ingestion';
import { RunningApi, startApi } from '../../apps/api/src/bootstrap';
import { MarketValues } from '../../apps/api/src/public/rankrate/market-values.service';
import { RankRates } from '../../apps/api/src/public/rankrate/rank-rates.service';
import { FeedServer } from '../support/feed-server';
import { feedPublisher } from '../support/ingestion';
import { createTestDatabase, TestDatabase } from '../support/services';

const rates = (...items: string[]) => `<rates>${items.join('')}</rates>`;
const item = (from: string, to: string, out: string, extra = '') =>
  `<item><from>${from}</from><to>${to}</to><in>1</in><out>${out}</out><amount>100000000</amount>${extra}</item>`;

interface Table {
  items: Array<{ exchanger: { slug: string }; rate: string; rankrate?: string | null }>;
}

/**
 * `GET /v1/rates?sort=rankrate`: the table ranked by what each offer gives at $300 of `from` (fees and
 * limits included) instead of by its rate — the order a visitor with a typical amount would want.
 */
describe('GET /v1/rates?sort=rankrate', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let client: Client;
  const feeds = new FeedServer();
  const polled = feedPublisher(feeds, () => ({ database: client, poller: api.app.get(FeedPollService) }));
  const publish = async (slug: string, body: string) => expect((await polled(slug, body)).status).toBe('ok');
  const table = async (query: string): Promise<{ status: number; body: Table }> => {
    const response = await fetch(`${api.url}/v1/rates?${query}`);
    return { status: response.status, body: (await response.json()) as Table };
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    await feeds.start();
    api = await startApi(
      loadConfig({
        DATABASE_URL: db.url,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
        FETCH_ALLOW_PRIVATE: 'true',
        PUBLIC_CACHE_SECONDS: '0',
        PUBLIC_RATE_LIMIT: '0',
      }),
    );
    client = new Client({ connectionString: db.url });
    await client.connect();
    // BTC is worth 60,000 USD on this market: $300 is 0.005 BTC.
    for (const slug of ['alpha', 'bravo', 'charlie']) await publish(slug, rates(item('BTC', 'USDTTRC20', '60000')));
    // The best rate, but a 10,000 RUB fee and at most 0.001 BTC: it can give nothing at any amount it admits.
    await publish(
      'bait',
      rates(item('BTC', 'SBERRUB', '6100000', '<tofee>10000 RUB</tofee><maxamount>0.001</maxamount>')),
    );
    // 0.005 BTC − 1 % − 0.0001 = 0.00485 × 6,000,000 = 29,100 − 50 = 29,050 RUB for 0.005 → 5,810,000 a BTC.
    await publish(
      'plain',
      rates(item('BTC', 'SBERRUB', '6000000', '<fromfee>1 %, 0.0001 BTC</fromfee><tofee>50 RUB</tofee>')),
    );
    // At least 0.01 BTC: 0.0098 × 5,990,000 = 58,702 − 50 = 58,652 RUB for 0.01 → 5,865,200 a BTC.
    await publish(
      'sber',
      rates(
        item(
          'BTC',
          'SBERRUB',
          '5990000',
          '<fromfee>1 %, 0.0001 BTC</fromfee><tofee>50 RUB</tofee><minamount>0.01</minamount>',
        ),
      ),
    );
    // The values follow the polls' change events within a few seconds (MarketValues): now.
    await api.app.get(MarketValues).refreshNow();
    expect(await api.app.get(RankRates).usdValue('BTC')).toBe('60000');
  });

  afterAll(async () => {
    await client?.end();
    await api?.close();
    await feeds.stop();
    await db?.drop();
  });

  it('ranks by rankrate (exact decimals), the offer with none last, and says each rankrate', async () => {
    const byRate = await table('from=BTC&to=SBERRUB');
    expect(byRate.body.items.map((i) => i.exchanger.slug)).toEqual(['bait', 'plain', 'sber']);
    expect(byRate.body.items[0]).not.toHaveProperty('rankrate');
    const byRankrate = await table('from=BTC&to=SBERRUB&sort=rankrate');
    expect(byRankrate.status).toBe(200);
    expect(byRankrate.body.items.map((i) => [i.exchanger.slug, i.rankrate])).toEqual([
      ['sber', '5865200'],
      ['plain', '5810000'],
      ['bait', null],
    ]);
    // The limit applies after ranking: the best by rankrate is not the best by rate.
    const first = await table('from=BTC&to=SBERRUB&sort=rankrate&limit=1');
    expect(first.body.items.map((i) => i.exchanger.slug)).toEqual(['sber']);
  });

  it('refuses a sort it does not know, saying which it knows', async () => {
    const answer = await fetch(`${api.url}/v1/rates?from=BTC&to=SBERRUB&sort=best`);
    expect(answer.status).toBe(400);
    expect(await answer.text()).toContain('sort must be rate or rankrate');
  });
});
