import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { migratedDatabase, TestDatabase } from '../../../../test/support/services';
import { CatalogRepository } from './catalog.repository';

describe('CatalogRepository.listWithOfferCounts', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let repository: CatalogRepository;

  async function exchangerWithFeed(
    slug: string,
    status: string,
    feed: { lastSuccessSecondsAgo: number | null; maintenance?: boolean; enabled?: boolean },
  ): Promise<void> {
    const [exchanger] = await dataSource.query<Array<{ id: number }>>(
      `INSERT INTO exchangers (slug, name, site_url, referral_url, status) VALUES ($1::text, $1::text, 'https://x.example', 'https://x.example/?rid=1', $2) RETURNING id`,
      [slug, status],
    );
    const [row] = await dataSource.query<Array<{ id: number }>>(
      `INSERT INTO feeds (exchanger_id, url, stale_after_s, enabled, in_maintenance, last_success_at)
       VALUES ($1, 'https://x.example/rates-' || gen_random_uuid() || '.xml', 300, $2, $3, CASE WHEN $4::int IS NULL THEN NULL ELSE now() - make_interval(secs => $4::int) END)
       RETURNING id`,
      [exchanger!.id, feed.enabled ?? true, feed.maintenance ?? false, feed.lastSuccessSecondsAgo],
    );
    await dataSource.query(
      `INSERT INTO offers (feed_id, exchanger_id, from_code, to_code, amount_in, amount_out, rate)
       VALUES ($1, $2, 'BTC', 'SBERRUB', 1, 6850000.5, 6850000.5), ($1, $2, 'BTC', 'ETH', 1, 20, 20)`,
      [row!.id, exchanger!.id],
    );
  }

  beforeAll(async () => {
    ({ db, dataSource } = await migratedDatabase());
    repository = new CatalogRepository(dataSource);
    await exchangerWithFeed('fresh-one', 'active', { lastSuccessSecondsAgo: 10 });
    await exchangerWithFeed('stale-one', 'active', { lastSuccessSecondsAgo: 3600 });
    await exchangerWithFeed('never-polled', 'active', { lastSuccessSecondsAgo: null });
    await exchangerWithFeed('in-maintenance', 'active', { lastSuccessSecondsAgo: 10, maintenance: true });
    await exchangerWithFeed('paused-one', 'paused', { lastSuccessSecondsAgo: 10 });
    await exchangerWithFeed('feed-disabled', 'active', { lastSuccessSecondsAgo: 10, enabled: false });
  });

  afterAll(async () => {
    await dataSource.destroy();
    await db.drop();
  });

  it('lists the whole enabled catalog, counting only offers that may be shown', async () => {
    const all = await repository.listWithOfferCounts({ withOffersOnly: false });
    expect(all.length).toBe(322);
    const count = (code: string) => all.find((c) => c.code === code)?.offers;
    expect(count('BTC')).toBe(2);
    expect(count('SBERRUB')).toBe(1);
    expect(count('ETH')).toBe(1);
    expect(count('PMUSD')).toBe(0);
  });

  it('lists only currencies with fresh offers on request', async () => {
    const withOffers = await repository.listWithOfferCounts({ withOffersOnly: true });
    expect(withOffers.map((c) => c.code)).toEqual(['BTC', 'ETH', 'SBERRUB']);
  });

  it('leaves out disabled currencies', async () => {
    await dataSource.query(`UPDATE currencies SET enabled = false WHERE code = 'ETH'`);
    const withOffers = await repository.listWithOfferCounts({ withOffersOnly: true });
    expect(withOffers.map((c) => c.code)).toEqual(['BTC', 'SBERRUB']);
  });
});
