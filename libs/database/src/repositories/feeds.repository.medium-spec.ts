import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import type { NormalizedOffer } from '@app/domain';
import { offerOf } from '../../../../test/support/offers';
import { adminActor, migratedDatabase, TestDatabase } from '../../../../test/support/services';
import { Actor } from './audit.repository';
import {
  FeedRunRecord,
  FeedsRepository,
  newFeedRun,
  READS_JUDGED,
  RUNS_KEPT_DAYS,
  RUNS_KEPT_PER_FEED,
} from './feeds.repository';

interface AuditRow {
  key_id: number | null;
  action: string;
  entity: string;
  entity_id: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

const SETTINGS = {
  url: 'https://feed.example/rates.xml',
  format: 'xml',
  intervalSeconds: 60,
  timeoutMs: 5000,
  staleAfterSeconds: 600,
  enabled: true,
};
let feedCount = 0;
/** SETTINGS at a URL of its own: one feed per URL. */
const feedSettings = (overrides: Partial<typeof SETTINGS> = {}) => ({
  ...SETTINGS,
  url: `https://feed${++feedCount}.example/rates.xml`,
  ...overrides,
});

const offer = (from: string, to: string, out: string, city: string | null = null): NormalizedOffer =>
  offerOf({ from, to, out, rate: out, city, reserve: '100' });

const run = (overrides: Partial<FeedRunRecord> = {}): FeedRunRecord =>
  newFeedRun('manual', 'ok', {
    durationMs: 12,
    format: 'xml',
    dialect: 'xml-eref-1.1',
    httpStatus: 200,
    bytes: 1234,
    items: 2,
    accepted: 2,
    ...overrides,
  });

describe('FeedsRepository', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let repository: FeedsRepository;
  let actor: Actor;
  let counter = 0;

  async function exchanger(status = 'active'): Promise<number> {
    const [row] = await dataSource.query<Array<{ id: number }>>(
      `INSERT INTO exchangers (slug, name, site_url, referral_url, status) VALUES ($1::text, $1::text, 'https://x.example', 'https://x.example/?rid=1', $2) RETURNING id`,
      [`exchanger-${++counter}`, status],
    );
    return row!.id;
  }
  const auditCount = async () =>
    Number((await dataSource.query<Array<{ n: string }>>(`SELECT count(*) AS n FROM admin_audit`))[0]!.n);
  const lastAudit = async () =>
    (
      await dataSource.query<AuditRow[]>(
        `SELECT key_id, action, entity, entity_id, before, after FROM admin_audit ORDER BY id DESC LIMIT 1`,
      )
    )[0];
  const offersOf = (feedId: number) =>
    dataSource.query<Array<{ from_code: string; to_code: string; city: string; rate: string; exchanger_id: number }>>(
      `SELECT from_code, to_code, city, rate::text AS rate, exchanger_id FROM offers WHERE feed_id = $1 ORDER BY from_code, to_code, city`,
      [feedId],
    );
  const runsOf = (feedId: number) =>
    dataSource.query<
      Array<{
        status: string;
        inserted: number;
        updated: number;
        deleted: number;
        error_code: string | null;
        error_message: string | null;
        dialect: string | null;
      }>
    >(
      `SELECT status, inserted, updated, deleted, error_code, error_message, dialect FROM feed_runs WHERE feed_id = $1 ORDER BY id`,
      [feedId],
    );
  const feedState = async (feedId: number) =>
    (
      await dataSource.query<
        Array<{
          last_status: string | null;
          last_error: unknown;
          consecutive_failures: number;
          in_maintenance: boolean;
          last_success_at: Date | null;
          last_attempt_at: Date | null;
          etag: string | null;
          content_hash: string | null;
        }>
      >(
        `SELECT last_status, last_error, consecutive_failures, in_maintenance, last_success_at, last_attempt_at, etag, content_hash FROM feeds WHERE id = $1`,
        [feedId],
      )
    )[0]!;

  beforeAll(async () => {
    ({ db, dataSource } = await migratedDatabase());
    repository = new FeedsRepository(dataSource);
    actor = await adminActor(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  describe('admin CRUD', () => {
    it('creates a feed with its settings and audits it', async () => {
      const exchangerId = await exchanger();
      const feed = await repository.create(actor, exchangerId, feedSettings());
      expect(feed).toMatchObject({ ...SETTINGS, exchangerId, url: `https://feed${feedCount}.example/rates.xml` });
      expect(await repository.find(feed.id)).toEqual(feed);
      expect(await lastAudit()).toMatchObject({
        key_id: actor.keyId,
        action: 'create',
        entity: 'feed',
        entity_id: String(feed.id),
        before: null,
        after: { id: feed.id, url: feed.url },
      });
    });

    it('refuses a feed of an unknown exchanger and audits nothing', async () => {
      const audits = await auditCount();
      await expect(repository.create(actor, 999_999, feedSettings())).rejects.toThrow();
      expect(await auditCount()).toBe(audits);
    });

    it('refuses a second feed at a URL already registered, for any exchanger, on create and on update', async () => {
      const first = await repository.create(actor, await exchanger(), feedSettings());
      const other = await repository.create(actor, await exchanger(), feedSettings());
      const audits = await auditCount();
      await expect(repository.create(actor, await exchanger(), { ...SETTINGS, url: first.url })).rejects.toThrow(
        /url is already registered as a feed/,
      );
      await expect(repository.update(actor, other.id, { url: first.url })).rejects.toThrow(
        /url is already registered as another feed/,
      );
      expect(await repository.find(other.id)).toEqual(other);
      expect(await auditCount()).toBe(audits);
    });

    it('keeps an hourly feed fresh between two polls even with a stale limit shorter than its interval', async () => {
      const exchangerId = await exchanger();
      const hourly = await repository.create(
        actor,
        exchangerId,
        feedSettings({ intervalSeconds: 3600, timeoutMs: 10_000, staleAfterSeconds: 300 }),
      );
      const confirmedAgo = async (seconds: number) => {
        await repository.applyAnswer(
          { id: hourly.id, exchangerId },
          run({ startedAt: new Date(Date.now() - seconds * 1000) }),
          { etag: null, lastModified: null, contentHash: String(seconds) },
          [offer('BTC', 'ETH', '20')],
        );
        const health = (await repository.health()) as Array<{ id: number; fresh: boolean }>;
        return health.find((feed) => feed.id === hourly.id)!.fresh;
      };
      // 55 minutes after a poll the next one is not even due: the exchanger must still be shown.
      expect(await confirmedAgo(55 * 60)).toBe(true);
      // One interval, the timeout and a minute of slack later, it is stale.
      expect(await confirmedAgo(3600 + 10 + 61)).toBe(false);
    });

    it("lists an exchanger's feeds by id, and finds none for an unknown id", async () => {
      const exchangerId = await exchanger();
      const a = await repository.create(actor, exchangerId, feedSettings());
      const b = await repository.create(actor, exchangerId, feedSettings({ format: 'json' }));
      await repository.create(actor, await exchanger(), feedSettings());
      expect((await repository.listOfExchanger(exchangerId)).map((f) => f.id)).toEqual([a.id, b.id]);
      expect(await repository.find(999_999)).toBeNull();
    });

    it('updates only the given settings and audits before and after', async () => {
      const feed = await repository.create(actor, await exchanger(), feedSettings());
      const updated = await repository.update(actor, feed.id, { intervalSeconds: 120, enabled: false });
      expect(updated).toMatchObject({ ...SETTINGS, id: feed.id, url: feed.url, intervalSeconds: 120, enabled: false });
      expect(await repository.find(feed.id)).toMatchObject({ intervalSeconds: 120, enabled: false, url: feed.url });
      expect(await lastAudit()).toMatchObject({
        action: 'update',
        entity: 'feed',
        entity_id: String(feed.id),
        before: { intervalSeconds: 60, enabled: true },
        after: { intervalSeconds: 120, enabled: false },
      });
    });

    it('answers null or false for an unknown feed and audits nothing', async () => {
      const audits = await auditCount();
      expect(await repository.update(actor, 999_999, { enabled: false })).toBeNull();
      expect(await repository.delete(actor, 999_999)).toBe(false);
      expect(await auditCount()).toBe(audits);
    });

    it('leaves the feed and the audit untouched when an update breaks a rule', async () => {
      const feed = await repository.create(actor, await exchanger(), feedSettings());
      const audits = await auditCount();
      await expect(
        repository.update(actor, feed.id, { url: 'https://changed.example', intervalSeconds: 1 }),
      ).rejects.toThrow();
      expect(await repository.find(feed.id)).toEqual(feed);
      expect(await auditCount()).toBe(audits);
    });

    it('deletes a feed with its offers and runs, keeping sibling feeds, and audits it', async () => {
      const exchangerId = await exchanger();
      const doomed = await repository.create(actor, exchangerId, feedSettings());
      const sibling = await repository.create(actor, exchangerId, feedSettings());
      await repository.applyAnswer(
        { id: doomed.id, exchangerId },
        run(),
        { etag: null, lastModified: null, contentHash: 'a' },
        [offer('BTC', 'ETH', '20')],
      );
      await repository.applyAnswer(
        { id: sibling.id, exchangerId },
        run(),
        { etag: null, lastModified: null, contentHash: 'b' },
        [offer('BTC', 'ETH', '21')],
      );

      expect(await repository.delete(actor, doomed.id)).toBe(true);
      expect(await repository.find(doomed.id)).toBeNull();
      expect(await offersOf(doomed.id)).toEqual([]);
      expect(await runsOf(doomed.id)).toEqual([]);
      expect(await offersOf(sibling.id)).toHaveLength(1);
      expect(await lastAudit()).toMatchObject({
        action: 'delete',
        entity: 'feed',
        entity_id: String(doomed.id),
        before: { id: doomed.id },
        after: null,
      });
    });
  });

  describe('poll side', () => {
    it('applyAnswer writes the offers, the feed state and one run with the change counts', async () => {
      const exchangerId = await exchanger();
      const feed = await repository.create(actor, exchangerId, feedSettings());
      const startedAt = new Date(Date.now() - 1000);
      const change = await repository.applyAnswer(
        { id: feed.id, exchangerId },
        run({ startedAt }),
        { etag: '"v1"', lastModified: null, contentHash: 'hash-1' },
        [offer('BTC', 'ETH', '20.5'), offer('USDTTRC20', 'CASHUSD', '0.99', 'MSK')],
      );
      expect(change).toMatchObject({ inserted: 2, updated: 0, deleted: 0 });
      expect(await offersOf(feed.id)).toEqual([
        { from_code: 'BTC', to_code: 'ETH', city: '', rate: '20.5', exchanger_id: exchangerId },
        { from_code: 'USDTTRC20', to_code: 'CASHUSD', city: 'MSK', rate: '0.99', exchanger_id: exchangerId },
      ]);
      expect(await runsOf(feed.id)).toEqual([
        {
          status: 'ok',
          inserted: 2,
          updated: 0,
          deleted: 0,
          error_code: null,
          error_message: null,
          dialect: 'xml-eref-1.1',
        },
      ]);
      expect(await feedState(feed.id)).toMatchObject({
        last_status: 'ok',
        consecutive_failures: 0,
        in_maintenance: false,
        last_success_at: startedAt,
        etag: '"v1"',
        content_hash: 'hash-1',
      });

      const second = await repository.applyAnswer(
        { id: feed.id, exchangerId },
        run(),
        { etag: '"v2"', lastModified: null, contentHash: 'hash-2' },
        [offer('BTC', 'ETH', '21')],
      );
      expect(second).toMatchObject({ inserted: 0, updated: 1, deleted: 1 });
      expect((await offersOf(feed.id)).map((o) => `${o.from_code}>${o.to_code}=${o.rate}`)).toEqual(['BTC>ETH=21']);
      expect((await runsOf(feed.id)).map((r) => [r.inserted, r.updated, r.deleted])).toEqual([
        [2, 0, 0],
        [0, 1, 1],
      ]);
    });

    it('applyAnswer sends the lock with the write: two round trips under a valid cache, and nothing for a feed deleted meanwhile', async () => {
      const exchangerId = await exchanger();
      const feed = await repository.create(actor, exchangerId, feedSettings());
      const target = { id: feed.id, exchangerId };
      const answer = (contentHash: string) => ({ etag: null, lastModified: null, contentHash });
      const codes = (
        await dataSource.query<Array<{ code: string }>>(`SELECT code FROM currencies ORDER BY code LIMIT 11`)
      ).map((c) => c.code);
      const pairs = codes.flatMap((from) => codes.filter((to) => to !== from).map((to) => [from, to] as const));
      const offers = (out: string) => pairs.slice(0, 100).map(([from, to], i) => offer(from, to, `${out}.${i}`));
      // Every query a connection of the pool sends while `work` runs (applyAnswer runs alone here).
      const sent = async (work: () => Promise<unknown>) => {
        // A spy calls through: the queries run as they would.
        const spy = vi.spyOn(Client.prototype, 'query');
        try {
          await work();
          return spy.mock.calls.map(([query]) => {
            const sentQuery = query as unknown as string | { text?: string };
            return typeof sentQuery === 'string' ? sentQuery : (sentQuery.text ?? 'a COPY');
          });
        } finally {
          spy.mockRestore();
        }
      };

      // The first write reads what is stored (with the lock), then writes: three round trips.
      const first = await sent(() => repository.applyAnswer(target, run(), answer('a'), offers('1')));
      expect(first).toHaveLength(3);
      expect(first[0]).toMatch(/^BEGIN; SELECT in_maintenance.*FOR UPDATE; SELECT .*string_agg/s);
      // 100 changed offers under the cache this process keeps: lock, staging, COPY and write in one, then the COMMIT.
      const changed = await sent(() => repository.applyAnswer(target, run(), answer('b'), offers('2')));
      expect(changed).toHaveLength(2);
      expect(changed[0]).toMatch(
        /^BEGIN; SELECT in_maintenance.*FOR UPDATE; CREATE TEMP TABLE.*COPY .*FROM STDIN; (PREPARE \w+ AS\s*WITH current AS.*; )?EXECUTE ratewatch_write_staged_\w+\(/s,
      );
      expect(changed[1]).toMatch(/COMMIT$/);
      expect((await offersOf(feed.id)).map((o) => o.rate)).toContain('2.0');
      // Three changed offers (below STAGE_FROM_ROWS, where a write without the lock ahead sends arrays): staged
      // with the lock all the same, two round trips.
      const few = offers('2').map((o, i) => (i < 3 ? { ...o, out: '9', rate: '9' } : o));
      const small = await sent(() => repository.applyAnswer(target, run(), answer('b2'), few));
      expect(small).toHaveLength(2);
      expect(small[0]).toMatch(
        /FOR UPDATE; CREATE TEMP TABLE.*COPY .*FROM STDIN; (PREPARE .*; )?EXECUTE ratewatch_write_staged_/s,
      );
      await repository.applyAnswer(target, run(), answer('b3'), offers('2'));
      // Another body with the same offers: the lock and the snapshot version, then the COMMIT.
      const same = await sent(() => repository.applyAnswer(target, run(), answer('c'), offers('2')));
      expect(same).toHaveLength(2);
      expect(same[0]).toMatch(/FOR UPDATE; SELECT version::text FROM feed_snapshots/);
      expect((await runsOf(feed.id)).map((r) => [r.inserted, r.updated, r.deleted])).toEqual([
        [100, 0, 0],
        [0, 100, 0],
        [0, 3, 0],
        [0, 3, 0],
        [0, 0, 0],
      ]);

      // Deleted while the next poll was fetching: its write went with the lock, found no snapshot, changed nothing.
      await repository.delete(actor, feed.id);
      const late = await sent(async () =>
        expect(await repository.applyAnswer(target, run(), answer('d'), offers('3'))).toMatchObject({
          inserted: 0,
          updated: 0,
          deleted: 0,
        }),
      );
      expect(late).toHaveLength(2);
      expect(late[1]).toBe('COMMIT');
      expect(await offersOf(feed.id)).toEqual([]);
      expect(await dataSource.query(`SELECT 1 FROM feed_runs WHERE feed_id = $1`, [feed.id])).toEqual([]);
    });

    it('applyAnswer in maintenance keeps the offers and marks the feed', async () => {
      const exchangerId = await exchanger();
      const feed = await repository.create(actor, exchangerId, feedSettings());
      await repository.applyAnswer(
        { id: feed.id, exchangerId },
        run(),
        { etag: null, lastModified: null, contentHash: 'a' },
        [offer('BTC', 'ETH', '20')],
      );
      const change = await repository.applyAnswer(
        { id: feed.id, exchangerId },
        run({ status: 'maintenance' }),
        { etag: null, lastModified: null, contentHash: 'b' },
        null,
      );
      expect(change).toMatchObject({ inserted: 0, updated: 0, deleted: 0 });
      expect(await offersOf(feed.id)).toHaveLength(1);
      expect(await feedState(feed.id)).toMatchObject({ last_status: 'maintenance', in_maintenance: true });
    });

    it('applyAnswer stores the answer and the run as they came: quotes, backslashes, placeholders and times in their text', async () => {
      const exchangerId = await exchanger();
      const feed = await repository.create(actor, exchangerId, feedSettings());
      const tricky = `W/"it's" \\ $1 $10 E'\\x' --; COMMIT`;
      const startedAt = new Date('2026-03-04T05:06:07.891Z');
      await repository.applyAnswer(
        { id: feed.id, exchangerId },
        run({
          startedAt,
          dialect: null,
          rejects: [{ index: 3, reason: tricky }],
          warnings: [tricky],
        }),
        { etag: tricky, lastModified: `Tue, 03 Jun 2025 10:00:00 GMT'`, contentHash: '$2' },
        [offer('BTC', 'ETH', '20')],
      );
      const [state] = await dataSource.query<
        Array<{ etag: string; last_modified: string; content_hash: string; last_success_at: Date }>
      >(`SELECT etag, last_modified, content_hash, last_success_at FROM feeds WHERE id = $1`, [feed.id]);
      expect(state).toEqual({
        etag: tricky,
        last_modified: `Tue, 03 Jun 2025 10:00:00 GMT'`,
        content_hash: '$2',
        last_success_at: startedAt,
      });
      const [stored] = await dataSource.query<
        Array<{ rejects: Array<{ reason: string }>; warnings: string[]; dialect: string | null; started_at: Date }>
      >(`SELECT rejects, warnings, dialect, started_at FROM feed_runs WHERE feed_id = $1`, [feed.id]);
      expect(stored).toMatchObject({ warnings: [tricky], dialect: null, started_at: startedAt });
      expect(stored!.rejects).toEqual([{ index: 3, reason: tricky }]);
      expect(await offersOf(feed.id)).toHaveLength(1);
    });

    it('applyAnswer with history marks the touched directions in its own transaction, one row a write, and nothing else of history', async () => {
      const exchangerId = await exchanger();
      const feed = await repository.create(actor, exchangerId, feedSettings());
      const pending = () =>
        dataSource.query<Array<{ exchanger_id: number; froms: string[]; tos: string[] }>>(
          `SELECT exchanger_id, froms, tos FROM history_pending WHERE exchanger_id = $1 ORDER BY id`,
          [exchangerId],
        );
      const apply = (offers: NormalizedOffer[], hash: string) =>
        repository.applyAnswer(
          { id: feed.id, exchangerId },
          run(),
          { etag: null, lastModified: null, contentHash: hash },
          offers,
          undefined,
          true,
        );
      const first = await apply(
        [offer('BTC', 'ETH', '20'), offer('LTC', 'ETH', '0.5', 'MSK'), offer('LTC', 'ETH', '0.6', 'SPB')],
        'a',
      );
      expect(first.inserted).toBe(3);
      expect(await pending()).toEqual([{ exchanger_id: exchangerId, froms: ['BTC', 'LTC'], tos: ['ETH', 'ETH'] }]);
      // The recorder's work, not the write's: no best, no change point yet.
      const [{ n }] = (await dataSource.query<Array<{ n: number }>>(
        `SELECT count(*)::int AS n FROM history_directions WHERE from_code = 'LTC' AND to_code = 'ETH'`,
      )) as [{ n: number }];
      expect(n).toBe(0);
      // A write that changes nothing marks nothing.
      await apply(
        [offer('BTC', 'ETH', '20'), offer('LTC', 'ETH', '0.5', 'MSK'), offer('LTC', 'ETH', '0.6', 'SPB')],
        'b',
      );
      expect(await pending()).toHaveLength(1);
      // A write that fails when it marks nothing either: the mark
      // commits or rolls back with the snapshot.
      await dataSource.query(
        `ALTER TABLE history_pending ADD CONSTRAINT refuse_btc CHECK (NOT ('BTC' = ANY(froms))) NOT VALID`,
      );
      try {
        await expect(apply([offer('BTC', 'ETH', '21')], 'c')).rejects.toThrow(/refuse_btc/);
      } finally {
        await dataSource.query(`ALTER TABLE history_pending DROP CONSTRAINT refuse_btc`);
      }
      expect(await pending()).toHaveLength(1);
      expect((await offersOf(feed.id)).find((o) => o.from_code === 'BTC')?.rate).toBe('20');
      await dataSource.query(`DELETE FROM history_pending WHERE exchanger_id = $1`, [exchangerId]);
    });

    it('recordFailure keeps the offers, counts the failure and stores the error on the feed and the run', async () => {
      const exchangerId = await exchanger();
      const feed = await repository.create(actor, exchangerId, feedSettings());
      const okAt = new Date(Date.now() - 5000);
      await repository.applyAnswer(
        { id: feed.id, exchangerId },
        run({ startedAt: okAt }),
        { etag: null, lastModified: null, contentHash: 'a' },
        [offer('BTC', 'ETH', '20')],
      );
      const error = { code: 'timeout', message: 'no answer in 5000 ms' };
      await repository.recordFailure(feed.id, run({ status: 'error', error, httpStatus: null, dialect: null }));
      await repository.recordFailure(feed.id, run({ status: 'error', error, httpStatus: null, dialect: null }));
      expect(await offersOf(feed.id)).toHaveLength(1);
      expect(await feedState(feed.id)).toMatchObject({
        last_status: 'error',
        last_error: error,
        consecutive_failures: 2,
        last_success_at: okAt,
      });
      expect((await runsOf(feed.id)).map((r) => [r.status, r.error_code, r.error_message])).toEqual([
        ['ok', null, null],
        ['error', 'timeout', 'no answer in 5000 ms'],
        ['error', 'timeout', 'no answer in 5000 ms'],
      ]);
    });

    it('recordUnchanged confirms the feed, clears the failure and keeps a known etag', async () => {
      const exchangerId = await exchanger();
      const feed = await repository.create(actor, exchangerId, feedSettings());
      await repository.applyAnswer(
        { id: feed.id, exchangerId },
        run(),
        { etag: '"v1"', lastModified: null, contentHash: 'a' },
        [offer('BTC', 'ETH', '20')],
      );
      await repository.recordFailure(feed.id, run({ status: 'error', error: { code: 'timeout', message: 'slow' } }));
      const at = new Date();
      await repository.recordUnchanged(feed.id, run({ status: 'not_modified', startedAt: at, httpStatus: 304 }), {
        etag: null,
        lastModified: null,
        contentHash: null,
      });
      expect(await feedState(feed.id)).toMatchObject({
        last_status: 'not_modified',
        last_error: null,
        consecutive_failures: 0,
        last_success_at: at,
        etag: '"v1"',
      });
      expect((await runsOf(feed.id)).map((r) => r.status)).toEqual(['ok', 'error', 'not_modified']);
    });

    it('findForPoll gives what a poll needs, with the catalog version', async () => {
      const exchangerId = await exchanger('paused');
      const feed = await repository.create(actor, exchangerId, feedSettings());
      const found = await repository.findForPoll(feed.id);
      expect(found).toMatchObject({
        id: feed.id,
        exchangerId,
        exchangerStatus: 'paused',
        url: feed.url,
        format: 'xml',
        intervalSeconds: 60,
        timeoutMs: 5000,
        enabled: true,
        etag: null,
        consecutiveFailures: 0,
      });
      expect(found!.catalogVersion).toMatch(/^\d+$/);
      expect(await repository.findForPoll(999_999)).toBeNull();
    });
  });

  describe('health, scheduling and retention', () => {
    let freshFeed: number;
    let disabledFeed: number;
    let pausedFeed: number;
    let staleFeed: number;
    let maintenanceFeed: number;
    let failingFeed: number;

    beforeAll(async () => {
      await dataSource.query(`DELETE FROM offers`);
      await dataSource.query(`DELETE FROM exchangers`);
      const active = await exchanger();
      freshFeed = (await repository.create(actor, active, feedSettings())).id;
      await repository.applyAnswer(
        { id: freshFeed, exchangerId: active },
        run(),
        { etag: null, lastModified: null, contentHash: 'a' },
        [offer('BTC', 'ETH', '20'), offer('ETH', 'BTC', '0.05')],
      );
      disabledFeed = (await repository.create(actor, active, feedSettings({ enabled: false }))).id;
      staleFeed = (await repository.create(actor, active, feedSettings({ staleAfterSeconds: 60 }))).id;
      await repository.applyAnswer(
        { id: staleFeed, exchangerId: active },
        run({ startedAt: new Date(Date.now() - 200_000) }),
        { etag: null, lastModified: null, contentHash: 'a' },
        [offer('BTC', 'ETH', '20')],
      );
      maintenanceFeed = (await repository.create(actor, active, feedSettings())).id;
      await repository.applyAnswer(
        { id: maintenanceFeed, exchangerId: active },
        run({ status: 'maintenance' }),
        { etag: null, lastModified: null, contentHash: 'a' },
        null,
      );
      failingFeed = (await repository.create(actor, active, feedSettings())).id;
      await repository.recordFailure(
        failingFeed,
        run({ status: 'error', error: { code: 'dns_failed', message: 'no such host' } }),
      );
      const paused = await exchanger('paused');
      pausedFeed = (await repository.create(actor, paused, feedSettings())).id;
      await repository.applyAnswer(
        { id: pausedFeed, exchangerId: paused },
        run(),
        { etag: null, lastModified: null, contentHash: 'a' },
        [offer('BTC', 'ETH', '20')],
      );
    });

    it('health lists every feed with its state, freshness and offer count', async () => {
      const health = (await repository.health()) as Array<Record<string, unknown>>;
      expect(health.map((h) => h.id)).toEqual([
        freshFeed,
        disabledFeed,
        staleFeed,
        maintenanceFeed,
        failingFeed,
        pausedFeed,
      ]);
      const byId = new Map(health.map((h) => [h.id, h]));
      expect(byId.get(freshFeed)).toMatchObject({
        fresh: true,
        offers: 2,
        lastStatus: 'ok',
        exchangerStatus: 'active',
        enabled: true,
        consecutiveFailures: 0,
      });
      expect(byId.get(disabledFeed)).toMatchObject({ fresh: false, offers: 0, enabled: false, lastStatus: null });
      expect(byId.get(staleFeed)).toMatchObject({ fresh: false, offers: 1 });
      expect(byId.get(maintenanceFeed)).toMatchObject({ fresh: false, inMaintenance: true, lastStatus: 'maintenance' });
      expect(byId.get(failingFeed)).toMatchObject({
        fresh: false,
        consecutiveFailures: 1,
        lastError: { code: 'dns_failed', message: 'no such host' },
      });
      expect(byId.get(pausedFeed)).toMatchObject({ fresh: false, offers: 1, exchangerStatus: 'paused' });
      expect(String(byId.get(freshFeed)!.exchangerSlug)).toMatch(/^exchanger-\d+$/);
    });

    it('schedules only enabled feeds of active exchangers', async () => {
      expect(await repository.listSchedulable()).toEqual([
        { id: freshFeed, intervalSeconds: 60 },
        { id: staleFeed, intervalSeconds: 60 },
        { id: maintenanceFeed, intervalSeconds: 60 },
        { id: failingFeed, intervalSeconds: 60 },
      ]);
    });

    it('counts enabled feeds of active exchangers by state', async () => {
      // stale: the stale one and the never-confirmed failing one; maintenance is counted apart.
      expect(await repository.countByState()).toEqual({ fresh: 1, stale: 2, failing: 1, maintenance: 1, rejecting: 0 });
      // Rejecting: each of its last READS_JUDGED reads rejected items (counted beside its other state).
      const rows = await dataSource.query<Array<{ id: number }>>(
        `INSERT INTO feed_runs (feed_id, started_at, duration_ms, status, items, rejected)
         SELECT $1, now() - make_interval(secs => g), 1, 'ok', 5, 1 FROM generate_series(1, $2) g RETURNING id`,
        [staleFeed, READS_JUDGED],
      );
      expect(await repository.countByState()).toMatchObject({ stale: 2, rejecting: 1 });
      await dataSource.query(`DELETE FROM feed_runs WHERE id = ANY($1)`, [rows.map((r) => r.id)]);
    });

    it(`prunes runs older than ${RUNS_KEPT_DAYS} days and beyond ${RUNS_KEPT_PER_FEED} per feed`, async () => {
      const insertRuns = (feedId: number, count: number, daysAgo: number) =>
        dataSource.query(
          `INSERT INTO feed_runs (feed_id, started_at, duration_ms, status) SELECT $1, now() - make_interval(days => $3) - make_interval(secs => g), 1, 'ok' FROM generate_series(1, $2) g`,
          [feedId, count, daysAgo],
        );
      const runCount = async (feedId: number) =>
        Number(
          (
            await dataSource.query<Array<{ n: string }>>(`SELECT count(*) AS n FROM feed_runs WHERE feed_id = $1`, [
              feedId,
            ])
          )[0]!.n,
        );
      await dataSource.query(`DELETE FROM feed_runs`);
      await insertRuns(freshFeed, RUNS_KEPT_PER_FEED + 5, 0);
      await insertRuns(freshFeed, 3, RUNS_KEPT_DAYS + 1);
      await insertRuns(staleFeed, 10, 0);
      await insertRuns(staleFeed, 2, RUNS_KEPT_DAYS + 1);
      const [newest] = await dataSource.query<Array<{ id: string }>>(
        `SELECT id::text FROM feed_runs WHERE feed_id = $1 ORDER BY started_at DESC LIMIT 1`,
        [freshFeed],
      );

      expect(await repository.pruneRuns()).toBe(5 + 3 + 2);
      expect(await runCount(freshFeed)).toBe(RUNS_KEPT_PER_FEED);
      expect(await runCount(staleFeed)).toBe(10);
      expect(await dataSource.query(`SELECT id::text FROM feed_runs WHERE id = $1`, [newest!.id])).toEqual([
        { id: newest!.id },
      ]);
      expect(await repository.pruneRuns()).toBe(0);
    });
  });
});
