import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { ConflictError } from '@app/domain';
import { offerOf } from '../../../../test/support/offers';
import { migratedDatabase, adminActor, TestDatabase } from '../../../../test/support/services';
import { Actor } from './audit.repository';
import { ExchangersRepository } from './exchangers.repository';
import { FeedsRepository, newFeedRun } from './feeds.repository';

interface AuditRow {
  key_id: number | null;
  action: string;
  entity: string;
  entity_id: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

describe('ExchangersRepository', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let repository: ExchangersRepository;
  let actor: Actor;
  let counter = 0;

  const fields = (slug: string, status = 'active') => ({
    slug,
    name: `Name ${slug}`,
    siteUrl: `https://${slug}.example`,
    referralUrl: `https://${slug}.example/?rid=1`,
    status,
  });
  const nextSlug = () => `exchanger-${++counter}`;
  const auditCount = async () =>
    Number((await dataSource.query<Array<{ n: string }>>(`SELECT count(*) AS n FROM admin_audit`))[0]!.n);
  const lastAudit = async () =>
    (
      await dataSource.query<AuditRow[]>(
        `SELECT key_id, action, entity, entity_id, before, after FROM admin_audit ORDER BY id DESC LIMIT 1`,
      )
    )[0];

  /** A feed of the exchanger, confirmed `secondsAgo` ago (null: never), with offers `[from, to, rate, city?]`. */
  async function feedWithOffers(
    exchangerId: number,
    secondsAgo: number | null,
    offers: Array<[string, string, string, string?]>,
    options: { enabled?: boolean; maintenance?: boolean } = {},
  ): Promise<number> {
    const [feed] = await dataSource.query<Array<{ id: number }>>(
      `INSERT INTO feeds (exchanger_id, url, stale_after_s, enabled, in_maintenance, last_success_at)
       VALUES ($1, 'https://x.example/rates-' || gen_random_uuid() || '.xml', 300, $2, $3, CASE WHEN $4::int IS NULL THEN NULL ELSE now() - make_interval(secs => $4::int) END)
       RETURNING id`,
      [exchangerId, options.enabled ?? true, options.maintenance ?? false, secondsAgo],
    );
    for (const [from, to, rate, city] of offers) {
      await dataSource.query(
        `INSERT INTO offers (feed_id, exchanger_id, from_code, to_code, city, amount_in, amount_out, rate) VALUES ($1, $2, $3, $4, $5, 1, $6, $6)`,
        [feed!.id, exchangerId, from, to, city ?? '', rate],
      );
    }
    return feed!.id;
  }

  beforeAll(async () => {
    ({ db, dataSource } = await migratedDatabase(4));
    repository = new ExchangersRepository(dataSource);
    actor = await adminActor(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  describe('admin CRUD', () => {
    it('creates an exchanger and audits it with the key, in one transaction', async () => {
      const before = await auditCount();
      const created = await repository.create(actor, fields('alpha-one'));
      expect(created).toMatchObject({
        slug: 'alpha-one',
        name: 'Name alpha-one',
        siteUrl: 'https://alpha-one.example',
        referralUrl: 'https://alpha-one.example/?rid=1',
        status: 'active',
      });
      expect(created.createdAt).toBeInstanceOf(Date);
      expect(await repository.find(created.id)).toEqual(created);
      expect(await auditCount()).toBe(before + 1);
      expect(await lastAudit()).toMatchObject({
        key_id: actor.keyId,
        action: 'create',
        entity: 'exchanger',
        entity_id: String(created.id),
        before: null,
        after: { id: created.id, slug: 'alpha-one' },
      });
    });

    it('refuses a taken slug with a ConflictError, writing neither a row nor an audit row', async () => {
      await repository.create(actor, fields('taken-slug'));
      const exchangers = (await repository.list()).length;
      const audits = await auditCount();
      await expect(repository.create({ keyId: null }, fields('taken-slug'))).rejects.toBeInstanceOf(ConflictError);
      await expect(repository.create({ keyId: null }, fields('taken-slug'))).rejects.toThrow(/taken-slug is taken/);
      expect((await repository.list()).length).toBe(exchangers);
      expect(await auditCount()).toBe(audits);
    });

    it('lists by id and finds one, or null', async () => {
      const a = await repository.create(actor, fields(nextSlug()));
      const b = await repository.create(actor, fields(nextSlug()));
      const ids = (await repository.list()).map((e) => e.id);
      expect(ids).toEqual([...ids].sort((x, y) => x - y));
      expect(ids).toEqual(expect.arrayContaining([a.id, b.id]));
      expect(await repository.find(b.id)).toMatchObject({ id: b.id, slug: b.slug });
      expect(await repository.find(999_999)).toBeNull();
    });

    it('updates only the given fields and audits before and after', async () => {
      const created = await repository.create(actor, fields(nextSlug()));
      const updated = await repository.update(actor, created.id, { name: 'Renamed', status: 'paused' });
      expect(updated).toMatchObject({
        id: created.id,
        slug: created.slug,
        name: 'Renamed',
        status: 'paused',
        siteUrl: created.siteUrl,
        referralUrl: created.referralUrl,
      });
      expect(updated!.updatedAt.getTime()).toBeGreaterThanOrEqual(created.updatedAt.getTime());
      expect(await repository.find(created.id)).toMatchObject({ name: 'Renamed', status: 'paused' });
      expect(await lastAudit()).toMatchObject({
        key_id: actor.keyId,
        action: 'update',
        entity: 'exchanger',
        entity_id: String(created.id),
        before: { name: created.name, status: 'active' },
        after: { name: 'Renamed', status: 'paused' },
      });
    });

    it('answers null for an unknown exchanger and audits nothing', async () => {
      const audits = await auditCount();
      expect(await repository.update(actor, 999_999, { name: 'x' })).toBeNull();
      expect(await repository.delete(actor, 999_999)).toBeNull();
      expect(await auditCount()).toBe(audits);
    });

    it('refuses renaming to a taken slug and leaves the row and the audit as they were', async () => {
      const first = await repository.create(actor, fields(nextSlug()));
      const second = await repository.create(actor, fields(nextSlug()));
      const audits = await auditCount();
      await expect(repository.update(actor, second.id, { slug: first.slug, name: 'Clash' })).rejects.toBeInstanceOf(
        ConflictError,
      );
      expect(await repository.find(second.id)).toEqual(second);
      expect(await auditCount()).toBe(audits);
    });

    it("deletes an exchanger with its feeds and their offers, returns the feed ids, and keeps other exchangers' offers", async () => {
      const doomed = await repository.create(actor, fields(nextSlug()));
      const other = await repository.create(actor, fields(nextSlug()));
      const feedA = await feedWithOffers(doomed.id, 10, [
        ['BTC', 'ETH', '20'],
        ['BTC', 'SBERRUB', '6850000.5'],
      ]);
      const feedB = await feedWithOffers(doomed.id, null, [['ETH', 'BTC', '0.05']]);
      const otherFeed = await feedWithOffers(other.id, 10, [['BTC', 'ETH', '21']]);

      const feedIds = await repository.delete(actor, doomed.id);
      expect(feedIds?.sort((x, y) => x - y)).toEqual([feedA, feedB].sort((x, y) => x - y));
      expect(await repository.find(doomed.id)).toBeNull();
      const left = await dataSource.query<Array<{ feed_id: number }>>(
        `SELECT feed_id FROM offers WHERE feed_id = ANY($1::int[]) ORDER BY feed_id`,
        [[feedA, feedB, otherFeed]],
      );
      expect(left.map((r) => r.feed_id)).toEqual([otherFeed]);
      expect(await dataSource.query(`SELECT id FROM feeds WHERE exchanger_id = $1`, [doomed.id])).toEqual([]);
      expect(await lastAudit()).toMatchObject({
        key_id: actor.keyId,
        action: 'delete',
        entity: 'exchanger',
        entity_id: String(doomed.id),
        before: { slug: doomed.slug },
        after: null,
      });
    });

    it('leaves no offer behind when the exchanger is deleted while a poll of its feed is writing', async () => {
      const feeds = new FeedsRepository(dataSource);
      const doomed = await repository.create(actor, fields(nextSlug()));
      const feedId = await feedWithOffers(doomed.id, 10, [['BTC', 'ETH', '20']]);
      const lockWaits = async () =>
        Number(
          (
            await dataSource.query<Array<{ n: string }>>(
              `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
            )
          )[0]!.n,
        );
      // A third session holds the offers table so the poll stops mid-write, its feed row locked.
      const holder = new Client({ connectionString: db.url });
      await holder.connect();
      try {
        await holder.query(`BEGIN; LOCK TABLE offers IN SHARE MODE`);
        const poll = feeds.applyAnswer(
          { id: feedId, exchangerId: doomed.id },
          newFeedRun('manual', 'ok'),
          { etag: null, lastModified: null, contentHash: 'new' },
          [offerOf({ from: 'BTC', to: 'ETH', out: '21' }), offerOf({ from: 'ETH', to: 'BTC', out: '0.05' })],
        );
        await expect.poll(lockWaits, { timeout: 20_000 }).toBe(1);
        const deletion = repository.delete(actor, doomed.id);
        await expect.poll(lockWaits, { timeout: 20_000 }).toBe(2);
        await holder.query(`COMMIT`);
        await poll;
        expect(await deletion).toEqual([feedId]);
      } finally {
        await holder.end();
      }
      expect(await dataSource.query(`SELECT from_code FROM offers WHERE feed_id = $1`, [feedId])).toEqual([]);
      expect(await dataSource.query(`SELECT 1 FROM feeds WHERE id = $1`, [feedId])).toEqual([]);
    });

    it('writes nothing for a poll that finishes after its feed was deleted', async () => {
      const feeds = new FeedsRepository(dataSource);
      const doomed = await repository.create(actor, fields(nextSlug()));
      const feedId = await feedWithOffers(doomed.id, 10, [['BTC', 'ETH', '20']]);
      await repository.delete(actor, doomed.id);
      const change = await feeds.applyAnswer(
        { id: feedId, exchangerId: doomed.id },
        newFeedRun('manual', 'ok'),
        { etag: null, lastModified: null, contentHash: 'late' },
        [offerOf({ from: 'BTC', to: 'ETH', out: '21' })],
      );
      expect(change).toMatchObject({ inserted: 0, updated: 0, deleted: 0 });
      expect(await dataSource.query(`SELECT 1 FROM offers WHERE feed_id = $1`, [feedId])).toEqual([]);
      await feeds.recordFailure(feedId, newFeedRun('manual', 'error'));
      expect(await dataSource.query(`SELECT 1 FROM feed_runs WHERE feed_id = $1`, [feedId])).toEqual([]);
    });

    it('deletes an exchanger without feeds, returning no feed ids', async () => {
      const lone = await repository.create(actor, fields(nextSlug()));
      expect(await repository.delete(actor, lone.id)).toEqual([]);
      expect(await repository.find(lone.id)).toBeNull();
    });
  });

  describe('public reads', () => {
    let fresh: number;
    let twoFeeds: number;
    let paused: number;
    let disabled: number;
    let stale: number;
    let maintenance: number;

    beforeAll(async () => {
      await dataSource.query(`DELETE FROM offers`);
      await dataSource.query(`DELETE FROM exchangers`);
      fresh = (await repository.create(actor, fields('pub-fresh'))).id;
      twoFeeds = (await repository.create(actor, fields('pub-two-feeds'))).id;
      paused = (await repository.create(actor, fields('pub-paused', 'paused'))).id;
      disabled = (await repository.create(actor, fields('pub-disabled', 'disabled'))).id;
      stale = (await repository.create(actor, fields('pub-stale'))).id;
      maintenance = (await repository.create(actor, fields('pub-maintenance'))).id;
      await feedWithOffers(fresh, 10, [
        ['BTC', 'ETH', '20'],
        ['BTC', 'SBERRUB', '6850000.5'],
        ['USDTTRC20', 'CASHUSD', '0.99', 'MSK'],
        ['USDTTRC20', 'CASHUSD', '0.98', 'SPB'],
      ]);
      await feedWithOffers(fresh, 3600, [['ETH', 'BTC', '0.05']]);
      await feedWithOffers(fresh, 5, [['LTC', 'BTC', '0.001']], { enabled: false });
      // Two fresh feeds publish BTC→ETH: the one confirmed 5 s ago wins over the one confirmed 60 s ago.
      await feedWithOffers(twoFeeds, 60, [
        ['BTC', 'ETH', '19.5'],
        ['BTC', 'SBERRUB', '6800000'],
      ]);
      await feedWithOffers(twoFeeds, 5, [['BTC', 'ETH', '19.9']]);
      await feedWithOffers(paused, 10, [['BTC', 'ETH', '25']]);
      await feedWithOffers(disabled, 10, [['BTC', 'ETH', '25']]);
      await feedWithOffers(stale, 3600, [['BTC', 'ETH', '25']]);
      await feedWithOffers(maintenance, 10, [['BTC', 'ETH', '25']], { maintenance: true });
    });

    it('lists active exchangers only, by name, with their shown offers and freshness', async () => {
      const list = await repository.listPublic();
      expect(list.map((e) => e.slug)).toEqual(['pub-fresh', 'pub-maintenance', 'pub-stale', 'pub-two-feeds']);
      const bySlug = new Map(list.map((e) => [e.slug, e]));
      expect(bySlug.get('pub-fresh')).toMatchObject({
        id: fresh,
        name: 'Name pub-fresh',
        siteUrl: 'https://pub-fresh.example',
        status: 'active',
        offers: 4,
        fresh: true,
      });
      expect(bySlug.get('pub-stale')).toMatchObject({ offers: 0, fresh: false });
      expect(bySlug.get('pub-maintenance')).toMatchObject({ offers: 0, fresh: false });
      expect(list.every((e) => typeof e.offers === 'number')).toBe(true);
      expect(list.some((e) => 'referralUrl' in e)).toBe(false);
    });

    it('gives the last confirmation of its enabled feeds as updatedAt', async () => {
      const [exchanger] = await repository.listPublic('pub-fresh');
      const [newest] = await dataSource.query<Array<{ at: Date }>>(
        `SELECT max(last_success_at) AS at FROM feeds WHERE exchanger_id = $1 AND enabled`,
        [fresh],
      );
      expect(exchanger!.updatedAt).toEqual(newest!.at);
      const [staleOne] = await repository.listPublic('pub-stale');
      expect(staleOne!.updatedAt!.getTime()).toBeLessThan(Date.now() - 3000_000);
    });

    it('finds one active exchanger by slug, and none for a paused or unknown one', async () => {
      expect((await repository.listPublic('pub-two-feeds')).map((e) => e.id)).toEqual([twoFeeds]);
      expect(await repository.listPublic('pub-paused')).toEqual([]);
      expect(await repository.listPublic('pub-disabled')).toEqual([]);
      expect(await repository.listPublic('no-such-exchanger')).toEqual([]);
    });

    it('counts an offer published by two fresh feeds of one exchanger once, as it is shown once', async () => {
      const [exchanger] = await repository.listPublic('pub-two-feeds');
      expect(exchanger!.offers).toBe((await repository.shownDirections(twoFeeds)).length);
      expect(exchanger!.offers).toBe(2);
    });

    it('shows each direction and city once, from fresh feeds, the more recently confirmed feed winning', async () => {
      expect(await repository.shownDirections(fresh)).toEqual([
        { from: 'BTC', to: 'ETH', city: null, rate: '20' },
        { from: 'BTC', to: 'SBERRUB', city: null, rate: '6850000.5' },
        { from: 'USDTTRC20', to: 'CASHUSD', city: 'MSK', rate: '0.99' },
        { from: 'USDTTRC20', to: 'CASHUSD', city: 'SPB', rate: '0.98' },
      ]);
      expect(await repository.shownDirections(twoFeeds)).toEqual([
        { from: 'BTC', to: 'ETH', city: null, rate: '19.9' },
        { from: 'BTC', to: 'SBERRUB', city: null, rate: '6800000' },
      ]);
    });

    it('shows no directions of a paused, stale or in-maintenance exchanger', async () => {
      expect(await repository.shownDirections(paused)).toEqual([]);
      expect(await repository.shownDirections(stale)).toEqual([]);
      expect(await repository.shownDirections(maintenance)).toEqual([]);
    });

    it('redirects only to an active exchanger', async () => {
      expect(await repository.findRedirectTarget('pub-fresh')).toEqual({
        id: fresh,
        referralUrl: 'https://pub-fresh.example/?rid=1',
      });
      // Being shown does not matter for /go: an active exchanger with a stale feed is still a target.
      expect(await repository.findRedirectTarget('pub-stale')).toEqual({
        id: stale,
        referralUrl: 'https://pub-stale.example/?rid=1',
      });
      expect(await repository.findRedirectTarget('pub-paused')).toBeNull();
      expect(await repository.findRedirectTarget('pub-disabled')).toBeNull();
      expect(await repository.findRedirectTarget('no-such-exchanger')).toBeNull();
    });
  });
});
