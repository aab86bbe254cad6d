import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@app/config';
import { FeedPollService } from '@app/ingestion';
import { RunningApi, startApi } from '../../apps/api/src/bootstrap';
import { MarketValues } from '../../apps/api/src/public/rankrate/market-values.service';
import { FeedServer } from '../support/feed-server';
import { feedPublisher } from '../support/ingestion';
import { http } from '../support/http';
import { mismatches, OpenApiDocument } from '../support/openapi-conformance';
import { createTestDatabase, TestDatabase } from '../support/services';

interface Leg {
  from: string;
  to: string;
  exchanger: { slug: string };
  give: string;
  get: string;
  goUrl: string;
}
interface Way {
  via: string | null;
  give: string;
  get: string;
  rate: string;
  legs: Leg[];
}
interface RoutesBody {
  from: string;
  to: string;
  city: string | null;
  amount: string;
  side: string;
  direct: Way[];
  routes: Way[];
  intermediates: string[];
}
interface ErrorBody {
  statusCode: number;
  message: string | string[];
}

const rates = (...items: string[]) => `<rates>${items.join('')}</rates>`;
const item = (from: string, to: string, inAmount: string, out: string, extra = '') =>
  `<item><from>${from}</from><to>${to}</to><in>${inAmount}</in><out>${out}</out>${extra}</item>`;

/** The ways a visitor sees, in short: via, give, get and each leg's exchanger. */
const ways = (list: Way[]) => list.map((w) => [w.via, w.give, w.get, w.legs.map((l) => l.exchanger.slug).join('+')]);

/**
 * GET /v1/routes over HTTP, on a market published through real feeds and polls. Hand-computed:
 * "rubles" SBERRUB → USDTTRC20 at 100 RUB per USDT, 1 % + 50 RUB on what is given, 1 USDT on what is paid;
 * "coins" USDTTRC20 → BTC at 50,000 USDT per BTC, 0.5 % on what is given, 0.0001 BTC on what is paid;
 * "deep" USDTTRC20 → BTC at 0.000021 BTC per USDT, no fees, a reserve of 0.015 BTC;
 * "big-only" SBERRUB → BTC at 5,000,000 RUB per BTC from 200,000 RUB; "plain" SBERRUB → BTC at 0.00000019.
 */
describe('GET /v1/routes', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let client: Client;
  const feeds = new FeedServer();
  const get = <T>(path: string) => http<T>(`${api.url}${path}`);
  const polled = feedPublisher(feeds, () => ({ database: client, poller: api.app.get(FeedPollService) }));
  const publish = async (slug: string, body: string) => {
    expect((await polled(slug, body)).status).toBe('ok');
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
        PUBLIC_CACHE_SECONDS: '30',
        PUBLIC_RATE_LIMIT: '0',
      }),
    );
    client = new Client({ connectionString: db.url });
    await client.connect();
    await publish(
      'rubles',
      rates(
        item(
          'SBERRUB',
          'USDTTRC20',
          '100',
          '1',
          '<amount>100000</amount><fromfee>1 %, 50 RUB</fromfee><tofee>1 USDT</tofee>',
        ),
      ),
    );
    await publish(
      'coins',
      rates(
        item('USDTTRC20', 'BTC', '50000', '1', '<amount>10</amount><fromfee>0.5 %</fromfee><tofee>0.0001 BTC</tofee>'),
      ),
    );
    await publish('deep', rates(item('USDTTRC20', 'BTC', '1', '0.000021', '<amount>0.015</amount>')));
    await publish(
      'big-only',
      rates(item('SBERRUB', 'BTC', '5000000', '1', '<amount>10</amount><minamount>200000</minamount>')),
    );
    await publish('plain', rates(item('SBERRUB', 'BTC', '1', '0.00000019', '<amount>10</amount>')));
    // The market the intermediates come from follows the polls' change events within MARKET_REFRESH_MS: now.
    await api.app.get(MarketValues).refreshNow();
  });

  afterAll(async () => {
    await client?.end();
    await api?.close();
    await feeds.stop();
    await db?.drop();
  });

  it('finds a route that beats every direct offer when a limit keeps the better direct one out', async () => {
    const answer = await get<RoutesBody>('/v1/routes?from=sberrub&to=btc&amount=100000');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('etag')).toBeTruthy();
    expect(answer.body).toMatchObject({ from: 'SBERRUB', to: 'BTC', city: null, amount: '100000', side: 'give' });
    expect(answer.body.intermediates).toEqual(['USDTTRC20']);
    // big-only wants 200,000 RUB at least: only plain serves 100,000 directly: 100,000 × 0.00000019 = 0.019 BTC.
    expect(ways(answer.body.direct)).toEqual([[null, '100000', '0.019', 'plain']]);
    // rubles: fee 50 + 1,000; 98,950 × 0.01 = 989.5 − 1 = 988.5 USDT. coins: 988.5 − 4.9425 = 983.5575 × 0.00002
    // = 0.01967115 − 0.0001 = 0.01957115 BTC. deep would pay 988.5 × 0.000021 = 0.0207585 BTC: more than its reserve.
    expect(ways(answer.body.routes)).toEqual([['USDTTRC20', '100000', '0.01957115', 'rubles+coins']]);
    const [route] = answer.body.routes;
    expect(route!.rate).toBe('0.0000001957115');
    expect(route!.legs.map((l) => [l.from, l.to, l.give, l.get])).toEqual([
      ['SBERRUB', 'USDTTRC20', '100000', '988.5'],
      ['USDTTRC20', 'BTC', '988.5', '0.01957115'],
    ]);
  });

  it('links every leg to its exchanger through /go with that leg direction', async () => {
    const answer = await get<RoutesBody>('/v1/routes?from=SBERRUB&to=BTC&amount=100000');
    const links = answer.body.routes[0]!.legs.map((l) => l.goUrl);
    expect(links).toEqual(['/go/rubles?from=SBERRUB&to=USDTTRC20', '/go/coins?from=USDTTRC20&to=BTC']);
    const first = await http(`${api.url}${links[0]}`);
    expect(first.status).toBe(302);
    const target = new URL(first.headers.get('location')!);
    expect([target.host, target.searchParams.get('cur_from'), target.searchParams.get('cur_to')]).toEqual([
      'rubles.example',
      'SBERRUB',
      'USDTTRC20',
    ]);
  });

  it('lets a reserve decide: at a smaller amount the deeper-rate leg serves and ranks first', async () => {
    const answer = await get<RoutesBody>('/v1/routes?from=SBERRUB&to=BTC&amount=10000.00');
    // rubles: 10,000 − 150 = 9,850 × 0.01 = 98.5 − 1 = 97.5 USDT; deep: 97.5 × 0.000021 = 0.0020475 BTC;
    // coins: 97.0125 × 0.00002 = 0.00194025 − 0.0001 = 0.00184025; plain direct: 0.0019.
    expect(ways(answer.body.routes)).toEqual([
      ['USDTTRC20', '10000', '0.0020475', 'rubles+deep'],
      ['USDTTRC20', '10000', '0.00184025', 'rubles+coins'],
    ]);
    expect(ways(answer.body.direct)).toEqual([[null, '10000', '0.0019', 'plain']]);
    // limit=1 keeps the best of each.
    const one = await get<RoutesBody>('/v1/routes?from=SBERRUB&to=BTC&amount=10000&limit=1');
    expect(ways(one.body.routes)).toEqual([['USDTTRC20', '10000', '0.0020475', 'rubles+deep']]);
  });

  it('works backwards for side=get: what to give for exactly that much at the end', async () => {
    const answer = await get<RoutesBody>('/v1/routes?from=SBERRUB&to=BTC&amount=0.01&side=get');
    expect(answer.body.side).toBe('get');
    // deep: 0.01 ÷ 0.000021 = 476.190476190… → 476.1904762 USDT (up); rubles to pay it: (477.1904762 ÷ 0.01 + 50) ÷ 0.99
    // = 48,251.5632… → 48,251.57 RUB. coins: 0.0101 ÷ 0.00002 ÷ 0.995 → 507.53768845 USDT; (50,853.768845 + 50) ÷ 0.99 → 51,417.95.
    expect(ways(answer.body.routes)).toEqual([
      ['USDTTRC20', '48251.57', '0.01', 'rubles+deep'],
      ['USDTTRC20', '51417.95', '0.01', 'rubles+coins'],
    ]);
    expect(answer.body.routes[0]!.legs.map((l) => [l.give, l.get])).toEqual([
      ['48251.57', '476.1904762'],
      ['476.1904762', '0.01'],
    ]);
    // plain: 0.01 ÷ 0.00000019 = 52,631.578… → 52,631.58; big-only would need 50,000 RUB, below its 200,000 minimum.
    expect(ways(answer.body.direct)).toEqual([[null, '52631.58', '0.01', 'plain']]);
  });

  it('answers a new answer when a leg changes, not the kept one', async () => {
    const before = await get<RoutesBody>('/v1/routes?from=SBERRUB&to=BTC&amount=100000&limit=3');
    expect(before.body.routes[0]!.get).toBe('0.01957115');
    // coins now takes no fee on what is given: 988.5 × 0.00002 = 0.01977 − 0.0001 = 0.01967 BTC.
    await publish(
      'coins',
      rates(item('USDTTRC20', 'BTC', '50000', '1', '<amount>10</amount><tofee>0.0001 BTC</tofee>')),
    );
    const after = await get<RoutesBody>('/v1/routes?from=SBERRUB&to=BTC&amount=100000&limit=3');
    expect(after.body.routes[0]!.get).toBe('0.01967');
    expect(after.headers.get('etag')).not.toBe(before.headers.get('etag'));
  });

  it('finds a new intermediate once the market has it', async () => {
    // ETH legs at 0.00004 ETH per RUB and 0.05 BTC per ETH: 100,000 RUB → 4 ETH → 0.2 BTC.
    await publish('ether', rates(item('SBERRUB', 'ETH', '25000', '1'), item('ETH', 'BTC', '1', '0.05')));
    await api.app.get(MarketValues).refreshNow();
    const answer = await get<RoutesBody>('/v1/routes?from=SBERRUB&to=BTC&amount=100000');
    expect(answer.body.intermediates).toEqual(['ETH', 'USDTTRC20']);
    expect(ways(answer.body.routes)[0]).toEqual(['ETH', '100000', '0.2', 'ether+ether']);
  });

  it("drops a route at once when a leg's feed goes into maintenance", async () => {
    const query = '/v1/routes?from=SBERRUB&to=BTC&amount=100000&limit=5';
    const slugsOf = (body: RoutesBody) => body.routes.flatMap((w) => w.legs.map((l) => l.exchanger.slug));
    expect(slugsOf((await get<RoutesBody>(query)).body)).toContain('ether');
    const etherFeed = rates(item('SBERRUB', 'ETH', '25000', '1'), item('ETH', 'BTC', '1', '0.05'));
    expect(
      (await polled('ether', readFileSync(join(__dirname, '../fixtures/feeds/maintenance-ru.xml'), 'utf8'))).status,
    ).toBe('maintenance');
    // The next answer, kept answers and kept feeds notwithstanding (PUBLIC_CACHE_SECONDS 30 here).
    const hidden = await get<RoutesBody>(query);
    expect(slugsOf(hidden.body)).not.toContain('ether');
    expect(ways(hidden.body.routes)[0]).toEqual(['USDTTRC20', '100000', '0.01967', 'rubles+coins']);
    // Back for the tests after this one (shown within PUBLIC_CACHE_SECONDS: a poll that finds its offers as
    // they were announces nothing).
    await publish('ether', etherFeed);
  });

  it('says what to fix: 400 for a bad query, 404 for an unknown currency', async () => {
    const bad = async (query: string, message: RegExp) => {
      const answer = await get<ErrorBody>(`/v1/routes?${query}`);
      expect(answer.status).toBe(400);
      expect(JSON.stringify(answer.body.message)).toMatch(message);
    };
    await bad('from=SBERRUB&to=BTC', /amount is required/);
    await bad('from=SBERRUB&to=BTC&amount=-5', /amount is required: a positive decimal/);
    await bad('from=SBERRUB&to=BTC&amount=1e5', /positive decimal/);
    await bad('from=SBERRUB&to=SBERRUB&amount=1', /from and to must differ/);
    await bad('from=SBERRUB&to=BTC&amount=1&side=both', /side must be give or get/);
    await bad('from=SBERRUB&to=BTC&amount=1&limit=21', /limit must be at most 20/);
    await bad('from=SBERRUB&to=BTC&amount=1&city=Moscow', /city/);
    const unknown = await get<ErrorBody>('/v1/routes?from=NOSUCH&to=BTC&amount=1');
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toBe('unknown currency code NOSUCH');
  });

  it('is documented as it answers: the OpenAPI schema field for field, its errors, 304 and the limit', async () => {
    const doc = (await http<OpenApiDocument>(`${api.url}/docs-json`)).body;
    const operation = doc.paths['/v1/routes']!.get!;
    expect(operation.tags).toEqual(['routes']);
    expect(Object.keys(operation.responses).sort()).toEqual(['200', '304', '400', '404', '429', '503']);
    const schema = operation.responses['200']!.content!['application/json']!.schema;
    for (const url of [
      '/v1/routes?from=SBERRUB&to=BTC&amount=100000',
      '/v1/routes?from=SBERRUB&to=BTC&amount=0.01&side=get',
      '/v1/routes?from=XMR&to=PMUSD&amount=1',
    ]) {
      const answer = await http<Record<string, unknown>>(`${api.url}${url}`);
      expect(answer.status, url).toBe(200);
      expect(mismatches(doc, schema, answer.body), url).toEqual([]);
      const again = await http(`${api.url}${url}`, { headers: { 'if-none-match': answer.headers.get('etag')! } });
      expect(again.status, url).toBe(304);
    }
  });

  it('answers empty lists for a direction nobody serves in any way', async () => {
    const answer = await get<RoutesBody>('/v1/routes?from=XMR&to=PMUSD&amount=1');
    expect(answer.status).toBe(200);
    expect([answer.body.direct, answer.body.routes, answer.body.intermediates]).toEqual([[], [], []]);
  });
});
