import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@app/config';
import { ApiKeysRepository } from '@app/database';
import { FeedPollService } from '@app/ingestion';
import { RunningApi, startApi } from '../../apps/api/src/bootstrap';
import type { ApiErrorBody } from '../../apps/api/src/common/api-error.dto';
import { FeedServer } from '../support/feed-server';
import { http, HttpAnswer } from '../support/http';
import { createTestDatabase, TestDatabase } from '../support/services';

const ADMIN_KEY = 'contract-bootstrap-key-0123456789abcdefghijklmnop';

const item = (from: string, to: string, out: string, extra = '') =>
  `<item><from>${from}</from><to>${to}</to><in>1</in><out>${out}</out><amount>1000000</amount>${extra}</item>`;
const rates = (items: string[]) => `<rates>${items.join('')}</rates>`;

/** Alpha's directions (market-like rates, so the rate guard shows them all), by key. */
const ALPHA: Record<string, string> = {
  'BTC>ETH': item('BTC', 'ETH', '29.5'),
  'BTC>LTC': item('BTC', 'LTC', '930', '<param>manual</param>'),
  'BTC>SBERRUB': item('BTC', 'SBERRUB', '6800000'),
  'DOGE>BTC': item('DOGE', 'BTC', '0.000002'),
  'ETH>BTC': item('ETH', 'BTC', '0.0332'),
  'LTC>BTC': item('LTC', 'BTC', '0.00105'),
  'USDTTRC20>SBERRUB': item('USDTTRC20', 'SBERRUB', '90'),
  'XMR>BTC': item('XMR', 'BTC', '0.00198'),
};
const BETA = [item('BTC', 'SBERRUB', '6810000'), item('TRX', 'BTC', '0.0000033')];

interface Direction {
  from: string;
  to: string;
  offers: number;
  bestRate: string;
}
interface DirectionsPage {
  items: Direction[];
  nextCursor: string | null;
}

/** The API's contract beyond single endpoints: one error shape, the request rules, paging of directions. */
describe('API contract', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let client: Client;
  const feeds = new FeedServer();
  const feedIds = new Map<string, number>();
  /** Each request comes from its own address (TRUST_PROXY=loopback), so only the rate-limit test meets the limit. */
  let visitor = 0;
  const from = () => `10.${(++visitor >> 16) & 255}.${(visitor >> 8) & 255}.${visitor & 255}`;

  const request = <T = ApiErrorBody>(path: string, init: RequestInit = {}): Promise<HttpAnswer<T>> =>
    http<T>(`${api.url}${path}`, { ...init, headers: { 'x-forwarded-for': from(), ...init.headers } });
  const get = <T = ApiErrorBody>(path: string, headers: Record<string, string> = {}) => request<T>(path, { headers });
  const admin = (path: string, init: RequestInit = {}) =>
    request(path, { ...init, headers: { authorization: `Bearer ${ADMIN_KEY}`, ...init.headers } });

  const serveAlpha = (keys: string[]) => feeds.serve('/alpha.xml', { body: rates(keys.map((k) => ALPHA[k]!)) });
  const poll = async (slug: string) => {
    const outcome = await api.app.get(FeedPollService).poll(feedIds.get(slug)!, 'manual');
    expect(outcome.status).toBe('ok');
  };

  /** The answer is an error of the one shape: statusCode, error, a string message, details only as listed. */
  function expectError(answer: HttpAnswer<unknown>, status: number, message: RegExp): ApiErrorBody {
    expect(answer.status).toBe(status);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    const body = answer.body as ApiErrorBody;
    expect(Object.keys(body).sort()).toEqual(
      body.details ? ['details', 'error', 'message', 'statusCode'] : ['error', 'message', 'statusCode'],
    );
    expect(body.statusCode).toBe(status);
    expect(typeof body.error).toBe('string');
    expect(body.error.length).toBeGreaterThan(0);
    expect(typeof body.message).toBe('string');
    expect(body.message).toMatch(message);
    for (const detail of body.details ?? []) expect(typeof detail.message).toBe('string');
    return body;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    await feeds.start();
    api = await startApi(
      loadConfig({
        HISTORY_RECORDING: 'true',
        DATABASE_URL: db.url,
        ADMIN_API_KEY: ADMIN_KEY,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
        FETCH_ALLOW_PRIVATE: 'true',
        PUBLIC_RATE_LIMIT: '3',
        TRUST_PROXY: 'loopback',
      }),
    );
    client = new Client({ connectionString: db.url });
    await client.connect();
    serveAlpha(Object.keys(ALPHA));
    feeds.serve('/beta.xml', { body: rates(BETA) });
    for (const slug of ['alpha', 'beta']) {
      const { rows } = await client.query<{ id: number }>(
        `WITH e AS (INSERT INTO exchangers (slug, name, site_url, referral_url)
                    VALUES ($1::text, initcap($1::text), 'https://' || $1 || '.example', 'https://' || $1 || '.example/?r=1') RETURNING id)
         INSERT INTO feeds (exchanger_id, url, interval_s, stale_after_s) SELECT id, $2, 30, 300 FROM e RETURNING id`,
        [slug, feeds.url(`/${slug}.xml`)],
      );
      feedIds.set(slug, rows[0]!.id);
      await poll(slug);
    }
  });

  afterAll(async () => {
    await api?.close();
    await client?.end();
    await feeds.stop();
    await db?.drop();
  });

  describe('one error shape', () => {
    it('validation: every problem in details with its field, all of them joined in message', async () => {
      const answer = await get('/v1/rates?from=BTC&to=SBERRUB&amount=-1&side=both');
      const body = expectError(answer, 400, /amount must be a positive decimal/);
      expect(body.details).toEqual([
        { field: 'amount', message: 'amount must be a positive decimal like 0.5 (digits and one dot)' },
        { field: 'side', message: 'side must be give or get' },
      ]);
      expect(body.message).toBe(body.details!.map((d) => d.message).join('; '));
      expect(body.error).toBe('Bad Request');
    });

    it('validation of a nested body names the nested field', async () => {
      const answer = await admin('/v1/admin/exchangers', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ slug: 'Bad Slug!', name: 'X', siteUrl: 'https://x.example', color: 'red' }),
      });
      const body = expectError(answer, 400, /slug must be/);
      expect(body.details?.map((d) => d.field)).toEqual(expect.arrayContaining(['slug', 'color']));
      expect(body.message).toContain('property color should not exist');
    });

    it('a body with thousands of problems: the first 50 in details, the rest counted in message', async () => {
      const fields = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`junk${i}`, i]));
      const answer = await admin('/v1/admin/exchangers', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ slug: 'ok', name: 'Ok', siteUrl: 'https://ok.example', ...fields }),
      });
      const body = expectError(answer, 400, /property junk0 should not exist; .*; and \d+ more$/);
      expect(body.details).toHaveLength(50);
      // 2,000 unknown fields and the two problems of the missing referralUrl.
      expect(Number(/and (\d+) more$/.exec(body.message)![1]) + 50).toBe(2002);
      expect(answer.text.length).toBeLessThan(10_000);
    });

    it('a single-field problem is one string too, with one detail', async () => {
      const body = expectError(
        await get('/v1/rates?from=BTC&to=SBERRUB&limit=501'),
        400,
        /^limit must be at most 500$/,
      );
      expect(body.details).toEqual([{ field: 'limit', message: 'limit must be at most 500' }]);
    });

    it('domain errors: unknown things 404, conflicts 409', async () => {
      expectError(await get('/v1/exchangers/nobody'), 404, /nobody/);
      const taken = await admin('/v1/admin/exchangers', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          slug: 'alpha',
          name: 'Alpha again',
          siteUrl: 'https://alpha2.example',
          referralUrl: 'https://alpha2.example/?r=1',
        }),
      });
      expectError(taken, 409, /alpha/);
    });

    it('malformed JSON: 400 in the same shape, saying the body is not JSON', async () => {
      const answer = await admin('/v1/admin/exchangers', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"slug": "x",',
      });
      expectError(answer, 400, /^the body is not valid JSON/);
      const empty = await admin('/v1/admin/exchangers', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '',
      });
      expectError(empty, 400, /body is empty/);
    });

    it('a route that does not exist: 404 naming it', async () => {
      expectError(await get('/v1/nothing-here?x=1'), 404, /^no such route: GET \/v1\/nothing-here/);
      expectError(await request('/v1/rates', { method: 'DELETE' }), 404, /no such route: DELETE \/v1\/rates/);
    });

    it('a body too large: 413 naming the limit', async () => {
      const answer = await admin('/v1/admin/feed-check', {
        method: 'POST',
        headers: { 'content-type': 'text/xml' },
        body: `<rates>${' '.repeat(1024 * 1024 + 1)}</rates>`,
      });
      const body = expectError(answer, 413, /too large: at most 1048576 bytes/);
      expect(body.error).toBe('Payload Too Large');
    });

    it('an unsupported media type: 415 naming it and what to send', async () => {
      const answer = await admin('/v1/admin/exchangers', {
        method: 'POST',
        headers: { 'content-type': 'image/png' },
        body: 'slug=x',
      });
      const body = expectError(answer, 415, /image\/png.*send application\/json/);
      expect(body.error).toBe('Unsupported Media Type');
    });

    it('the rate limit: 429 with Retry-After', async () => {
      const statuses: number[] = [];
      let last: HttpAnswer<unknown> | null = null;
      for (let i = 0; i < 4; i++) {
        last = await http(`${api.url}/v1/currencies`, { headers: { 'x-forwarded-for': '192.0.2.99' } });
        statuses.push(last.status);
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      expectError(last!, 429, /too many requests.*Retry-After/);
      expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    });
  });

  describe('request rules', () => {
    it.each([
      '/v1/rates?from=BTC&to=BTC',
      '/v1/rates?from=btc&to=BTC',
      '/v1/rates/history?from=BTC&to=BTC',
      '/v1/directions?from=BTC&to=BTC',
      '/go/alpha?from=BTC&to=btc',
    ])('%s → 400: from and to must differ', async (path) => {
      expectError(await get(path), 400, /from and to must differ/);
    });

    it('an operator cannot accept a direction from a currency to itself', async () => {
      const answer = await admin('/v1/admin/quarantine/accept', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ exchangerId: 1, from: 'BTC', to: 'BTC', hours: 1 }),
      });
      expectError(answer, 400, /from and to must differ/);
    });

    it('exclude: an unknown flag is a 400 listing the known ones; known ones in any case are fine', async () => {
      const body = expectError(
        await get('/v1/rates?from=BTC&to=LTC&exclude=manual,bogus'),
        400,
        /unknown flags \(bogus\).*known flags: manual, juridical, verifying, cardverify, reg, otherin, otherout, floating/,
      );
      expect(body.details?.[0]?.field).toBe('exclude');
      const shown = await get<{ items: unknown[] }>('/v1/rates?from=BTC&to=LTC');
      expect(shown.body.items).toHaveLength(1);
      const hidden = await get<{ items: unknown[] }>('/v1/rates?from=BTC&to=LTC&exclude=Manual,%20verifying');
      expect(hidden.status).toBe(200);
      expect(hidden.body.items).toEqual([]);
    });

    it.each([
      '/v1/rates?from=NOPE&to=BTC',
      '/v1/rates?from=BTC&to=NOPE',
      '/v1/rates/history?from=NOPE&to=BTC',
      '/v1/directions?from=NOPE',
      '/v1/directions?to=NOPE',
      '/go/alpha?from=BTC&to=NOPE',
      '/go/alpha?from=nope&to=BTC',
    ])('%s → 404: unknown currency code, the same on every endpoint', async (path) => {
      expectError(await get(path), 404, /^unknown currency code NOPE$/);
    });

    it('admin keys: no key, not a bearer key, an unknown key (401) and a revoked key (403) each say which', async () => {
      const none = expectError(await get('/v1/admin/exchangers'), 401, /^no admin API key sent/);
      const basic = expectError(
        await get('/v1/admin/exchangers', { authorization: 'Basic YWRtaW46YWRtaW4=' }),
        401,
        /not an admin API key/,
      );
      const unknown = expectError(
        await get('/v1/admin/exchangers', { authorization: 'Bearer rw_not-a-real-key-at-all-xxxxxxxx' }),
        401,
        /^unknown admin API key/,
      );
      const { key, info } = await api.app.get(ApiKeysRepository).create('contract');
      expect((await get('/v1/admin/exchangers', { authorization: `Bearer ${key}` })).status).toBe(200);
      await api.app.get(ApiKeysRepository).revoke(info.id);
      const revoked = expectError(
        await get('/v1/admin/exchangers', { authorization: `Bearer ${key}` }),
        403,
        new RegExp(`admin API key ${info.id} \\(contract\\) was revoked`),
      );
      expect(new Set([none, basic, unknown, revoked].map((b) => b.message)).size).toBe(4);
      const challenge = await get('/v1/admin/exchangers', {
        authorization: 'Bearer rw_not-a-real-key-at-all-xxxxxxxx',
      });
      expect(challenge.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/);
    });
  });

  describe('GET /v1/directions paging', () => {
    const keyOf = (d: { from: string; to: string }) => `${d.from}>${d.to}`;
    const alphaWithout = (key: string) =>
      Object.entries(ALPHA)
        .filter(([k]) => k !== key)
        .map(([, v]) => v);
    const everything = async () => (await get<DirectionsPage>('/v1/directions?limit=1000')).body.items.map(keyOf);

    it('answers a first page of at most 100 with nextCursor null when it is the last', async () => {
      const answer = await get<DirectionsPage>('/v1/directions');
      expect(answer.status).toBe(200);
      expect(answer.body.items.map(keyOf)).toEqual([
        'BTC>ETH',
        'BTC>LTC',
        'BTC>SBERRUB',
        'DOGE>BTC',
        'ETH>BTC',
        'LTC>BTC',
        'TRX>BTC',
        'USDTTRC20>SBERRUB',
        'XMR>BTC',
      ]);
      expect(answer.body.items[2]).toEqual({ from: 'BTC', to: 'SBERRUB', offers: 2, bestRate: '6810000' });
      expect(answer.body.nextCursor).toBeNull();
    });

    it('filters by from and by to', async () => {
      const to = await get<DirectionsPage>('/v1/directions?to=btc');
      expect(to.body.items.map(keyOf)).toEqual(['DOGE>BTC', 'ETH>BTC', 'LTC>BTC', 'TRX>BTC', 'XMR>BTC']);
      const both = await get<DirectionsPage>('/v1/directions?from=BTC&to=SBERRUB');
      expect(both.body.items.map(keyOf)).toEqual(['BTC>SBERRUB']);
      const pageOfTo = await get<DirectionsPage>('/v1/directions?to=BTC&limit=2');
      const next = await get<DirectionsPage>(`/v1/directions?to=BTC&limit=2&cursor=${pageOfTo.body.nextCursor}`);
      expect(next.body.items.map(keyOf)).toEqual(['LTC>BTC', 'TRX>BTC']);
    });

    it.each([
      ['/v1/directions?limit=1001', /limit must be at most 1000/],
      ['/v1/directions?limit=0', /limit must be at least 1/],
      ['/v1/directions?cursor=bm90LWEta2V5', /cursor must be the nextCursor/],
      ['/v1/directions?cursor=%00%01', /cursor must be the nextCursor/],
      [`/v1/directions?cursor=${Buffer.from('["BTC","a;b"]').toString('base64url')}`, /cursor must be the nextCursor/],
    ])('%s → 400', async (path, message) => {
      expectError(await get(path), 400, message);
    });

    it('walks every direction a page at a time while snapshots change: stable order, no duplicates, no gaps', async () => {
      const before = await everything();
      const walked: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: HttpAnswer<DirectionsPage> = await get<DirectionsPage>(
          `/v1/directions?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(page.status).toBe(200);
        expect(page.body.items.length).toBeLessThanOrEqual(2);
        walked.push(...page.body.items.map(keyOf));
        cursor = page.body.nextCursor;
        pages++;
        if (pages === 1) {
          // Behind the walk BTC>ETH goes (a page counted by OFFSET would now skip BTC>SBERRUB); ahead of it BTC>XMR comes.
          feeds.serve('/alpha.xml', {
            body: rates([...alphaWithout('BTC>ETH'), item('BTC', 'XMR', '500')]),
          });
          await poll('alpha');
        }
        if (pages === 3) {
          // Behind the walk BTC>DOGE comes (OFFSET would show a direction twice); ahead of it beta's TRX>BTC goes.
          feeds.serve('/alpha.xml', {
            body: rates([...alphaWithout('BTC>ETH'), item('BTC', 'XMR', '500'), item('BTC', 'DOGE', '480000')]),
          });
          feeds.serve('/beta.xml', { body: rates([BETA[0]!]) });
          await poll('alpha');
          await poll('beta');
        }
      } while (cursor !== null && pages < 20);
      const after = await everything();

      expect(cursor).toBeNull();
      expect(new Set(walked).size).toBe(walked.length);
      const ordered = [...walked].sort((a, b) => (a.replace('>', ' ') < b.replace('>', ' ') ? -1 : 1));
      expect(walked).toEqual(ordered);
      const stayed = before.filter((k) => after.includes(k));
      expect(stayed.filter((k) => !walked.includes(k))).toEqual([]);
      expect(walked).toContain('BTC>XMR');
      expect(walked).not.toContain('BTC>DOGE');
      expect(walked).not.toContain('TRX>BTC');
      expect(after).toEqual(expect.arrayContaining(['BTC>DOGE', 'BTC>XMR']));
    });
  });
});
