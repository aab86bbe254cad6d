import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@app/config';
import { FeedScheduler } from '@app/ingestion';
import { REDACTED_PATHS } from '@app/observability';
import { bullConnection, feedSchedulerId, QUEUES } from '@app/queue';
import { RunningApi, startApi } from '../../apps/api/src/bootstrap';
import { runCli } from '../../apps/cli/src/cli';
import { PartnerScheduler } from '@app/partners';
import { FakePartnerApi } from '../support/fake-partner-api';
import { FeedServer } from '../support/feed-server';
import type { ApiErrorBody } from '../../apps/api/src/common/api-error.dto';
import { http, HttpAnswer } from '../support/http';
import { waitFor } from '../support/processes';
import { createTestDatabase, TEST_REDIS_URL, TestDatabase } from '../support/services';

const ADMIN_KEY = 'test-bootstrap-key-0123456789abcdefghijklmnopqrstuvwxyz';
const STANDARD = readFileSync(join(__dirname, '../fixtures/feeds/standard.xml'), 'utf8');

type Caller = <T = Record<string, unknown>>(
  method: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<HttpAnswer<T>>;

function caller(api: RunningApi, key: string | null = ADMIN_KEY): Caller {
  return (method, path, body, headers = {}) =>
    http(`${api.url}${path}`, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
}

/** The messages of an error answer's details, one per problem. */
const messagesOf = (body: ApiErrorBody): string[] => (body.details ?? []).map((d) => d.message);

/** Every admin route over HTTP, in standalone mode (in-process schedule) on the machine's PostgreSQL. */
describe('admin API (standalone)', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let call: Caller;
  let pg: Client;
  const feeds = new FeedServer();
  const partnerApi = new FakePartnerApi();
  const scheduled = () => api.app.get(FeedScheduler).scheduledFeedIds();
  /** Every line the api logs (the request log included), to prove secrets never reach it. */
  const logLines: string[] = [];
  const logger = pino(
    { level: 'info', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
    new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        logLines.push(chunk.toString());
        done();
      },
    }),
  );

  beforeAll(async () => {
    db = await createTestDatabase();
    await feeds.start();
    feeds.serve('/standard.xml', { body: STANDARD });
    await partnerApi.start();
    api = await startApi(
      loadConfig({
        DATABASE_URL: db.url,
        ADMIN_API_KEY: ADMIN_KEY,
        SECRET_KEY: 'q'.repeat(40),
        FETCH_ALLOW_PRIVATE: 'true',
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
      }),
      logger,
    );
    call = caller(api);
    pg = new Client({ connectionString: db.url });
    await pg.connect();
  });

  afterAll(async () => {
    await api?.close();
    await pg?.end();
    await feeds.stop();
    await partnerApi.stop();
    await db?.drop();
  });

  describe('authentication', () => {
    it('answers 401 without a key and with a wrong one', async () => {
      const none = await caller(api, null)('GET', '/v1/admin/exchangers');
      expect(none.status).toBe(401);
      expect(none.body).toMatchObject({ message: 'no admin API key sent: send Authorization: Bearer <key>' });
      expect((await caller(api, 'rw_not-a-real-key-at-all-xxxxxxxx')('GET', '/v1/admin/exchangers')).status).toBe(401);
      expect(
        (await caller(api, null)('GET', '/v1/admin/exchangers', undefined, { authorization: 'Basic YWRtaW46YWRtaW4=' }))
          .status,
      ).toBe(401);
    });

    it('accepts a key made by the CLI and answers 403 once it is revoked', async () => {
      const out: string[] = [];
      const err: string[] = [];
      const env = { DATABASE_URL: db.url, LOG_LEVEL: 'silent' };
      expect(
        await runCli(['admin:key', 'create', '--name', 'ops'], env, {
          out: (t) => out.push(t),
          err: (t) => err.push(t),
        }),
      ).toBe(0);
      const key = out[0]!;
      expect(key).toMatch(/^rw_[\w-]{43}$/);
      expect(err.join('')).toMatch(/only time it is shown/);
      expect((await caller(api, key)('GET', '/v1/admin/exchangers')).status).toBe(200);
      const { rows } = await pg.query<{ id: number; key_hash: string }>(
        `SELECT id, key_hash FROM api_keys WHERE name = 'ops'`,
      );
      expect(rows[0]!.key_hash).not.toContain(key); // stored hashed
      expect(
        await runCli(['admin:key', 'revoke', String(rows[0]!.id)], env, { out: () => undefined, err: () => undefined }),
      ).toBe(0);
      const revoked = await caller(api, key)('GET', '/v1/admin/exchangers');
      expect(revoked.status).toBe(403);
      expect(await runCli(['admin:key', 'create'], env, { out: () => undefined, err: () => undefined })).toBe(2);
    });
  });

  describe('exchangers and feeds', () => {
    let exchangerId: number;
    let feedId: number;

    it('validates an exchanger and says what to fix', async () => {
      const bad = await call<ApiErrorBody>('POST', '/v1/admin/exchangers', {
        slug: 'Bad Slug!',
        name: '',
        siteUrl: 'ftp://x.example',
        referralUrl: 'javascript:alert(1)',
        status: 'gone',
      });
      expect(bad.status).toBe(400);
      expect(messagesOf(bad.body)).toEqual(
        expect.arrayContaining([
          'slug must be 2-63 lower-case letters, digits and dashes, starting with a letter or digit',
          'name must be 1-200 characters',
          'siteUrl must be an http(s) URL',
          'referralUrl must be an http(s) URL',
          'status must be one of active, paused, disabled',
        ]),
      );
      const missing = await call<ApiErrorBody>('POST', '/v1/admin/exchangers', {
        slug: 'ok',
        name: 'Ok',
        siteUrl: 'https://ok.example',
      });
      expect(missing.body.message).toContain('referralUrl must be an http(s) URL');
      expect(
        (
          await call('POST', '/v1/admin/exchangers', {
            slug: 'ok',
            name: 'Ok',
            siteUrl: 'https://ok.example',
            referralUrl: 'https://ok.example/?r=1',
            admin: true,
          })
        ).status,
      ).toBe(400);
    });

    it('creates, reads, changes and lists exchangers; a taken slug is a 409', async () => {
      const created = await call<{ id: number; slug: string; status: string }>('POST', '/v1/admin/exchangers', {
        slug: 'aura',
        name: 'Aura',
        siteUrl: 'https://aura.example',
        referralUrl: 'https://aura.example/?rid=42',
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ slug: 'aura', status: 'active' });
      exchangerId = created.body.id;
      expect(
        (
          await call('POST', '/v1/admin/exchangers', {
            slug: 'aura',
            name: 'Again',
            siteUrl: 'https://a.example',
            referralUrl: 'https://a.example/',
          })
        ).status,
      ).toBe(409);
      expect((await call('GET', `/v1/admin/exchangers/${exchangerId}`)).body).toMatchObject({ name: 'Aura' });
      const renamed = await call('PATCH', `/v1/admin/exchangers/${exchangerId}`, { name: 'Aura Exchange' });
      expect(renamed.status).toBe(200);
      expect(renamed.body).toMatchObject({ name: 'Aura Exchange', slug: 'aura' });
      expect((await call<{ items: unknown[] }>('GET', '/v1/admin/exchangers')).body.items).toHaveLength(1);
      expect((await call('GET', '/v1/admin/exchangers/999999')).status).toBe(404);
      expect((await call('GET', '/v1/admin/exchangers/abc')).status).toBe(400);
    });

    it('validates a feed: http(s) only, interval 5 s – 24 h, timeout shorter than the interval', async () => {
      const bad = await call<ApiErrorBody>('POST', `/v1/admin/exchangers/${exchangerId}/feeds`, {
        url: 'file:///etc/passwd',
        intervalSeconds: 3,
        format: 'yaml',
      });
      expect(bad.status).toBe(400);
      expect(messagesOf(bad.body)).toEqual(
        expect.arrayContaining([
          'url must be an http(s) URL',
          'intervalSeconds must be at least 5',
          'format must be one of auto, xml, json, txt',
        ]),
      );
      const slow = await call<ApiErrorBody>('POST', `/v1/admin/exchangers/${exchangerId}/feeds`, {
        url: feeds.url('/standard.xml'),
        intervalSeconds: 5,
        timeoutMs: 5000,
      });
      expect(slow.status).toBe(400);
      expect(slow.body.message).toBe('timeoutMs must be shorter than the interval (5000 ms)');
      expect((await call('POST', '/v1/admin/exchangers/999999/feeds', { url: 'https://x.example/r.xml' })).status).toBe(
        404,
      );
    });

    it('schedules a created feed, polls it at once (not an interval later) and follows every change', async () => {
      const created = await call<{ id: number; intervalSeconds: number }>(
        'POST',
        `/v1/admin/exchangers/${exchangerId}/feeds`,
        { url: feeds.url('/standard.xml'), intervalSeconds: 3600, timeoutMs: 5000 },
      );
      expect(created.status).toBe(201);
      feedId = created.body.id;
      expect(await scheduled()).toEqual([feedId]);
      // An hourly feed's first scheduled poll may be up to an hour away; its first run is there at once.
      const [first] = await waitFor('the first poll of the new feed', async () => {
        const runs = await call<{ items: Array<{ status: string; inserted: number }> }>(
          'GET',
          `/v1/admin/feeds/${feedId}/runs`,
        );
        return runs.body.items.length > 0 && runs.body.items;
      });
      expect(first).toMatchObject({ status: 'ok', inserted: 8 });
      await call('PATCH', `/v1/admin/feeds/${feedId}`, { enabled: false });
      expect(await scheduled()).toEqual([]);
      await call('PATCH', `/v1/admin/feeds/${feedId}`, { enabled: true, intervalSeconds: 30 });
      expect(await scheduled()).toEqual([feedId]);
      await call('PATCH', `/v1/admin/exchangers/${exchangerId}`, { status: 'paused' });
      expect(await scheduled()).toEqual([]);
      await call('PATCH', `/v1/admin/exchangers/${exchangerId}`, { status: 'active' });
      expect(await scheduled()).toEqual([feedId]);
    });

    it('refreshes a feed now, and lists its runs and the health of all feeds', async () => {
      const waited = await call<{ run: { status: string; inserted: number; trigger: string } }>(
        'POST',
        `/v1/admin/feeds/${feedId}/refresh?wait=true`,
      );
      expect(waited.status).toBe(200);
      // The same bytes as the first poll's: nothing to read again.
      expect(waited.body.run).toMatchObject({ status: 'unchanged', inserted: 0, trigger: 'manual' });
      const queued = await call<{ jobId: string }>('POST', `/v1/admin/feeds/${feedId}/refresh`);
      expect(queued.status).toBe(202);
      expect(queued.body.jobId).toMatch(/^local-\d+$/);
      const runs = await call<{ items: Array<{ status: string; error: unknown; rejects: unknown[] }> }>(
        'GET',
        `/v1/admin/feeds/${feedId}/runs?limit=1`,
      );
      expect(runs.body.items[0]).toMatchObject({ error: null, rejects: [] });
      expect((await call('GET', `/v1/admin/feeds/${feedId}/runs?limit=0`)).status).toBe(400);
      const health = await call<{
        items: Array<{ id: number; fresh: boolean; lastStatus: string; consecutiveFailures: number; offers: number }>;
      }>('GET', '/v1/admin/feeds/health');
      expect(health.body.items.find((f) => f.id === feedId)).toMatchObject({
        fresh: true,
        consecutiveFailures: 0,
        offers: 8,
      });
    });

    it('shows which codes a run rejected, so an admin can add the alias', async () => {
      feeds.serve('/aliases.xml', {
        body: '<rates><item><from>TETHER-TRON</from><to>BTC</to><in>70000</in><out>1</out></item><item><from>ETH</from><to>BTC</to><in>20</in><out>1</out></item></rates>',
      });
      const feed = await call<{ id: number }>('POST', `/v1/admin/exchangers/${exchangerId}/feeds`, {
        url: feeds.url('/aliases.xml'),
        intervalSeconds: 60,
        timeoutMs: 5000,
      });
      const first = await call<{ run: { status: string } }>(
        'POST',
        `/v1/admin/feeds/${feed.body.id}/refresh?wait=true`,
      );
      expect(first.status).toBe(200);
      // A new feed is also polled at once by its schedule: the refresh may find the bytes that poll read
      // ('unchanged'), so the rejects are read from the run that read them.
      const runs = await call<{ items: Array<{ status: string; rejects: Array<{ index: number; reason: string }> }> }>(
        'GET',
        `/v1/admin/feeds/${feed.body.id}/runs`,
      );
      expect(runs.body.items.find((r) => r.status !== 'unchanged')?.rejects).toEqual([
        { index: 0, reason: 'unknown currency code TETHER-TRON (tried TETHERTRON)' },
      ]);
      const alias = await call<{ id: number }>('POST', '/v1/admin/currency-aliases', {
        alias: 'tether-tron',
        code: 'usdttrc20',
        exchangerId,
      });
      expect(alias.status).toBe(201);
      const second = await call<{ run: { accepted: number; rejected: number } }>(
        'POST',
        `/v1/admin/feeds/${feed.body.id}/refresh?wait=true`,
      );
      expect(second.body.run).toMatchObject({ accepted: 2, rejected: 0 });
      expect((await call('DELETE', `/v1/admin/feeds/${feed.body.id}`)).status).toBe(204);
    });

    it('deletes a feed (unscheduled) and an exchanger with its offers', async () => {
      const other = await call<{ id: number }>('POST', `/v1/admin/exchangers/${exchangerId}/feeds`, {
        url: feeds.url('/standard.xml?copy=2'),
      });
      expect(await scheduled()).toContain(other.body.id);
      expect((await call('DELETE', `/v1/admin/feeds/${other.body.id}`)).status).toBe(204);
      expect(await scheduled()).not.toContain(other.body.id);
      expect((await call('DELETE', `/v1/admin/feeds/${other.body.id}`)).status).toBe(404);
      expect((await pg.query(`SELECT 1 FROM offers`)).rowCount).toBe(8);
      expect((await call('DELETE', `/v1/admin/exchangers/${exchangerId}`)).status).toBe(204);
      expect((await pg.query(`SELECT 1 FROM offers`)).rowCount).toBe(0);
      expect(await scheduled()).toEqual([]);
    });
  });

  describe('partner accounts', () => {
    it('connects an account (key write-only), syncs it, reports, and disconnects it', async () => {
      const exchanger = await call<{ id: number }>('POST', '/v1/admin/exchangers', {
        slug: 'partnered',
        name: 'Partnered',
        siteUrl: 'https://p.example',
        referralUrl: 'https://p.example/?rid=9',
      });
      const path = `/v1/admin/exchangers/${exchanger.body.id}/partner`;
      const bad = await call<ApiErrorBody>('PUT', path, {
        apiUrl: `${partnerApi.url}?api_key=${partnerApi.apiKey}`,
        apiKey: partnerApi.apiKey,
      });
      expect(bad.body.message).toBe(
        'apiUrl must not carry a credential (api_key=…) in its query: send the key as apiKey (stored encrypted, never shown)',
      );
      // Any credential-named parameter, however spelled: it would be stored and audited in clear.
      for (const query of ['token=abc', 'access_token=abc', 'Secret=abc', 'password=abc', 'key=abc']) {
        const tokened = await call<ApiErrorBody>('PUT', path, {
          apiUrl: `${partnerApi.url}?api_action=pp&${query}`,
          apiKey: partnerApi.apiKey,
        });
        expect(tokened.status).toBe(400);
        expect(tokened.body.message).toMatch(/apiUrl must not carry a credential/);
      }
      expect(
        messagesOf(
          (await call<ApiErrorBody>('PUT', path, { apiUrl: 'ftp://x', apiKey: 'k', syncIntervalSeconds: 5 })).body,
        ),
      ).toEqual(
        expect.arrayContaining([
          'apiUrl must be an http(s) URL',
          'apiKey must be 4-512 characters',
          'syncIntervalSeconds must be at least 60',
        ]),
      );
      const put = await call('PUT', path, {
        apiUrl: partnerApi.url,
        apiKey: partnerApi.apiKey,
        syncIntervalSeconds: 600,
      });
      expect(put.status).toBe(200);
      expect(put.body).toMatchObject({
        exchangerId: exchanger.body.id,
        apiUrl: partnerApi.url,
        requestStyle: 'both',
        syncIntervalSeconds: 600,
      });
      expect(put.text).not.toContain(partnerApi.apiKey);
      expect(await api.app.get(PartnerScheduler).scheduledExchangerIds()).toEqual([exchanger.body.id]);
      const stored = await pg.query(`SELECT api_key_encrypted FROM partner_accounts`);
      expect(JSON.stringify(stored.rows)).not.toContain(partnerApi.apiKey);

      const synced = await call('POST', `${path}/sync`);
      expect(synced.body).toEqual({ status: 'ok', balanceChanged: true, exchanges: 2, visits: 1 });
      const report = await call<{ items: Array<Record<string, unknown>> }>(
        'GET',
        '/v1/admin/partner/report?since=2020-01-01T00:00:00Z',
      );
      expect(report.body.items.find((r) => r.exchanger === 'partnered')).toMatchObject({
        balance: '15.37',
        referredExchanges: 2,
        successfulExchanges: 1,
        reward: '0.41',
        partnerVisits: 1,
      });
      const audit = await call('GET', '/v1/admin/audit?limit=5');
      expect(audit.text).toMatch(/partner-account/);
      expect(audit.text).not.toContain(partnerApi.apiKey);

      expect((await call('DELETE', path)).status).toBe(204);
      expect(await api.app.get(PartnerScheduler).scheduledExchangerIds()).toEqual([]);
      expect((await call('POST', `${path}/sync`)).status).toBe(404);
      expect((await call('DELETE', path)).status).toBe(404);
      await call('DELETE', `/v1/admin/exchangers/${exchanger.body.id}`);
    });
  });

  describe('feed-check', () => {
    it('checks a URL through the fetcher, a raw XML body and a raw JSON body without storing anything', async () => {
      const byUrl = await call<{ status: string; stats: { offers: number } }>('POST', '/v1/admin/feed-check', {
        url: feeds.url('/standard.xml'),
      });
      expect(byUrl.status).toBe(200);
      expect(byUrl.body).toMatchObject({ status: 'ok', stats: { offers: 8 } });
      const xml = await call<{ status: string; format: string }>('POST', '/v1/admin/feed-check', STANDARD, {
        'content-type': 'text/xml',
      });
      expect(xml.body).toMatchObject({ status: 'ok', format: 'xml' });
      const json = await call<{ offers: Array<{ out: string }> }>(
        'POST',
        '/v1/admin/feed-check',
        '{"rates":[{"from":"BTC","to":"ETH","in":1,"out":20.10000000000000000555}]}',
        { 'content-type': 'application/json' },
      );
      expect(json.body.offers[0]?.out).toBe('20.10000000000000000555');
      const txt = await call<{ format: string }>('POST', '/v1/admin/feed-check', 'BTC;ETH;1;20;5', {
        'content-type': 'text/plain',
      });
      expect(txt.body.format).toBe('txt');
      const broken = await call<{ status: string; error: { code: string } }>(
        'POST',
        '/v1/admin/feed-check',
        '<rates><item><from>BTC',
        { 'content-type': 'text/xml' },
      );
      expect(broken.body).toMatchObject({ status: 'error', error: { code: 'xml_malformed' } });
      const ssrf = await call<{ error: { code: string } }>('POST', '/v1/admin/feed-check', {
        url: 'file:///etc/passwd',
      });
      expect(ssrf.body.error.code).toBe('invalid_url');
      expect((await call('POST', '/v1/admin/feed-check', '', { 'content-type': 'text/xml' })).status).toBe(400);
      expect(
        (await pg.query(`SELECT 1 FROM feed_runs WHERE trigger <> 'manual' AND trigger <> 'schedule'`)).rowCount,
      ).toBe(0);
    });

    it('names the dialect it recognised: EREF 1.1, JSON 1.3, TXT with cities; a 503 maintenance page is maintenance', async () => {
      const dialect = async (file: string, contentType: string) =>
        (
          await call<{ dialect: string; status: string }>(
            'POST',
            '/v1/admin/feed-check',
            readFileSync(join(__dirname, '../fixtures/dialects', file), 'utf8'),
            { 'content-type': contentType },
          )
        ).body;
      expect(await dialect('premium-eref-1.1.xml', 'text/xml')).toMatchObject({
        status: 'ok',
        dialect: 'xml-eref-1.1',
      });
      expect(await dialect('premium-1.3.json', 'application/json')).toMatchObject({
        status: 'ok',
        dialect: 'json-1.3',
      });
      expect(await dialect('premium-cities.txt', 'text/plain')).toMatchObject({ status: 'ok', dialect: 'txt-cities' });
      feeds.serve('/down.xml', { body: '<error>Техническое обслуживание</error>', status: 503 });
      const down = await call<{ status: string; warnings: string[] }>('POST', '/v1/admin/feed-check', {
        url: feeds.url('/down.xml'),
      });
      expect(down.body).toMatchObject({
        status: 'maintenance',
        warnings: ['maintenance: HTTP 503: Техническое обслуживание'],
      });
    });

    it('refuses oversized bodies', async () => {
      const huge = await call('POST', '/v1/admin/feed-check', 'x'.repeat(2 * 1024 * 1024), {
        'content-type': 'text/xml',
      });
      expect(huge.status).toBe(413);
    });
  });

  describe('secrets and trust in what admins register', () => {
    it('refuses URLs that carry user:password@ or a backslash, and a global alias that is itself a catalog code', async () => {
      const exchanger = await call<{ id: number }>('POST', '/v1/admin/exchangers', {
        slug: 'trusty',
        name: 'Trusty',
        siteUrl: 'https://trusty.example',
        referralUrl: 'https://trusty.example/?rid=1',
      });
      expect(exchanger.status).toBe(201);
      const tricked = await call<ApiErrorBody>('PATCH', `/v1/admin/exchangers/${exchanger.body.id}`, {
        referralUrl: 'https://trusty.example@evil.example/?rid=1',
      });
      expect(tricked.status).toBe(400);
      expect(tricked.body.message).toMatch(/referralUrl must not carry user:password@/);
      const secret = await call<ApiErrorBody>('POST', `/v1/admin/exchangers/${exchanger.body.id}/feeds`, {
        url: 'https://user:hunter2@trusty.example/rates.xml',
      });
      expect(secret.status).toBe(400);
      expect(secret.body.message).toMatch(/url must not carry user:password@/);
      expect(JSON.stringify((await call('GET', '/v1/admin/feeds/health')).body)).not.toContain('hunter2');

      const global = await call<ApiErrorBody>('POST', '/v1/admin/currency-aliases', {
        alias: 'ETH',
        code: 'LTC',
      });
      expect(global.status).toBe(400);
      expect(global.body.message).toMatch(/alias ETH is a currency of the catalog/);
      const own = await call('POST', '/v1/admin/currency-aliases', {
        alias: 'ETH',
        code: 'LTC',
        exchangerId: exchanger.body.id,
      });
      expect(own.status).toBe(201);
      expect((await call('DELETE', `/v1/admin/exchangers/${exchanger.body.id}`)).status).toBe(204);
    });

    it('registers a URL as one feed only, whatever exchanger and however it is spelled', async () => {
      const [a, b] = await Promise.all(
        ['one-url-a', 'one-url-b'].map((slug) =>
          call<{ id: number }>('POST', '/v1/admin/exchangers', {
            slug,
            name: slug,
            siteUrl: `https://${slug}.example`,
            referralUrl: `https://${slug}.example/?rid=1`,
          }),
        ),
      );
      const first = await call<{ id: number; url: string }>('POST', `/v1/admin/exchangers/${a!.body.id}/feeds`, {
        url: 'https://one-url.example/rates.xml',
      });
      expect(first.status).toBe(201);
      for (const [owner, url] of [
        [a!.body.id, 'https://one-url.example/rates.xml'],
        [b!.body.id, 'HTTPS://One-URL.example:443/rates.xml'],
      ] as const) {
        const again = await call<{ message: string }>('POST', `/v1/admin/exchangers/${owner}/feeds`, { url });
        expect(again.status).toBe(409);
        expect(again.body.message).toMatch(/url is already registered as a feed/);
      }
      const second = await call<{ id: number }>('POST', `/v1/admin/exchangers/${b!.body.id}/feeds`, {
        url: 'https://one-url.example/other.xml',
      });
      const moved = await call<{ message: string }>('PATCH', `/v1/admin/feeds/${second.body.id}`, {
        url: 'https://ONE-URL.example/rates.xml',
      });
      expect(moved.status).toBe(409);
      expect((await pg.query(`SELECT url FROM feeds WHERE url LIKE '%one-url%' ORDER BY id`)).rows).toEqual([
        { url: 'https://one-url.example/rates.xml' },
        { url: 'https://one-url.example/other.xml' },
      ]);
      for (const exchanger of [a, b]) await call('DELETE', `/v1/admin/exchangers/${exchanger!.body.id}`);
    });

    it('keeps a key sent in the query string out of the request log', async () => {
      const before = logLines.length;
      const refused = await caller(api, null)('GET', `/v1/admin/exchangers?access_token=${ADMIN_KEY}&limit=5`);
      expect(refused.status).toBe(401);
      await caller(api, null)('GET', `/v1/rates?from=BTC&to=ETH&api_key=${ADMIN_KEY}`);
      await expect.poll(() => logLines.slice(before).join('')).toContain('access_token=***');
      const logged = logLines.slice(before).join('');
      expect(logged).toContain('api_key=***');
      expect(logged).not.toContain(ADMIN_KEY);
      expect(logLines.join('')).not.toContain(ADMIN_KEY);
    });
  });

  describe('currencies, aliases, audit, clicks, queues', () => {
    it('adds, renames and disables a currency', async () => {
      const created = await call('POST', '/v1/admin/currencies', {
        code: 'testcoin',
        name: 'Test Coin',
        ticker: 'tst',
        iso: 'tst',
        kind: 'crypto',
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ code: 'TESTCOIN', ticker: 'TST', enabled: true });
      expect(
        (
          await call('POST', '/v1/admin/currencies', {
            code: 'TESTCOIN',
            name: 'x',
            ticker: 'x',
            iso: 'x',
            kind: 'crypto',
          })
        ).status,
      ).toBe(409);
      expect(
        (await call('PATCH', '/v1/admin/currencies/testcoin', { name: 'Test Coin 2', enabled: false })).body,
      ).toMatchObject({ name: 'Test Coin 2', enabled: false });
      expect((await call('PATCH', '/v1/admin/currencies/NOPE', { name: 'x' })).status).toBe(404);
      expect(
        messagesOf(
          (
            await call<ApiErrorBody>('POST', '/v1/admin/currencies', {
              code: 'a',
              name: 'x',
              ticker: 'x',
              iso: 'x',
              kind: 'stock',
            })
          ).body,
        ),
      ).toEqual(
        expect.arrayContaining([
          'code must be a currency code (2-16 letters and digits)',
          'kind must be one of crypto, emoney, bank, online_banking, cash, transfer',
        ]),
      );
    });

    it('creates and deletes aliases, refusing unknown codes and duplicates', async () => {
      const alias = await call<{ id: number }>('POST', '/v1/admin/currency-aliases', {
        alias: 'TETHERTRX',
        code: 'USDTTRC20',
        exchangerId: null,
      });
      expect(alias.status).toBe(201);
      expect((await call('POST', '/v1/admin/currency-aliases', { alias: 'TETHERTRX', code: 'USDTTRC20' })).status).toBe(
        409,
      );
      expect(
        (await call<ApiErrorBody>('POST', '/v1/admin/currency-aliases', { alias: 'X1', code: 'NOPE' })).body.message,
      ).toBe('code NOPE is not in the catalog');
      expect(
        (
          await call<ApiErrorBody>('POST', '/v1/admin/currency-aliases', {
            alias: 'X1',
            code: 'BTC',
            exchangerId: 999999,
          })
        ).body.message,
      ).toBe('exchangerId 999999 is not an exchanger');
      expect(
        (await call<{ items: Array<{ alias: string }> }>('GET', '/v1/admin/currency-aliases')).body.items.map(
          (a) => a.alias,
        ),
      ).toContain('TETHERTRX');
      expect((await call('DELETE', `/v1/admin/currency-aliases/${alias.body.id}`)).status).toBe(204);
      expect((await call('DELETE', `/v1/admin/currency-aliases/${alias.body.id}`)).status).toBe(404);
    });

    it('keeps an audit trail of every change with the key that made it', async () => {
      const audit = await call<{
        items: Array<{ action: string; entity: string; keyName: string; before: unknown; after: unknown }>;
      }>('GET', '/v1/admin/audit?limit=100');
      const trail = audit.body.items.map((a) => `${a.action} ${a.entity}`);
      expect(trail).toEqual(
        expect.arrayContaining([
          'create exchanger',
          'update exchanger',
          'delete exchanger',
          'create feed',
          'update feed',
          'delete feed',
          'create currency',
          'update currency',
          'create alias',
          'delete alias',
        ]),
      );
      expect(audit.body.items.every((a) => a.keyName === 'bootstrap (ADMIN_API_KEY)')).toBe(true);
      const renames = audit.body.items.filter(
        (a) => a.action === 'update' && a.entity === 'exchanger' && (a.before as { name: string }).name === 'Aura',
      );
      expect(renames).toHaveLength(1);
      expect(renames[0]?.after).toMatchObject({ name: 'Aura Exchange' });
    });

    it('reports clicks and queues', async () => {
      const clicks = await call<{ items: unknown[] }>('GET', '/v1/admin/clicks?since=2026-01-01T00:00:00Z');
      expect(clicks.status).toBe(200);
      expect((await call<ApiErrorBody>('GET', '/v1/admin/clicks?since=yesterday')).body.message).toBe(
        'since must be an ISO-8601 time',
      );
      expect((await call('GET', '/v1/admin/queues')).body).toMatchObject({ mode: 'standalone' });
    });

    it('documents every admin route with the bearer scheme in OpenAPI', async () => {
      const spec = await http<{
        paths: Record<string, Record<string, { security?: unknown[] }>>;
        components: { securitySchemes: Record<string, unknown> };
      }>(`${api.url}/docs-json`);
      expect(spec.body.components.securitySchemes.admin).toMatchObject({ type: 'http', scheme: 'bearer' });
      const adminPaths = Object.keys(spec.body.paths).filter((p) => p.startsWith('/v1/admin'));
      expect(adminPaths.length).toBeGreaterThanOrEqual(12);
      for (const path of adminPaths)
        for (const operation of Object.values(spec.body.paths[path]!))
          expect(operation.security).toEqual([{ admin: [] }]);
    });
  });
});

/** Fleet mode: the BullMQ schedulers on the real Redis follow admin changes. */
describe('admin API (fleet)', () => {
  it('keeps one job scheduler per enabled feed through create, change, disable, pause and delete', async () => {
    const db = await createTestDatabase();
    const prefix = `rwtest-${randomBytes(4).toString('hex')}`;
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: prefix,
      ADMIN_API_KEY: ADMIN_KEY,
      SECRET_KEY: 'q'.repeat(40),
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
    };
    expect(await runCli(['db:migrate'], env, { out: () => undefined, err: () => undefined })).toBe(0);
    const api = await startApi(loadConfig(env));
    const queue = new Queue(QUEUES.feedPoll, { connection: bullConnection(TEST_REDIS_URL, 'test'), prefix });
    const call = caller(api);
    const schedulers = async () =>
      (await queue.getJobSchedulers(0, -1))
        .map((s) => ({ key: s.key, every: Number(s.every) }))
        .sort((a, b) => a.key.localeCompare(b.key));
    try {
      const exchanger = await call<{ id: number }>('POST', '/v1/admin/exchangers', {
        slug: 'aura',
        name: 'Aura',
        siteUrl: 'https://aura.example',
        referralUrl: 'https://aura.example/?rid=1',
      });
      const a = await call<{ id: number }>('POST', `/v1/admin/exchangers/${exchanger.body.id}/feeds`, {
        url: 'https://aura.example/a.xml',
        intervalSeconds: 30,
      });
      const b = await call<{ id: number }>('POST', `/v1/admin/exchangers/${exchanger.body.id}/feeds`, {
        url: 'https://aura.example/b.xml',
        intervalSeconds: 15,
        timeoutMs: 5000,
      });
      expect(await schedulers()).toEqual(
        [
          { key: feedSchedulerId(a.body.id), every: 30_000 },
          { key: feedSchedulerId(b.body.id), every: 15_000 },
        ].sort((x, y) => x.key.localeCompare(y.key)),
      );
      await call('PATCH', `/v1/admin/feeds/${a.body.id}`, { intervalSeconds: 120 });
      expect((await schedulers()).find((s) => s.key === feedSchedulerId(a.body.id))?.every).toBe(120_000);
      await call('PATCH', `/v1/admin/feeds/${b.body.id}`, { enabled: false });
      expect((await schedulers()).map((s) => s.key)).toEqual([feedSchedulerId(a.body.id)]);
      await call('PATCH', `/v1/admin/exchangers/${exchanger.body.id}`, { status: 'paused' });
      expect(await schedulers()).toEqual([]);
      await call('PATCH', `/v1/admin/exchangers/${exchanger.body.id}`, { status: 'active' });
      expect((await schedulers()).map((s) => s.key)).toEqual([feedSchedulerId(a.body.id)]);
      await call('DELETE', `/v1/admin/feeds/${a.body.id}`);
      expect(await schedulers()).toEqual([]);
      const queued = await call<{ jobId: string }>('POST', `/v1/admin/feeds/${b.body.id}/refresh`);
      expect(queued.status).toBe(202);
      expect(
        (await call<{ items: Array<{ name: string; waiting: number }> }>('GET', '/v1/admin/queues')).body.items[0],
      ).toMatchObject({ name: 'feed-poll' });

      // Partner accounts get a scheduler on the partner-sync queue.
      const partnerQueue = new Queue(QUEUES.partnerSync, {
        connection: bullConnection(TEST_REDIS_URL, 'test'),
        prefix,
      });
      try {
        await call('PUT', `/v1/admin/exchangers/${exchanger.body.id}/partner`, {
          apiUrl: 'https://aura.example/api.php',
          apiKey: 'secret-key',
          syncIntervalSeconds: 300,
        });
        expect((await partnerQueue.getJobSchedulers(0, -1)).map((s) => [s.key, Number(s.every)])).toEqual([
          [`partner:${exchanger.body.id}`, 300_000],
        ]);
        await call('DELETE', `/v1/admin/exchangers/${exchanger.body.id}/partner`);
        expect(await partnerQueue.getJobSchedulers(0, -1)).toEqual([]);
      } finally {
        await partnerQueue.obliterate({ force: true });
        await partnerQueue.close();
      }
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
      await api.close();
      await db.drop();
    }
  });
});
