import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@app/config';
import { ClaimsRepository, ClicksRepository, ReputationRepository } from '@app/database';
import { REDACTED_PATHS } from '@app/observability';
import { RunningApi, startApi } from '../../apps/api/src/bootstrap';
import { runCli } from '../../apps/cli/src/cli';
import type { ApiErrorBody } from '../../apps/api/src/common/api-error.dto';
import { FeedServer } from '../support/feed-server';
import { http, HttpAnswer } from '../support/http';
import { mismatches, OpenApiDocument } from '../support/openapi-conformance';
import { newVisitor, uniqueText } from '../support/reputation';
import { createTestDatabase, TestDatabase } from '../support/services';

const ADMIN_KEY = 'cabinet-admin-key-0123456789abcdefghijklmnopq';
const MODERATOR = { keyId: null };

const item = (from: string, to: string, out: string) =>
  `<item><from>${from}</from><to>${to}</to><in>1</in><out>${out}</out><amount>1000</amount></item>`;
/** One good offer and one item with a code no catalog knows: every read rejects one item. */
const REJECTING_FEED = `<rates>${item('BTC', 'ETH', '20')}${item('ZZZCOIN', 'BTC', '1')}</rates>`;

type Call = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => Promise<HttpAnswer<T>>;

function caller(api: RunningApi, key: string | null): Call {
  return (method, path, body) =>
    http(`${api.url}${path}`, {
      method,
      headers: {
        ...(key === null ? {} : { authorization: `Bearer ${key}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
}

interface Operation {
  method: string;
  path: string;
}

/** Every operation of the served OpenAPI document under `prefix`, path parameters replaced with 1. */
async function operationsUnder(api: RunningApi, prefix: string): Promise<Operation[]> {
  const spec = await http<{ paths: Record<string, Record<string, unknown>> }>(`${api.url}/docs-json`);
  const methods = new Set(['get', 'post', 'put', 'patch', 'delete']);
  return Object.entries(spec.body.paths)
    .filter(([path]) => path === prefix || path.startsWith(`${prefix}/`))
    .flatMap(([path, item]) =>
      Object.keys(item)
        .filter((method) => methods.has(method))
        .map((method) => ({ method: method.toUpperCase(), path: path.replace(/\{[^}]+\}/g, '1') })),
    );
}

interface Exchanger {
  id: number;
  slug: string;
  feedId: number;
  key: string;
  keyId: number;
}

/**
 * The exchanger's cabinet over HTTP (standalone): keys scoped to one exchanger read and answer that
 * exchanger's feeds, runs, clicks, reviews and claims, and nothing else — not another exchanger's, not
 * one admin route.
 */
describe('exchanger cabinet (standalone)', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let admin: Call;
  const feeds = new FeedServer();
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
  let aura: Exchanger;
  let bora: Exchanger;
  /** Every key text this test made, to prove none reaches the log. */
  const keysMade: string[] = [];
  const reviewsOf = () => api.app.get(ReputationRepository);
  const claimsOf = () => api.app.get(ClaimsRepository);

  /** An exchanger with one rejecting feed polled once, and a key scoped to it made by the admin API. */
  async function exchangerWithKey(slug: string): Promise<Exchanger> {
    const made = await admin<{ id: number }>('POST', '/v1/admin/exchangers', {
      slug,
      name: `${slug} exchange`,
      siteUrl: `https://${slug}.example`,
      referralUrl: `https://${slug}.example/?rid=1`,
    });
    expect(made.status).toBe(201);
    feeds.serve(`/${slug}.xml`, { body: REJECTING_FEED });
    const feed = await admin<{ id: number }>('POST', `/v1/admin/exchangers/${made.body.id}/feeds`, {
      url: feeds.url(`/${slug}.xml`),
      intervalSeconds: 3600,
    });
    expect(feed.status).toBe(201);
    expect((await admin('POST', `/v1/admin/feeds/${feed.body.id}/refresh?wait=true`)).status).toBe(200);
    const key = await admin<{ key: string; id: number; exchanger: string }>(
      'POST',
      `/v1/admin/exchangers/${made.body.id}/keys`,
      { name: `${slug} support` },
    );
    expect(key.status).toBe(201);
    expect(key.body).toMatchObject({ exchanger: slug, exchangerId: made.body.id, name: `${slug} support` });
    keysMade.push(key.body.key);
    return { id: made.body.id, slug, feedId: feed.body.id, key: key.body.key, keyId: key.body.id };
  }

  /** A review of the exchanger, published unless told. */
  async function review(exchangerId: number, publish = true): Promise<string> {
    const visitor = newVisitor(await api.app.get(ClicksRepository).visitorSecret());
    const row = await reviewsOf().submitReview({ exchangerId, tone: 'negative', text: uniqueText(), visitor });
    if (publish) await reviewsOf().moderateReview(MODERATOR, row.id, 'publish');
    return row.id;
  }

  /** A claim against the exchanger, accepted (open) unless told. */
  async function claim(exchangerId: number, accept = true): Promise<string> {
    const visitor = newVisitor(await api.app.get(ClicksRepository).visitorSecret());
    const row = await claimsOf().fileClaim({
      exchangerId,
      orderRef: 'A-10293',
      text: uniqueText(),
      amount: '150.5',
      currency: 'USDT',
      visitor,
    });
    if (accept) await claimsOf().moderateClaim(MODERATOR, row.id, 'accept');
    return row.id;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    await feeds.start();
    api = await startApi(
      loadConfig({
        DATABASE_URL: db.url,
        ADMIN_API_KEY: ADMIN_KEY,
        FETCH_ALLOW_PRIVATE: 'true',
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
      }),
      logger,
    );
    admin = caller(api, ADMIN_KEY);
    aura = await exchangerWithKey('aura');
    bora = await exchangerWithKey('bora');
  });

  afterAll(async () => {
    await api?.close();
    await feeds.stop();
    await db?.drop();
  });

  describe('keys of an exchanger (admin API)', () => {
    it('lists them with their scope, never their text; the creation is audited without the key', async () => {
      const list = await admin<{ items: Array<Record<string, unknown>> }>(
        'GET',
        `/v1/admin/exchangers/${aura.id}/keys`,
      );
      expect(list.status).toBe(200);
      expect(list.body.items).toEqual([
        expect.objectContaining({ id: aura.keyId, exchanger: 'aura', exchangerId: aura.id, revokedAt: null }),
      ]);
      expect(list.text).not.toContain(aura.key.slice(10));
      const audit = await admin<{ items: Array<{ entity: string; entityId: string }> }>('GET', '/v1/admin/audit');
      expect(audit.body.items).toEqual(
        expect.arrayContaining([expect.objectContaining({ entity: 'api_key', entityId: String(aura.keyId) })]),
      );
      expect(audit.text).not.toContain(aura.key.slice(10));
    });

    it('answers 404 for an unknown exchanger and 400 for a missing name', async () => {
      expect((await admin('POST', '/v1/admin/exchangers/999999/keys', { name: 'x' })).status).toBe(404);
      expect((await admin('GET', '/v1/admin/exchangers/999999/keys')).status).toBe(404);
      expect((await admin('POST', `/v1/admin/exchangers/${aura.id}/keys`, {})).status).toBe(400);
      expect((await admin('POST', `/v1/admin/exchangers/${aura.id}/keys`, { name: '   ' })).status).toBe(400);
    });
  });

  describe('its own data', () => {
    it('reads itself with its standing', async () => {
      const answer = await caller(api, aura.key)('GET', '/v1/exchanger');
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({
        exchanger: {
          id: aura.id,
          slug: 'aura',
          name: 'aura exchange',
          status: 'active',
          listedSince: expect.any(String),
        },
        reviews: { positive: 0, neutral: 0, negative: expect.any(Number), claimsOpen: expect.any(Number) },
        key: { id: aura.keyId, name: 'aura support' },
      });
    });

    it('reads its feeds with their health, and no other exchanger’s', async () => {
      const answer = await caller(api, aura.key)<{ items: Array<Record<string, unknown>> }>(
        'GET',
        '/v1/exchanger/feeds',
      );
      expect(answer.status).toBe(200);
      expect(answer.body.items).toEqual([
        expect.objectContaining({ id: aura.feedId, exchangerSlug: 'aura', lastStatus: 'ok', lastRejected: 1 }),
      ]);
    });

    it("reads its feed's runs with every rejected item", async () => {
      const answer = await caller(api, aura.key)<{
        items: Array<{ status: string; rejects: Array<{ reason: string }> }>;
      }>('GET', `/v1/exchanger/feeds/${aura.feedId}/runs`);
      expect(answer.status).toBe(200);
      expect(answer.body.items[0]).toMatchObject({ status: 'ok', rejected: 1 });
      expect(answer.body.items[0]!.rejects[0]!.reason).toContain('ZZZCOIN');
    });

    it('reads its clicks by UTC day and direction over [since, until), and none of another exchanger', async () => {
      const at = (iso: string) => new Date(iso);
      const click = (
        exchangerId: number,
        from: string,
        to: string,
        when: string,
        visitorHash: string,
        isBot = false,
      ) => ({
        exchangerId,
        from,
        to,
        city: null,
        at: at(when),
        visitorHash,
        referrer: null,
        isBot,
      });
      await api.app.get(ClicksRepository).recordBatch([
        click(aura.id, 'BTC', 'ETH', '2026-11-01T10:00:00Z', 'v1'),
        click(aura.id, 'BTC', 'ETH', '2026-11-01T11:00:00Z', 'v1'),
        click(aura.id, 'BTC', 'ETH', '2026-11-01T12:00:00Z', 'v2'),
        click(aura.id, 'USDT', 'BTC', '2026-11-01T23:59:59Z', 'v3', true),
        click(aura.id, 'BTC', 'ETH', '2026-11-02T00:00:00Z', 'v1'),
        click(aura.id, 'BTC', 'ETH', '2026-11-03T00:00:00Z', 'v1'), // at until: outside
        click(bora.id, 'BTC', 'ETH', '2026-11-01T10:00:00Z', 'v1'),
      ]);
      const answer = await caller(api, aura.key)<{ since: string; until: string; items: unknown[] }>(
        'GET',
        '/v1/exchanger/clicks?since=2026-11-01T00:00:00Z&until=2026-11-03T00:00:00Z',
      );
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({
        since: '2026-11-01T00:00:00.000Z',
        until: '2026-11-03T00:00:00.000Z',
        items: [
          { day: '2026-11-01', from: 'BTC', to: 'ETH', clicks: 3, uniqueClicks: 2, bots: 0 },
          { day: '2026-11-01', from: 'USDT', to: 'BTC', clicks: 1, uniqueClicks: 0, bots: 1 },
          { day: '2026-11-02', from: 'BTC', to: 'ETH', clicks: 1, uniqueClicks: 1, bots: 0 },
        ],
      });
    });

    it('reads the last 30 days by default and refuses a window longer than 366 days or upside down', async () => {
      const scoped = caller(api, aura.key);
      const recent = await scoped<{ since: string; until: string }>('GET', '/v1/exchanger/clicks');
      expect(recent.status).toBe(200);
      expect(Date.parse(recent.body.until) - Date.parse(recent.body.since)).toBe(30 * 86_400_000);
      const long = await scoped<ApiErrorBody>(
        'GET',
        '/v1/exchanger/clicks?since=2025-01-01T00:00:00Z&until=2026-01-03T00:00:00Z',
      );
      expect(long.status).toBe(400);
      expect(long.body.message).toContain('366 days');
      expect(
        (await scoped('GET', '/v1/exchanger/clicks?since=2026-11-03T00:00:00Z&until=2026-11-01T00:00:00Z')).status,
      ).toBe(400);
      expect((await scoped('GET', '/v1/exchanger/clicks?since=yesterday')).status).toBe(400);
    });

    it('reads its published reviews and replies to one; the reply shows in its list and the public one', async () => {
      const published = await review(aura.id);
      await review(aura.id, false);
      await review(bora.id);
      const scoped = caller(api, aura.key);
      const list = await scoped<{ items: Array<{ id: string; reply: unknown }>; nextCursor: string | null }>(
        'GET',
        '/v1/exchanger/reviews',
      );
      expect(list.status).toBe(200);
      expect(list.body.items.map((r) => r.id)).toEqual([published]);
      const text = '<b>We are sorry</b>: the bank delayed it, it is sent now.';
      const replied = await scoped('POST', `/v1/exchanger/reviews/${published}/reply`, { text });
      expect(replied.status).toBe(200);
      expect(replied.body).toMatchObject({ id: published, reply: { text, at: expect.any(String) } });
      const again = await scoped<{ items: Array<{ reply: { text: string } | null }> }>('GET', '/v1/exchanger/reviews');
      expect(again.body.items[0]!.reply!.text).toBe(text);
      const shown = await http<{ items: Array<{ id: string; reply: { text: string } | null }> }>(
        `${api.url}/v1/exchangers/aura/reviews`,
      );
      expect(shown.body.items.find((r) => r.id === published)!.reply!.text).toBe(text);
    });

    it('reads its accepted claims with their steps and answers one', async () => {
      const open = await claim(aura.id);
      await claim(aura.id, false);
      const scoped = caller(api, aura.key);
      const list = await scoped<{ items: Array<{ id: string; state: string; events: unknown[] }> }>(
        'GET',
        '/v1/exchanger/claims',
      );
      expect(list.status).toBe(200);
      expect(list.body.items).toEqual([
        expect.objectContaining({
          id: open,
          state: 'open',
          amount: '150.5',
          currency: 'USDT',
          openedAt: expect.any(String),
        }),
      ]);
      expect(list.text).not.toMatch(/keyId|visitorHash|ipHash/);
      const answered = await scoped<{
        state: string;
        events: Array<{ action: string; actor: string; text: string | null }>;
      }>('POST', `/v1/exchanger/claims/${open}/answer`, { text: 'Refunded today: see your card statement.' });
      expect(answered.status).toBe(200);
      expect(answered.body.state).toBe('answered');
      expect(answered.body.events.map((e) => e.action)).toEqual(['file', 'accept', 'answer']);
      expect(answered.body.events[2]).toMatchObject({
        actor: 'exchanger',
        text: 'Refunded today: see your card statement.',
      });
    });

    it('refuses a reply of bad length and a closed claim’s answer', async () => {
      const scoped = caller(api, aura.key);
      const published = await review(aura.id);
      expect((await scoped('POST', `/v1/exchanger/reviews/${published}/reply`, { text: 'x' })).status).toBe(400);
      expect(
        (await scoped('POST', `/v1/exchanger/reviews/${published}/reply`, { text: 'y'.repeat(2001) })).status,
      ).toBe(400);
      expect((await scoped('POST', `/v1/exchanger/reviews/${published}/reply`, {})).status).toBe(400);
      expect((await scoped('POST', `/v1/exchanger/reviews/${published}/reply`, { text: 'ok', extra: 1 })).status).toBe(
        400,
      );
      const closed = await claim(aura.id);
      await claimsOf().moderateClaim(MODERATOR, closed, 'resolve');
      expect((await scoped('POST', `/v1/exchanger/claims/${closed}/answer`, { text: 'too late?' })).status).toBe(409);
    });

    it('answers what the OpenAPI document says, field for field, under the exchanger bearer scheme', async () => {
      const doc = (await http<OpenApiDocument>(`${api.url}/docs-json`)).body;
      const scoped = caller(api, aura.key);
      const reviewId = await review(aura.id);
      const claimId = await claim(aura.id);
      const calls: Array<[string, string, string, unknown?]> = [
        ['get', '/v1/exchanger', '/v1/exchanger'],
        ['get', '/v1/exchanger/feeds', '/v1/exchanger/feeds'],
        ['get', '/v1/exchanger/feeds/{id}/runs', `/v1/exchanger/feeds/${aura.feedId}/runs`],
        ['get', '/v1/exchanger/clicks', '/v1/exchanger/clicks?since=2026-11-01T00:00:00Z&until=2026-11-03T00:00:00Z'],
        ['get', '/v1/exchanger/reviews', '/v1/exchanger/reviews?limit=2'],
        ['get', '/v1/exchanger/claims', '/v1/exchanger/claims?limit=2'],
        ['post', '/v1/exchanger/reviews/{id}/reply', `/v1/exchanger/reviews/${reviewId}/reply`, { text: 'Thank you' }],
        ['post', '/v1/exchanger/claims/{id}/answer', `/v1/exchanger/claims/${claimId}/answer`, { text: 'Refunded' }],
      ];
      for (const [method, path, url, body] of calls) {
        const operation = doc.paths[path]![method]!;
        expect(operation.security, path).toEqual([{ exchanger: [] }]);
        expect(Object.keys(operation.responses), path).toEqual(expect.arrayContaining(['200', '401', '403']));
        const answer = await scoped(method.toUpperCase(), url, body);
        expect(answer.status, url).toBe(200);
        const schema = operation.responses['200']!.content!['application/json']!.schema;
        expect(mismatches(doc, schema, answer.body), url).toEqual([]);
      }
      const keys = `/v1/admin/exchangers/${aura.id}/keys`;
      const made = await admin<{ key: string }>('POST', keys, { name: 'checked' });
      keysMade.push(made.body.key);
      const keysPath = doc.paths['/v1/admin/exchangers/{id}/keys']!;
      expect(mismatches(doc, keysPath.post!.responses['201']!.content!['application/json']!.schema, made.body)).toEqual(
        [],
      );
      const listed = await admin('GET', keys);
      expect(
        mismatches(doc, keysPath.get!.responses['200']!.content!['application/json']!.schema, listed.body),
      ).toEqual([]);
    });
  });

  describe('another exchanger’s data: 403; nothing: 404', () => {
    it("refuses another exchanger's feed runs (403) and answers 404 for a feed that does not exist", async () => {
      const scoped = caller(api, aura.key);
      const other = await scoped<ApiErrorBody>('GET', `/v1/exchanger/feeds/${bora.feedId}/runs`);
      expect(other.status).toBe(403);
      expect(other.body.message).toContain('another exchanger');
      expect(other.text).not.toContain('ZZZCOIN');
      expect((await scoped('GET', '/v1/exchanger/feeds/999999/runs')).status).toBe(404);
      expect((await scoped('GET', '/v1/exchanger/feeds/abc/runs')).status).toBe(400);
    });

    it("refuses a reply to another exchanger's review (403) and leaves it unreplied", async () => {
      const theirs = await review(bora.id);
      const scoped = caller(api, aura.key);
      expect((await scoped('POST', `/v1/exchanger/reviews/${theirs}/reply`, { text: 'not ours to say' })).status).toBe(
        403,
      );
      expect((await reviewsOf().findReview(theirs))!.reply).toBeNull();
      const pendingOwn = await review(aura.id, false);
      for (const id of [pendingOwn, '999999999', 'abc', '-1'])
        expect((await scoped('POST', `/v1/exchanger/reviews/${id}/reply`, { text: 'hello there' })).status).toBe(404);
    });

    it("refuses an answer to another exchanger's claim (403) and leaves it open", async () => {
      const theirs = await claim(bora.id);
      const scoped = caller(api, aura.key);
      expect((await scoped('POST', `/v1/exchanger/claims/${theirs}/answer`, { text: 'not ours to say' })).status).toBe(
        403,
      );
      expect((await claimsOf().findClaim(theirs))!.state).toBe('open');
      const pendingOwn = await claim(aura.id, false);
      for (const id of [pendingOwn, '999999999', 'abc'])
        expect((await scoped('POST', `/v1/exchanger/claims/${id}/answer`, { text: 'hello there' })).status).toBe(404);
    });

    it("never lists another exchanger's reviews, claims, feeds or clicks", async () => {
      const scoped = caller(api, bora.key);
      const texts = await Promise.all(
        ['/v1/exchanger/feeds', '/v1/exchanger/reviews', '/v1/exchanger/claims'].map(
          async (path) => (await scoped('GET', path)).text,
        ),
      );
      // aura's feed, its reply and its answer are aura's alone.
      expect(texts.join('')).not.toMatch(/"exchangerSlug":"aura"|We are sorry|Refunded today/);
      const clicks = await scoped<{ items: unknown[] }>(
        'GET',
        '/v1/exchanger/clicks?since=2026-11-01T00:00:00Z&until=2026-11-03T00:00:00Z',
      );
      expect(clicks.body.items).toEqual([
        { day: '2026-11-01', from: 'BTC', to: 'ETH', clicks: 1, uniqueClicks: 1, bots: 0 },
      ]);
      // Naming another exchanger in the query is refused or changes nothing: the key decides.
      expect((await scoped('GET', `/v1/exchanger/clicks?exchanger=aura&exchangerId=${aura.id}`)).status).toBe(400);
      const feedsAsked = await scoped<{ items: Array<{ id: number }> }>(
        'GET',
        `/v1/exchanger/feeds?exchangerId=${aura.id}&exchanger=aura`,
      );
      expect(feedsAsked.body.items.map((f) => f.id)).toEqual([bora.feedId]);
    });
  });

  describe('which keys open what', () => {
    it('refuses a scoped key on EVERY admin route of the served document with 403 naming its scope', async () => {
      const operations = await operationsUnder(api, '/v1/admin');
      expect(operations.length).toBeGreaterThan(20);
      const scoped = caller(api, aura.key);
      for (const { method, path } of operations) {
        const answer = await scoped<ApiErrorBody>(
          method,
          path,
          method === 'GET' || method === 'DELETE' ? undefined : {},
        );
        expect({ method, path, status: answer.status }).toEqual({ method, path, status: 403 });
        expect(answer.body.message).toBe(
          `key ${aura.keyId} is scoped to exchanger aura: use /v1/exchanger/… (the admin API needs an admin key)`,
        );
      }
      // Nothing was changed by those calls: the exchangers and feeds are as they were.
      const listed = await admin<{ items: Array<{ slug: string }> }>('GET', '/v1/admin/exchangers');
      expect(listed.body.items.map((e) => e.slug)).toEqual(['aura', 'bora']);
    });

    it('refuses an admin key on every cabinet route with 403 saying it has no exchanger', async () => {
      const operations = await operationsUnder(api, '/v1/exchanger');
      expect(operations.map((o) => `${o.method} ${o.path}`).sort()).toEqual([
        'GET /v1/exchanger',
        'GET /v1/exchanger/claims',
        'GET /v1/exchanger/clicks',
        'GET /v1/exchanger/feeds',
        'GET /v1/exchanger/feeds/1/runs',
        'GET /v1/exchanger/reviews',
        'POST /v1/exchanger/claims/1/answer',
        'POST /v1/exchanger/reviews/1/reply',
      ]);
      for (const { method, path } of operations) {
        const answer = await admin<ApiErrorBody>(method, path, method === 'POST' ? { text: 'hello there' } : undefined);
        expect({ path, status: answer.status }).toEqual({ path, status: 403 });
        expect(answer.body.message).toContain('is an admin key and has no exchanger');
      }
    });

    it('answers 401 with WWW-Authenticate for no key, a malformed header and an unknown key', async () => {
      for (const key of [null, 'rw_never-issued-here-0123456789abcdef']) {
        const answer = await caller(api, key)('GET', '/v1/exchanger');
        expect(answer.status).toBe(401);
        expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer realm="ratewatch exchanger"/);
      }
      const basic = await http(`${api.url}/v1/exchanger`, { headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } });
      expect(basic.status).toBe(401);
    });

    it('makes a scoped key with the CLI (admin:key create --exchanger), lists its scope, and refuses an unknown slug', async () => {
      const env = { DATABASE_URL: db.url, LOG_LEVEL: 'silent' };
      const out: string[] = [];
      const err: string[] = [];
      const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t) };
      expect(await runCli(['admin:key', 'create', '--name', 'bora desk', '--exchanger', 'bora'], env, io)).toBe(0);
      const key = out[0]!;
      keysMade.push(key);
      expect(err.join('')).toContain('scoped to exchanger bora');
      const itself = await caller(api, key)<{ exchanger: { slug: string } }>('GET', '/v1/exchanger');
      expect(itself.status).toBe(200);
      expect(itself.body.exchanger.slug).toBe('bora');
      expect((await caller(api, key)('GET', '/v1/admin/exchangers')).status).toBe(403);

      out.length = 0;
      expect(await runCli(['admin:key', 'list'], env, io)).toBe(0);
      const listed = JSON.parse(out[0]!) as Array<{ name: string; exchanger: string | null }>;
      expect(listed.find((k) => k.name === 'bora desk')).toMatchObject({ exchanger: 'bora' });
      expect(listed.find((k) => k.name.startsWith('bootstrap'))).toMatchObject({ exchanger: null });

      err.length = 0;
      expect(await runCli(['admin:key', 'create', '--name', 'ghost', '--exchanger', 'no-such'], env, io)).toBe(1);
      expect(err.join('')).toContain('no exchanger with the slug "no-such"');
      expect(await runCli(['admin:key', 'create', '--name', 'x', '--exchanger', ''], env, io)).toBe(2);
    });

    it('refuses a revoked scoped key with 403', async () => {
      const made = await admin<{ key: string; id: number }>('POST', `/v1/admin/exchangers/${aura.id}/keys`, {
        name: 'to revoke',
      });
      keysMade.push(made.body.key);
      const env = { DATABASE_URL: db.url, LOG_LEVEL: 'silent' };
      const quiet = { out: () => undefined, err: () => undefined };
      expect(await runCli(['admin:key', 'revoke', String(made.body.id)], env, quiet)).toBe(0);
      const answer = await caller(api, made.body.key)<ApiErrorBody>('GET', '/v1/exchanger');
      expect(answer.status).toBe(403);
      expect(answer.body.message).toContain('was revoked');
    });

    it("deletes an exchanger's keys with it: they become unknown (401), never admin keys", async () => {
      expect((await admin('DELETE', `/v1/admin/exchangers/${bora.id}`)).status).toBe(204);
      for (const path of ['/v1/exchanger', '/v1/admin/exchangers'])
        expect((await caller(api, bora.key)('GET', path)).status).toBe(401);
      expect((await caller(api, aura.key)('GET', '/v1/exchanger')).status).toBe(200);
    });
  });

  it('never logs a key (the request log included)', () => {
    const log = logLines.join('');
    expect(log).toContain('/v1/exchanger');
    expect(keysMade.length).toBeGreaterThanOrEqual(5);
    for (const key of keysMade) expect(log).not.toContain(key.slice(10));
  });
});
