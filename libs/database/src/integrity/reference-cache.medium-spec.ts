import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { NormalizedOffer } from '@app/domain';
import { createExchangerWithFeed } from '../../../../test/support/ingestion';
import { offerOf } from '../../../../test/support/offers';
import { migratedDatabase, TestDatabase } from '../../../../test/support/services';
import { offerKey } from '../offer-key';
import { FeedsRepository, newFeedRun } from '../repositories/feeds.repository';
import { IntegrityPolicy } from './rate-guard';
import { ReferenceCache, referenceCache } from './reference-cache';

/** One band for every kind: 10 %. */
const POLICY: IntegrityPolicy = { enabled: true, bands: {}, fallbackBand: '10' };

/**
 * The writers' copy of the rate guard's references on the real PostgreSQL: a write judges only what the copy finds
 * suspect while the copy is the stored version, and every written offer as soon as a reference moved behind it.
 */
describe('reference cache', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let feeds: FeedsRepository;
  let counter = 0;

  beforeAll(async () => {
    ({ db, dataSource } = await migratedDatabase(4));
    feeds = new FeedsRepository(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  beforeEach(async () => {
    referenceCache.clear();
    await dataSource.query(`DELETE FROM direction_references`);
  });

  const version = async () =>
    (await dataSource.query<Array<{ v: string }>>(`SELECT version::text AS v FROM direction_references_version`))[0]!.v;
  const reference = (from: string, to: string, rate: string, city = '') =>
    dataSource.query(
      `INSERT INTO direction_references (from_code, to_code, city, rate, source, exchangers) VALUES ($1, $2, $3, $4, 'market', 5)
       ON CONFLICT (from_code, to_code, city) DO UPDATE SET rate = EXCLUDED.rate`,
      [from, to, city, rate],
    );
  const exchanger = async () => {
    const slug = `cached-${++counter}`;
    const ids = await createExchangerWithFeed(dataSource, slug, `https://${slug}.example/rates.xml`);
    return { id: ids.feedId, exchangerId: ids.exchangerId };
  };
  const poll = async (feed: { id: number; exchangerId: number }, offers: NormalizedOffer[]) =>
    (
      await feeds.applyAnswer(
        feed,
        newFeedRun('manual', 'ok', { accepted: offers.length }),
        { etag: null, lastModified: null, contentHash: String(Math.random()) },
        offers,
        POLICY,
      )
    ).guard;
  /** The copy as the last write left it, once its read in the background is over. */
  const settledView = async () => {
    await referenceCache.settled();
    return referenceCache.view('10', dataSource);
  };
  const held = async (feedId: number) =>
    (
      await dataSource.query<Array<{ key: string }>>(
        `SELECT from_code || '>' || to_code AS key FROM offers WHERE feed_id = $1 AND quarantine IS NOT NULL ORDER BY 1`,
        [feedId],
      )
    ).map((r) => r.key);

  it('moves the version with every statement that changes a reference, and only then', async () => {
    const start = await version();
    await reference('BTC', 'ETH', '20');
    const inserted = await version();
    expect(BigInt(inserted)).toBeGreaterThan(BigInt(start));
    await dataSource.query(`UPDATE direction_references SET rate = 21 WHERE from_code = 'BTC' AND to_code = 'ETH'`);
    const updated = await version();
    expect(updated).not.toBe(inserted);
    // Statements that change nothing (a calm refresh): the copies stay valid.
    await dataSource.query(`UPDATE direction_references SET rate = 0 WHERE from_code = 'NONE'`);
    await dataSource.query(`DELETE FROM direction_references WHERE from_code = 'NONE'`);
    expect(await version()).toBe(updated);
    await dataSource.query(`DELETE FROM direction_references`);
    const deleted = await version();
    expect(deleted).not.toBe(updated);
    await dataSource.query(`TRUNCATE direction_references`);
    expect(await version()).not.toBe(deleted);
  });

  it('reads the copy after a write saw a new version, and judges a rate the copy finds suspect', async () => {
    await reference('BTC', 'ETH', '20');
    const feed = await exchanger();
    expect(referenceCache.view('10', dataSource)).toBeNull();
    await poll(feed, [offerOf({ rate: '21' })]);
    const view = await settledView();
    expect(view?.version).toBe(await version());
    expect(view?.suspect(offerKey('BTC', 'ETH', ''), '21')).toBe(false);
    expect(view?.suspect(offerKey('BTC', 'ETH', ''), '23')).toBe(true);
    // Read from another database (its versions are its own) or for another band: no copy for this one.
    expect(referenceCache.view('5', dataSource)).toBeNull();
    expect(referenceCache.view('10', new DataSource({ type: 'postgres' }))).toBeNull();

    expect(await poll(feed, [offerOf({ rate: '2000' })])).toMatchObject({ quarantined: 1, held: { too_good: 1 } });
    expect(await held(feed.id)).toEqual(['BTC>ETH']);
  });

  it('judges every written offer when a reference moved behind the copy', async () => {
    await reference('BTC', 'ETH', '20');
    const feed = await exchanger();
    await poll(feed, [offerOf({ rate: '21' })]);
    expect((await settledView())?.suspect(offerKey('BTC', 'ETH', ''), '21.5')).toBe(false);
    // The market halves; the copy does not know yet: 21.5 is now twice the reference.
    await reference('BTC', 'ETH', '10');
    expect(await poll(feed, [offerOf({ rate: '21.5' })])).toMatchObject({ quarantined: 1, held: { too_good: 1 } });
    expect(await held(feed.id)).toEqual(['BTC>ETH']);
    // The copy follows: the next write judges by it (21.6 is suspect by the new reference), still held.
    expect((await settledView())?.suspect(offerKey('BTC', 'ETH', ''), '21.6')).toBe(true);
    expect(await poll(feed, [offerOf({ rate: '21.6' })])).toMatchObject({ quarantined: 1 });
  });

  it('judges an unchanged offer of a touched direction that the copy finds suspect (another city of it)', async () => {
    // A feed with cities: a write reads the other offers of the directions it touched only where the copy, when
    // current, finds them suspect — the SPB offer after its reference fell, which no write has judged since.
    await reference('BTC', 'ETH', '20', 'MSK');
    await reference('BTC', 'ETH', '20', 'SPB');
    await reference('ETH', 'BTC', '0.05', 'MSK');
    const feed = await exchanger();
    const city = (rate: string, name: string) => offerOf({ rate, city: name });
    await poll(feed, [
      city('21', 'MSK'),
      city('21', 'SPB'),
      offerOf({ from: 'ETH', to: 'BTC', rate: '0.05', city: 'MSK' }),
    ]);
    expect(await held(feed.id)).toEqual([]);
    await reference('BTC', 'ETH', '10', 'SPB');
    // Another feed's write sees the new version: the copy is read again, and is current from then on.
    await poll(await exchanger(), [offerOf({ from: 'ETH', to: 'BTC', rate: '0.05', city: 'MSK' })]);
    const view = await settledView();
    expect(view?.version).toBe(await version());
    expect(view?.suspect(offerKey('BTC', 'ETH', 'SPB'), '21')).toBe(true);
    // Only the MSK offer changes; SPB, unchanged in the touched direction, is judged and held.
    expect(
      await poll(feed, [
        city('21.1', 'MSK'),
        city('21', 'SPB'),
        offerOf({ from: 'ETH', to: 'BTC', rate: '0.05', city: 'MSK' }),
      ]),
    ).toMatchObject({ quarantined: 1, held: { too_good: 1 } });
    expect(await held(feed.id)).toEqual(['BTC>ETH']);
  });

  it('frees a held offer written back within the band, though the copy finds it no suspect', async () => {
    await reference('BTC', 'ETH', '20');
    await reference('ETH', 'BTC', '0.05', 'MSK');
    const feed = await exchanger();
    await poll(feed, [offerOf({ rate: '21' }), offerOf({ from: 'ETH', to: 'BTC', rate: '0.5', city: 'MSK' })]);
    expect(await held(feed.id)).toEqual(['ETH>BTC']);
    const view = await settledView();
    expect(view?.suspect(offerKey('ETH', 'BTC', 'MSK'), '0.051')).toBe(false);
    expect(view?.suspect(offerKey('ETH', 'BTC', ''), '0.5')).toBe(false);

    const freed = await poll(feed, [
      offerOf({ rate: '21' }),
      offerOf({ from: 'ETH', to: 'BTC', rate: '0.051', city: 'MSK' }),
    ]);
    expect(freed).toMatchObject({ quarantined: 0, released: 1 });
    expect(await held(feed.id)).toEqual([]);
  });

  it('finds a rate suspect from its exact ceiling on, never below it', async () => {
    const cache = new ReferenceCache();
    await reference('BTC', 'ETH', '123.456789');
    cache.seen(await version(), dataSource, '10');
    await cache.settled();
    const view = cache.view('10', dataSource)!;
    // 123.456789 × 1.1 = 135.8024679, exactly: above it is an outlier, at it the database is asked (it decides).
    expect(view.suspect(offerKey('BTC', 'ETH', ''), '135.80246790000000000000001')).toBe(true);
    expect(view.suspect(offerKey('BTC', 'ETH', ''), '135.8024679')).toBe(true);
    expect(view.suspect(offerKey('BTC', 'ETH', ''), '135.80246789999999999999999')).toBe(false);
    expect(view.suspect(offerKey('BTC', 'ETH', ''), '135.8')).toBe(false);
    // No reference, no judgement.
    expect(view.suspect(offerKey('ETH', 'BTC', ''), '1000000')).toBe(false);
    expect(view.suspect(offerKey('BTC', 'ETH', 'MSK'), '1000000')).toBe(false);
  });

  it('keeps no copy of more references than its limit', async () => {
    await reference('BTC', 'ETH', '20');
    await reference('ETH', 'BTC', '0.05');
    const small = new ReferenceCache(1);
    small.seen(await version(), dataSource, '10');
    await small.settled();
    expect(small.view('10', dataSource)).toBeNull();
    expect(small.stats).toEqual({ references: 0, reads: 0 });
    // A band whose ceilings could not be exact: no copy either.
    const odd = new ReferenceCache();
    odd.seen(await version(), dataSource, '10.1234567');
    await odd.settled();
    expect(odd.view('10.1234567', dataSource)).toBeNull();
    expect(odd.stats).toEqual({ references: 0, reads: 0 });
    const enough = new ReferenceCache(2);
    enough.seen(await version(), dataSource, '10');
    await enough.settled();
    expect(enough.view('10', dataSource)?.suspect(offerKey('ETH', 'BTC', ''), '1')).toBe(true);
    expect(enough.stats).toEqual({ references: 2, reads: 1 });
    // The same version seen again: no second read.
    enough.seen(await version(), dataSource, '10');
    await enough.settled();
    expect(enough.stats.reads).toBe(1);
  });
});
