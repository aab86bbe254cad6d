import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { loadConfig } from '@app/config';
import { CatalogRepository, MarketValuesRepository, WHOLE_MARKET_SETTINGS, WHOLE_MARKET_SQL } from '@app/database';
import { CatalogSnapshots } from '@app/ingestion';
import { SnapshotChanges } from '@app/messaging';
import { createExchangerWithFeed } from '../../../../../test/support/ingestion';
import { ExplainedRows, planNodes } from '../../../../../test/support/plans';
import { migratedDatabase, TestDatabase } from '../../../../../test/support/services';
import { MarketValues } from './market-values.service';
import { RankRates } from './rank-rates.service';

/**
 * The market's USD values and rankrate over the real PostgreSQL: medians of the shown offers (quarantined
 * offers, stale feeds and paused exchangers left out), one hop where no USD-unit direction exists, and the
 * changes followed from the snapshot-change events.
 */
describe('market values and rankrate (PostgreSQL)', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let repository: MarketValuesRepository;
  let changes: SnapshotChanges;
  let market: MarketValues;
  let rankRates: RankRates;
  const feedOf = new Map<string, { exchangerId: number; feedId: number }>();

  beforeAll(async () => {
    ({ db, dataSource } = await migratedDatabase(3));
    repository = new MarketValuesRepository(dataSource);
    const config = loadConfig({});
    changes = new SnapshotChanges(config);
    market = new MarketValues(repository, changes);
    rankRates = new RankRates(market, new CatalogSnapshots(new CatalogRepository(dataSource)), config);
  });

  afterAll(async () => {
    market?.onApplicationShutdown();
    await dataSource?.destroy();
    await db?.drop();
  });

  /** Exchanger `slug` (one fresh feed) offers from → to at `rate` (1 in, `rate` out), in `city` when given. */
  const offer = async (
    slug: string,
    from: string,
    to: string,
    rate: string,
    extra: { quarantined?: boolean; city?: string } = {},
  ) => {
    let ids = feedOf.get(slug);
    if (!ids) {
      ids = await createExchangerWithFeed(dataSource, `ex-${slug}`, `https://${slug}.example/rates.xml`);
      await dataSource.query(`UPDATE feeds SET last_success_at = now(), stale_after_s = 3600 WHERE id = $1`, [
        ids.feedId,
      ]);
      feedOf.set(slug, ids);
    }
    await dataSource.query(
      `INSERT INTO offers (feed_id, exchanger_id, from_code, to_code, amount_in, amount_out, rate, reserve, quarantine, city)
       VALUES ($1, $2, $3, $4, 1, $5, $5, 1000000, $6, $7)
       ON CONFLICT (feed_id, from_code, to_code, city) DO UPDATE SET rate = EXCLUDED.rate, amount_out = EXCLUDED.amount_out, quarantine = EXCLUDED.quarantine`,
      [
        ids.feedId,
        ids.exchangerId,
        from,
        to,
        rate,
        extra.quarantined ? { reason: 'better-than-market' } : null,
        extra.city ?? '',
      ],
    );
  };

  it('reads each direction median, best and exchangers from the shown offers only', async () => {
    await offer('a', 'BTC', 'USDTTRC20', '59900');
    await offer('b', 'BTC', 'USDTTRC20', '60000');
    await offer('c', 'BTC', 'USDTTRC20', '60100');
    // One exchanger's typo (three zeros too many) is one vote among four: the lower median stays 60,000.
    await offer('d', 'BTC', 'USDTTRC20', '60000000');
    // A held offer is not shown, so it is not the market either — not even as the best rate.
    await offer('e', 'BTC', 'USDTTRC20', '90000000', { quarantined: true });
    // A stale feed's and a paused exchanger's offers are not shown.
    await offer('stale', 'BTC', 'USDTTRC20', '1');
    await dataSource.query(`UPDATE feeds SET last_success_at = now() - interval '2 days' WHERE id = $1`, [
      feedOf.get('stale')!.feedId,
    ]);
    await offer('paused', 'BTC', 'USDTTRC20', '2');
    await dataSource.query(`UPDATE exchangers SET status = 'paused' WHERE id = $1`, [
      feedOf.get('paused')!.exchangerId,
    ]);
    // Exchanger a also publishes the direction in a second, less recently confirmed feed: a's newer offer stands
    // (counted, its 90,000,000 would be the best and move the median to 60,100).
    const [older] = await dataSource.query<Array<{ id: number }>>(
      `INSERT INTO feeds (exchanger_id, url, interval_s, timeout_ms, last_success_at, stale_after_s)
       VALUES ($1, 'https://ex-a.example/second.xml', 30, 3000, now() - interval '1 minute', 3600) RETURNING id`,
      [feedOf.get('a')!.exchangerId],
    );
    await dataSource.query(
      `INSERT INTO offers (feed_id, exchanger_id, from_code, to_code, amount_in, amount_out, rate) VALUES ($1, $2, 'BTC', 'USDTTRC20', 1, 90000000, 90000000)`,
      [older!.id, feedOf.get('a')!.exchangerId],
    );
    const rows = await repository.directionStats();
    const shown = ['a', 'b', 'c', 'd'].map((slug) => feedOf.get(slug)!.exchangerId).sort((x, y) => x - y);
    expect(rows).toEqual([
      { from: 'BTC', to: 'USDTTRC20', median: '60000', best: '60000000', exchangers: 4, exchangerIds: shown },
    ]);
    expect(await repository.directionStats([['BTC', 'USDTTRC20']])).toEqual(rows);
    expect(await repository.directionStats([['ETH', 'USDTTRC20']])).toEqual([]);
    expect(await repository.directionStats([])).toEqual([]);
  });

  it('values currencies in USD: USD units 1, direct medians, one hop, the typo ignored', async () => {
    // RUB: USDTTRC20 → SBERRUB at 100 (two exchangers at 100, one at 101): 1 RUB = 0.01 USD.
    await offer('a', 'USDTTRC20', 'SBERRUB', '100');
    await offer('b', 'USDTTRC20', 'SBERRUB', '100');
    await offer('c', 'USDTTRC20', 'SBERRUB', '101');
    // XMR has no USD-unit direction: XMR → BTC at 0.0025 (three exchangers) makes it 0.0025 × 60,000 = 150 USD.
    await offer('a', 'XMR', 'BTC', '0.0025');
    await offer('b', 'XMR', 'BTC', '0.0025');
    await offer('c', 'XMR', 'BTC', '0.0026');
    expect(await rankRates.usdValue('PMUSD')).toBe('1');
    expect(await rankRates.usdValue('usdttrc20')).toBe('1');
    expect(await rankRates.usdValue('BTC')).toBe('60000');
    expect(await rankRates.usdValue('SBERRUB')).toBe('0.01');
    expect(await rankRates.usdValue('XMR')).toBe('150');
    expect((await rankRates.usdValues()).get('XMR')).toEqual({
      code: 'XMR',
      usd: '150',
      via: 'hop',
      through: 'BTC',
      exchangers: 3,
    });
    expect(await rankRates.usdValue('ETH')).toBeNull();
    expect(await rankRates.usdValue('NOSUCH')).toBeNull();
    // $300 of each: 0.005 BTC, 30,000 RUB, 2 XMR; nothing for a currency the market does not value.
    expect(await rankRates.referenceAmount('BTC')).toBe('0.005');
    expect(await rankRates.referenceAmount('SBERRUB')).toBe('30000');
    expect(await rankRates.referenceAmount('XMR')).toBe('2');
    expect(await rankRates.referenceAmount('ETH')).toBeNull();
    await expect(rankRates.referenceAmount('NOSUCH')).rejects.toThrow('unknown currency code NOSUCH');
  });

  it('follows snapshot changes: the changed directions are read again and their currencies valued anew', async () => {
    const before = market.version;
    // The market moves: BTC → USDTTRC20 is now 70,000 at three of four exchangers.
    await offer('a', 'BTC', 'USDTTRC20', '70000');
    await offer('b', 'BTC', 'USDTTRC20', '70000');
    await offer('c', 'BTC', 'USDTTRC20', '70100');
    // Not announced yet: the values stay as read.
    expect(await rankRates.usdValue('BTC')).toBe('60000');
    changes.publish({ directions: [['BTC', 'USDTTRC20']] });
    await market.refreshNow();
    expect(market.version).toBeGreaterThan(before);
    expect(await rankRates.usdValue('BTC')).toBe('70000');
    // XMR, valued through BTC, moves with it.
    expect(await rankRates.usdValue('XMR')).toBe('175');
    // A direction whose offers all go takes its values along.
    await dataSource.query(`DELETE FROM offers WHERE from_code = 'XMR'`);
    changes.publish({ directions: [['XMR', 'BTC']] });
    await market.refreshNow();
    expect(await rankRates.usdValue('XMR')).toBeNull();
    // A maintenance event (any direction may have changed) reads the whole market again.
    await offer('a', 'ETH', 'PMUSD', '3000');
    changes.publish({ all: true });
    await market.refreshNow();
    expect(await rankRates.usdValue('ETH')).toBe('3000');
  });

  it('gives rankrate at $300 per offer, in order, null where the from currency has no value', async () => {
    const terms = (fields: Record<string, unknown>) => ({
      rate: '7000000',
      reserve: null,
      fromMin: null,
      fromMax: null,
      toMin: null,
      toMax: null,
      fromFee: [],
      toFee: [],
      minFee: [],
      ...fields,
    });
    // BTC is worth 70,000 now: $300 = 0.00428571 BTC (8 decimals, half-up).
    expect(await rankRates.referenceAmount('BTC')).toBe('0.00428571');
    const offers = [
      terms({}),
      // 1 % on what is given: 0.00428571 × 0.99 = 0.0042428529 × 7,000,000 = 29,699.9703 → 29,699.97 RUB.
      terms({ fromFee: [{ kind: 'percent', value: '1' }] }),
      // A minimum of 0.01 BTC: rated at 0.01 (70,000 RUB for 0.01 → 7,000,000).
      terms({ fromMin: '0.01' }),
      terms({ fromMin: '0.01', fromMax: '0.001' }),
    ];
    const rankrates = await rankRates.rankrates('BTC', 'SBERRUB', offers);
    // 0.00428571 × 7,000,000 = 29,999.97 exactly: 7,000,000; then 29,699.97 / 0.00428571 (40 digits).
    expect(rankrates).toEqual(['7000000', '6929999.92999992999992999992999992999993', '7000000', null]);
    // The same offer objects answer from memory (same strings).
    expect(await rankRates.rankrates('BTC', 'SBERRUB', offers)).toEqual(rankrates);
    expect(await rankRates.rankrates('ETH', 'XMR', offers)).toEqual([
      expect.any(String),
      expect.any(String),
      expect.any(String),
      null,
    ]);
    expect(await rankRates.rankrates('XMR', 'BTC', offers)).toEqual([null, null, null, null]);
    await expect(rankRates.rankrates('BTC', 'NOSUCH', offers)).rejects.toThrow('unknown currency code NOSUCH');
  });

  it("counts a cash exchanger once in a direction's median, at the lower median of its cities' rates", async () => {
    // cash-k pays out cash euros in five cities: 0.69, 0.70, 0.70, 0.71 and 0.95 EUR per USDT — its own lower
    // median 0.70 (the 3rd of 5), its best 0.95. cash-l pays 0.80 and cash-m 0.82, in one city each.
    for (const [city, rate] of [
      ['MSK', '0.70'],
      ['SPB', '0.71'],
      ['KZN', '0.69'],
      ['EKB', '0.70'],
      ['NSK', '0.95'],
    ] as const)
      await offer('cash-k', 'USDTTRC20', 'CASHEUR', rate, { city });
    await offer('cash-l', 'USDTTRC20', 'CASHEUR', '0.80', { city: 'MSK' });
    await offer('cash-m', 'USDTTRC20', 'CASHEUR', '0.82', { city: 'SPB' });
    // Exchangers' rates 0.70, 0.80, 0.82: the lower median is the 2nd, 0.80. Counted per city (seven rates
    // 0.69, 0.70, 0.70, 0.71, 0.80, 0.82, 0.95) it was the 4th, 0.71: k's cities outvoted the two others.
    const ids = ['cash-k', 'cash-l', 'cash-m'].map((slug) => feedOf.get(slug)!.exchangerId).sort((x, y) => x - y);
    const expected = {
      from: 'USDTTRC20',
      to: 'CASHEUR',
      median: '0.80',
      best: '0.95',
      exchangers: 3,
      exchangerIds: ids,
    };
    expect(await repository.directionStats([['USDTTRC20', 'CASHEUR']])).toEqual([expected]);
    expect((await repository.directionStats()).find((r) => r.to === 'CASHEUR')).toEqual(expected);
    // 1 CASHEUR = 1 / 0.80 = 1.25 USD.
    changes.publish({ directions: [['USDTTRC20', 'CASHEUR']] });
    await market.refreshNow();
    expect(await rankRates.usdValue('CASHEUR')).toBe('1.25');
    expect((await rankRates.usdValues()).get('CASHEUR')).toMatchObject({ via: 'direct', exchangers: 3 });
  });
  it('reads the whole market as it reads a direction: exchangers with and without cities, and both in one direction', async () => {
    // cash-n lists USDTTRC20 → CASHUSD without a city and in two: 0.99, 1.01 (MSK), 0.98 (SPB) — its lower median
    // 0.99, its best 1.01; cash-o without a city only (1.00); cash-p in one city only (0.97).
    await offer('cash-n', 'USDTTRC20', 'CASHUSD', '0.99');
    await offer('cash-n', 'USDTTRC20', 'CASHUSD', '1.01', { city: 'MSK' });
    await offer('cash-n', 'USDTTRC20', 'CASHUSD', '0.98', { city: 'SPB' });
    await offer('cash-o', 'USDTTRC20', 'CASHUSD', '1.00');
    await offer('cash-p', 'USDTTRC20', 'CASHUSD', '0.97', { city: 'KZN' });
    const ids = ['cash-n', 'cash-o', 'cash-p'].map((slug) => feedOf.get(slug)!.exchangerId).sort((x, y) => x - y);
    // Exchangers' rates 0.97, 0.99, 1.00: the lower median 0.99; the best 1.01 (n's, in Moscow).
    const expected = {
      from: 'USDTTRC20',
      to: 'CASHUSD',
      median: '0.99',
      best: '1.01',
      exchangers: 3,
      exchangerIds: ids,
    };
    expect(await repository.directionStats([['USDTTRC20', 'CASHUSD']])).toEqual([expected]);
    const whole = await repository.directionStats();
    expect(whole.find((r) => r.to === 'CASHUSD')).toEqual(expected);
    // Every direction the same, read whole or one by one.
    expect(await repository.directionStats(whole.map((r) => [r.from, r.to] as const))).toEqual(
      expect.arrayContaining(whole),
    );
    expect((await repository.directionStats(whole.map((r) => [r.from, r.to] as const))).length).toBe(whole.length);
  });

  it('reads the whole market without a nested loop, whatever the statistics say', async () => {
    // The tables as a fleet's first minute left them: statistics of a market far smaller than the one read.
    await offer('plan-q', 'BTC', 'USDTTRC20', '60000');
    await offer('plan-q', 'BTC', 'CASHUSD', '59000', { city: 'MSK' });
    await dataSource.query(`ANALYZE offers, feeds, exchangers`);
    await dataSource.query(
      `INSERT INTO offers (feed_id, exchanger_id, from_code, to_code, city, amount_in, amount_out, rate)
       SELECT $1, $2, 'ETH', 'CASHUSD', 'C' || i, 1, 3000, 3000 FROM generate_series(1, 2000) i`,
      [feedOf.get('plan-q')!.feedId, feedOf.get('plan-q')!.exchangerId],
    );
    const loops = await dataSource.transaction(async (tx) => {
      await tx.query(WHOLE_MARKET_SETTINGS);
      return planNodes(await tx.query<ExplainedRows>(`EXPLAIN (FORMAT JSON) ${WHOLE_MARKET_SQL}`, [[]]))
        .filter((n) => n['Node Type'] === 'Nested Loop')
        .map((n) => n['Join Type']);
    });
    expect(loops).toEqual([]);
    expect((await repository.directionStats()).find((r) => r.from === 'ETH')).toMatchObject({ median: '3000' });
  });
});
