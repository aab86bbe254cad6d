import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@app/config';
import { FeedPollService } from '@app/ingestion';
import { RunningApi, startApi } from '../../apps/api/src/bootstrap';
import { FeedServer } from '../support/feed-server';
import { http } from '../support/http';
import { createTestDatabase, TestDatabase } from '../support/services';

const item = (from: string, to: string, out: string, extra = '') =>
  `<item><from>${from}</from><to>${to}</to><in>1</in><out>${out}</out><amount>100000</amount>${extra}</item>`;
const rates = (...items: string[]) => `<rates>${items.join('')}</rates>`;

interface Names {
  en: string;
  ru: string;
}
interface Currency {
  code: string;
  name: Names;
  displayName: string;
  urlName: string;
  unit: string;
  precision: number;
  ticker: string;
  iso: string;
  kind: string;
  offers: number;
}
interface Counterpart {
  code: string;
  displayName: string;
  urlName: string;
  offers: number;
}
interface City {
  code: string;
  name: Names;
  displayName: string;
  country: string | null;
  offers: number;
}
interface ErrorBody {
  statusCode: number;
  message: string;
}

/** The catalog for people (issue 17) over HTTP: names, url names, units, cities, `lang`, `city` spellings. */
describe('catalog for people', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let client: Client;
  const feeds = new FeedServer();

  const get = <T>(path: string, headers: Record<string, string> = {}) => http<T>(`${api.url}${path}`, { headers });

  async function addExchanger(slug: string, body: string): Promise<void> {
    feeds.serve(`/${slug}.xml`, { body });
    const { rows } = await client.query<{ id: number }>(
      `WITH e AS (INSERT INTO exchangers (slug, name, site_url, referral_url) VALUES ($1::text, initcap($1::text), 'https://' || $1 || '.example', 'https://' || $1 || '.example/?rid=1') RETURNING id)
       INSERT INTO feeds (exchanger_id, url, interval_s, stale_after_s) SELECT id, $2, 30, 300 FROM e RETURNING id`,
      [slug, feeds.url(`/${slug}.xml`)],
    );
    const outcome = await api.app.get(FeedPollService).poll(rows[0]!.id, 'manual');
    expect(outcome.status).toBe('ok');
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    await feeds.start();
    api = await startApi(
      loadConfig({
        HISTORY_RECORDING: 'true',
        DATABASE_URL: db.url,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
        FETCH_ALLOW_PRIVATE: 'true',
        PUBLIC_RATE_LIMIT: '0',
      }),
    );
    client = new Client({ connectionString: db.url });
    await client.connect();
    // One feed writes its cities by code, the other by name: both are stored under the codes.
    await addExchanger(
      'aura',
      rates(
        item('BTC', 'SBERRUB', '6900000'),
        item('SBERRUB', 'BTC', '0.000000146'),
        item('USDTTRC20', 'CASHRUB', '95.1', '<city>MSK,SPB</city>'),
      ),
    );
    await addExchanger(
      'bitok',
      rates(
        item('BTC', 'TCSBRUB', '6850000'),
        item('USDTTRC20', 'CASHRUB', '95.4', '<city>Moscow, ST.PETERSBURG</city>'),
      ),
    );
  });

  afterAll(async () => {
    await api?.close();
    await client?.end();
    await feeds.stop();
    await db?.drop();
  });

  describe('GET /v1/currencies', () => {
    it('gives English names, units and url names for all 322 codes with lang=en', async () => {
      const answer = await get<{ items: Currency[] }>('/v1/currencies?lang=en');
      expect(answer.status).toBe(200);
      expect(answer.body.items).toHaveLength(322);
      for (const c of answer.body.items) {
        expect(c.displayName, c.code).toBe(c.name.en);
        expect(c.name.en, c.code).not.toMatch(/[\u0400-\u04ff]/);
        expect(c.urlName, c.code).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
        expect(c.unit, c.code).toMatch(/^[A-Za-z0-9]{1,16}$/);
        expect(Number.isInteger(c.precision), c.code).toBe(true);
      }
      expect(new Set(answer.body.items.map((c) => c.urlName)).size).toBe(322);
      const of = (code: string) => answer.body.items.find((c) => c.code === code);
      expect(of('SBERRUB')).toMatchObject({
        name: { en: 'Sberbank RUB', ru: 'Сбербанк RUB' },
        urlName: 'sberbank-rub',
        unit: 'RUB',
        precision: 2,
        ticker: 'RUB',
        iso: 'RUB',
        kind: 'online_banking',
      });
      expect(of('CASHUSD')).toMatchObject({ displayName: 'Cash USD', unit: 'USD' });
      expect(of('USDTTRC20')).toMatchObject({ unit: 'USDT', precision: 6, urlName: 'tether-trc20' });
      expect(of('BTC')).toMatchObject({ unit: 'BTC', precision: 8, offers: 3 });
    });

    it('shows Russian names for lang=ru or an Accept-Language that prefers Russian, and says it varies', async () => {
      const ru = await get<{ items: Currency[] }>('/v1/currencies?lang=ru&withOffers=true');
      expect(ru.body.items.find((c) => c.code === 'SBERRUB')?.displayName).toBe('Сбербанк RUB');
      const header = await get<{ items: Currency[] }>('/v1/currencies?withOffers=true', {
        'accept-language': 'ru-RU,ru;q=0.9,en;q=0.8',
      });
      expect(header.body.items.find((c) => c.code === 'CASHRUB')?.displayName).toBe('Наличные RUB');
      expect(header.headers.get('vary')).toMatch(/accept-language/i);
      const english = await get<{ items: Currency[] }>('/v1/currencies?lang=en&withOffers=true', {
        'accept-language': 'ru',
      });
      expect(english.body.items.find((c) => c.code === 'CASHRUB')?.displayName).toBe('Cash RUB');
    });

    it('refuses a language it has no names in', async () => {
      const answer = await get<ErrorBody>('/v1/currencies?lang=de');
      expect(answer.status).toBe(400);
      expect(JSON.stringify(answer.body.message)).toContain('lang must be en or ru');
    });
  });

  describe('GET /v1/currencies/:code', () => {
    it('answers one currency by code or url name with the currencies it is exchanged to and from', async () => {
      const byCode = await get<Currency & { directionsFrom: Counterpart[]; directionsTo: Counterpart[] }>(
        '/v1/currencies/btc',
      );
      expect(byCode.status).toBe(200);
      expect(byCode.body).toMatchObject({ code: 'BTC', urlName: 'bitcoin', unit: 'BTC', offers: 3 });
      expect(byCode.body.directionsFrom.map((c) => [c.code, c.offers, c.displayName])).toEqual([
        ['SBERRUB', 1, 'Sberbank RUB'],
        ['TCSBRUB', 1, 'T-Bank RUB'],
      ]);
      expect(byCode.body.directionsTo.map((c) => [c.code, c.urlName])).toEqual([['SBERRUB', 'sberbank-rub']]);

      const byUrl = await get<Currency & { directionsFrom: Counterpart[] }>('/v1/currencies/sberbank-rub?lang=ru');
      expect(byUrl.body).toMatchObject({ code: 'SBERRUB', displayName: 'Сбербанк RUB' });
      expect(byUrl.body.directionsFrom.map((c) => [c.code, c.displayName])).toEqual([['BTC', 'Bitcoin (BTC)']]);

      const cash = await get<Currency & { directionsFrom: Counterpart[] }>('/v1/currencies/USDTTRC20');
      expect(cash.body.directionsFrom).toEqual([expect.objectContaining({ code: 'CASHRUB', offers: 4 })]);
    });

    it('answers 404 for a currency it does not have, pointing at the list', async () => {
      for (const path of [
        '/v1/currencies/NOPE',
        '/v1/currencies/no-such-thing',
        '/v1/currencies/%D0%B1%D0%B0%D0%BD%D0%BA',
        '/v1/currencies/%00',
        `/v1/currencies/${'x'.repeat(100)}`,
      ]) {
        const answer = await get<ErrorBody>(path);
        expect(answer.status, path).toBe(404);
        expect(answer.body.message, path).toContain('GET /v1/currencies lists them');
      }
    });
  });

  describe('GET /v1/cities', () => {
    it('lists the seeded cities with names and shown offers, a feed’s city names counted under their codes', async () => {
      const answer = await get<{ items: City[] }>('/v1/cities');
      expect(answer.status).toBe(200);
      expect(answer.body.items.length).toBeGreaterThanOrEqual(40);
      const of = (code: string) => answer.body.items.find((c) => c.code === code);
      expect(of('MSK')).toEqual({
        code: 'MSK',
        name: { en: 'Moscow', ru: 'Москва' },
        displayName: 'Moscow',
        country: 'RU',
        offers: 2,
      });
      expect(of('SPB')).toMatchObject({ displayName: 'Saint Petersburg', offers: 2 });
      expect(of('KZN')).toMatchObject({ offers: 0 });
      expect(answer.body.items.map((c) => c.code)).toEqual([...answer.body.items.map((c) => c.code)].sort());
      const ru = await get<{ items: City[] }>('/v1/cities', { 'accept-language': 'ru' });
      expect(ru.body.items.find((c) => c.code === 'SPB')?.displayName).toBe('Санкт-Петербург');
    });
  });

  describe('city parameters', () => {
    it('finds a feed’s offers written as Moscow under MSK', async () => {
      const answer = await get<{ city: string; items: Array<{ exchanger: { slug: string }; city: string }> }>(
        '/v1/rates?from=USDTTRC20&to=CASHRUB&city=msk',
      );
      expect(answer.status).toBe(200);
      expect(answer.body.city).toBe('MSK');
      expect(answer.body.items.map((i) => [i.exchanger.slug, i.city])).toEqual([
        ['bitok', 'MSK'],
        ['aura', 'MSK'],
      ]);
    });

    it('answers city=Moscow with a 400 naming MSK, and an unknown city with a 400 pointing at the list', async () => {
      const moscow = await get<ErrorBody>('/v1/rates?from=USDTTRC20&to=CASHRUB&city=Moscow');
      expect(moscow.status).toBe(400);
      expect(moscow.body.message).toMatch(
        /city MOSCOW is not a city code: did you mean MSK\? GET \/v1\/cities lists them/i,
      );
      const unknown = await get<ErrorBody>('/v1/rates?from=USDTTRC20&to=CASHRUB&city=ATLANTIS');
      expect(unknown.status).toBe(400);
      expect(unknown.body.message).toBe('unknown city ATLANTIS: GET /v1/cities lists the city codes');
      const history = await get<ErrorBody>('/v1/rates/history?from=USDTTRC20&to=CASHRUB&city=KRD');
      expect(history.status).toBe(400);
      expect(history.body.message).toContain('did you mean KRASNODAR?');
    });

    it('sends a click to the city code, refusing another name of it with the code to use', async () => {
      const go = await get('/go/aura?from=USDTTRC20&to=CASHRUB&city=spb');
      expect(go.status).toBe(302);
      expect(go.headers.get('location')).toContain('city=SPB');
      const moscow = await get<ErrorBody>(`/go/aura?from=USDTTRC20&to=CASHRUB&city=${encodeURIComponent('Москва')}`);
      expect(moscow.status).toBe(400);
      expect(moscow.body.message).toContain('did you mean MSK?');
      // A code the catalog does not list yet still reaches the exchanger (its offers' goUrls carry it).
      expect((await get('/go/aura?from=USDTTRC20&to=CASHRUB&city=UFA2')).status).toBe(302);
      expect((await get('/go/aura?from=USDTTRC20&to=CASHRUB&city=%2F%2Fevil.example')).status).toBe(400);
    });
  });
});
