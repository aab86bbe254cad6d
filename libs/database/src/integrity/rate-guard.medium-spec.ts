import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { DEFAULT_INTEGRITY_BAND, DEFAULT_INTEGRITY_BANDS, NormalizedOffer } from '@app/domain';
import { createExchangerWithFeed } from '../../../../test/support/ingestion';
import { offerOf } from '../../../../test/support/offers';
import { ExplainedRows, planNodes } from '../../../../test/support/plans';
import { adminActor, migratedDatabase, TestDatabase } from '../../../../test/support/services';
import { shownOffersSql } from '../freshness';
import { FeedsRepository, newFeedRun } from '../repositories/feeds.repository';
import { replaceSnapshot, SnapshotCache, snapshotCache } from '../repositories/snapshot-writer';
import { Actor } from '../repositories/audit.repository';
import { QuarantineRepository } from './quarantine.repository';
import { GUARD_PROBES_MAX, IntegrityPolicy, narrowestBand } from './rate-guard';

const POLICY: IntegrityPolicy = { enabled: true, bands: DEFAULT_INTEGRITY_BANDS, fallbackBand: DEFAULT_INTEGRITY_BAND };
const BTC_RUB = ['6850000', '6843000', '6861000', '6838000', '6855500'];

/** The rate guard on the real PostgreSQL: references, verdicts in the poll that brings an offer, release, exceptions. */
describe('rate guard', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let feeds: FeedsRepository;
  let quarantine: QuarantineRepository;
  let actor: Actor;
  let counter = 0;

  beforeAll(async () => {
    ({ db, dataSource } = await migratedDatabase(4));
    feeds = new FeedsRepository(dataSource);
    quarantine = new QuarantineRepository(dataSource);
    actor = await adminActor(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  /** A new exchanger with one feed. */
  const exchanger = async (label: string) => {
    const slug = `${label}-${++counter}`;
    const ids = await createExchangerWithFeed(dataSource, slug, `https://${slug}.example/rates.xml`);
    return { ...ids, slug };
  };
  /** One poll of the feed bringing exactly `offers`, judged by the guard. */
  const poll = async (feed: { feedId: number; exchangerId: number }, offers: NormalizedOffer[], policy = POLICY) => {
    const change = await feeds.applyAnswer(
      { id: feed.feedId, exchangerId: feed.exchangerId },
      newFeedRun('manual', 'ok', { accepted: offers.length }),
      { etag: null, lastModified: null, contentHash: String(Math.random()) },
      offers,
      policy,
    );
    return change.guard;
  };
  const shown = async (from: string, to: string) =>
    (
      await dataSource.query<Array<{ exchanger_id: number; rate: string }>>(
        `SELECT s.exchanger_id, s.rate::text AS rate FROM (${shownOffersSql()}) s WHERE s.from_code = $1 AND s.to_code = $2`,
        [from, to],
      )
    ).map((r) => ({ exchangerId: r.exchanger_id, rate: r.rate }));
  const heldOf = async (exchangerId: number) =>
    (await quarantine.list()).items.filter((item) => item.exchangerId === exchangerId);
  const market = async (from: string, to: string, rates: string[], city: string | null = null) => {
    const honest = [];
    for (const rate of rates) {
      const e = await exchanger('honest');
      await poll(e, [offerOf({ from, to, rate, city })]);
      honest.push(e);
    }
    return honest;
  };

  it('holds back a 1,000× typo on a direction with five honest exchangers in the poll that brings it, and frees it when corrected', async () => {
    await market('BTC', 'SBERRUB', BTC_RUB);
    await quarantine.refreshReferences();
    const typo = await exchanger('typo');

    const held = await poll(typo, [offerOf({ from: 'BTC', to: 'SBERRUB', rate: '6850000000' })]);
    expect(held).toMatchObject({ quarantined: 1, held: { too_good: 1 }, released: 0 });
    expect((await shown('BTC', 'SBERRUB')).map((o) => o.exchangerId)).not.toContain(typo.exchangerId);
    const [item] = await heldOf(typo.exchangerId);
    expect(item).toMatchObject({
      exchanger: typo.slug,
      from: 'BTC',
      to: 'SBERRUB',
      rate: '6850000000',
      reason: 'too_good',
      reference: '6850000',
      referenceSource: 'market',
      deviationPercent: '99900.00',
    });
    const [run] = await dataSource.query<Array<{ quarantined: number; released: number }>>(
      `SELECT quarantined, released FROM feed_runs WHERE feed_id = $1 ORDER BY id DESC LIMIT 1`,
      [typo.feedId],
    );
    expect(run).toEqual({ quarantined: 1, released: 0 });

    // Still wrong on the next poll: still held, first seen unchanged.
    await poll(typo, [offerOf({ from: 'BTC', to: 'SBERRUB', rate: '6850000001' })]);
    expect((await heldOf(typo.exchangerId))[0]?.since).toBe(item!.since);

    const fixed = await poll(typo, [offerOf({ from: 'BTC', to: 'SBERRUB', rate: '6870000' })]);
    expect(fixed).toMatchObject({ quarantined: 0, released: 1, freed: { too_good: 1 } });
    expect(await shown('BTC', 'SBERRUB')).toContainEqual({ exchangerId: typo.exchangerId, rate: '6870000' });
    expect(await heldOf(typo.exchangerId)).toEqual([]);
  });

  it('counts a held offer the poll drops as gone, neither freed nor held', async () => {
    await market('BTC', 'SBERRUB', BTC_RUB);
    await quarantine.refreshReferences();
    const typo = await exchanger('typo');
    const fine = offerOf({ from: 'BTC', to: 'SBERRUB', rate: '6851000', city: 'MSK' });
    expect(await poll(typo, [offerOf({ from: 'BTC', to: 'SBERRUB', rate: '6850000000' }), fine])).toMatchObject({
      quarantined: 1,
      released: 0,
    });
    const dropped = await poll(typo, [{ ...fine, rate: '6852000', out: '6852000' }]);
    expect(dropped).toMatchObject({ quarantined: 0, released: 0, freed: {} });
    expect(await heldOf(typo.exchangerId)).toEqual([]);
  });

  it("judges the feed's other offers in a direction its poll touched, city by city", async () => {
    const cities = await exchanger('cities');
    const msk = offerOf({ from: 'USDTTRC20', to: 'CASHUSD', city: 'MSK', rate: '100' });
    // Written before its direction had a reference: not judged.
    await poll(cities, [msk], { ...POLICY, enabled: false });
    await dataSource.query(
      `INSERT INTO direction_references (from_code, to_code, city, rate, source, exchangers, via, market_at, updated_at)
       SELECT 'USDTTRC20', 'CASHUSD', c, 1, 'market', 5, NULL, now(), now() FROM unnest(ARRAY['MSK', 'SPB']) AS c`,
    );
    // A new city in the direction: the unchanged MSK offer is judged with it.
    const guard = await poll(cities, [msk, { ...msk, city: 'SPB', rate: '1', out: '1' }]);
    expect(guard).toMatchObject({ quarantined: 1, held: { too_good: 1 } });
    expect(await heldOf(cities.exchangerId)).toMatchObject([{ from: 'USDTTRC20', to: 'CASHUSD', city: 'MSK' }]);
    // Still held while SPB changes; freed when MSK is corrected, SPB judged (in the band) with it.
    expect(await poll(cities, [msk, { ...msk, city: 'SPB', rate: '1.01', out: '1.01' }])).toMatchObject({
      quarantined: 1,
      released: 0,
    });
    const spb = { ...msk, city: 'SPB', rate: '1.01', out: '1.01' };
    expect(await poll(cities, [{ ...msk, rate: '1', out: '1' }, spb])).toMatchObject({ quarantined: 0, released: 1 });
    // Written again unjudged, then a poll by a worker that did not write last: the stored rows tell it the feed
    // has cities, so MSK is judged with the changed SPB.
    await poll(cities, [msk, spb], { ...POLICY, enabled: false });
    snapshotCache.clear();
    expect(await poll(cities, [msk, { ...spb, rate: '1.02', out: '1.02' }])).toMatchObject({
      quarantined: 1,
      held: { too_good: 1 },
    });
  });

  it('never hides a rate worse than the market, however far off', async () => {
    const cheap = await exchanger('cheap');
    const guard = await poll(cheap, [offerOf({ from: 'BTC', to: 'SBERRUB', rate: '6850' })]);
    expect(guard.quarantined).toBe(0);
    expect(await shown('BTC', 'SBERRUB')).toContainEqual({ exchangerId: cheap.exchangerId, rate: '6850' });
  });

  it('names swapped sides as inverted', async () => {
    await market('SBERRUB', 'BTC', ['0.000000146', '0.0000001459', '0.0000001462']);
    await quarantine.refreshReferences();
    const swapped = await exchanger('swapped');
    expect(await poll(swapped, [offerOf({ from: 'SBERRUB', to: 'BTC', rate: '6850000' })])).toMatchObject({
      held: { inverted: 1 },
    });
    expect((await heldOf(swapped.exchangerId))[0]).toMatchObject({ reason: 'inverted', referenceSource: 'market' });
  });

  it('judges a direction that fell to two exchangers by its recent history', async () => {
    const honest = await market('ETH', 'SBERRUB', ['250000', '251000', '249500']);
    await quarantine.refreshReferences();
    // One exchanger goes stale: two are left, the last market rate stays the reference.
    await dataSource.query(`UPDATE feeds SET last_success_at = now() - interval '1 day' WHERE id = $1`, [
      honest[0]!.feedId,
    ]);
    await quarantine.refreshReferences();
    const typo = await exchanger('typo');
    await poll(typo, [offerOf({ from: 'ETH', to: 'SBERRUB', rate: '2500000' })]);
    expect((await heldOf(typo.exchangerId))[0]).toMatchObject({ referenceSource: 'history', reference: '250000' });
  });

  it('judges a thin direction through a liquid pivot when both legs have a market', async () => {
    await market('LTC', 'USDTTRC20', ['80', '80.5', '79.8']);
    await market('USDTTRC20', 'ADVCUSD', ['0.99', '0.995', '0.985']);
    const thin = await exchanger('thin');
    await poll(thin, [offerOf({ from: 'LTC', to: 'ADVCUSD', rate: '79' })]);
    const refresh = await quarantine.refreshReferences();
    expect(refresh.pivot).toBeGreaterThanOrEqual(1);
    const typo = await exchanger('typo');
    await poll(typo, [offerOf({ from: 'LTC', to: 'ADVCUSD', rate: '790' })]);
    expect((await heldOf(typo.exchangerId))[0]).toMatchObject({ referenceSource: 'pivot', reason: 'too_good' });
    // The honest thin offer, 2 % off the cross rate, is shown.
    expect((await shown('LTC', 'ADVCUSD')).map((o) => o.exchangerId)).toContain(thin.exchangerId);
  });

  it('does not judge a direction with one exchanger and no history or pivot', async () => {
    const lone = await exchanger('lone');
    await poll(lone, [offerOf({ from: 'XMR', to: 'CASHUSD', city: 'MSK', rate: '150' })]);
    await quarantine.refreshReferences();
    const typo = await exchanger('typo');
    expect((await poll(typo, [offerOf({ from: 'XMR', to: 'CASHUSD', city: 'MSK', rate: '150000' })])).quarantined).toBe(
      0,
    );
    expect((await shown('XMR', 'CASHUSD')).map((o) => o.exchangerId)).toContain(typo.exchangerId);
  });

  it('shows an accepted direction until the exception expires, then judges it again; audited', async () => {
    const typo = await exchanger('accepted');
    await poll(typo, [offerOf({ from: 'BTC', to: 'SBERRUB', rate: '9000000' })]);
    expect(await heldOf(typo.exchangerId)).toHaveLength(1);
    const accepted = await quarantine.accept(
      actor,
      {
        exchangerId: typo.exchangerId,
        from: 'BTC',
        to: 'SBERRUB',
        city: null,
        hours: 2,
        reason: 'a promotion, confirmed by phone',
      },
      true,
    );
    expect(accepted.released).toBe(1);
    // The freed offer may be the direction's new best: the direction waits for the history recorder.
    expect(
      await dataSource.query(
        `SELECT exchanger_id, froms, tos FROM history_pending WHERE 'SBERRUB' = ANY(tos) ORDER BY id DESC LIMIT 1`,
      ),
    ).toEqual([{ exchanger_id: null, froms: ['BTC'], tos: ['SBERRUB'] }]);
    expect(await heldOf(typo.exchangerId)).toEqual([]);
    expect((await poll(typo, [offerOf({ from: 'BTC', to: 'SBERRUB', rate: '9000001' })])).quarantined).toBe(0);
    const [audit] = await dataSource.query<Array<{ entity: string; after: { reason: string } }>>(
      `SELECT entity, after FROM admin_audit ORDER BY id DESC LIMIT 1`,
    );
    expect(audit).toMatchObject({
      entity: 'quarantine-exception',
      after: { reason: 'a promotion, confirmed by phone' },
    });

    await dataSource.query(
      `UPDATE quarantine_exceptions SET until = now() - interval '1 second' WHERE exchanger_id = $1`,
      [typo.exchangerId],
    );
    expect((await poll(typo, [offerOf({ from: 'BTC', to: 'SBERRUB', rate: '9000002' })])).quarantined).toBe(1);
  });

  it('flags an exchanger most of whose offers are held', async () => {
    const bad = await exchanger('bad');
    await poll(bad, [
      offerOf({ from: 'BTC', to: 'SBERRUB', rate: '68500000' }),
      offerOf({ from: 'SBERRUB', to: 'BTC', rate: '0.00001' }),
      offerOf({ from: 'BTC', to: 'XMR', rate: '400' }),
    ]);
    const { flagged } = await quarantine.list();
    expect(flagged).toContainEqual({ exchangerId: bad.exchangerId, exchanger: bad.slug, quarantined: 2, offers: 3 });
  });

  it('catches a typo that arrived before its direction had a reference, without a new poll, and frees it when the market moves to it', async () => {
    const early = await exchanger('early');
    // Nothing to judge against yet: shown.
    expect((await poll(early, [offerOf({ from: 'DOGE', to: 'SBERRUB', rate: '150' })])).quarantined).toBe(0);
    const honest = await market('DOGE', 'SBERRUB', ['15', '15.1', '14.9']);
    await quarantine.refreshReferences();
    // The housekeeping job judges what is stored: its body never changes, so no poll would.
    const swept = await quarantine.sweep(POLICY);
    expect(swept.touched).toContainEqual(['DOGE', 'SBERRUB']);
    expect(await heldOf(early.exchangerId)).toMatchObject([{ from: 'DOGE', reason: 'too_good' }]);
    expect((await shown('DOGE', 'SBERRUB')).map((o) => o.exchangerId)).not.toContain(early.exchangerId);
    // The market goes to 150 (the "typo" was a new price): the next sweep frees it.
    for (const e of honest) await poll(e, [offerOf({ from: 'DOGE', to: 'SBERRUB', rate: '149' })]);
    await quarantine.refreshReferences();
    expect((await quarantine.sweep(POLICY)).released).toBeGreaterThanOrEqual(1);
    expect(await heldOf(early.exchangerId)).toEqual([]);
    expect((await shown('DOGE', 'SBERRUB')).map((o) => o.exchangerId)).toContain(early.exchangerId);
  });

  it('follows a market that really jumps past the band: held for one refresh at most, then shown again', async () => {
    const honest = await market('SOL', 'SBERRUB', ['15000', '15050', '14980', '15020']);
    await quarantine.refreshReferences();
    // A 20 % rally within one refresh period: every poll is better than the old reference by more than the band.
    for (const [i, e] of honest.entries())
      await poll(e, [offerOf({ from: 'SOL', to: 'SBERRUB', rate: `${18000 + i}` })]);
    expect(await shown('SOL', 'SBERRUB')).toEqual([]);
    await quarantine.refreshReferences();
    await quarantine.sweep(POLICY);
    expect((await shown('SOL', 'SBERRUB')).map((o) => o.exchangerId).sort()).toEqual(
      honest.map((e) => e.exchangerId).sort(),
    );
  });

  it("judges the feed's other offers in the directions a poll changed alike by a probe per direction and by one pass over the feed (the form of large writes)", async () => {
    const codes = (
      await dataSource.query<Array<{ code: string }>>(
        `SELECT code FROM currencies
         WHERE code NOT IN ('BTC', 'SBERRUB', 'XMR', 'SOL', 'DOGE', 'ETH', 'LTC', 'USDTTRC20', 'ADVCUSD', 'CASHUSD')
         ORDER BY code LIMIT 24`,
      )
    ).map((r) => r.code);
    const pairs = codes.flatMap((from) => codes.filter((to) => to !== from).map((to) => [from, to] as const));
    // 552 directions, a reference of 100 for each, without a city and in MSK.
    await dataSource.query(
      `INSERT INTO direction_references (from_code, to_code, city, rate, source, exchangers, via, market_at, updated_at)
       SELECT f, t, c, 100, 'market', 5, NULL, now(), now() FROM unnest($1::text[], $2::text[]) AS p(f, t)
       CROSS JOIN unnest(ARRAY['', 'MSK']) AS c
       ON CONFLICT (from_code, to_code, city) DO UPDATE SET rate = 100, source = 'market'`,
      [pairs.map((p) => p[0]), pairs.map((p) => p[1])],
    );
    const held = async (feedId: number) =>
      (
        await dataSource.query<Array<{ key: string }>>(
          `SELECT from_code || '>' || to_code || '@' || city AS key FROM offers
           WHERE feed_id = $1 AND quarantine IS NOT NULL`,
          [feedId],
        )
      )
        .map((r) => r.key)
        .sort();
    // Past GUARD_PROBES_MAX changed directions the write reads the other offers by one pass over the feed, below
    // by a probe per direction; neither may read an offer of a direction the poll did not change.
    const large = [0, GUARD_PROBES_MAX + 8] as const;
    expect(pairs.length).toBeGreaterThan(large[1]);
    for (const [start, end] of [large, [10, 20] as const]) {
      const changed = (i: number) => i >= start && i < end;
      const big = await exchanger('big');
      // Every direction without a city and in MSK, every third MSK offer 50 % better than its reference; written
      // unjudged, then one in the band held from before.
      const offers = (poll: number) =>
        pairs.flatMap(([from, to], i) => [
          offerOf({ from, to, rate: poll === 1 && changed(i) ? '101' : '100' }),
          offerOf({ from, to, city: 'MSK', rate: i % 3 === 0 ? '150' : '100' }),
        ]);
      await poll(big, offers(0), { ...POLICY, enabled: false });
      await dataSource.query(
        `UPDATE offers SET quarantine = '{"reason":"too_good","since":"2026-01-01T00:00:00Z"}'
         WHERE feed_id = $1 AND from_code = $2 AND to_code = $3 AND city = 'MSK'`,
        [big.feedId, pairs[1]![0], pairs[1]![1]],
      );
      // The poll changes the offers without a city (within the band): the unchanged MSK offers of their
      // directions are judged with them, the held one is freed.
      const outliers = pairs.filter((_, i) => changed(i) && i % 3 === 0).map(([from, to]) => `${from}>${to}@MSK`);
      expect(await poll(big, offers(1))).toMatchObject({
        quarantined: outliers.length,
        held: { too_good: outliers.length },
        released: 1,
        freed: { too_good: 1 },
      });
      expect(await held(big.feedId)).toEqual(outliers.sort());
    }
  });

  it("keeps the references' statistics true, and the snapshot write looks each candidate's reference up by key", async () => {
    const codes = (
      await dataSource.query<Array<{ code: string }>>(`SELECT code FROM currencies ORDER BY code LIMIT 24`)
    ).map((r) => r.code);
    const many = codes
      .flatMap((from) => codes.filter((to) => to !== from).map((to) => offerOf({ from, to, city: 'MSK', rate: '1' })))
      .slice(0, GUARD_PROBES_MAX + 1);
    expect(many).toHaveLength(GUARD_PROBES_MAX + 1);
    /**
     * Every form of the snapshot write's statement that reads the guard's candidates, as polls prepare it on a
     * connection (named: after five runs it runs its generic plan), and that generic plan's scans of the
     * references: a feed without cities (no other offers read), with cities (a probe per changed direction) and
     * past GUARD_PROBES_MAX changed directions (one pass over the feed), each with its changes sent as arrays.
     * Staged, the same statement goes with its COPY, its values written in: planned for them each time, never
     * prepared — no generic plan to keep.
     */
    const referenceScans = async () => {
      const [plain, cities, large] = [await exchanger('plan'), await exchanger('plan'), await exchanger('plan')];
      const plans = await dataSource.transaction(async (tx) => {
        const cache = new SnapshotCache();
        const read = { band: narrowestBand(POLICY), now: new Date(), references: null };
        const write = async (feed: typeof plain, offers: NormalizedOffer[], stageFrom: number) => {
          const id = { id: feed.feedId, exchangerId: feed.exchangerId };
          const written = await replaceSnapshot(tx, id, offers, cache, stageFrom, read);
          expect(written.inserted + written.updated).toBe(offers.length);
        };
        const changed = (offers: NormalizedOffer[]) => offers.map((o) => ({ ...o, rate: '2', out: '2' }));
        const one = [offerOf({ from: 'BTC', to: 'SBERRUB', rate: '6850000' })];
        const msk = [offerOf({ from: 'USDTTRC20', to: 'CASHUSD', city: 'MSK', rate: '1' })];
        for (const [feed, offers] of [
          [plain, one],
          [cities, msk],
          [large, many],
        ] as const) {
          await write(feed, offers, Number.POSITIVE_INFINITY);
          await write(feed, changed(offers), 1);
        }
        await tx.query(`SET LOCAL plan_cache_mode = force_generic_plan`);
        const statements = await tx.query<Array<{ name: string; types: string[] }>>(
          `SELECT name, parameter_types::text[] AS types FROM pg_prepared_statements
           WHERE name LIKE 'ratewatch\\_write\\_%' AND name NOT LIKE '%\\_unguarded'`,
        );
        const explained: Array<[string, ExplainedRows]> = [];
        for (const { name, types } of statements)
          explained.push([
            name,
            await tx.query<ExplainedRows>(
              `EXPLAIN (FORMAT JSON) EXECUTE ${name}(${types.map((type) => `NULL::${type}`).join(', ')})`,
            ),
          ]);
        return explained;
      });
      // The arrays' forms are the protocol's named statements, the staged forms SQL's prepared ones (executeOn).
      expect(plans.map(([name]) => name).sort()).toEqual(
        ['arrays', 'staged'].flatMap((form) =>
          ['feed', 'none', 'probes'].map((others) => `ratewatch_write_${form}_${others}`),
        ),
      );
      return plans.map(
        ([name, plan]) => [name, planNodes(plan).filter((n) => n['Relation Name'] === 'direction_references')] as const,
      );
    };
    const byKey = (scans: Awaited<ReturnType<typeof referenceScans>>) => {
      for (const [name, found] of scans) {
        expect(found.length, name).toBeGreaterThan(0);
        for (const scan of found) expect(String(scan['Index Cond']), name).toMatch(/from_code.*to_code.*city/);
      }
    };

    // The statistics of an empty table, as a fleet's first vacuum leaves them, and the generic plans its first
    // polls make with them: each candidate's reference is still probed by key (a plain join planned now scans
    // every reference for each candidate — 105,000 × 923 a poll at 1,000 exchangers, 25 s — for as long as the
    // plan is kept).
    await dataSource.query(`DELETE FROM direction_references`);
    await dataSource.query(`ANALYZE direction_references`);
    byKey(await referenceScans());
    // A market's worth of references written since (recent history of 20,000 pairs, which the refresh keeps):
    // the refresh that fills the table again counts it for the planner, and the plans made then probe by key.
    await dataSource.query(
      `INSERT INTO direction_references (from_code, to_code, city, rate, source, exchangers, market_at)
       SELECT 'F' || i, 'T' || i, '', 1, 'history', 3, now() FROM generate_series(1, 20000) AS i`,
    );
    await quarantine.refreshReferences();
    const [counts] = await dataSource.query<Array<{ n: number; counted: number }>>(
      `SELECT (SELECT count(*)::int FROM direction_references) AS n,
              (SELECT reltuples::int FROM pg_class WHERE oid = 'direction_references'::regclass) AS counted`,
    );
    expect(counts!.n).toBeGreaterThan(20000);
    expect(Math.abs(counts!.counted - counts!.n)).toBeLessThanOrEqual(counts!.n / 10);
    byKey(await referenceScans());
    await dataSource.query(`DELETE FROM direction_references WHERE from_code LIKE 'F%' AND to_code LIKE 'T%'`);
  });

  it('does nothing when RATE_GUARD is off', async () => {
    const typo = await exchanger('unguarded');
    const guard = await poll(typo, [offerOf({ from: 'BTC', to: 'SBERRUB', rate: '6850000000' })], {
      ...POLICY,
      enabled: false,
    });
    expect(guard.quarantined).toBe(0);
    expect((await shown('BTC', 'SBERRUB')).map((o) => o.exchangerId)).toContain(typo.exchangerId);
  });
});
