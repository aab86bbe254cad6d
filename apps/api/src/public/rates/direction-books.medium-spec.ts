import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DataSource } from 'typeorm';
import { loadConfig } from '@app/config';
import { CatalogRepository, DirectionOfferRow, OffersRepository, ShownFeed } from '@app/database';
import { BookQuery, CurrencyUnit, Dec, toPlain } from '@app/domain';
import { CatalogSnapshot, CatalogSnapshots } from '@app/ingestion';
import { SnapshotChanges } from '@app/messaging';
import { createExchangerWithFeed } from '../../../../../test/support/ingestion';
import { migratedDatabase, TestDatabase } from '../../../../../test/support/services';
import { DirectionBooks, KEPT_ROWS_SECONDS, MAX_CHANGED_FEEDS } from './direction-books.service';

/** The real repository on the real PostgreSQL, noting each question of which feeds are shown. */
class CountedOffers extends OffersRepository {
  readonly feedQuestions: number[][] = [];

  /** Each read of offer rows: the directions it read ("FROM>TO"). */
  readonly rowReads: string[][] = [];

  override findDirectionsRows(pairs: ReadonlyArray<readonly [string, string]>): Promise<DirectionOfferRow[][]> {
    this.rowReads.push(pairs.map(([from, to]) => `${from}>${to}`));
    return super.findDirectionsRows(pairs);
  }

  /** Each read of some feeds' rows of a direction: "FROM>TO feed,feed". */
  readonly feedRowReads: string[] = [];

  override findDirectionFeedsRows(from: string, to: string, feedIds: readonly number[]): Promise<DirectionOfferRow[]> {
    this.feedRowReads.push(`${from}>${to} ${[...feedIds].sort((a, b) => a - b).join(',')}`);
    return super.findDirectionFeedsRows(from, to, feedIds);
  }

  override findShownFeeds(feedIds: number[]): Promise<ShownFeed[]> {
    this.feedQuestions.push([...feedIds].sort((a, b) => a - b));
    return super.findShownFeeds(feedIds);
  }
}

const TABLE: BookQuery = { city: null, exclude: new Set(), amount: null, side: 'give', limit: 100 };
const AT_AMOUNT: BookQuery = { ...TABLE, amount: new Dec('10') };

/**
 * DirectionBooks over the real PostgreSQL: several directions taken together (a route search's legs) ask
 * which of their feeds are shown in one query, each book showing its own feeds only; no answer of it is
 * kept past its tables, so a feed gone stale without any announced change is hidden at the next table.
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

  it('asks which feeds are shown once for several directions, each book showing its own feeds only', async () => {
    const asked = offers.feedQuestions.length;
    const legs = [
      ['BTC', 'USDTTRC20'],
      ['BTC', 'ETH'],
      ['ETH', 'USDTTRC20'],
      ['ETH', 'BTC'], // no offers: an empty book, nothing asked for it
    ] as const;
    const taken = await books.books(
      legs.map(([from, to]) => [unit(from), unit(to)] as const),
      catalog.version,
    );
    expect(offers.feedQuestions.length).toBe(asked + 1);
    const id = (slug: string) => feeds.get(slug)!.feedId;
    expect(offers.feedQuestions.at(-1)).toEqual(
      [id('alpha'), id('beta'), id('gamma'), id('stale')].sort((a, b) => a - b),
    );
    const tables = await Promise.all(taken.map((book) => book.rank(TABLE)));
    expect(tables.map((rows) => rows.map((row) => row.offer.slug))).toEqual([
      ['beta', 'alpha'], // the stale feed's better rate is not shown
      ['gamma'],
      ['alpha'],
      [],
    ]);
    // Ranking the books asks nothing more: the calculator runs on what they hold.
    const atAmount = await Promise.all(taken.map((book) => book.rank(AT_AMOUNT)));
    expect(atAmount[0]!.map((row) => toPlain(row.get!))).toEqual(['601000', '600000']);
    expect(offers.feedQuestions.length).toBe(asked + 1);
  });

  it('keeps which feeds are shown for PUBLIC_CACHE_SECONDS, then asks again: a feed gone stale with no change announced is hidden', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    try {
      const btcUsdt = () => books.books([[unit('BTC'), unit('USDTTRC20')]], catalog.version);
      const shown = async () => (await (await btcUsdt())[0]!.rank(TABLE)).map((row) => row.offer.slug);
      expect(await shown()).toEqual(['beta', 'alpha']);
      await dataSource.query(`UPDATE feeds SET last_success_at = now() - interval '2 hours' WHERE id = $1`, [
        feeds.get('beta')!.feedId,
      ]);
      // New tables meanwhile (a new amount each) ask nothing: the answer of which feeds are shown is kept.
      const asked = offers.feedQuestions.length;
      expect(await shown()).toEqual(['beta', 'alpha']);
      expect((await (await btcUsdt())[0]!.rank(AT_AMOUNT)).map((row) => row.offer.slug)).toEqual(['beta', 'alpha']);
      expect(offers.feedQuestions.length).toBe(asked);
      // PUBLIC_CACHE_SECONDS (60) later the next table asks again, and the stale feed is hidden.
      vi.setSystemTime(Date.now() + 60_001);
      expect(await shown()).toEqual(['alpha']);
      expect(offers.feedQuestions.length).toBe(asked + 1);
      await dataSource.query(`UPDATE feeds SET last_success_at = now() WHERE id = $1`, [feeds.get('beta')!.feedId]);
      // A change of the direction announced asks again at once.
      changes.publish({ directions: [['BTC', 'USDTTRC20']] });
      expect(await shown()).toEqual(['beta', 'alpha']);
      expect(offers.feedQuestions.length).toBe(asked + 2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('lets tables of one direction asked together share one question', async () => {
    // Announced: the direction's kept rows and shown feeds are dropped, so the next tables ask anew.
    changes.publish({ directions: [['BTC', 'ETH']] });
    const asked = offers.feedQuestions.length;
    const [one, two, three] = await Promise.all([
      slugs('BTC', 'ETH'),
      slugs('BTC', 'ETH', AT_AMOUNT),
      books.books([[unit('BTC'), unit('ETH')]], catalog.version).then(([book]) => book!.rank(TABLE)),
    ]);
    expect(one).toEqual(['gamma']);
    expect(two).toEqual(['gamma']);
    expect(three.map((row) => row.offer.slug)).toEqual(['gamma']);
    expect(offers.feedQuestions.length).toBe(asked + 1);
  });

  it('reads a direction again when a change of it is announced, and only then', async () => {
    await offer('beta', 'ETH', 'USDTTRC20', '3100');
    // The rows are kept (PUBLIC_CACHE_SECONDS 60): no change announced, the new offer is not read yet.
    expect(await slugs('ETH', 'USDTTRC20')).toEqual(['alpha']);
    changes.publish({ directions: [['ETH', 'USDTTRC20']] });
    expect(await slugs('ETH', 'USDTTRC20')).toEqual(['beta', 'alpha']);
  });

  it("reads again only a polled feed's rows of a kept direction, whatever its poll changed there", async () => {
    const id = (slug: string) => feeds.get(slug)!.feedId;
    const polled = (slug: string) => changes.publish({ directions: [['BTC', 'USDTTRC20']], feed: id(slug) });
    changes.publish({ directions: [['BTC', 'USDTTRC20']] });
    expect(await slugs('BTC', 'USDTTRC20')).toEqual(['beta', 'alpha']);
    const [reads, feedReads] = [offers.rowReads.length, offers.feedRowReads.length];
    const rates = async () =>
      (await books.rank(unit('BTC'), unit('USDTTRC20'), catalog.version, TABLE)).map(
        (row) => `${row.offer.slug} ${row.offer.rate}`,
      );

    await offer('alpha', 'BTC', 'USDTTRC20', '60300'); // changed
    polled('alpha');
    expect(await rates()).toEqual(['alpha 60300', 'beta 60100']);
    await offer('gamma', 'BTC', 'USDTTRC20', '60200'); // new in the direction
    polled('gamma');
    polled('gamma'); // announced twice: read once
    expect(await rates()).toEqual(['alpha 60300', 'gamma 60200', 'beta 60100']);
    await dataSource.query(`DELETE FROM offers WHERE feed_id = $1 AND from_code = 'BTC' AND to_code = 'USDTTRC20'`, [
      id('alpha'),
    ]); // gone
    polled('alpha');
    polled('beta'); // polled, nothing of it changed here
    expect(await rates()).toEqual(['gamma 60200', 'beta 60100']);
    expect(offers.rowReads.length).toBe(reads);
    expect(offers.feedRowReads.slice(feedReads)).toEqual([
      `BTC>USDTTRC20 ${id('alpha')}`,
      `BTC>USDTTRC20 ${id('gamma')}`,
      `BTC>USDTTRC20 ${[id('alpha'), id('beta')].sort((a, b) => a - b).join(',')}`,
    ]);

    // Announced while the direction is being read (whole, or in part): read again in part at the next table.
    changes.publish({ directions: [['BTC', 'USDTTRC20']] });
    const reading = rates();
    await offer('beta', 'BTC', 'USDTTRC20', '60400');
    polled('beta');
    await reading;
    expect(await rates()).toEqual(['beta 60400', 'gamma 60200']);
    expect(offers.feedRowReads.at(-1)).toBe(`BTC>USDTTRC20 ${id('beta')}`);

    // More feeds changed it than MAX_CHANGED_FEEDS before the next table: read whole again.
    const whole = offers.rowReads.length;
    for (let feed = 1; feed <= MAX_CHANGED_FEEDS + 1; feed++)
      changes.publish({ directions: [['BTC', 'USDTTRC20']], feed: 1_000_000 + feed });
    expect(await rates()).toEqual(['beta 60400', 'gamma 60200']);
    expect(offers.rowReads.slice(whole)).toEqual([['BTC>USDTTRC20']]);
    // Restored for the tests after this one.
    await offer('alpha', 'BTC', 'USDTTRC20', '60000');
    await offer('beta', 'BTC', 'USDTTRC20', '60100');
    await dataSource.query(`DELETE FROM offers WHERE feed_id = $1 AND from_code = 'BTC' AND to_code = 'USDTTRC20'`, [
      id('gamma'),
    ]);
    changes.publish({ directions: [['BTC', 'USDTTRC20']] });
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
      // BTC→ETH read 30 s later than the others: still kept when they have expired.
      changes.publish({ directions: [['BTC', 'ETH']] });
      vi.setSystemTime(Date.now() + 30_000);
      await tables(fresh.books(legs('BTC>ETH'), catalog.version));
      expect(offers.rowReads.slice(reads)).toEqual([['BTC>ETH']]);
      vi.setSystemTime(Date.now() + 31_000);
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

    it('keeps the rows past PUBLIC_CACHE_SECONDS (asking only which feeds are shown) until KEPT_ROWS_SECONDS pass', async () => {
      const brief = new DirectionBooks(offers, loadConfig({ PUBLIC_CACHE_SECONDS: '2' }), changes);
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
      try {
        const [reads, asked] = [offers.rowReads.length, offers.feedQuestions.length];
        const search = () => tables(brief.books(legs('BTC>ETH', 'ETH>USDTTRC20'), catalog.version));
        expect(await search()).toEqual([['gamma'], ['gamma', 'beta', 'alpha']]);
        expect(await search()).toEqual([['gamma'], ['gamma', 'beta', 'alpha']]);
        expect([offers.rowReads.length - reads, offers.feedQuestions.length - asked]).toEqual([1, 1]);
        vi.setSystemTime(Date.now() + 2_001);
        expect(await search()).toEqual([['gamma'], ['gamma', 'beta', 'alpha']]);
        expect([offers.rowReads.length - reads, offers.feedQuestions.length - asked]).toEqual([1, 2]);
        vi.setSystemTime(Date.now() + KEPT_ROWS_SECONDS * 1000);
        expect(await search()).toEqual([['gamma'], ['gamma', 'beta', 'alpha']]);
        expect(offers.rowReads.slice(-1)).toEqual([['BTC>ETH', 'ETH>USDTTRC20']]);
        expect([offers.rowReads.length - reads, offers.feedQuestions.length - asked]).toEqual([2, 3]);
      } finally {
        vi.useRealTimers();
        brief.onApplicationShutdown();
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
