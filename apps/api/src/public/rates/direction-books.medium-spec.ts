import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DataSource } from 'typeorm';
import { loadConfig } from '@app/config';
import { CatalogRepository, DirectionOfferRow, FeedState, OffersRepository } from '@app/database';
import { BookQuery, CurrencyUnit, Dec, toPlain } from '@app/domain';
import { CatalogSnapshot, CatalogSnapshots } from '@app/ingestion';
import { SnapshotChanges } from '@app/messaging';
import { createExchangerWithFeed } from '../../../../../test/support/ingestion';
import { migratedDatabase, TestDatabase } from '../../../../../test/support/services';
import { DirectionBooks } from './direction-books.service';

/** The real repository on the real PostgreSQL, noting each read of the feeds and of offer rows. */
class CountedOffers extends OffersRepository {
  /** Reads of every feed's row (ShownFeeds). */
  feedReads = 0;

  /** Each read of offer rows: the directions it read ("FROM>TO"). */
  readonly rowReads: string[][] = [];

  override findDirectionsRows(pairs: ReadonlyArray<readonly [string, string]>): Promise<DirectionOfferRow[][]> {
    this.rowReads.push(pairs.map(([from, to]) => `${from}>${to}`));
    return super.findDirectionsRows(pairs);
  }

  override findFeedStates(): Promise<FeedState[]> {
    this.feedReads++;
    return super.findFeedStates();
  }
}

const TABLE: BookQuery = { city: null, exclude: new Set(), amount: null, side: 'give', limit: 100 };
const AT_AMOUNT: BookQuery = { ...TABLE, amount: new Dec('10') };

/**
 * DirectionBooks over the real PostgreSQL: several directions taken together (a route search's legs), each
 * book showing its own shown feeds only, weighed from the feeds kept in memory with no query per table: a
 * feed is hidden at its stale limit by the clock, at once when a change of any direction is announced
 * (maintenance, a pause), and within PUBLIC_CACHE_SECONDS when changed by SQL with no announcement.
 */
describe('direction books (PostgreSQL)', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let offers: CountedOffers;
  let changes: SnapshotChanges;
  let books: DirectionBooks;
  let catalog: CatalogSnapshot;
  const feeds = new Map<string, { exchangerId: number; feedId: number }>();
  const unit = (code: string): CurrencyUnit => catalog.require(code);
  const slugs = async (from: string, to: string, query = TABLE) =>
    (await books.rank(unit(from), unit(to), catalog.version, query)).map((row) => row.offer.slug);

  beforeAll(async () => {
    ({ db, dataSource } = await migratedDatabase(3));
    offers = new CountedOffers(dataSource);
    changes = new SnapshotChanges(loadConfig({}));
    books = new DirectionBooks(offers, loadConfig({ PUBLIC_CACHE_SECONDS: '60' }), changes);
    catalog = await new CatalogSnapshots(new CatalogRepository(dataSource)).current();
    for (const slug of ['alpha', 'beta', 'gamma', 'stale']) {
      const ids = await createExchangerWithFeed(dataSource, slug, `https://${slug}.example/rates.xml`);
      const age = slug === 'stale' ? '2 hours' : '0 seconds';
      await dataSource.query(
        `UPDATE feeds SET last_success_at = now() - $2::interval, stale_after_s = 3600 WHERE id = $1`,
        [ids.feedId, age],
      );
      feeds.set(slug, ids);
    }
    await offer('alpha', 'BTC', 'USDTTRC20', '60000');
    await offer('beta', 'BTC', 'USDTTRC20', '60100');
    await offer('stale', 'BTC', 'USDTTRC20', '70000');
    await offer('gamma', 'BTC', 'ETH', '20');
    await offer('alpha', 'ETH', 'USDTTRC20', '3000');
  });

  afterAll(async () => {
    books?.onApplicationShutdown();
    await dataSource?.destroy();
    await db?.drop();
  });

  /** Exchanger `slug` offers from → to at `rate` (1 in, `rate` out). */
  async function offer(slug: string, from: string, to: string, rate: string): Promise<void> {
    const ids = feeds.get(slug)!;
    await dataSource.query(
      `INSERT INTO offers (feed_id, exchanger_id, from_code, to_code, amount_in, amount_out, rate, reserve)
       VALUES ($1, $2, $3, $4, 1, $5, $5, 1000000)
       ON CONFLICT (feed_id, from_code, to_code, city) DO UPDATE SET rate = EXCLUDED.rate, amount_out = EXCLUDED.amount_out`,
      [ids.feedId, ids.exchangerId, from, to, rate],
    );
  }

  it('weighs which feeds are shown once for several directions, each book its own, with no query per table', async () => {
    const legs = [
      ['BTC', 'USDTTRC20'],
      ['BTC', 'ETH'],
      ['ETH', 'USDTTRC20'],
      ['ETH', 'BTC'], // no offers: an empty book
    ] as const;
    const take = () =>
      books.books(
        legs.map(([from, to]) => [unit(from), unit(to)] as const),
        catalog.version,
      );
    const taken = await take();
    expect(offers.feedReads).toBe(1);
    const tables = await Promise.all(taken.map((book) => book.rank(TABLE)));
    expect(tables.map((rows) => rows.map((row) => row.offer.slug))).toEqual([
      ['beta', 'alpha'], // the stale feed's better rate is not shown
      ['gamma'],
      ['alpha'],
      [],
    ]);
    // Ranking the books, or taking them again, reads nothing more: the feeds are kept.
    const atAmount = await Promise.all(taken.map((book) => book.rank(AT_AMOUNT)));
    expect(atAmount[0]!.map((row) => toPlain(row.get!))).toEqual(['601000', '600000']);
    await Promise.all((await take()).map((book) => book.rank(TABLE)));
    expect(offers.feedReads).toBe(1);
  });

  it('hides a feed at its stale limit by the clock, with no query', async () => {
    const beta = feeds.get('beta')!.feedId;
    // beta's last success 3,590 s ago (its limit is 3,600 s): shown for 10 s more.
    await dataSource.query(`UPDATE feeds SET last_success_at = now() - interval '3590 seconds' WHERE id = $1`, [beta]);
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    const long = new DirectionBooks(offers, loadConfig({ PUBLIC_CACHE_SECONDS: '60' }), changes);
    try {
      const table = async () =>
        (await long.rank(unit('BTC'), unit('USDTTRC20'), catalog.version, TABLE)).map((row) => row.offer.slug);
      expect(await table()).toEqual(['beta', 'alpha']);
      const reads = offers.feedReads;
      vi.setSystemTime(Date.now() + 5_000);
      expect(await table()).toEqual(['beta', 'alpha']);
      vi.setSystemTime(Date.now() + 6_000);
      expect(await table()).toEqual(['alpha']);
      expect(offers.feedReads).toBe(reads);
    } finally {
      vi.useRealTimers();
      long.onApplicationShutdown();
      await dataSource.query(`UPDATE feeds SET last_success_at = now() WHERE id = $1`, [beta]);
    }
  });

  it('reads the feeds before the next table when a change of any direction is announced: maintenance and a pause hide at once', async () => {
    const { feedId: beta } = feeds.get('beta')!;
    const { exchangerId: alpha } = feeds.get('alpha')!;
    expect(await slugs('BTC', 'USDTTRC20')).toEqual(['beta', 'alpha']);
    await dataSource.query(`UPDATE feeds SET in_maintenance = true WHERE id = $1`, [beta]);
    const reads = offers.feedReads;
    changes.publish({ all: true });
    expect(await slugs('BTC', 'USDTTRC20')).toEqual(['alpha']);
    await dataSource.query(`UPDATE exchangers SET status = 'paused' WHERE id = $1`, [alpha]);
    changes.publish({ all: true });
    expect(await slugs('BTC', 'USDTTRC20')).toEqual([]);
    expect(offers.feedReads).toBe(reads + 2);
    await dataSource.query(`UPDATE exchangers SET status = 'active' WHERE id = $1`, [alpha]);
    changes.publish({ all: true });
    expect(await slugs('BTC', 'USDTTRC20')).toEqual(['alpha']);
    // Back from maintenance, as a poll that writes offers announces it (some directions): read meanwhile.
    await dataSource.query(`UPDATE feeds SET in_maintenance = false WHERE id = $1`, [beta]);
    changes.publish({ directions: [['BTC', 'USDTTRC20']] });
    await vi.waitFor(async () => expect(await slugs('BTC', 'USDTTRC20')).toEqual(['beta', 'alpha']), {
      timeout: 5_000,
      interval: 50,
    });
  });

  it('shows a change made by SQL with no announcement once PUBLIC_CACHE_SECONDS have passed', async () => {
    const beta = feeds.get('beta')!.feedId;
    expect(await slugs('BTC', 'USDTTRC20')).toEqual(['beta', 'alpha']);
    await dataSource.query(`UPDATE feeds SET last_success_at = now() - interval '2 hours' WHERE id = $1`, [beta]);
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    try {
      // Kept: the change is not seen yet.
      expect(await slugs('BTC', 'USDTTRC20')).toEqual(['beta', 'alpha']);
      const reads = offers.feedReads;
      vi.setSystemTime(Date.now() + 61_000);
      // The feeds are read before this table (the clock moved a minute: beta is 2 hours and a minute old).
      expect(await slugs('BTC', 'USDTTRC20')).toEqual(['alpha']);
      expect(offers.feedReads).toBe(reads + 1);
    } finally {
      vi.useRealTimers();
      await dataSource.query(`UPDATE feeds SET last_success_at = now() WHERE id = $1`, [beta]);
      changes.publish({ all: true });
    }
    expect(await slugs('BTC', 'USDTTRC20')).toEqual(['beta', 'alpha']);
  });

  it('lets tables asked together share one read of the feeds', async () => {
    const together = new DirectionBooks(offers, loadConfig({ PUBLIC_CACHE_SECONDS: '60' }), changes);
    try {
      const reads = offers.feedReads;
      const [one, two, three] = await Promise.all([
        together.rank(unit('BTC'), unit('ETH'), catalog.version, TABLE),
        together.rank(unit('BTC'), unit('ETH'), catalog.version, AT_AMOUNT),
        together.books([[unit('BTC'), unit('ETH')]], catalog.version).then(([book]) => book!.rank(TABLE)),
      ]);
      for (const table of [one, two, three]) expect(table.map((row) => row.offer.slug)).toEqual(['gamma']);
      expect(offers.feedReads).toBe(reads + 1);
    } finally {
      together.onApplicationShutdown();
    }
  });

  it("reads the feeds again for a feed it does not know (a new exchanger's first offers), once", async () => {
    const ids = await createExchangerWithFeed(dataSource, 'delta', 'https://delta.example/rates.xml');
    await dataSource.query(`UPDATE feeds SET last_success_at = now(), stale_after_s = 3600 WHERE id = $1`, [
      ids.feedId,
    ]);
    feeds.set('delta', ids);
    await offer('delta', 'BTC', 'LTC', '21');
    const reads = offers.feedReads;
    changes.publish({ directions: [['BTC', 'LTC']] });
    expect(await slugs('BTC', 'LTC')).toEqual(['delta']);
    expect(await slugs('BTC', 'LTC', AT_AMOUNT)).toEqual(['delta']);
    // One read for the unknown feed (a background one may have followed the announced change).
    expect(offers.feedReads - reads).toBeGreaterThanOrEqual(1);
    expect(offers.feedReads - reads).toBeLessThanOrEqual(2);
  });

  it('reads a direction again when a change of it is announced, and only then', async () => {
    expect(await slugs('ETH', 'USDTTRC20')).toEqual(['alpha']);
    await offer('beta', 'ETH', 'USDTTRC20', '3100');
    // The rows are kept (PUBLIC_CACHE_SECONDS 60): no change announced, the new offer is not read yet.
    expect(await slugs('ETH', 'USDTTRC20')).toEqual(['alpha']);
    changes.publish({ directions: [['ETH', 'USDTTRC20']] });
    expect(await slugs('ETH', 'USDTTRC20')).toEqual(['beta', 'alpha']);
  });

  describe('rows of several directions', () => {
    const legs = (...keys: string[]) =>
      keys.map((key) => {
        const [from, to] = key.split('>');
        return [unit(from!), unit(to!)] as const;
      });
    const tables = async (
      taken: Promise<Array<{ rank(query: BookQuery): Promise<Array<{ offer: { slug: string } }>> }>>,
    ) => Promise.all((await taken).map(async (book) => (await book.rank(TABLE)).map((row) => row.offer.slug)));
    let fresh: DirectionBooks;

    afterAll(() => {
      vi.useRealTimers();
      fresh?.onApplicationShutdown();
    });

    it('reads the directions it does not keep in one query, and tables asked meanwhile share that read', async () => {
      fresh = new DirectionBooks(offers, loadConfig({ PUBLIC_CACHE_SECONDS: '60' }), changes);
      const reads = offers.rowReads.length;
      const [route, again, one] = await Promise.all([
        tables(fresh.books(legs('BTC>USDTTRC20', 'BTC>ETH', 'ETH>USDTTRC20', 'ETH>BTC', 'BTC>ETH'), catalog.version)),
        tables(fresh.books(legs('ETH>USDTTRC20', 'BTC>USDTTRC20'), catalog.version)),
        fresh.rank(unit('BTC'), unit('ETH'), catalog.version, TABLE),
      ]);
      // One read for all four directions (BTC→ETH asked twice is read once); the others joined it.
      expect(offers.rowReads.slice(reads)).toEqual([['BTC>USDTTRC20', 'BTC>ETH', 'ETH>USDTTRC20', 'ETH>BTC']]);
      expect(route).toEqual([['beta', 'alpha'], ['gamma'], ['beta', 'alpha'], [], ['gamma']]);
      expect(again).toEqual([
        ['beta', 'alpha'],
        ['beta', 'alpha'],
      ]);
      expect(one.map((row) => row.offer.slug)).toEqual(['gamma']);
      // Kept: asked again, nothing read.
      await tables(fresh.books(legs('BTC>USDTTRC20', 'BTC>ETH', 'ETH>USDTTRC20'), catalog.version));
      expect(offers.rowReads.length).toBe(reads + 1);
    });

    it('reads again together those kept too long or changed, and only those', async () => {
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
      const reads = offers.rowReads.length;
      // BTC→ETH read 40 s later than the others: still kept (and less than half its time old, not read
      // ahead) when they have expired.
      changes.publish({ directions: [['BTC', 'ETH']] });
      vi.setSystemTime(Date.now() + 40_000);
      await tables(fresh.books(legs('BTC>ETH'), catalog.version));
      expect(offers.rowReads.slice(reads)).toEqual([['BTC>ETH']]);
      vi.setSystemTime(Date.now() + 21_000);
      await offer('gamma', 'BTC', 'USDTTRC20', '60200');
      const route = await tables(
        fresh.books(legs('BTC>USDTTRC20', 'BTC>ETH', 'ETH>USDTTRC20', 'USDTTRC20>BTC'), catalog.version),
      );
      expect(offers.rowReads.slice(reads + 1)).toEqual([['BTC>USDTTRC20', 'ETH>USDTTRC20', 'USDTTRC20>BTC']]);
      expect(route).toEqual([['gamma', 'beta', 'alpha'], ['gamma'], ['beta', 'alpha'], []]);
      // A change announced for one direction: only it is read at the next search.
      await offer('gamma', 'ETH', 'USDTTRC20', '3200');
      changes.publish({ directions: [['ETH', 'USDTTRC20']] });
      const after = await tables(fresh.books(legs('BTC>USDTTRC20', 'BTC>ETH', 'ETH>USDTTRC20'), catalog.version));
      expect(offers.rowReads.slice(reads + 2)).toEqual([['ETH>USDTTRC20']]);
      expect(after).toEqual([['gamma', 'beta', 'alpha'], ['gamma'], ['gamma', 'beta', 'alpha']]);
      vi.useRealTimers();
    });

    it('reads a direction past half its time again meanwhile, its tables answered from what is kept until then', async () => {
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
      const ahead = new DirectionBooks(offers, loadConfig({ PUBLIC_CACHE_SECONDS: '60' }), changes);
      const rates = async () =>
        (await ahead.rank(unit('BTC'), unit('LTC'), catalog.version, TABLE)).map((row) => row.offer.rate);
      try {
        expect(await rates()).toEqual(['21']);
        const reads = offers.rowReads.length;
        // Changed with no announcement: not seen while the rows are kept.
        await offer('delta', 'BTC', 'LTC', '22');
        vi.setSystemTime(Date.now() + 29_000);
        expect(await rates()).toEqual(['21']);
        expect(offers.rowReads.length).toBe(reads);
        // Past half its time: this table still answers from the kept rows, and the direction is read meanwhile.
        vi.setSystemTime(Date.now() + 2_000);
        expect(await rates()).toEqual(['21']);
        expect(offers.rowReads.slice(reads)).toEqual([['BTC>LTC']]);
        await vi.waitFor(async () => expect(await rates()).toEqual(['22']), { timeout: 5_000, interval: 20 });
        // Once, and kept for PUBLIC_CACHE_SECONDS from then: 25 s later, nothing is read.
        vi.setSystemTime(Date.now() + 25_000);
        expect(await rates()).toEqual(['22']);
        expect(offers.rowReads.slice(reads)).toEqual([['BTC>LTC']]);
      } finally {
        vi.useRealTimers();
        ahead.onApplicationShutdown();
      }
    });

    it('reads each of them again at every search when nothing may be kept (PUBLIC_CACHE_SECONDS 0), still in one query', async () => {
      const unkept = new DirectionBooks(offers, loadConfig({ PUBLIC_CACHE_SECONDS: '0' }), changes);
      try {
        const reads = offers.rowReads.length;
        for (let i = 0; i < 2; i++) {
          const route = await tables(unkept.books(legs('BTC>ETH', 'ETH>USDTTRC20'), catalog.version));
          expect(route).toEqual([['gamma'], ['gamma', 'beta', 'alpha']]);
        }
        expect(offers.rowReads.slice(reads)).toEqual([
          ['BTC>ETH', 'ETH>USDTTRC20'],
          ['BTC>ETH', 'ETH>USDTTRC20'],
        ]);
        expect(unkept.stats()).toEqual({ directions: 0, rows: 0 });
      } finally {
        unkept.onApplicationShutdown();
      }
    });

    it('hands a failed read to every table waiting for it and keeps nothing of it', async () => {
      const failing = new (class extends OffersRepository {
        override findDirectionsRows(): Promise<DirectionOfferRow[][]> {
          return Promise.reject(new Error('connection lost'));
        }
      })(dataSource);
      const broken = new DirectionBooks(failing, loadConfig({ PUBLIC_CACHE_SECONDS: '60' }), changes);
      try {
        const asked = [
          broken.books(legs('BTC>ETH', 'ETH>USDTTRC20'), catalog.version),
          broken.rank(unit('BTC'), unit('ETH'), catalog.version, TABLE),
        ];
        for (const result of await Promise.allSettled(asked)) {
          expect(result).toMatchObject({ status: 'rejected', reason: { message: 'connection lost' } });
        }
        expect(broken.stats()).toEqual({ directions: 0, rows: 0 });
      } finally {
        broken.onApplicationShutdown();
      }
    });
  });
});
