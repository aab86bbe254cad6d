import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@app/config';
import { CatalogSnapshots, FeedPollService } from '@app/ingestion';
import { RunningApi, startApi } from '../../apps/api/src/bootstrap';
import { MarketValues } from '../../apps/api/src/public/rankrate/market-values.service';
import { RankRates } from '../../apps/api/src/public/rankrate/rank-rates.service';
import { DirectionBooks } from '../../apps/api/src/public/rates/direction-books.service';
import { FeedServer } from '../support/feed-server';
import { feedPublisher } from '../support/ingestion';
import { createTestDatabase, TestDatabase } from '../support/services';

const rates = (...items: string[]) => `<rates>${items.join('')}</rates>`;
const item = (from: string, to: string, inAmount: string, out: string, extra = '') =>
  `<item><from>${from}</from><to>${to}</to><in>${inAmount}</in><out>${out}</out><amount>100000000</amount>${extra}</item>`;

/**
 * rankrate in the running api, on a market published through real feeds and polls: the USD values come
 * from the polled offers and follow the polls' change events; rankrate reads the offers as /v1/rates keeps
 * them (fees and limits parsed from the feed).
 */
describe('rankrate and USD values in the api', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let client: Client;
  const feeds = new FeedServer();
  const polled = feedPublisher(feeds, () => ({ database: client, poller: api.app.get(FeedPollService) }));
  const publish = async (slug: string, body: string) => {
    expect((await polled(slug, body)).status).toBe('ok');
  };
  /** Waits (up to 15 s) until `read` answers `expected`, and says what it last answered otherwise. */
  const eventually = async <T>(read: () => Promise<T>, expected: T): Promise<T> => {
    const deadline = Date.now() + 15_000;
    let last = await read();
    while (last !== expected && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      last = await read();
    }
    return last;
  };
  const offersOf = async (from: string, to: string) => {
    const catalog = await api.app.get(CatalogSnapshots).current();
    const rows = await api.app.get(DirectionBooks).rank(catalog.require(from), catalog.require(to), catalog.version, {
      city: null,
      exclude: new Set(),
      amount: null,
      side: 'give',
      limit: 100,
    });
    return rows.map((row) => row.offer);
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
  });

  afterAll(async () => {
    await client?.end();
    await api?.close();
    await feeds.stop();
    await db?.drop();
  });

  it('values BTC at the market median, not at one exchanger typo, and rates offers at $300', async () => {
    for (const [slug, out] of [
      ['alpha', '60000'],
      ['bravo', '60000'],
      ['charlie', '60100'],
      // Three zeros too many.
      ['typo', '60000000'],
    ] as const)
      await publish(slug, rates(item('BTC', 'USDTTRC20', '1', out)));
    await publish(
      'sber',
      rates(
        item(
          'BTC',
          'SBERRUB',
          '1',
          '6000000',
          '<fromfee>1 %, 0.0001 BTC</fromfee><tofee>50 RUB</tofee><minamount>0.01</minamount>',
        ),
      ),
    );
    await publish(
      'plain',
      rates(item('BTC', 'SBERRUB', '1', '6000000', '<fromfee>1 %, 0.0001 BTC</fromfee><tofee>50 RUB</tofee>')),
    );
    // The values follow the polls' change events within a few seconds (MarketValues): now.
    await api.app.get(MarketValues).refreshNow();
    const rankRates = api.app.get(RankRates);
    expect(rankRates.referenceUsd()).toBe('300');
    expect(await rankRates.usdValue('BTC')).toBe('60000');
    expect(await rankRates.referenceAmount('BTC')).toBe('0.005');
    const offers = await offersOf('BTC', 'SBERRUB');
    const rankrates = await rankRates.rankrates('BTC', 'SBERRUB', offers);
    // plain at 0.005 BTC: fee 0.00015, 0.00485 × 6,000,000 = 29,100 − 50 = 29,050 RUB → 5,810,000 per BTC.
    // sber wants 0.01 BTC at least: 0.0098 × 6,000,000 = 58,800 − 50 = 58,750 RUB for 0.01 → 5,875,000.
    expect(new Map(offers.map((o, i) => [o.slug, rankrates[i]]))).toEqual(
      new Map([
        ['sber', '5875000'],
        ['plain', '5810000'],
      ]),
    );
  });

  it('follows the polls: a market move reaches the values and rankrate without a restart', async () => {
    const rankRates = api.app.get(RankRates);
    for (const slug of ['alpha', 'bravo', 'charlie'])
      await publish(slug, rates(item('BTC', 'USDTTRC20', '1', '30000')));
    // The change events of the polls are applied within a few seconds (MARKET_REFRESH_MS).
    expect(await eventually(() => rankRates.usdValue('BTC'), '30000')).toBe('30000');
    expect(await rankRates.referenceAmount('BTC')).toBe('0.01');
    const offers = await offersOf('BTC', 'SBERRUB');
    // $300 is now 0.01 BTC: both at 0.01 → 58,750 RUB → 5,875,000.
    expect(await rankRates.rankrates('BTC', 'SBERRUB', offers)).toEqual(['5875000', '5875000']);
  });
});
