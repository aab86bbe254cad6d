import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@app/config';
import { HousekeepingService } from '@app/background';
import { FeedPollService, HistoryRecorder } from '@app/ingestion';
import { RunningApi, startApi } from '../../apps/api/src/bootstrap';
import { ClickRecorder } from '../../apps/api/src/public/go/click-recorder.service';
import { FeedServer } from '../support/feed-server';
import { http } from '../support/http';
import { createTestDatabase, TestDatabase } from '../support/services';

const fixture = (name: string) => readFileSync(join(__dirname, '../fixtures/feeds', name), 'utf8');
const item = (from: string, to: string, out: string, extra = '') =>
  `<item><from>${from}</from><to>${to}</to><in>1</in><out>${out}</out>${extra}</item>`;
const rates = (...items: string[]) => `<rates>${items.join('')}</rates>`;

interface RatesBody {
  from: string;
  to: string;
  city: string | null;
  amount: string | null;
  side: string;
  items: Array<{
    exchanger: { slug: string };
    rate: string;
    reserve: string | null;
    give: string | null;
    get: string | null;
    city: string | null;
    flags: string[];
    goUrl: string;
    updatedAt: string;
  }>;
}

/** The public API of API.md over HTTP: standalone mode on the machine's PostgreSQL. */
describe('public API', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let client: Client;
  const feeds = new FeedServer();
  const feedIds = new Map<string, number>();

  const poll = async (slug: string) => {
    const outcome = await api.app.get(FeedPollService).poll(feedIds.get(slug)!, 'manual');
    expect(outcome.status === 'ok' || outcome.status === 'maintenance' || outcome.status === 'unchanged').toBe(true);
  };
  const get = <T>(path: string, headers: Record<string, string> = {}) => http<T>(`${api.url}${path}`, { headers });

  async function addExchanger(slug: string, referralUrl: string, body: string): Promise<void> {
    feeds.serve(`/${slug}.xml`, { body });
    const { rows } = await client.query<{ id: number }>(
      `WITH e AS (INSERT INTO exchangers (slug, name, site_url, referral_url) VALUES ($1::text, initcap($1::text), 'https://' || $1 || '.example', $2) RETURNING id)
       INSERT INTO feeds (exchanger_id, url, interval_s, stale_after_s) SELECT id, $3, 30, 300 FROM e RETURNING id`,
      [slug, referralUrl, feeds.url(`/${slug}.xml`)],
    );
    feedIds.set(slug, rows[0]!.id);
    await poll(slug);
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
        PUBLIC_CACHE_SECONDS: '30',
        PUBLIC_RATE_LIMIT: '0',
      }),
    );
    client = new Client({ connectionString: db.url });
    await client.connect();
    await addExchanger('aura', 'https://aura.example/?rid=42', fixture('standard.xml'));
    await addExchanger(
      'bitok',
      'https://bitok.example/ref/abc/?cur_from=XXX&lang=ru',
      rates(
        item(
          'BTC',
          'SBERRUB',
          '6900000',
          '<amount>10000000</amount><minamount>0.01 BTC</minamount><tofee>1 %</tofee><param>manual, verifying</param>',
        ),
        item('USDTTRC20', 'CASHUSD', '0.99', '<amount>100000</amount><city>MSK, SPB</city>'),
      ),
    );
    await addExchanger(
      'cheap',
      'https://cheap.example/?r=1',
      rates(item('BTC', 'SBERRUB', '6800000', '<amount>500</amount>')),
    );
  });

  afterAll(async () => {
    await api?.close();
    await client?.end();
    await feeds.stop();
    await db?.drop();
  });

  describe('GET /v1/rates', () => {
    it('ranks the exchangers of a direction by rate, with decimals as strings', async () => {
      const answer = await get<RatesBody>('/v1/rates?from=BTC&to=SBERRUB');
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ from: 'BTC', to: 'SBERRUB', city: null, amount: null, side: 'give' });
      expect(answer.body.items.map((i) => [i.exchanger.slug, i.rate])).toEqual([
        ['bitok', '6900000'],
        ['aura', '6850000.5'],
        ['cheap', '6800000'],
      ]);
      expect(answer.body.items[1]).toMatchObject({
        reserve: '12500000',
        fromMin: '0.002',
        fromMax: '1.5',
        goUrl: '/go/aura?from=BTC&to=SBERRUB',
      });
    });

    it('computes what the visitor gets for an amount, fees included, and leaves out offers that cannot serve it', async () => {
      const answer = await get<RatesBody>('/v1/rates?from=btc&to=sberrub&amount=0.5');
      // bitok: 0.5 × 6900000 − 1 % = 3415500; aura: 0.5 × 6850000.5 = 3425000.25; cheap: reserve 500 too small
      expect(answer.body.items.map((i) => [i.exchanger.slug, i.get])).toEqual([
        ['aura', '3425000.25'],
        ['bitok', '3415500'],
      ]);
      expect(answer.body.amount).toBe('0.5');
    });

    it('computes what the visitor must give for side=get', async () => {
      const answer = await get<RatesBody>('/v1/rates?from=BTC&to=SBERRUB&amount=3425000.25&side=get');
      expect(answer.body.items[0]).toMatchObject({ exchanger: { slug: 'aura' }, give: '0.5' });
    });

    it('drops offers below their minimum or beyond their reserve', async () => {
      // bitok's minimum is 0.01 BTC; cheap's reserve is 500 RUB
      const answer = await get<RatesBody>('/v1/rates?from=BTC&to=SBERRUB&amount=0.005');
      expect(answer.body.items.map((i) => i.exchanger.slug)).toEqual(['aura']);
    });

    it('hides flags on request', async () => {
      const answer = await get<RatesBody>('/v1/rates?from=BTC&to=SBERRUB&exclude=verifying');
      expect(answer.body.items.map((i) => i.exchanger.slug)).toEqual(['aura', 'cheap']);
    });

    it('lists every city of a cash direction, or one city when asked', async () => {
      const all = await get<RatesBody>('/v1/rates?from=USDTTRC20&to=CASHUSD');
      expect(all.body.items.map((i) => `${i.exchanger.slug}:${i.city}`).sort()).toEqual([
        'aura:MSK',
        'bitok:MSK',
        'bitok:SPB',
      ]);
      const spb = await get<RatesBody>('/v1/rates?from=USDTTRC20&to=CASHUSD&city=spb');
      expect(spb.body.items.map((i) => i.city)).toEqual(['SPB']);
      expect(spb.body.items[0]?.goUrl).toBe('/go/bitok?from=USDTTRC20&to=CASHUSD&city=SPB');
    });

    it('limits the number of rows', async () => {
      expect((await get<RatesBody>('/v1/rates?from=BTC&to=SBERRUB&limit=1')).body.items).toHaveLength(1);
    });

    it.each([
      ['/v1/rates?from=BTC', 400, /to must be a currency code/],
      ['/v1/rates?from=BTC&to=SBERRUB&amount=-1', 400, /amount must be a positive decimal/],
      ['/v1/rates?from=BTC&to=SBERRUB&amount=1e5', 400, /amount must be a positive decimal/],
      ['/v1/rates?from=BTC&to=SBERRUB&amount=0', 400, /amount must be a positive decimal/],
      ['/v1/rates?from=BTC&to=SBERRUB&side=both', 400, /side must be give or get/],
      ['/v1/rates?from=BTC&to=SBERRUB&limit=501', 400, /limit must be at most 500/],
      ["/v1/rates?from=BTC'%20OR%201=1--&to=SBERRUB", 400, /from must be a currency code/],
      ['/v1/rates?from=NOPE&to=SBERRUB', 404, /unknown currency code NOPE/],
    ])('%s → %i', async (path, status, message) => {
      const answer = await get<{ message: string | string[] }>(path);
      expect(answer.status).toBe(status);
      expect(String(answer.body.message)).toMatch(message);
    });

    it('sends Cache-Control and a strong ETag, and 304 on If-None-Match', async () => {
      const first = await get('/v1/rates?from=BTC&to=SBERRUB');
      expect(first.headers.get('cache-control')).toBe('public, max-age=30');
      const etag = first.headers.get('etag')!;
      expect(etag).toMatch(/^"[\w-]+"$/);
      const again = await get('/v1/rates?from=BTC&to=SBERRUB', { 'if-none-match': etag });
      expect(again.status).toBe(304);
      expect(again.text).toBe('');
      // Weak comparison (RFC 9110): the weakened tag a compressing proxy passed on, or *, is a hit too.
      for (const match of [`W/${etag}`, `"stale", W/${etag}`, '*'])
        expect((await get('/v1/rates?from=BTC&to=SBERRUB', { 'if-none-match': match })).status).toBe(304);
      expect((await get('/v1/rates?from=BTC&to=SBERRUB', { 'if-none-match': '"stale"' })).status).toBe(200);
    });

    it('shows a snapshot change on the next request despite the cache', async () => {
      await get('/v1/rates?from=BTC&to=SBERRUB'); // cached for 30 s
      feeds.serve('/cheap.xml', { body: rates(item('BTC', 'SBERRUB', '7000000', '<amount>9000000</amount>')) });
      await poll('cheap');
      const answer = await get<RatesBody>('/v1/rates?from=BTC&to=SBERRUB');
      expect(answer.body.items[0]).toMatchObject({ exchanger: { slug: 'cheap' }, rate: '7000000' });
    });

    it('hides an exchanger at once when its feed goes into maintenance', async () => {
      await get('/v1/rates?from=BTC&to=SBERRUB');
      feeds.serve('/cheap.xml', { body: fixture('maintenance-ru.xml') });
      await poll('cheap');
      const answer = await get<RatesBody>('/v1/rates?from=BTC&to=SBERRUB');
      expect(answer.body.items.map((i) => i.exchanger.slug)).not.toContain('cheap');
    });

    it('shows it again at once when the maintenance ends, though none of its offers changed meanwhile', async () => {
      // The body from before the maintenance: the stored offers are the same, no direction is written.
      feeds.serve('/cheap.xml', { body: rates(item('BTC', 'SBERRUB', '7000000', '<amount>9000000</amount>')) });
      await poll('cheap');
      const answer = await get<RatesBody>('/v1/rates?from=BTC&to=SBERRUB');
      expect(answer.body.items[0]).toMatchObject({ exchanger: { slug: 'cheap' }, rate: '7000000' });
      // In maintenance again, as the tests below expect it.
      feeds.serve('/cheap.xml', { body: fixture('maintenance-ru.xml') });
      await poll('cheap');
    });

    it("drops a stale feed's offers", async () => {
      await client.query(`UPDATE feeds SET last_success_at = now() - interval '1 hour' WHERE id = $1`, [
        feedIds.get('bitok'),
      ]);
      // No snapshot change is announced for staleness: it shows once the cached answer expires (another query here).
      const answer = await get<RatesBody>('/v1/rates?from=BTC&to=SBERRUB&limit=50');
      expect(answer.body.items.map((i) => i.exchanger.slug)).toEqual(['aura']);
      await client.query(`UPDATE feeds SET last_success_at = now() WHERE id = $1`, [feedIds.get('bitok')]);
    });
  });

  describe('GET /v1/rates/history', () => {
    it('gives the best rate the polls recorded (hours, the older shorthand), and refuses what it cannot answer', async () => {
      await api.app.get(HistoryRecorder).drain(); // what the polls marked, recorded now rather than within a second
      const history = await get<{ resolution: string; points: Array<{ at: string; close: string; high: string }> }>(
        '/v1/rates/history?from=pmusd&to=btc&hours=2',
      );
      expect(history.status).toBe(200);
      expect(history.body.resolution).toBe('minute');
      const best = (await get<RatesBody>('/v1/rates?from=PMUSD&to=BTC')).body.items[0]!.rate;
      expect(history.body.points.at(-1)!.close).toBe(best);
      expect(Date.parse(history.body.points.at(-1)!.at) % 60_000).toBe(0);
      expect((await get<{ points: unknown[] }>('/v1/rates/history?from=BTC&to=PMUSD')).body.points).toEqual([]);
      expect((await get('/v1/rates/history?from=PMUSD&to=BTC&hours=100')).status).toBe(400);
      expect((await get('/v1/rates/history?from=NOPE&to=BTC')).status).toBe(404);
    });
  });

  describe('GET /v1/directions, /v1/exchangers, /v1/currencies', () => {
    it('lists directions with counts and best rates', async () => {
      const answer = await get<{ items: Array<{ from: string; to: string; offers: number; bestRate: string }> }>(
        '/v1/directions?from=BTC',
      );
      expect(answer.body.items.find((d) => d.to === 'SBERRUB')).toEqual({
        from: 'BTC',
        to: 'SBERRUB',
        offers: 2,
        bestRate: '6900000',
      });
      expect(answer.body.items.every((d) => d.from === 'BTC')).toBe(true);
      expect((await get('/v1/directions?from=NOPE')).status).toBe(404);
      expect((await get('/v1/directions?from=a;b')).status).toBe(400);
    });

    it('lists active exchangers and one with its directions', async () => {
      const list = await get<{ items: Array<{ slug: string; offers: number; fresh: boolean }> }>('/v1/exchangers');
      expect(list.body.items.find((e) => e.slug === 'aura')).toMatchObject({ offers: 8, fresh: true });
      const one = await get<{
        slug: string;
        directions: Array<{ from: string; to: string; city: string | null; rate: string }>;
      }>('/v1/exchangers/bitok');
      expect(one.body.directions).toHaveLength(3);
      expect(one.body.directions).toContainEqual({ from: 'USDTTRC20', to: 'CASHUSD', city: 'SPB', rate: '0.99' });
      expect((await get('/v1/exchangers/nobody')).status).toBe(404);
      expect((await get('/v1/exchangers/..%2f..%2fetc')).status).toBe(404);
    });

    it('counts offers per currency', async () => {
      const answer = await get<{ items: Array<{ code: string; offers: number }> }>('/v1/currencies?withOffers=true');
      expect(answer.body.items.find((c) => c.code === 'CASHUSD')?.offers).toBe(3);
    });
  });

  describe('GET /go/:slug', () => {
    it('redirects to the registered referral URL with cur_from and cur_to', async () => {
      const answer = await get('/go/aura?from=BTC&to=SBERRUB');
      expect(answer.status).toBe(302);
      expect(answer.headers.get('location')).toBe('https://aura.example/?rid=42&cur_from=BTC&cur_to=SBERRUB');
      const replaced = await get('/go/bitok?from=usdttrc20&to=cashusd&city=msk');
      expect(replaced.headers.get('location')).toBe(
        'https://bitok.example/ref/abc/?lang=ru&cur_from=USDTTRC20&cur_to=CASHUSD&city=MSK',
      );
    });

    it.each([
      ['/go/aura?from=https://evil.example/&to=BTC', 400],
      ['/go/aura?from=BTC&to=%0d%0aLocation:%20https://evil.example', 400],
      ['/go/aura?from=BTC&to=//evil.example', 400],
      ['/go/aura?from=BTC&to=SBERRUB&city=%2F%2Fevil.example', 400],
      ['/go/aura?from=BTC&to=NOPE', 404],
      ['/go/aura?from=BTC', 400],
      ['/go/aura?from=BTC&from=ETH&to=SBERRUB', 400],
      ['/go/https%3A%2F%2Fevil.example?from=BTC&to=SBERRUB', 404],
      ['/go/nobody?from=BTC&to=SBERRUB', 404],
    ])('%s → %i and never a redirect elsewhere', async (path, status) => {
      const answer = await get(path);
      expect(answer.status).toBe(status);
      expect(answer.headers.get('location')).toBeNull();
    });

    it('answers 404 for a paused exchanger', async () => {
      await client.query(`UPDATE exchangers SET status = 'paused' WHERE slug = 'cheap'`);
      expect((await get('/go/cheap?from=BTC&to=SBERRUB')).status).toBe(404);
      await client.query(`UPDATE exchangers SET status = 'active' WHERE slug = 'cheap'`);
    });

    it('counts a click once per visitor and direction a day, never a bot, never storing the IP', async () => {
      await api.app.get(ClickRecorder).flush();
      await client.query(`DELETE FROM clicks`);
      const browser = {
        'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0',
        referer: 'https://monitor.example/btc-to-sberbank',
      };
      for (let i = 0; i < 5; i++) expect((await get('/go/aura?from=BTC&to=SBERRUB', browser)).status).toBe(302);
      await get('/go/aura?from=BTC&to=ETH', browser);
      await get('/go/aura?from=BTC&to=SBERRUB', { 'user-agent': 'Googlebot/2.1 (+http://www.google.com/bot.html)' });
      await api.app.get(ClickRecorder).flush();
      const { rows } = await client.query<{
        to_code: string;
        is_unique: boolean;
        is_bot: boolean;
        referrer: string | null;
        visitor_hash: string;
      }>(`SELECT to_code, is_unique, is_bot, referrer, visitor_hash FROM clicks ORDER BY id`);
      expect(rows).toHaveLength(7);
      expect(
        rows
          .filter((r) => r.is_unique)
          .map((r) => r.to_code)
          .sort(),
      ).toEqual(['ETH', 'SBERRUB']);
      expect(rows.find((r) => r.is_bot)?.is_unique).toBe(false);
      expect(rows[0]?.referrer).toBe('https://monitor.example/btc-to-sberbank');
      expect(rows[0]?.visitor_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(rows)).not.toContain('127.0.0.1');
    });
  });
});

describe('public API rate limiting', () => {
  it('answers 429 with Retry-After past the per-IP limit', async () => {
    const db = await createTestDatabase();
    const api = await startApi(
      loadConfig({ DATABASE_URL: db.url, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', PUBLIC_RATE_LIMIT: '3' }),
    );
    try {
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 5; i++) {
        const answer = await http(`${api.url}/v1/currencies`);
        statuses.push(answer.status);
        if (answer.status === 429) retryAfter = answer.headers.get('retry-after');
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      expect(Number(retryAfter)).toBeGreaterThan(0);
      expect((await http(`${api.url}/health/ready`)).status).toBe(200);
    } finally {
      await api.close();
      await db.drop();
    }
  });

  it('ignores X-Forwarded-For unless TRUST_PROXY names the proxy: a rotating header does not escape the limit', async () => {
    const db = await createTestDatabase();
    const start = (trustProxy?: string) =>
      startApi(
        loadConfig({
          HISTORY_RECORDING: 'true',
          DATABASE_URL: db.url,
          PORT: '0',
          HOST: '127.0.0.1',
          LOG_LEVEL: 'silent',
          PUBLIC_RATE_LIMIT: '3',
          ...(trustProxy ? { TRUST_PROXY: trustProxy } : {}),
        }),
      );
    const statusesWith = async (url: string, forwardedFor: (i: number) => string) => {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++)
        statuses.push((await http(`${url}/v1/currencies`, { headers: { 'x-forwarded-for': forwardedFor(i) } })).status);
      return statuses;
    };
    let api = await start();
    try {
      // Off by default: the socket's address is the client, whatever the header claims.
      expect(await statusesWith(api.url, (i) => `198.51.100.${i}`)).toEqual([200, 200, 200, 429, 429]);
      await api.close();
      // Behind a proxy on loopback: the address it forwards is the client; a spoofed hop before it is not.
      api = await start('loopback');
      expect(await statusesWith(api.url, (i) => `198.51.100.${i}`)).toEqual([200, 200, 200, 200, 200]);
      expect(await statusesWith(api.url, (i) => `10.9.9.${i}, 192.0.2.7`)).toEqual([200, 200, 200, 429, 429]);
    } finally {
      await api.close();
      await db.drop();
    }
  });
});

describe('the rate guard over HTTP', () => {
  it('never shows a held offer: not in /v1/rates (with or without an amount), /v1/directions, an exchanger page or the history; the operator sees it', async () => {
    const db = await createTestDatabase();
    const feeds = new FeedServer();
    await feeds.start();
    const api = await startApi(
      loadConfig({
        HISTORY_RECORDING: 'true',
        DATABASE_URL: db.url,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
        FETCH_ALLOW_PRIVATE: 'true',
        PUBLIC_RATE_LIMIT: '0',
        ADMIN_API_KEY: 'guard-admin-key-0123456789abcdef0123456789',
      }),
    );
    const client = new Client({ connectionString: db.url });
    await client.connect();
    const get = <T>(path: string, headers: Record<string, string> = {}) => http<T>(`${api.url}${path}`, { headers });
    try {
      const publish = async (slug: string, out: string) => {
        feeds.serve(`/${slug}.xml`, { body: rates(item('BTC', 'SBERRUB', out, '<amount>100000000</amount>')) });
        let feedId = (
          await client.query<{ id: number }>(`SELECT id FROM feeds WHERE url = $1`, [feeds.url(`/${slug}.xml`)])
        ).rows[0]?.id;
        if (feedId === undefined) {
          const { rows } = await client.query<{ id: number }>(
            `WITH e AS (INSERT INTO exchangers (slug, name, site_url, referral_url) VALUES ($1::text, $1::text, 'https://' || $1 || '.example', 'https://' || $1 || '.example/?r=1') RETURNING id)
             INSERT INTO feeds (exchanger_id, url, interval_s) SELECT id, $2, 3600 FROM e RETURNING id`,
            [slug, feeds.url(`/${slug}.xml`)],
          );
          feedId = rows[0]!.id;
        }
        return api.app.get(FeedPollService).poll(feedId, 'manual');
      };
      for (const [slug, out] of [
        ['one', '6850000'],
        ['two', '6843000'],
        ['three', '6861000'],
        ['four', '6838000'],
      ] as const)
        await publish(slug, out);
      await api.app.get(HousekeepingService).refreshReferences();

      const typo = await publish('typo', '6850000000');
      expect(typo).toMatchObject({ status: 'ok', run: { quarantined: 1 } });
      const slugs = (body: RatesBody) => body.items.map((i) => i.exchanger.slug);
      expect(slugs((await get<RatesBody>('/v1/rates?from=BTC&to=SBERRUB')).body)).toEqual([
        'three',
        'one',
        'two',
        'four',
      ]);
      expect(slugs((await get<RatesBody>('/v1/rates?from=BTC&to=SBERRUB&amount=0.1')).body)).not.toContain('typo');
      const directions = await get<{ items: Array<{ from: string; to: string; offers: number; bestRate: string }> }>(
        '/v1/directions?from=BTC',
      );
      expect(directions.body.items.find((d) => d.to === 'SBERRUB')).toMatchObject({ offers: 4, bestRate: '6861000' });
      const page = await get<{ directions?: unknown[] }>('/v1/exchangers/typo');
      expect(JSON.stringify(page.body)).not.toContain('6850000000');
      await api.app.get(HistoryRecorder).drain();
      const history = await get<{ points: Array<{ high: string }> }>('/v1/rates/history?from=BTC&to=SBERRUB&hours=1');
      expect(history.body.points.map((p) => p.high)).toContain('6861000');
      expect(history.body.points.map((p) => p.high)).not.toContain('6850000000');

      const held = await get<{ items: Array<Record<string, unknown>>; flagged: Array<Record<string, unknown>> }>(
        '/v1/admin/quarantine',
        { authorization: 'Bearer guard-admin-key-0123456789abcdef0123456789' },
      );
      expect(held.body.items).toEqual([
        expect.objectContaining({ exchanger: 'typo', rate: '6850000000', reason: 'too_good', reference: '6843000' }),
      ]);
      expect(held.body.flagged).toEqual([expect.objectContaining({ exchanger: 'typo', quarantined: 1, offers: 1 })]);

      // Corrected on the next poll: shown at once (the answer cache follows the change).
      await publish('typo', '6870000');
      expect(slugs((await get<RatesBody>('/v1/rates?from=BTC&to=SBERRUB')).body)[0]).toBe('typo');
    } finally {
      await api.close();
      await client.end();
      await feeds.stop();
      await db.drop();
    }
  });
});
