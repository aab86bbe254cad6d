import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@app/config';
import { READS_JUDGED } from '@app/database';
import { RunningApi, startApi } from '../../apps/api/src/bootstrap';
import { FeedServer } from '../support/feed-server';
import { http } from '../support/http';
import { createTestDatabase, TestDatabase } from '../support/services';

const ADMIN_KEY = 'feed-health-admin-key-0123456789abcdefghijkl';

const item = (from: string, to: string, out: string) =>
  `<item><from>${from}</from><to>${to}</to><in>1</in><out>${out}</out><amount>1000</amount></item>`;
/** A feed with one good offer; `unknown` adds an item with a code no catalog knows. Each `rate` is a new body. */
const body = (rate: string, unknown = false) =>
  `<rates>${item('BTC', 'ETH', rate)}${unknown ? item('ZZZCOIN', 'BTC', '1') : ''}</rates>`;

interface Health {
  id: number;
  exchangerName: string;
  exchangerSlug: string;
  lastStatus: string | null;
  consecutiveFailures: number;
  lastRejected: number | null;
  lastRejects: Array<{ index: number; reason: string }>;
  rejecting: boolean;
}

/** GET /v1/admin/feeds/health: exchanger names, the last read's rejected items and the `rejecting` state. */
describe('admin feed health: rejected items (standalone)', () => {
  let db: TestDatabase;
  let api: RunningApi;
  const feeds = new FeedServer();
  let feedId: number;

  const call = async <T>(method: string, path: string, payload?: unknown) =>
    http<T>(`${api.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${ADMIN_KEY}`,
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: payload === undefined ? undefined : JSON.stringify(payload),
    });
  const health = async (): Promise<Health> => {
    const answer = await call<{ items: Health[] }>('GET', '/v1/admin/feeds/health');
    expect(answer.status).toBe(200);
    return answer.body.items.find((h) => h.id === feedId)!;
  };
  /** Serves `served` and polls the feed now, waiting for the run. */
  const pollWith = async (served: { body: string; status?: number }) => {
    feeds.serve('/feed.xml', served);
    expect((await call('POST', `/v1/admin/feeds/${feedId}/refresh?wait=true`)).status).toBe(200);
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    await feeds.start();
    feeds.serve('/feed.xml', { body: body('20') });
    api = await startApi(
      loadConfig({
        DATABASE_URL: db.url,
        ADMIN_API_KEY: ADMIN_KEY,
        FETCH_ALLOW_PRIVATE: 'true',
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
      }),
    );
    const exchanger = await call<{ id: number }>('POST', '/v1/admin/exchangers', {
      slug: 'aura',
      name: 'Aura Exchange',
      siteUrl: 'https://aura.example',
      referralUrl: 'https://aura.example/?rid=1',
    });
    expect(exchanger.status).toBe(201);
    const feed = await call<{ id: number }>('POST', `/v1/admin/exchangers/${exchanger.body.id}/feeds`, {
      url: feeds.url('/feed.xml'),
      intervalSeconds: 3600,
    });
    expect(feed.status).toBe(201);
    feedId = feed.body.id;
  });

  afterAll(async () => {
    await api?.close();
    await feeds.stop();
    await db?.drop();
  });

  it('names the exchanger and says nothing was read before the first read', async () => {
    const before = await health();
    expect(before).toMatchObject({ exchangerName: 'Aura Exchange', exchangerSlug: 'aura' });
    if (before.lastRejected === null) expect(before).toMatchObject({ lastRejects: [], rejecting: false });
  });

  it('a clean read rejects nothing and is not rejecting', async () => {
    await pollWith({ body: body('21') });
    expect(await health()).toMatchObject({ lastStatus: 'ok', lastRejected: 0, lastRejects: [], rejecting: false });
  });

  it('a read that rejects an unknown code is counted, with its reason, but one among clean reads is not "rejecting"', async () => {
    await pollWith({ body: body('22', true) });
    const h = await health();
    expect(h).toMatchObject({ lastStatus: 'ok', consecutiveFailures: 0, lastRejected: 1, rejecting: false });
    expect(h.lastRejects).toHaveLength(1);
    expect(h.lastRejects[0]!.index).toBe(1);
    expect(h.lastRejects[0]!.reason).toContain('ZZZCOIN');
  });

  it(`is "rejecting" once each of the last ${READS_JUDGED} reads rejected items; unchanged bodies and failed fetches do not break it`, async () => {
    for (let i = 1; i < READS_JUDGED; i++) await pollWith({ body: body(`3${i}`, true) });
    expect(await health()).toMatchObject({ lastRejected: 1, rejecting: true });
    // The same bytes again: an unchanged run reads nothing, so it neither clears nor counts.
    await pollWith({ body: body(`3${READS_JUDGED - 1}`, true) });
    const runs = await call<{ items: Array<{ status: string }> }>('GET', `/v1/admin/feeds/${feedId}/runs?limit=1`);
    expect(runs.body.items[0]!.status).toBe('unchanged');
    expect(await health()).toMatchObject({ rejecting: true, lastRejected: 1 });
    // A failed fetch is "failing", and what the feed rejected when it last read stays visible.
    await pollWith({ body: 'upstream down', status: 502 });
    expect(await health()).toMatchObject({
      lastStatus: 'error',
      consecutiveFailures: 1,
      rejecting: true,
      lastRejected: 1,
    });
  });

  it('one clean read ends it', async () => {
    await pollWith({ body: body('40') });
    expect(await health()).toMatchObject({ lastStatus: 'ok', lastRejected: 0, lastRejects: [], rejecting: false });
  });

  it('a read where every item is rejected (an error run) counts as a rejecting read', async () => {
    for (let i = 0; i < READS_JUDGED; i++)
      await pollWith({ body: `<rates>${item('ZZZCOIN', 'BTC', `5${i}`)}${item('YYYCOIN', 'BTC', '1')}</rates>` });
    const h = await health();
    expect(h).toMatchObject({ lastStatus: 'error', lastRejected: 2, rejecting: true });
    expect(h.lastRejects.map((r) => r.index)).toEqual([0, 1]);
  });

  it('is documented in the OpenAPI document', async () => {
    const doc = await http<{ components: { schemas: Record<string, { properties: Record<string, unknown> }> } }>(
      `${api.url}/docs-json`,
    );
    expect(Object.keys(doc.body.components.schemas.FeedHealthDto!.properties)).toEqual(
      expect.arrayContaining(['exchangerName', 'lastRejected', 'lastRejects', 'rejecting', 'consecutiveFailures']),
    );
  });
});
