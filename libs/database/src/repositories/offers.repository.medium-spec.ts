import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { migratedDatabase, TestDatabase } from '../../../../test/support/services';
import { OffersRepository } from './offers.repository';

interface OfferSeed {
  from: string;
  to: string;
  rate: string;
  city?: string;
  reserve?: string;
  flags?: string[];
}

describe('OffersRepository', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let repository: OffersRepository;
  const ids = new Map<string, number>();

  async function exchanger(slug: string, status = 'active'): Promise<number> {
    const [row] = await dataSource.query<Array<{ id: number }>>(
      `INSERT INTO exchangers (slug, name, site_url, referral_url, status) VALUES ($1::text, 'Name ' || $1::text, 'https://x.example', 'https://x.example/?rid=1', $2) RETURNING id`,
      [slug, status],
    );
    ids.set(slug, row!.id);
    return row!.id;
  }

  /** A feed confirmed `secondsAgo` ago (null: never) with the given offers (amount_in 1, amount_out = rate). */
  async function feed(
    exchangerId: number,
    secondsAgo: number | null,
    offers: OfferSeed[],
    options: { enabled?: boolean; maintenance?: boolean } = {},
  ): Promise<number> {
    const [row] = await dataSource.query<Array<{ id: number }>>(
      `INSERT INTO feeds (exchanger_id, url, stale_after_s, enabled, in_maintenance, last_success_at)
       VALUES ($1, 'https://x.example/rates-' || gen_random_uuid() || '.xml', 300, $2, $3, CASE WHEN $4::int IS NULL THEN NULL ELSE now() - make_interval(secs => $4::int) END)
       RETURNING id`,
      [exchangerId, options.enabled ?? true, options.maintenance ?? false, secondsAgo],
    );
    for (const o of offers) {
      await dataSource.query(
        `INSERT INTO offers (feed_id, exchanger_id, from_code, to_code, city, amount_in, amount_out, rate, reserve, flags, from_min, from_fee)
         VALUES ($1, $2, $3, $4, $5, 1, $6, $6, $7, $8, '0.001', '[{"kind":"percent","value":"0.5"}]')`,
        [row!.id, exchangerId, o.from, o.to, o.city ?? '', o.rate, o.reserve ?? null, o.flags ?? []],
      );
    }
    return row!.id;
  }

  beforeAll(async () => {
    ({ db, dataSource } = await migratedDatabase());
    repository = new OffersRepository(dataSource);

    const alpha = await exchanger('alpha');
    await feed(alpha, 10, [
      { from: 'BTC', to: 'SBERRUB', rate: '6850000.50', reserve: '1000000', flags: ['manual'] },
      { from: 'BTC', to: 'ETH', rate: '9.5' },
      { from: 'USDTTRC20', to: 'CASHUSD', rate: '0.99', city: 'MSK' },
      { from: 'USDTTRC20', to: 'CASHUSD', rate: '0.98', city: 'SPB' },
    ]);
    const beta = await exchanger('beta');
    await feed(beta, 20, [
      { from: 'BTC', to: 'SBERRUB', rate: '6800000' },
      { from: 'BTC', to: 'ETH', rate: '10' },
    ]);

    // Two fresh feeds of one exchanger publish BTC→SBERRUB: the one confirmed 5 s ago stands, with the lower rate.
    const twin = await exchanger('twin');
    await feed(twin, 120, [{ from: 'BTC', to: 'SBERRUB', rate: '7500000' }]);
    await feed(twin, 5, [{ from: 'BTC', to: 'SBERRUB', rate: '6700000' }]);

    // None of these may be shown.
    await feed(await exchanger('paused', 'paused'), 10, [
      { from: 'BTC', to: 'SBERRUB', rate: '8000001' },
      { from: 'LTC', to: 'BTC', rate: '1' },
    ]);
    await feed(await exchanger('disabled', 'disabled'), 10, [{ from: 'BTC', to: 'SBERRUB', rate: '8000002' }]);
    await feed(await exchanger('feed-off'), 10, [{ from: 'BTC', to: 'SBERRUB', rate: '8000003' }], { enabled: false });
    await feed(await exchanger('stale'), 3600, [{ from: 'BTC', to: 'SBERRUB', rate: '8000004' }]);
    await feed(await exchanger('never-polled'), null, [{ from: 'BTC', to: 'SBERRUB', rate: '8000005' }]);
    await feed(await exchanger('maintenance'), 10, [{ from: 'BTC', to: 'SBERRUB', rate: '8000006' }], {
      maintenance: true,
    });
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  describe('findDirectionOffers', () => {
    it('shows only offers of active exchangers with enabled, fresh feeds not in maintenance', async () => {
      const offers = await repository.findDirectionOffers('BTC', 'SBERRUB');
      expect(offers.map((o) => o.slug).sort()).toEqual(['alpha', 'beta', 'twin']);
    });

    it('shows an exchanger once per city: the more recently confirmed feed wins', async () => {
      const twin = (await repository.findDirectionOffers('BTC', 'SBERRUB')).filter((o) => o.slug === 'twin');
      expect(twin).toHaveLength(1);
      expect(twin[0]!.rate).toBe('6700000');
      const [newest] = await dataSource.query<Array<{ at: Date }>>(
        `SELECT max(last_success_at) AS at FROM feeds WHERE exchanger_id = $1`,
        [ids.get('twin')],
      );
      expect(new Date(twin[0]!.updatedAt)).toEqual(newest!.at);
    });

    it('keeps one offer per city of the same exchanger', async () => {
      const offers = await repository.findDirectionOffers('USDTTRC20', 'CASHUSD');
      expect(offers.map((o) => [o.slug, o.city, o.rate]).sort()).toEqual([
        ['alpha', 'MSK', '0.99'],
        ['alpha', 'SPB', '0.98'],
      ]);
    });

    it('returns the terms with decimals as strings as they were stored, and a null city for none', async () => {
      const alpha = (await repository.findDirectionOffers('BTC', 'SBERRUB')).find((o) => o.slug === 'alpha');
      expect(alpha).toMatchObject({
        exchangerId: ids.get('alpha'),
        name: 'Name alpha',
        city: null,
        in: '1',
        out: '6850000.50',
        rate: '6850000.50',
        reserve: '1000000',
        fromMin: '0.001',
        fromMax: null,
        toMin: null,
        toMax: null,
        fromFee: [{ kind: 'percent', value: '0.5' }],
        toFee: [],
        minFee: [],
        flags: ['manual'],
        floating: null,
        delayMinutes: null,
      });
      expect(alpha).not.toHaveProperty('feedId');
    });

    it('answers an empty list for a direction nobody shows', async () => {
      expect(await repository.findDirectionOffers('LTC', 'BTC')).toEqual([]);
      expect(await repository.findDirectionOffers('SBERRUB', 'BTC')).toEqual([]);
    });
  });

  describe('listDirections', () => {
    it('lists shown directions with their offer counts and best rate', async () => {
      const directions = await repository.listDirections();
      expect(directions.map((d) => `${d.from}>${d.to}`)).toEqual(['BTC>ETH', 'BTC>SBERRUB', 'USDTTRC20>CASHUSD']);
      const byKey = new Map(directions.map((d) => [`${d.from}>${d.to}`, d]));
      expect(byKey.get('USDTTRC20>CASHUSD')).toEqual({ from: 'USDTTRC20', to: 'CASHUSD', offers: 2, bestRate: '0.99' });
      // No paused, disabled, stale, never-polled or maintenance offer (their rates are all above 8,000,000).
      expect(Number(byKey.get('BTC>SBERRUB')!.bestRate)).toBeLessThan(8_000_000);
    });

    it('compares rates as decimals, not as text', async () => {
      const [btcEth] = await repository.listDirections({ from: 'BTC' });
      expect(btcEth).toEqual({ from: 'BTC', to: 'ETH', offers: 2, bestRate: '10' });
    });

    it('filters by the from currency', async () => {
      expect((await repository.listDirections({ from: 'USDTTRC20' })).map((d) => d.to)).toEqual(['CASHUSD']);
      expect(await repository.listDirections({ from: 'LTC' })).toEqual([]);
    });

    it('filters by the to currency', async () => {
      expect((await repository.listDirections({ to: 'CASHUSD' })).map((d) => d.from)).toEqual(['USDTTRC20']);
      expect((await repository.listDirections({ from: 'BTC', to: 'ETH' })).map((d) => d.to)).toEqual(['ETH']);
      expect(await repository.listDirections({ from: 'BTC', to: 'CASHUSD' })).toEqual([]);
    });

    it('pages by key: after the last key of a page, at most limit directions', async () => {
      const keys = async (filter: Parameters<OffersRepository['listDirections']>[0]) =>
        (await repository.listDirections(filter)).map((d) => `${d.from}>${d.to}`);
      expect(await keys({ limit: 2 })).toEqual(['BTC>ETH', 'BTC>SBERRUB']);
      expect(await keys({ limit: 2, after: { from: 'BTC', to: 'SBERRUB' } })).toEqual(['USDTTRC20>CASHUSD']);
      // A key that is not a direction (any more) still starts right after itself.
      expect(await keys({ after: { from: 'BTC', to: 'LTC' } })).toEqual(['BTC>SBERRUB', 'USDTTRC20>CASHUSD']);
      expect(await keys({ after: { from: 'USDTTRC20', to: 'CASHUSD' } })).toEqual([]);
    });

    it('counts and ranks what findDirectionOffers shows (one offer per exchanger and city)', async () => {
      const shown = await repository.findDirectionOffers('BTC', 'SBERRUB');
      const [summary] = (await repository.listDirections({ from: 'BTC' })).filter((d) => d.to === 'SBERRUB');
      expect(summary!.offers).toBe(shown.length);
      const best = shown.map((o) => o.rate).sort((a, b) => Number(b) - Number(a))[0];
      expect(summary!.bestRate).toBe(best);
      expect(summary).toEqual({ from: 'BTC', to: 'SBERRUB', offers: 3, bestRate: '6850000.50' });
    });
  });
});
