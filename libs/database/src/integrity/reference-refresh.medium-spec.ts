import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { DEFAULT_INTEGRITY_BAND, DEFAULT_INTEGRITY_BANDS } from '@app/domain';
import { createExchangerWithFeed } from '../../../../test/support/ingestion';
import { offerOf } from '../../../../test/support/offers';
import { migratedDatabase, TestDatabase } from '../../../../test/support/services';
import { shownOffersSql } from '../freshness';
import { FeedsRepository, newFeedRun } from '../repositories/feeds.repository';
import { QuarantineRepository } from './quarantine.repository';
import { INTEGRITY_OFF, IntegrityPolicy } from './rate-guard';

const POLICY: IntegrityPolicy = { enabled: true, bands: DEFAULT_INTEGRITY_BANDS, fallbackBand: DEFAULT_INTEGRITY_BAND };

/**
 * The reference refresh's one-pass form (one sort of the fresh offers, the one-per-exchanger pick only for
 * exchangers with several fresh feeds) against the plain definition: the median of `shownOffersSql` with
 * held offers, per direction and city, of three or more exchangers.
 */
describe('reference refresh', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let feeds: FeedsRepository;
  let quarantine: QuarantineRepository;
  let counter = 0;

  beforeAll(async () => {
    ({ db, dataSource } = await migratedDatabase(2));
    feeds = new FeedsRepository(dataSource);
    quarantine = new QuarantineRepository(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  const exchanger = async () => {
    const slug = `ref-${++counter}`;
    return createExchangerWithFeed(dataSource, slug, `https://${slug}.example/rates.xml`);
  };
  const secondFeed = async (exchangerId: number) => {
    const [row] = await dataSource.query<Array<{ id: number }>>(
      `INSERT INTO feeds (exchanger_id, url, interval_s, timeout_ms) VALUES ($1, $2, 30, 3000) RETURNING id`,
      [exchangerId, `https://ref-${exchangerId}-${++counter}.example/second.xml`],
    );
    return row!.id;
  };
  /** One poll of the feed bringing `offers`, judged by `policy` (none unless given). */
  const write = (
    feedId: number,
    exchangerId: number,
    offers: ReturnType<typeof offerOf>[],
    policy: IntegrityPolicy = INTEGRITY_OFF,
  ) =>
    feeds.applyAnswer(
      { id: feedId, exchangerId },
      newFeedRun('manual', 'ok', { accepted: offers.length }),
      { etag: null, lastModified: null, contentHash: String(Math.random()) },
      offers,
      policy,
    );
  /** The references as the plain definition gives them. */
  const expected = () =>
    dataSource.query<Array<{ key: string; rate: string; n: number }>>(
      `SELECT from_code || '>' || to_code || '@' || city AS key,
              (percentile_disc(0.5) WITHIN GROUP (ORDER BY rate))::text AS rate, count(*)::int AS n
       FROM (${shownOffersSql('TRUE', true)}) s GROUP BY from_code, to_code, city HAVING count(*) >= 3 ORDER BY 1`,
    );
  const stored = () =>
    dataSource.query<Array<{ key: string; rate: string; n: number }>>(
      `SELECT from_code || '>' || to_code || '@' || city AS key, rate::text AS rate, exchangers AS n
       FROM direction_references WHERE source = 'market' ORDER BY 1`,
    );

  it('gives every direction the median of the plain definition: one offer per exchanger, the most recently confirmed feed, stale feeds out, held offers in', async () => {
    const directions = [
      { from: 'BTC', to: 'SBERRUB', city: null, base: 6_850_000 },
      { from: 'ETH', to: 'SBERRUB', city: null, base: 250_000 },
      { from: 'USDTTRC20', to: 'CASHUSD', city: 'MSK', base: 0.99 },
      { from: 'USDTTRC20', to: 'CASHUSD', city: 'SPB', base: 0.98 },
    ];
    const rateOf = (base: number, k: number) => String(Math.round(base * (1 + ((k * 37) % 11) / 1000) * 1e6) / 1e6);
    const all = [];
    for (let k = 0; k < 7; k++) {
      const e = await exchanger();
      all.push(e);
      await write(
        e.feedId,
        e.exchangerId,
        directions.map((d) => offerOf({ from: d.from, to: d.to, city: d.city, rate: rateOf(d.base, k) })),
      );
    }
    // Two exchangers also publish through a second, more recently confirmed feed, at far better rates:
    // each still counts once, with the second feed's rate.
    for (const e of all.slice(0, 2)) {
      const feedId = await secondFeed(e.exchangerId);
      await write(
        feedId,
        e.exchangerId,
        directions.map((d) => offerOf({ from: d.from, to: d.to, city: d.city, rate: String(d.base * 1.05) })),
      );
      await dataSource.query(`UPDATE feeds SET last_success_at = now() + interval '1 minute' WHERE id = $1`, [feedId]);
    }
    // One goes stale (out), one has its offer held back (still in: the market as published).
    await dataSource.query(`UPDATE feeds SET last_success_at = now() - interval '1 day' WHERE id = $1`, [
      all[6]!.feedId,
    ]);
    await dataSource.query(`UPDATE offers SET quarantine = '{"reason":"too_good"}' WHERE feed_id = $1`, [
      all[5]!.feedId,
    ]);

    const refresh = await quarantine.refreshReferences();
    const want = await expected();
    expect(want.map((r) => r.n)).toEqual([6, 6, 6, 6]);
    expect(refresh.market).toBe(4);
    expect(await stored()).toEqual(want);
    // The second feeds' rates are in it: a one-feed-per-exchanger median would have 6 without them too,
    // but not these medians.
    const btc = want.find((r) => r.key.startsWith('BTC>'))!;
    expect(Number(btc.rate)).toBeGreaterThan(6_850_000 * 1.005);
  });

  it('writes only the references that moved; one that falls below three exchangers turns to history from now', async () => {
    const three = [];
    for (const rate of ['31', '32', '33']) {
      const e = await exchanger();
      await write(e.feedId, e.exchangerId, [offerOf({ from: 'DOGE', to: 'SBERRUB', rate })]);
      three.push({ ...e, rate });
    }
    const row = async () => {
      const [r] = await dataSource.query<
        Array<{ rate: string; source: string; n: number; updated: string; market: string }>
      >(
        `SELECT rate::text AS rate, source, exchangers AS n, updated_at::text AS updated, market_at::text AS market
         FROM direction_references WHERE from_code = 'DOGE' AND to_code = 'SBERRUB' AND city = ''`,
      );
      return r;
    };
    const first = await quarantine.refreshReferences();
    expect(first.written).toBeGreaterThanOrEqual(1);
    const written = await row();
    expect(written).toMatchObject({ rate: '32', source: 'market', n: 3 });
    expect(await quarantine.referenceAgeSeconds()).toBeLessThan(60);

    // Nothing moved: nothing is written, the reference and its stamps stay; the refresh's own time moves on.
    const again = await quarantine.refreshReferences();
    expect(again).toMatchObject({ market: first.market, written: 0 });
    expect(await row()).toEqual(written);
    const [refreshed] = await dataSource.query<Array<{ at: string }>>(
      `SELECT refreshed_at::text AS at FROM reference_refreshes`,
    );
    expect(refreshed!.at > written!.updated).toBe(true);

    // The median moves: written again.
    await write(three[2]!.feedId, three[2]!.exchangerId, [offerOf({ from: 'DOGE', to: 'SBERRUB', rate: '31.5' })]);
    const moved = await quarantine.refreshReferences();
    expect(moved.written).toBe(1);
    expect(await row()).toMatchObject({ rate: '31.5', source: 'market', n: 3 });

    // One exchanger withdraws: the last market rate stays as history, its clock starting now.
    await write(three[0]!.feedId, three[0]!.exchangerId, []);
    const thin = await quarantine.refreshReferences();
    expect(thin.history).toBeGreaterThanOrEqual(1);
    const history = await row();
    expect(history).toMatchObject({ rate: '31.5', source: 'history', n: 3 });
    expect(history!.market > written!.market).toBe(true);
  });

  it('finds the thin directions for a pivot, and leaves no working table behind', async () => {
    const legs = [
      { from: 'LTC', to: 'USDTTRC20', base: 80 },
      { from: 'USDTTRC20', to: 'ADVCUSD', base: 0.99 },
    ];
    for (let k = 0; k < 3; k++) {
      const e = await exchanger();
      await write(
        e.feedId,
        e.exchangerId,
        legs.map((l) => offerOf({ from: l.from, to: l.to, rate: String(l.base + k / 100) })),
      );
    }
    const thin = await exchanger();
    await write(thin.feedId, thin.exchangerId, [offerOf({ from: 'LTC', to: 'ADVCUSD', rate: '79' })]);
    const refresh = await quarantine.refreshReferences();
    expect(refresh.pivot).toBeGreaterThanOrEqual(1);
    const [pivot] = await dataSource.query<Array<{ via: string }>>(
      `SELECT via FROM direction_references WHERE from_code = 'LTC' AND to_code = 'ADVCUSD' AND source = 'pivot'`,
    );
    expect(pivot?.via).toBe('USDTTRC20');
    // ON COMMIT DROP: a second refresh on the same connection creates it again without a clash.
    await expect(quarantine.refreshReferences()).resolves.toMatchObject({ pivot: refresh.pivot });
  });

  it('keeps a pivot reference until it moves, and drops it once it cannot be derived or the market takes over', async () => {
    const legs = [
      { from: 'BCH', to: 'USDTTRC20', base: 300 },
      { from: 'USDTTRC20', to: 'PMUSD', base: 1 },
    ];
    const leg = [];
    for (let k = 0; k < 3; k++) {
      const e = await exchanger();
      await write(
        e.feedId,
        e.exchangerId,
        legs.map((l) => offerOf({ from: l.from, to: l.to, rate: String(l.base) })),
      );
      leg.push(e);
    }
    const thin = await exchanger();
    await write(thin.feedId, thin.exchangerId, [offerOf({ from: 'BCH', to: 'PMUSD', rate: '299' })]);
    const row = async () => {
      const [r] = await dataSource.query<Array<{ rate: string; source: string; version: string }>>(
        `SELECT rate::text AS rate, source, xmin::text AS version FROM direction_references
         WHERE from_code = 'BCH' AND to_code = 'PMUSD' AND city = ''`,
      );
      return r;
    };
    const first = await quarantine.refreshReferences();
    expect(first.pivotWritten).toBeGreaterThanOrEqual(1);
    const made = await row();
    expect(made).toMatchObject({ rate: '300', source: 'pivot' });

    // Nothing moved: the row is the very same version, not deleted and made again.
    const again = await quarantine.refreshReferences();
    expect(again).toMatchObject({ pivot: first.pivot, pivotWritten: 0 });
    expect(await row()).toEqual(made);

    // A leg's median moves: the cross rate is written again.
    for (const e of leg)
      await write(e.feedId, e.exchangerId, [
        offerOf({ from: 'BCH', to: 'USDTTRC20', rate: '310' }),
        offerOf({ from: 'USDTTRC20', to: 'PMUSD', rate: '1' }),
      ]);
    const moved = await quarantine.refreshReferences();
    expect(moved.pivotWritten).toBe(1);
    expect(await row()).toMatchObject({ rate: '310', source: 'pivot' });

    // The market comes to the direction: its median replaces the cross rate.
    for (const e of leg.slice(0, 2))
      await write(e.feedId, e.exchangerId, [
        offerOf({ from: 'BCH', to: 'USDTTRC20', rate: '310' }),
        offerOf({ from: 'USDTTRC20', to: 'PMUSD', rate: '1' }),
        offerOf({ from: 'BCH', to: 'PMUSD', rate: '305' }),
      ]);
    await quarantine.refreshReferences();
    expect(await row()).toMatchObject({ rate: '305', source: 'market' });

    // Back to one exchanger, and the legs' market gone (their last rates only history): no pivot stands, the
    // direction keeps its own last market rate as history.
    for (const e of leg) await write(e.feedId, e.exchangerId, []);
    await quarantine.refreshReferences();
    expect(await row()).toMatchObject({ rate: '305', source: 'history' });

    // A thin direction whose legs are gone loses its pivot reference.
    const lone = await exchanger();
    await write(lone.feedId, lone.exchangerId, [offerOf({ from: 'BCH', to: 'ADVCUSD', rate: '290' })]);
    for (const e of leg.slice(0, 3))
      await write(e.feedId, e.exchangerId, [
        offerOf({ from: 'BCH', to: 'USDTTRC20', rate: '310' }),
        offerOf({ from: 'USDTTRC20', to: 'ADVCUSD', rate: '0.95' }),
      ]);
    await quarantine.refreshReferences();
    const advc = () =>
      dataSource.query<Array<{ rate: string; source: string }>>(
        `SELECT rate::text AS rate, source FROM direction_references WHERE from_code = 'BCH' AND to_code = 'ADVCUSD' AND city = ''`,
      );
    expect(await advc()).toEqual([{ rate: '294.50', source: 'pivot' }]);
    for (const e of leg) await write(e.feedId, e.exchangerId, []);
    const dropped = await quarantine.refreshReferences();
    expect(await advc()).toEqual([]);
    expect(dropped.dropped).toBeGreaterThanOrEqual(1);
  });

  it('crosses a thin direction through the first pivot with both legs, the legs of its own city first', async () => {
    const c = (
      await dataSource.query<Array<{ code: string }>>(
        `SELECT code FROM currencies WHERE kind <> 'cash' AND code NOT IN ('USDTTRC20', 'BTC', 'USDTERC20', 'ETH')
         ORDER BY code DESC LIMIT 6`,
      )
    ).map((r) => r.code);
    // Market legs (three exchangers each, one rate: the median is that rate).
    const legs = [
      { from: c[0]!, to: 'USDTTRC20', rate: '2' },
      { from: 'USDTTRC20', to: c[1]!, rate: '3' },
      { from: c[0]!, to: 'BTC', rate: '5' },
      { from: 'BTC', to: c[1]!, rate: '7' },
      { from: c[2]!, to: 'BTC', rate: '11' },
      { from: 'BTC', to: c[3]!, rate: '13' },
      { from: c[4]!, to: 'USDTTRC20', rate: '2' },
      { from: 'USDTTRC20', to: c[5]!, rate: '3' },
      { from: 'USDTTRC20', to: c[5]!, rate: '4', city: 'MSK' },
    ];
    for (let k = 0; k < 3; k++) {
      const e = await exchanger();
      await write(
        e.feedId,
        e.exchangerId,
        legs.map((l) => offerOf({ from: l.from, to: l.to, city: l.city ?? null, rate: l.rate })),
      );
    }
    const thin = await exchanger();
    await write(thin.feedId, thin.exchangerId, [
      offerOf({ from: c[0]!, to: c[1]!, rate: '1' }),
      offerOf({ from: c[2]!, to: c[3]!, rate: '1' }),
      offerOf({ from: c[4]!, to: c[5]!, rate: '1' }),
      offerOf({ from: c[4]!, to: c[5]!, city: 'MSK', rate: '1' }),
    ]);
    await quarantine.refreshReferences();
    const pivots = await dataSource.query<Array<{ key: string; rate: string; via: string; n: number }>>(
      `SELECT from_code || '>' || to_code || '@' || city AS key, rate::text AS rate, via, exchangers AS n
       FROM direction_references WHERE source = 'pivot' AND from_code = ANY($1::text[]) ORDER BY 1`,
      [[c[0], c[2], c[4]]],
    );
    expect(pivots).toEqual(
      [
        // USDTTRC20 before BTC, though both have legs.
        { key: `${c[0]}>${c[1]}@`, rate: '6', via: 'USDTTRC20', n: 3 },
        { key: `${c[2]}>${c[3]}@`, rate: '143', via: 'BTC', n: 3 },
        { key: `${c[4]}>${c[5]}@`, rate: '6', via: 'USDTTRC20', n: 3 },
        // The Moscow leg, not the one of every city.
        { key: `${c[4]}>${c[5]}@MSK`, rate: '8', via: 'USDTTRC20', n: 3 },
      ].sort((a, b) => (a.key < b.key ? -1 : 1)),
    );
  });

  it("judges each offer of a feed once, though its poll changed several of its direction's offers and one it held", async () => {
    for (const rate of ['150', '151', '149']) {
      const e = await exchanger();
      await write(
        e.feedId,
        e.exchangerId,
        ['MSK', 'SPB', 'KZN'].map((city) => offerOf({ from: 'XMR', to: 'SBERRUB', city, rate })),
      );
    }
    await quarantine.refreshReferences();
    const typo = await exchanger();
    const offers = (msk: string, spb: string) => [
      offerOf({ from: 'XMR', to: 'SBERRUB', city: 'MSK', rate: msk }),
      offerOf({ from: 'XMR', to: 'SBERRUB', city: 'SPB', rate: spb }),
      offerOf({ from: 'XMR', to: 'SBERRUB', city: 'KZN', rate: '15000' }),
    ];
    // Written unjudged: two typos, in MSK and KZN.
    await write(typo.feedId, typo.exchangerId, offers('15000', '150'));
    // MSK and SPB change, so the direction is touched twice over: KZN, unchanged, is read as another offer of it,
    // MSK as written and as it was before the write — judged once, from what was written.
    const first = await write(typo.feedId, typo.exchangerId, offers('15001', '151'), POLICY);
    expect(first.guard).toMatchObject({ quarantined: 2, held: { too_good: 2 }, released: 0 });
    // MSK changes again, held: read as written and as the held offer it was — still once.
    const again = await write(typo.feedId, typo.exchangerId, offers('15002', '151'), POLICY);
    expect(again.guard).toMatchObject({ quarantined: 2, held: {}, released: 0 });
    const held = await dataSource.query<Array<{ city: string; rate: string }>>(
      `SELECT city, rate::text AS rate FROM offers WHERE feed_id = $1 AND quarantine IS NOT NULL`,
      [typo.feedId],
    );
    expect(held.sort((a, b) => a.city.localeCompare(b.city))).toEqual([
      { city: 'KZN', rate: '15000' },
      { city: 'MSK', rate: '15002' },
    ]);
  });

  it('is due again only after its pace times its last cost (refresh and sweep) has passed', async () => {
    await quarantine.refreshReferences();
    const cost = () =>
      dataSource
        .query<Array<{ took: number }>>(`SELECT took_ms AS took FROM reference_refreshes`)
        .then((r) => r[0]!.took);
    const refreshed = await cost();
    // The sweep's time is added to the refresh's.
    await dataSource.query(`UPDATE reference_refreshes SET took_ms = took_ms - 1000000`);
    await quarantine.sweep(POLICY);
    expect(await cost()).toBeGreaterThanOrEqual(refreshed - 1000000);
    expect(await cost()).toBeLessThan(refreshed);
    // A run of 10 s a moment ago: at pace 5 the next is due 60 s after it began, not before.
    await dataSource.query(
      `UPDATE reference_refreshes SET refreshed_at = now() - interval '30 seconds', took_ms = 10000`,
    );
    expect(await quarantine.refreshDue(5)).toBe(false);
    expect(await quarantine.refreshDue(1)).toBe(true);
    await dataSource.query(`UPDATE reference_refreshes SET refreshed_at = now() - interval '61 seconds'`);
    expect(await quarantine.refreshDue(5)).toBe(true);
    // Never refreshed: due.
    await dataSource.query(`DELETE FROM reference_refreshes`);
    expect(await quarantine.refreshDue(5)).toBe(true);
  });
});
