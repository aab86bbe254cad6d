import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DataSource } from 'typeorm';
import { DEFAULT_INTEGRITY_BAND, DEFAULT_INTEGRITY_BANDS, InvalidRequestError, NormalizedOffer } from '@app/domain';
import { FeedServer } from '../../../../test/support/feed-server';
import { createExchangerWithFeed, pollServiceFor } from '../../../../test/support/ingestion';
import { offerOf } from '../../../../test/support/offers';
import { ExplainedRows, nodesUnder, planNodes } from '../../../../test/support/plans';
import { waitFor } from '../../../../test/support/processes';
import { migratedDatabase, TestDatabase } from '../../../../test/support/services';
import { createDataSource } from '../data-source';
import { IntegrityPolicy, INTEGRITY_OFF } from '../integrity/rate-guard';
import { QuarantineRepository } from '../integrity/quarantine.repository';
import { shownOffersSql } from '../freshness';
import { FeedsRepository, newFeedRun } from '../repositories/feeds.repository';
import { HISTORY_LOCK_CLASS, SHOWN_ROWS_SQL } from './best-changes';
import { HistoryRepository, UNPACKED_MINUTES } from './history.repository';

const GUARD: IntegrityPolicy = { enabled: true, bands: DEFAULT_INTEGRITY_BANDS, fallbackBand: DEFAULT_INTEGRITY_BAND };
const RETENTION = { minute: 7 * 86_400, hour: 90 * 86_400, day: 0 };
const at = (iso: string) => new Date(iso);

/** History of every direction on the real PostgreSQL: change points, roll-ups, retention, the series. */
describe('rate history', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let feeds: FeedsRepository;
  let history: HistoryRepository;
  let counter = 0;

  beforeAll(async () => {
    ({ db, dataSource } = await migratedDatabase(6));
    feeds = new FeedsRepository(dataSource);
    history = new HistoryRepository(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  // Each test rolls up its own past: the roll-up's progress starts over.
  beforeEach(async () => {
    await dataSource.query(`UPDATE history_rollup SET folded_until = NULL`);
  });

  const exchanger = async (label: string) => {
    const slug = `${label}-${++counter}`;
    const ids = await createExchangerWithFeed(dataSource, slug, `https://${slug}.example/rates.xml`);
    return ids;
  };
  /** One good answer of the feed bringing exactly `offers`, written as the poll writes it (history on), not recorded yet. */
  const writeOnly = (
    feed: { feedId: number; exchangerId: number },
    offers: NormalizedOffer[],
    policy: IntegrityPolicy = INTEGRITY_OFF,
  ) =>
    feeds.applyAnswer(
      { id: feed.feedId, exchangerId: feed.exchangerId },
      newFeedRun('manual', 'ok', { accepted: offers.length }),
      { etag: null, lastModified: null, contentHash: String(Math.random()) },
      offers,
      policy,
      true,
    );
  /** writeOnly, then the recorder's drain (as the HistoryRecorder runs it after a write). */
  const write = async (
    feed: { feedId: number; exchangerId: number },
    offers: NormalizedOffer[],
    policy: IntegrityPolicy = INTEGRITY_OFF,
  ) => {
    const change = await writeOnly(feed, offers, policy);
    await history.drain({ wait: true });
    return change;
  };
  /** The rates the feed's latest mark carried (its shown offers in the pairs it marked). */
  const carriedRates = async (feedId: number) =>
    (
      await dataSource.query<Array<{ rates: string[] }>>(
        `SELECT shown_rates::text[] AS rates FROM history_pending WHERE feed_id = $1 ORDER BY id DESC LIMIT 1`,
        [feedId],
      )
    )[0]!.rates;
  const pendingRows = async () =>
    (await dataSource.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM history_pending`))[0]!.n;
  /** Where history's best (rate and holder, per city scope) differs from the one over every shown offer. */
  const driftOf = (from: string, to: string) =>
    dataSource.query<unknown[]>(
      `WITH shown AS (${shownOffersSql(`o.from_code = $1 AND o.to_code = $2`)}),
       truth AS (
         SELECT scope AS city, max(rate) AS rate, (array_agg(exchanger_id ORDER BY rate DESC, exchanger_id))[1] AS holder
         FROM shown, LATERAL (VALUES (''), (NULLIF(city, ''))) v(scope) WHERE scope IS NOT NULL GROUP BY scope
       ),
       recorded AS (SELECT city, rate, holder FROM history_directions WHERE from_code = $1 AND to_code = $2 AND rate IS NOT NULL)
       SELECT t.city AS shown, r.city AS recorded, t.rate::text AS "shownRate", r.rate::text AS "recordedRate", t.holder AS "shownHolder", r.holder AS "recordedHolder"
       FROM truth t FULL JOIN recorded r USING (city)
       WHERE t.rate IS DISTINCT FROM r.rate OR t.holder IS DISTINCT FROM r.holder`,
      [from, to],
    );
  const changesOf = (from: string, to: string, city = '') =>
    dataSource.query<Array<{ rate: string | null; previous: string | null; offers: number }>>(
      `SELECT c.rate::text AS rate, c.previous::text AS previous, c.offers FROM history_changes c
       JOIN history_directions d ON d.id = c.direction_id WHERE d.from_code = $1 AND d.to_code = $2 AND d.city = $3 ORDER BY c.at`,
      [from, to, city],
    );
  /** Moves the direction's change points, in their order, to `times`. */
  const placeAt = async (from: string, to: string, times: string[]) => {
    await dataSource.query(
      `UPDATE history_changes c SET at = v.at FROM (
         SELECT c2.direction_id, c2.at AS old, (($3::timestamptz[])[row_number() OVER (ORDER BY c2.at)]) AS at
         FROM history_changes c2 JOIN history_directions d ON d.id = c2.direction_id WHERE d.from_code = $1 AND d.to_code = $2 AND d.city = ''
       ) v WHERE c.direction_id = v.direction_id AND c.at = v.old`,
      [from, to, times],
    );
  };
  /** The stored buckets of a table (history_minutes: its packed hours unpacked into minute buckets). */
  const buckets = (table: string, from: string, to: string) =>
    dataSource.query<unknown[]>(
      `SELECT b.bucket AS at, b.open::text AS open, b.high::text AS high, b.low::text AS low, b.close::text AS close, b.offers
       FROM ${table === 'history_minutes' ? `history_minutes m CROSS JOIN LATERAL (${UNPACKED_MINUTES}) b` : `${table} b`}
       JOIN history_directions d ON d.id = ${table === 'history_minutes' ? 'm' : 'b'}.direction_id
       WHERE d.from_code = $1 AND d.to_code = $2 AND d.city = '' ORDER BY b.bucket`,
      [from, to],
    );
  const point = (
    iso: string,
    open: string | null,
    high: string,
    low: string,
    close: string | null,
    offers: number,
  ) => ({
    at: new Date(iso).toISOString(),
    open,
    high,
    low,
    close,
    offers,
  });

  it('records a change point only where a write moved the best shown rate, and folds them into known buckets', async () => {
    const a = await exchanger('a');
    const b = await exchanger('b');
    const btcEth = (rate: string) => [offerOf({ from: 'BTC', to: 'ETH', rate })];
    await write(a, btcEth('20')); // the first best
    await write(b, btcEth('19')); // below it: nothing
    await write(b, btcEth('21')); // b beats it
    await write(a, btcEth('20.5')); // below b: nothing
    await write(b, btcEth('20.2')); // b held the best and lowered it: a's 20.5 is the best now
    await write(a, []); // a's offer is gone: b's 20.2
    await write(a, btcEth('20.10')); // below b: nothing
    await write(b, []); // a's 20.1 only
    await write(a, []); // nothing shown
    await write(a, btcEth('22')); // back
    await write(a, btcEth('22.000')); // the same decimal: nothing
    expect(await changesOf('BTC', 'ETH')).toEqual([
      { rate: '20', previous: null, offers: 1 },
      { rate: '21', previous: '20', offers: 2 },
      { rate: '20.5', previous: '21', offers: 2 },
      { rate: '20.2', previous: '20.5', offers: 1 },
      { rate: '20.10', previous: '20.2', offers: 1 },
      { rate: null, previous: '20.10', offers: 0 },
      { rate: '22', previous: null, offers: 1 },
    ]);

    await placeAt('BTC', 'ETH', [
      '2026-01-05T10:00:05Z',
      '2026-01-05T10:00:40Z',
      '2026-01-05T10:01:10Z',
      '2026-01-05T10:01:20Z',
      '2026-01-05T10:01:30Z',
      '2026-01-05T10:01:50Z',
      '2026-01-05T11:30:00Z',
    ]);
    // Within the hour after the last change: only the complete hours are folded (10:00 here), the rest is the
    // tail the series folds from the change points — the same buckets either way.
    const early = await history.rollUp(RETENTION, at('2026-01-05T11:31:30Z'));
    expect(early).toMatchObject({ ran: true, foldedUntil: '2026-01-05T11:00:00.000Z' });
    // Open: the rate before the bucket's first change; high and low over every rate in it; close and offers at its end.
    const minutes = [
      point('2026-01-05T10:00:00Z', null, '21', '20', '21', 2),
      point('2026-01-05T10:01:00Z', '21', '21', '20.10', null, 0),
      point('2026-01-05T11:30:00Z', null, '22', '22', '22', 1),
    ];
    const hours = [
      point('2026-01-05T10:00:00Z', null, '21', '20', null, 0),
      point('2026-01-05T11:00:00Z', null, '22', '22', '22', 1),
    ];
    const days = [point('2026-01-05T00:00:00Z', null, '22', '20', '22', 1)];
    const stored = async (table: string) =>
      (await buckets(table, 'BTC', 'ETH')).map((r) => ({ ...(r as object), at: (r as { at: Date }).at.toISOString() }));
    const series = (resolution: 'minute' | 'hour' | 'day', since: string, until = '2026-01-05T12:00:00Z') =>
      history.series({ from: 'BTC', to: 'ETH', resolution, since: at(since), until: at(until) });
    expect(await stored('history_minutes')).toEqual(minutes.slice(0, 2));
    expect(await stored('history_hours')).toEqual(hours.slice(0, 1));
    expect(await series('minute', '2026-01-05T09:00:00Z')).toEqual(minutes);
    expect(await series('hour', '2026-01-05T09:00:00Z')).toEqual(hours);
    expect(await series('day', '2026-01-01T00:00:00Z', '2026-01-06T00:00:00Z')).toEqual(days);

    // Five minutes after 11:59 the 11:00 hour is folded too.
    const rolled = await history.rollUp(RETENTION, at('2026-01-05T12:05:30Z'));
    expect(rolled).toMatchObject({ ran: true, foldedUntil: '2026-01-05T12:00:00.000Z' });
    expect(await stored('history_minutes')).toEqual(minutes);
    expect(await stored('history_hours')).toEqual(hours);
    expect(await stored('history_days')).toEqual(days);

    expect(await series('minute', '2026-01-05T09:00:00Z')).toEqual(minutes);
    expect(await series('hour', '2026-01-05T09:00:00Z')).toEqual(hours);
    expect(await series('day', '2026-01-01T00:00:00Z', '2026-01-06T00:00:00Z')).toEqual(days);
    // From the middle: led by the rate at the start (the close before it), then the buckets in range.
    expect(await series('minute', '2026-01-05T10:00:50Z')).toEqual([
      point('2026-01-05T10:00:00Z', null, '21', '20', '21', 2),
      ...minutes.slice(1),
    ]);
    expect(await series('minute', '2026-01-05T10:30:00Z', '2026-01-05T11:00:00Z')).toEqual([]);
    expect(await series('minute', '2026-01-05T11:00:00Z')).toEqual([minutes[2]]);

    // Idempotent: rolling the same change points up again, from scratch or later on, gives the same buckets.
    await dataSource.query(`UPDATE history_rollup SET folded_until = NULL`);
    await history.rollUp(RETENTION, at('2026-01-05T12:05:30Z'));
    await history.rollUp(RETENTION, at('2026-01-05T12:32:10Z'));
    await history.rollUp(RETENTION, at('2026-01-05T12:32:10Z'));
    expect(await stored('history_minutes')).toEqual(minutes);
    expect(await stored('history_hours')).toEqual(hours);
    expect(await stored('history_days')).toEqual(days);
  });

  it('shows a change at once, before any roll-up, folded into the bucket the roll-up stopped in', async () => {
    const a = await exchanger('tail');
    await write(a, [offerOf({ from: 'BTC', to: 'SBERRUB', rate: '6850000' })]);
    await placeAt('BTC', 'SBERRUB', ['2026-02-01T10:20:00Z']);
    await history.rollUp(RETENTION, at('2026-02-01T10:30:30Z'));
    await write(a, [offerOf({ from: 'BTC', to: 'SBERRUB', rate: '6860000.5' })]);
    await write(a, [offerOf({ from: 'BTC', to: 'SBERRUB', rate: '6840000' })]);
    await placeAt('BTC', 'SBERRUB', ['2026-02-01T10:20:00Z', '2026-02-01T10:45:10Z', '2026-02-01T10:45:50Z']);
    const until = at('2026-02-01T10:50:00Z');
    const since = at('2026-02-01T10:00:00Z');
    expect(await history.series({ from: 'BTC', to: 'SBERRUB', resolution: 'minute', since, until })).toEqual([
      point('2026-02-01T10:20:00Z', null, '6850000', '6850000', '6850000', 1),
      point('2026-02-01T10:45:00Z', '6850000', '6860000.5', '6840000', '6840000', 1),
    ]);
    // The hour the roll-up is in: its stored minutes and the change points after them, as one bucket.
    expect(await history.series({ from: 'BTC', to: 'SBERRUB', resolution: 'hour', since, until })).toEqual([
      point('2026-02-01T10:00:00Z', null, '6860000.5', '6840000', '6840000', 1),
    ]);

    // At the real time too: a write now is in the series now.
    await write(a, [offerOf({ from: 'BTC', to: 'SBERRUB', rate: '6870000' })]);
    const now = await history.series({
      from: 'BTC',
      to: 'SBERRUB',
      resolution: 'day',
      since: new Date(Date.now() - 86_400_000),
    });
    expect(now.at(-1)).toMatchObject({ close: '6870000', high: '6870000', offers: 1 });
  });

  it('records the history of a direction nobody viewed, through the poll itself, and per city', async () => {
    const server = new FeedServer();
    await server.start();
    const { poller, fetcher } = pollServiceFor(dataSource);
    try {
      const { feedId } = await createExchangerWithFeed(dataSource, `polled-${++counter}`, server.url('/rates.xml'));
      server.serve('/rates.xml', {
        body: `<rates><item><from>USDTTRC20</from><to>CASHUSD</to><in>1</in><out>0.985</out><amount>1000</amount><city>MSK</city></item><item><from>USDTTRC20</from><to>CASHUSD</to><in>1</in><out>0.99</out><amount>1000</amount><city>SPB</city></item></rates>`,
      });
      const outcome = await poller.poll(feedId, 'manual');
      expect(outcome.status).toBe('ok');
      await history.drain({ wait: true });
      const since = new Date(Date.now() - 3_600_000);
      const series = (city: string | null) =>
        history.series({ from: 'USDTTRC20', to: 'CASHUSD', city, resolution: 'minute', since });
      expect((await series(null)).map((p) => [p.close, p.offers])).toEqual([['0.99', 2]]);
      expect((await series('MSK')).map((p) => [p.close, p.offers])).toEqual([['0.985', 1]]);
      expect((await series('SPB')).map((p) => [p.close, p.offers])).toEqual([['0.99', 1]]);
      expect(await series('EKB')).toEqual([]);
    } finally {
      await fetcher.close();
      await server.stop();
    }
  });

  it('never lets a quarantined offer into history: a typo held by the guard is no change point, its release is', async () => {
    const quarantine = new QuarantineRepository(dataSource);
    for (const rate of ['100', '101', '99', '100.5'])
      await write(await exchanger('honest'), [offerOf({ from: 'LTC', to: 'XMR', rate })], GUARD);
    await quarantine.refreshReferences();
    const typo = await exchanger('typo');
    const held = await write(typo, [offerOf({ from: 'LTC', to: 'XMR', rate: '100500' })], GUARD);
    expect(held.guard.quarantined).toBe(1);
    expect((await changesOf('LTC', 'XMR')).map((c) => c.rate)).toEqual(['100', '101']);
    // Fixed, in the band and the best: shown, so recorded.
    await write(typo, [offerOf({ from: 'LTC', to: 'XMR', rate: '102' })], GUARD);
    expect((await changesOf('LTC', 'XMR')).map((c) => c.rate)).toEqual(['100', '101', '102']);
    // A typo of the exchanger holding the best: held back, and its shown best goes back to the market's.
    await write(typo, [offerOf({ from: 'LTC', to: 'XMR', rate: '1020' })], GUARD);
    expect((await changesOf('LTC', 'XMR')).map((c) => [c.rate, c.offers])).toEqual([
      ['100', 1],
      ['101', 2],
      ['102', 5],
      ['101', 4],
    ]);
  });

  it('records bests that move without a write: a feed going stale or into maintenance, and back', async () => {
    const a = await exchanger('stale');
    const b = await exchanger('steady');
    await write(a, [offerOf({ from: 'ETH', to: 'XMR', rate: '30' }), offerOf({ from: 'ETH', to: 'LTC', rate: '7' })]);
    await write(b, [offerOf({ from: 'ETH', to: 'XMR', rate: '29' })]);
    await history.reevaluateFeeds(); // remembers which feeds are shown now
    await dataSource.query(`UPDATE feeds SET last_success_at = now() - interval '2 days' WHERE id = $1`, [a.feedId]);
    expect(await history.reevaluateFeeds()).toMatchObject({ changes: 2 });
    expect((await changesOf('ETH', 'XMR')).map((c) => c.rate)).toEqual(['30', '29']);
    expect((await changesOf('ETH', 'LTC')).map((c) => c.rate)).toEqual(['7', null]);
    expect(await history.reevaluateFeeds()).toMatchObject({ feeds: 0, changes: 0 });

    // Shown again: its own rates decide in its pairs, as after a write of them — none computed over every offer.
    await dataSource.query(`UPDATE feeds SET last_success_at = now() WHERE id = $1`, [a.feedId]);
    expect(await history.reevaluateFeeds()).toMatchObject({ feeds: 1, pairs: 2, computed: 0, changes: 2 });
    await dataSource.query(`UPDATE feeds SET in_maintenance = true WHERE id = $1`, [b.feedId]);
    await history.reevaluateFeeds(); // b did not hold a best: nothing moves
    expect((await changesOf('ETH', 'XMR')).map((c) => c.rate)).toEqual(['30', '29', '30']);
    expect((await changesOf('ETH', 'LTC')).map((c) => c.rate)).toEqual(['7', null, '7']);

    // A deleted exchanger that held a best.
    await dataSource.query(`DELETE FROM exchangers WHERE id = $1`, [a.exchangerId]);
    await history.reevaluateFeeds();
    expect((await changesOf('ETH', 'XMR')).map((c) => c.rate)).toEqual(['30', '29', '30', null]);
  });

  it('marks of a feed shown again only the pairs its offers could move, and records them as a write would', async () => {
    const back = await exchanger('back'); // the smaller id: wins ties
    const other = await exchanger('other');
    await write(back, [
      offerOf({ from: 'BNB', to: 'XMR', rate: '5' }), // will lose to other's 6: nothing to mark
      offerOf({ from: 'BNB', to: 'LTC', rate: '7' }), // ties other's 7: takes the holder
      offerOf({ from: 'BNB', to: 'DOT', rate: '9' }), // beats other's 8
      offerOf({ from: 'CASHUSD', to: 'BNB', rate: '1', city: 'KZN' }), // below the pair's best, the best in its city
      offerOf({ from: 'BNB', to: 'ADA', rate: '3' }), // nobody else: withdrawn while hidden, its own row decides
    ]);
    await write(other, [
      offerOf({ from: 'BNB', to: 'XMR', rate: '6' }),
      offerOf({ from: 'BNB', to: 'LTC', rate: '7' }),
      offerOf({ from: 'BNB', to: 'DOT', rate: '8' }),
      offerOf({ from: 'CASHUSD', to: 'BNB', rate: '2', city: 'MSK' }),
    ]);
    await history.reevaluateFeeds(); // remembers which feeds are shown now
    // Hidden: the four pairs where it holds a best (overall or in KZN) go to other or to nothing.
    await dataSource.query(`UPDATE feeds SET last_success_at = now() - interval '2 days' WHERE id = $1`, [back.feedId]);
    expect(await history.reevaluateFeeds()).toMatchObject({ feeds: 1, pairs: 4 });
    expect((await changesOf('BNB', 'ADA')).map((c) => c.rate)).toEqual(['3', null]);

    // Shown again: BNB>XMR, where it cannot move the best, is not marked.
    await dataSource.query(`UPDATE feeds SET last_success_at = now() WHERE id = $1`, [back.feedId]);
    expect(await history.reevaluateFeeds()).toMatchObject({ feeds: 1, pairs: 4, computed: 0, changes: 3 });
    for (const [from, to] of [
      ['BNB', 'XMR'],
      ['BNB', 'LTC'],
      ['BNB', 'DOT'],
      ['CASHUSD', 'BNB'],
      ['BNB', 'ADA'],
    ] as const)
      expect(await driftOf(from, to)).toEqual([]);
    expect((await changesOf('BNB', 'XMR')).map((c) => c.rate)).toEqual(['5', '6']);
    expect((await changesOf('BNB', 'DOT')).map((c) => c.rate)).toEqual(['9', '8', '9']);
    expect((await changesOf('CASHUSD', 'BNB', 'KZN')).map((c) => c.rate)).toEqual(['1', null, '1']);
    expect((await changesOf('BNB', 'ADA')).map((c) => c.rate)).toEqual(['3', null, '3']);
  });

  it('remembers the feeds it marked with their marks: a re-evaluation during its drain marks them no more', async () => {
    const feed = await exchanger('remembered');
    await write(feed, [offerOf({ from: 'NEAR', to: 'ATOM', rate: '7' })]);
    await history.reevaluateFeeds(); // what earlier tests left, and this feed: seen
    await dataSource.query(`UPDATE feeds SET last_success_at = now() - interval '2 days' WHERE id = $1`, [feed.feedId]);
    // The second re-evaluation runs while the first drains (as the next minute's job does behind a backlog).
    const drain = history.drain.bind(history);
    let during: Awaited<ReturnType<HistoryRepository['reevaluateFeeds']>> | null = null;
    const spy = vi.spyOn(history, 'drain').mockImplementationOnce(async (options) => {
      during = await history.reevaluateFeeds();
      return drain(options);
    });
    try {
      expect(await history.reevaluateFeeds()).toMatchObject({ feeds: 1, pairs: 1 });
    } finally {
      spy.mockRestore();
    }
    expect(during).toMatchObject({ feeds: 0, pairs: 0 });
    expect((await changesOf('NEAR', 'ATOM')).map((c) => c.rate)).toEqual(['7', null]);
    await dataSource.query(`UPDATE feeds SET last_success_at = now() WHERE id = $1`, [feed.feedId]);
    expect(await history.reevaluateFeeds()).toMatchObject({ feeds: 1, pairs: 1 });
    expect((await changesOf('NEAR', 'ATOM')).map((c) => c.rate)).toEqual(['7', null, '7']);
  });

  it('takes a feed as shown from a write that marked all its offers: its first snapshot is marked once, not twice', async () => {
    await history.reevaluateFeeds(); // what earlier tests left
    const stateOf = async (feedId: number) =>
      (
        await dataSource.query<Array<{ shown: boolean; missed: boolean }>>(
          `SELECT shown, missed FROM history_feeds WHERE feed_id = $1`,
          [feedId],
        )
      )[0] ?? null;
    const first = await exchanger('first');
    await write(first, [
      offerOf({ from: 'ICP', to: 'XMR', rate: '4' }),
      offerOf({ from: 'ICP', to: 'LTC', rate: '5' }),
    ]);
    expect(await stateOf(first.feedId)).toEqual({ shown: true, missed: false });
    // The re-evaluation has nothing to mark for it (before, it marked its two pairs again as "shown again").
    expect(await history.reevaluateFeeds()).toMatchObject({ feeds: 0, pairs: 0 });
    expect((await changesOf('ICP', 'XMR')).map((c) => c.rate)).toEqual(['4']);

    // A write that leaves an offer unchanged did not mark every pair: the history keeps its own view of the feed.
    const later = await exchanger('later');
    await write(later, [offerOf({ from: 'ICP', to: 'XMR', rate: '3' })], GUARD);
    await dataSource.query(`DELETE FROM history_feeds WHERE feed_id = $1`, [later.feedId]);
    await write(later, [
      offerOf({ from: 'ICP', to: 'XMR', rate: '3' }),
      offerOf({ from: 'ICP', to: 'DOT', rate: '1' }),
    ]);
    expect(await stateOf(later.feedId)).toBeNull();
    // Nor is a feed whose exchanger is not active taken as shown, though its offers are written.
    const paused = await createExchangerWithFeed(
      dataSource,
      `paused-${++counter}`,
      `https://p${counter}.example/r.xml`,
      {
        status: 'paused',
      },
    );
    await write(paused, [offerOf({ from: 'ICP', to: 'XMR', rate: '9' })]);
    expect(await stateOf(paused.feedId)).toBeNull();
    expect(await history.reevaluateFeeds()).toMatchObject({ feeds: 2 });
    expect(await stateOf(paused.feedId)).toEqual({ shown: false, missed: false });
    expect(await driftOf('ICP', 'XMR')).toEqual([]);
  });

  it('records a write drained while its feed was hidden once the feed is shown again, before any re-evaluation saw it hidden', async () => {
    const [known, other] = [await exchanger('flicker'), await exchanger('flicker-other')];
    const pair = (rate: string, city: string | null = null) => offerOf({ from: 'AVAX', to: 'DOGE', rate, city });
    await write(known, [pair('2'), pair('2', 'MSK')], GUARD);
    await write(other, [pair('3')], GUARD);
    await history.reevaluateFeeds(); // history knows both feeds, shown
    const missed = async () =>
      (
        await dataSource.query<Array<{ missed: boolean }>>(`SELECT missed FROM history_feeds WHERE feed_id = $1`, [
          known.feedId,
        ])
      )[0]?.missed;

    // A write, its feed hidden before the drain (a maintenance switch, a recorder behind by the stale time):
    // the drain rightly leaves its 4 out (and its best in MSK, nothing shown there now); the feed is shown again
    // before the next re-evaluation.
    await writeOnly(known, [pair('4'), pair('3.5', 'MSK')], GUARD);
    await dataSource.query(`UPDATE feeds SET in_maintenance = true WHERE id = $1`, [known.feedId]);
    expect(await history.drain({ wait: true })).toMatchObject({ writes: 1, changes: 1 });
    expect(await missed()).toBe(true);
    await dataSource.query(`UPDATE feeds SET in_maintenance = false WHERE id = $1`, [known.feedId]);
    expect(await history.reevaluateFeeds()).toMatchObject({ feeds: 1, pairs: 1 });
    expect(await driftOf('AVAX', 'DOGE')).toEqual([]);
    expect((await changesOf('AVAX', 'DOGE')).map((c) => c.rate)).toEqual(['2', '3', '4']);
    expect((await changesOf('AVAX', 'DOGE', 'MSK')).map((c) => c.rate)).toEqual(['2', null, '3.5']);
    expect(await missed()).toBe(false);
    expect(await history.reevaluateFeeds()).toMatchObject({ feeds: 0 });

    // Still hidden at the re-evaluation: hidden as before (where it holds a best, computed again), no word left.
    await writeOnly(known, [pair('6'), pair('3.5', 'MSK')], GUARD);
    await dataSource.query(`UPDATE feeds SET last_success_at = now() - interval '2 days' WHERE id = $1`, [
      known.feedId,
    ]);
    await history.drain({ wait: true });
    expect(await history.reevaluateFeeds()).toMatchObject({ feeds: 1 });
    expect(await missed()).toBe(false);
    expect((await changesOf('AVAX', 'DOGE')).map((c) => c.rate)).toEqual(['2', '3', '4', '3']);
    await dataSource.query(`UPDATE feeds SET last_success_at = now() WHERE id = $1`, [known.feedId]);
    await history.reevaluateFeeds();
    expect((await changesOf('AVAX', 'DOGE')).map((c) => c.rate)).toEqual(['2', '3', '4', '3', '6']);
    expect(await driftOf('AVAX', 'DOGE')).toEqual([]);
  });

  it('leaves word of a feed it found hidden even when a re-evaluation stored that feed during the drain', async () => {
    const feed = await exchanger('word');
    await write(feed, [offerOf({ from: 'AVAX', to: 'XMR', rate: '1' })]);
    await history.reevaluateFeeds();
    await writeOnly(feed, [offerOf({ from: 'AVAX', to: 'XMR', rate: '2' })]);
    await dataSource.query(`UPDATE feeds SET in_maintenance = true WHERE id = $1`, [feed.feedId]);
    // Another transaction holds the feed's row (as a re-evaluation storing its state) while the drain reaches it.
    const other = dataSource.createQueryRunner();
    try {
      await other.query(`BEGIN`);
      await other.query(`UPDATE history_feeds SET exchanger_id = exchanger_id WHERE feed_id = $1`, [feed.feedId]);
      const drained = history.drain({ wait: true });
      await waitFor('the drain to wait for the feed’s row', async () => {
        const [row] = await dataSource.query<Array<{ n: number }>>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'UPDATE history_feeds SET missed%'`,
        );
        return row!.n > 0;
      });
      await other.query(`COMMIT`);
      // Its update cannot serialize after that commit: undone alone, the word is left after the drain's commit.
      expect(await drained).toMatchObject({ writes: 1 });
    } finally {
      await other.query(`ROLLBACK`).catch(() => undefined);
      await other.release();
    }
    const [row] = await dataSource.query<Array<{ missed: boolean }>>(
      `SELECT missed FROM history_feeds WHERE feed_id = $1`,
      [feed.feedId],
    );
    expect(row!.missed).toBe(true);
    expect(await pendingRows()).toBe(0);
  });

  it('looks at what history holds for a feed shown again only once no drain that began before is under way', async () => {
    const back = await exchanger('late');
    const holder = await exchanger('holder');
    await write(holder, [offerOf({ from: 'SOL', to: 'XMR', rate: '10' })]);
    await write(back, [offerOf({ from: 'SOL', to: 'XMR', rate: '9' })]);
    await history.reevaluateFeeds();
    await dataSource.query(`UPDATE feeds SET last_success_at = now() - interval '2 days' WHERE id = $1`, [back.feedId]);
    await history.reevaluateFeeds();
    await dataSource.query(`UPDATE feeds SET last_success_at = now() WHERE id = $1`, [back.feedId]);

    // A drain that began while `back` was hidden holds the recorder's lock and is about to record the holder's
    // lowered rate (8): `back`'s 9 is the best once it commits, though history held 10 when `back` came back.
    const drain = dataSource.createQueryRunner();
    // Its own connection: a pooled one would take the place of the connection that asked, and its last statement.
    const watch = dataSource.createQueryRunner();
    try {
      await drain.query(`SELECT pg_advisory_lock(${HISTORY_LOCK_CLASS}, -2)`);
      await drain.query(`BEGIN`);
      await drain.query(`UPDATE offers SET rate = 8 WHERE feed_id = $1`, [holder.feedId]);
      await drain.query(
        `UPDATE history_directions SET rate = 8 WHERE from_code = 'SOL' AND to_code = 'XMR' AND city = ''`,
      );
      const [clock] = await dataSource.query<Array<{ since: Date }>>(`SELECT clock_timestamp() AS since`);
      const reevaluated = history.reevaluateFeeds();
      // It asked for the lock (and was refused): a pool connection's last statement is the try.
      await waitFor('the re-evaluation to ask for the recorder lock', async () => {
        const [asked] = (await watch.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE datname = current_database() AND state = 'idle' AND query LIKE 'SELECT pg_try_advisory_lock(%'
             AND state_change > $1`,
          [clock!.since],
        )) as Array<{ n: number }>;
        return asked!.n > 0;
      });
      await drain.query(`COMMIT`);
      await drain.query(`SELECT pg_advisory_unlock(${HISTORY_LOCK_CLASS}, -2)`);
      expect(await reevaluated).toMatchObject({ feeds: 1, pairs: 1 });
    } finally {
      await drain.query(`ROLLBACK`).catch(() => undefined);
      await drain.query(`SELECT pg_advisory_unlock_all()`);
      await drain.release();
      await watch.release();
    }
    expect(await driftOf('SOL', 'XMR')).toEqual([]);
  });

  it('keeps the recorded best equal to the shown best when many feeds write one direction at once', async () => {
    const writers = await Promise.all(Array.from({ length: 8 }, () => exchanger('racer')));
    for (let round = 0; round < 6; round++) {
      await Promise.all(
        writers.map((w, i) =>
          write(w, [offerOf({ from: 'DOGE', to: 'ETH', rate: `0.0000${((i * 7 + round * 3) % 8) + 1}${round}` })]),
        ),
      );
    }
    const [recorded] = await dataSource.query<Array<{ rate: string }>>(
      `SELECT rate::text AS rate FROM history_directions WHERE from_code = 'DOGE' AND to_code = 'ETH' AND city = ''`,
    );
    const [shown] = await dataSource.query<Array<{ rate: string }>>(
      `SELECT max(rate)::text AS rate FROM offers WHERE from_code = 'DOGE' AND to_code = 'ETH'`,
    );
    expect(recorded!.rate).toBe(shown!.rate);
    // Every change point starts where the one before ended.
    const chain = await changesOf('DOGE', 'ETH');
    for (let i = 1; i < chain.length; i++) expect(chain[i]!.previous).toBe(chain[i - 1]!.rate);
  });

  it('follows a holder lowering or withdrawing its rate, ties and cities, to the best the market shows', async () => {
    const [a, b, c] = [await exchanger('low-a'), await exchanger('low-b'), await exchanger('low-c')];
    const xrpBtc = (rate: string, city: string | null = null) => offerOf({ from: 'XRP', to: 'BTC', rate, city });
    /** Where history's best (rate and holder, per scope) differs from the one computed over every shown offer. */
    const drift = () =>
      dataSource.query<unknown[]>(
        `WITH shown AS (${shownOffersSql(`o.from_code = 'XRP' AND o.to_code = 'BTC'`)}),
         truth AS (
           SELECT scope AS city, max(rate) AS rate, (array_agg(exchanger_id ORDER BY rate DESC, exchanger_id))[1] AS holder, count(*)::int AS offers
           FROM shown, LATERAL (VALUES (''), (NULLIF(city, ''))) v(scope) WHERE scope IS NOT NULL GROUP BY scope
         ),
         recorded AS (SELECT city, rate, holder FROM history_directions WHERE from_code = 'XRP' AND to_code = 'BTC' AND rate IS NOT NULL)
         SELECT t.city AS shown, r.city AS recorded, t.rate::text AS "shownRate", r.rate::text AS "recordedRate", t.holder AS "shownHolder", r.holder AS "recordedHolder"
         FROM truth t FULL JOIN recorded r USING (city)
         WHERE t.rate IS DISTINCT FROM r.rate OR t.holder IS DISTINCT FROM r.holder`,
      );
    const steps: Array<[typeof a, NormalizedOffer[]]> = [
      [a, [xrpBtc('0.5')]],
      [b, [xrpBtc('0.45', 'MSK'), xrpBtc('0.46', 'SPB')]],
      [a, [xrpBtc('0.48')]], // the holder lowers its rate and keeps the best
      [b, [xrpBtc('0.45', 'MSK'), xrpBtc('0.48', 'SPB')]], // ties it: a keeps it (the smaller id); b holds SPB
      [a, [xrpBtc('0.47')]], // the holder lowers below b's SPB rate: b's 0.48
      [b, [xrpBtc('0.45', 'MSK'), xrpBtc('0.40', 'SPB')]], // b lowers in SPB: a's 0.47 overall, b's 0.40 in SPB
      [c, [xrpBtc('0.47'), xrpBtc('0.41', 'SPB')]], // ties a overall (a keeps it), beats b in SPB
      [a, []], // the holder withdraws: c's 0.47
      [c, [xrpBtc('0.30')]], // c lowers and withdraws SPB: b's 0.45 (MSK) overall, b's 0.40 in SPB
      [b, []], // b withdraws every city: c's 0.30, nothing in MSK or SPB
    ];
    for (const [i, [who, offers]] of steps.entries()) {
      await write(who, offers);
      expect({ step: i, drift: await drift() }).toEqual({ step: i, drift: [] });
    }
    expect((await changesOf('XRP', 'BTC')).map((p) => [p.rate, p.previous, p.offers])).toEqual([
      ['0.5', null, 1],
      ['0.48', '0.5', 3],
      ['0.47', '0.48', 3],
      ['0.45', '0.47', 3],
      ['0.30', '0.45', 1],
    ]);
    // A second feed of c: c shows the offer of its more recently confirmed feed, counted once.
    const [second] = await dataSource.query<Array<{ id: number }>>(
      `INSERT INTO feeds (exchanger_id, url, interval_s, timeout_ms) VALUES ($1, 'https://low-c-2.example/rates.xml', 30, 3000) RETURNING id`,
      [c.exchangerId],
    );
    const c2 = { feedId: second!.id, exchangerId: c.exchangerId };
    await write(c2, [xrpBtc('0.35')]);
    expect(await drift()).toEqual([]);
    await write(c, [xrpBtc('0.32')]); // c's first feed is the more recent one now: its 0.32, although 0.35 stays in the table
    expect(await drift()).toEqual([]);
    expect((await changesOf('XRP', 'BTC')).slice(-2).map((p) => [p.rate, p.previous, p.offers])).toEqual([
      ['0.35', '0.30', 1],
      ['0.32', '0.35', 1],
    ]);
    expect((await changesOf('XRP', 'BTC', 'SPB')).map((p) => [p.rate, p.offers])).toEqual([
      ['0.46', 1],
      ['0.48', 1],
      ['0.40', 1],
      ['0.41', 2],
      ['0.40', 1],
      [null, 0],
    ]);
  });

  it('records a large first snapshot, in batches, over the market: a stale offer nobody shows is no best', async () => {
    // An offer of a stale feed nobody recorded (inserted as a feed coming back would find it): not shown, but
    // its direction is not the writer's alone, so it is computed over the market.
    const stale = await exchanger('stale-other');
    await dataSource.query(
      `INSERT INTO offers (feed_id, exchanger_id, from_code, to_code, amount_in, amount_out, rate, fp)
       VALUES ($1, $2, 'BIG0', 'Q1', 1, 5, 5, 1)`,
      [stale.feedId, stale.exchangerId],
    );
    await dataSource.query(`UPDATE feeds SET last_success_at = now() - interval '2 days' WHERE id = $1`, [
      stale.feedId,
    ]);
    const rival = await exchanger('rival');
    await write(rival, [offerOf({ from: 'BIG0', to: 'Q2', rate: '3' })]);
    const big = await exchanger('big');
    // More pairs than one statement's worth (and than a named statement takes).
    const pairs = 1_500;
    await write(big, [
      ...Array.from({ length: pairs }, (_, i) => offerOf({ from: 'BIG0', to: `Q${i}`, rate: `2.${i}` })),
      offerOf({ from: 'BIG0', to: 'Q0', rate: '2.5', city: 'MSK' }),
    ]);
    /**
     * Per scope of BIG0 → *: history's best and holder against the shown offers, and where the writer holds it
     * the offers counted at its change point (elsewhere the count is the one of the last change there).
     */
    const drift = await dataSource.query<unknown[]>(
      `WITH shown AS (${shownOffersSql(`o.from_code = 'BIG0'`)}),
       truth AS (
         SELECT to_code, scope AS city, max(rate) AS rate, (array_agg(exchanger_id ORDER BY rate DESC, exchanger_id))[1] AS holder, count(*)::int AS offers
         FROM shown, LATERAL (VALUES (''), (NULLIF(city, ''))) v(scope) WHERE scope IS NOT NULL GROUP BY to_code, scope
       ),
       recorded AS (
         SELECT d.to_code, d.city, d.rate, d.holder, (SELECT c.offers FROM history_changes c WHERE c.direction_id = d.id ORDER BY c.at DESC LIMIT 1) AS offers
         FROM history_directions d WHERE d.from_code = 'BIG0'
       )
       SELECT t.to_code, r.to_code AS recorded, t.city, t.rate::text AS "shownRate", r.rate::text AS "recordedRate", t.holder, r.holder AS "recordedHolder", t.offers, r.offers AS "recordedOffers"
       FROM truth t FULL JOIN recorded r USING (to_code, city)
       WHERE t.rate IS DISTINCT FROM r.rate OR t.holder IS DISTINCT FROM r.holder OR (t.holder = $1 AND t.offers IS DISTINCT FROM r.offers)`,
      [big.exchangerId],
    );
    expect(drift).toEqual([]);
    expect(await changesOf('BIG0', 'Q1')).toEqual([{ rate: '2.1', previous: null, offers: 1 }]);
    expect(await changesOf('BIG0', 'Q2')).toEqual([{ rate: '3', previous: null, offers: 1 }]);
    expect(await changesOf('BIG0', 'Q0')).toEqual([{ rate: '2.5', previous: null, offers: 2 }]);
    expect(await changesOf('BIG0', 'Q0', 'MSK')).toEqual([{ rate: '2.5', previous: null, offers: 1 }]);
    const [{ n }] = (await dataSource.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM history_directions WHERE from_code = 'BIG0' AND holder = $1`,
      [big.exchangerId],
    )) as [{ n: number }];
    expect(n).toBe(pairs - 1 + 1); // every pair but Q2 (the rival's), and Q0 in MSK
  });

  it('never leaves a best neither of two concurrent writers sees, whatever the drains interleave', async () => {
    const [a, b] = [await exchanger('race-a'), await exchanger('race-b')];
    const offers = (round: number, who: number) => {
      // Each side raises, lowers, ties and withdraws in turn, overall and in two cities.
      const rate = (k: number) => `0.${(((round * 7 + who * 3 + k) % 9) + 1) * 11}`;
      if ((round + who) % 5 === 4) return [];
      return [
        offerOf({ from: 'TRX', to: 'XMR', rate: rate(0) }),
        offerOf({ from: 'TRX', to: 'XMR', rate: rate(1), city: 'MSK' }),
        ...((round + who) % 3 === 0 ? [] : [offerOf({ from: 'TRX', to: 'XMR', rate: rate(2), city: 'SPB' })]),
      ];
    };
    for (let round = 0; round < 12; round++) {
      // Both write at once, and drains run while they do (the recorder's ticks and nudges, another process's).
      await Promise.all([
        writeOnly(a, offers(round, 0)),
        history.drain(),
        writeOnly(b, offers(round, 1)),
        history.drain({ wait: true }),
      ]);
      await history.drain({ wait: true });
      expect({ round, drift: await driftOf('TRX', 'XMR') }).toEqual({ round, drift: [] });
    }
    expect(await pendingRows()).toBe(0);
    const chain = await changesOf('TRX', 'XMR');
    for (let i = 1; i < chain.length; i++) expect(chain[i]!.previous).toBe(chain[i - 1]!.rate);
  });

  it('decides by the writers alone where it can, and agrees with every offer when it cannot (random market)', async () => {
    // A market as polls see it: a dozen exchangers in a direction, one or two of them writing between drains.
    const traders = await Promise.all(Array.from({ length: 12 }, (_, i) => exchanger(`rnd-${i}`)));
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    const cities = [null, null, null, 'MSK', 'SPB'];
    let byWriters = 0;
    let computed = 0;
    let carried = 0;
    for (let round = 0; round < 60; round++) {
      const writers = new Set(Array.from({ length: 1 + random(2) }, () => traders[random(traders.length)]!));
      await Promise.all(
        [...writers].map((w) =>
          writeOnly(
            w,
            [...new Set(cities.filter(() => random(3) > 0))].map((city) =>
              offerOf({ from: 'ADA', to: 'DOT', city, rate: `1.${random(40)}` }),
            ),
            // With the guard a write carries its offers, without it the recorder looks them up: both, mixed.
            random(2) === 0 ? GUARD : INTEGRITY_OFF,
          ),
        ),
      );
      const drained = await history.drain({ wait: true });
      byWriters += drained.byWriters;
      computed += drained.computed;
      carried += drained.carried;
      expect({ round, drift: await driftOf('ADA', 'DOT') }).toEqual({ round, drift: [] });
    }
    // Most rounds leave the best where it was, or raise it: their writers decide without reading the market.
    expect(byWriters).toBeGreaterThan(computed);
    expect(carried).toBeGreaterThan(0);
  });

  it('computes a direction many writers touched before a drain once, and records one change point for them', async () => {
    const many = await Promise.all(Array.from({ length: 10 }, (_, i) => exchanger(`many-${i}`)));
    await Promise.all(many.map((w, i) => writeOnly(w, [offerOf({ from: 'SOL', to: 'BTC', rate: `0.00${i + 10}` })])));
    expect(await pendingRows()).toBe(10);
    const drained = await history.drain({ wait: true });
    expect(drained).toMatchObject({ ran: true, writes: 10, marked: 10, pairs: 1, changes: 1, more: false });
    expect(await changesOf('SOL', 'BTC')).toEqual([{ rate: '0.0019', previous: null, offers: 10 }]);
    // Again, each raising its rate: one computation by the writers' own offers (the market is not read).
    await Promise.all(many.map((w, i) => writeOnly(w, [offerOf({ from: 'SOL', to: 'BTC', rate: `0.00${i + 20}` })])));
    expect(await history.drain({ wait: true })).toMatchObject({ writes: 10, pairs: 1, byWriters: 1, computed: 0 });
    expect((await changesOf('SOL', 'BTC')).at(-1)).toEqual({ rate: '0.0029', previous: '0.0019', offers: 10 });
    expect(await driftOf('SOL', 'BTC')).toEqual([]);
  });

  it('reads the offers of exchangers with several shown feeds only when there are some, whatever plan is chosen', async () => {
    // A plan chosen on statistics from before the market came (a fleet's first minute) loops where a hash
    // would do: nested loops only, as then. The pick of an exchanger's newest feed must not run for nobody.
    const [one, two] = [await exchanger('plan-a'), await exchanger('plan-b')];
    await writeOnly(one, [offerOf({ from: 'ATOM', to: 'BTC', rate: '0.0001' })]);
    await writeOnly(two, [offerOf({ from: 'ATOM', to: 'BTC', rate: '0.0002' })]);
    const runner = dataSource.createQueryRunner();
    /** The offers scans under the pick (`picked`) and how many rows the statement showed. */
    const pickScans = async () => {
      const nodes = planNodes(
        (await runner.query(
          `EXPLAIN (ANALYZE, FORMAT JSON) WITH shown AS (${SHOWN_ROWS_SQL(`o.from_code = 'ATOM' AND o.to_code = 'BTC'`)})
           SELECT * FROM shown`,
        )) as ExplainedRows,
      );
      return {
        loops: nodesUnder(nodes.find((n) => n.Alias === 'picked')!)
          .filter((n) => n['Relation Name'] === 'offers')
          .map((n) => n['Actual Loops']),
        shown: nodes[0]!['Actual Rows'],
      };
    };
    try {
      await runner.startTransaction();
      await runner.query(`SET LOCAL enable_hashjoin = off`);
      await runner.query(`SET LOCAL enable_mergejoin = off`);
      await runner.query(`UPDATE feeds SET enabled = false WHERE id <> ALL($1::int[])`, [[one.feedId, two.feedId]]);
      expect(await pickScans()).toEqual({ loops: [0], shown: 2 });
      // A second shown feed of `two`, newer: the pick runs and shows its offer, once.
      const [second] = (await runner.query(
        `INSERT INTO feeds (exchanger_id, url, interval_s, timeout_ms, last_success_at) VALUES ($1, 'https://plan-b.example/second.xml', 30, 3000, now()) RETURNING id`,
        [two.exchangerId],
      )) as Array<{ id: number }>;
      await runner.query(
        `INSERT INTO offers (feed_id, exchanger_id, from_code, to_code, amount_in, amount_out, rate) VALUES ($1, $2, 'ATOM', 'BTC', 1, 0.0003, 0.0003)`,
        [second!.id, two.exchangerId],
      );
      const ran = await pickScans();
      expect(ran.loops.length).toBe(1);
      expect(ran.loops[0]).toBeGreaterThan(0);
      expect(ran.shown).toBe(2);
    } finally {
      await runner.rollbackTransaction().catch(() => undefined);
      await runner.release();
    }
  });

  it('decides by the offers a write carried while its feed is its exchanger’s only shown one, by the last write of a batch', async () => {
    const [a, b] = [await exchanger('carry-a'), await exchanger('carry-b')];
    const trx = (rate: string, city: string | null = null) => offerOf({ from: 'TRX', to: 'XLM', rate, city });
    await write(a, [trx('2.0'), trx('2.2', 'MSK')], GUARD);
    await write(b, [trx('1.9')], GUARD);
    // Two writes of a before one drain: the later one's offers decide (the earlier one's 2.5 is gone).
    await writeOnly(a, [trx('2.5'), trx('2.2', 'MSK')], GUARD);
    await writeOnly(a, [trx('2.1'), trx('2.3', 'MSK')], GUARD);
    expect(await history.drain({ wait: true })).toMatchObject({ writes: 2, pairs: 1, byWriters: 1, carried: 1 });
    expect(await driftOf('TRX', 'XLM')).toEqual([]);
    expect((await changesOf('TRX', 'XLM')).map((c) => c.rate)).toEqual(['2.2', '2.3']);
    expect((await changesOf('TRX', 'XLM', 'MSK')).map((c) => c.rate)).toEqual(['2.2', '2.3']);

    // A feed hidden after its write and before the drain: what it carried is not shown, so it does not decide.
    await writeOnly(b, [trx('3.0')], GUARD);
    await dataSource.query(`UPDATE feeds SET last_success_at = now() - interval '2 days' WHERE id = $1`, [b.feedId]);
    expect(await history.drain({ wait: true })).toMatchObject({ writes: 1, carried: 0 });
    expect(await driftOf('TRX', 'XLM')).toEqual([]);
    expect((await changesOf('TRX', 'XLM')).map((c) => c.rate)).toEqual(['2.2', '2.3']);
    await dataSource.query(`UPDATE feeds SET last_success_at = now() WHERE id = $1`, [b.feedId]);
    await history.reevaluateFeeds();
    expect((await changesOf('TRX', 'XLM')).map((c) => c.rate)).toEqual(['2.2', '2.3', '3.0']);

    // Without the rate guard a write does not know which of its feed's offers are held: it carries nothing.
    await writeOnly(b, [trx('3.1')]);
    expect(await history.drain({ wait: true })).toMatchObject({ writes: 1, byWriters: 1, carried: 0 });
    expect((await changesOf('TRX', 'XLM')).map((c) => c.rate)).toEqual(['2.2', '2.3', '3.0', '3.1']);

    // An exchanger with a second shown feed: its shown offers are looked up, each the more recent feed's.
    const [second] = await dataSource.query<Array<{ id: number }>>(
      `INSERT INTO feeds (exchanger_id, url, interval_s, timeout_ms) VALUES ($1, 'https://carry-a-2.example/rates.xml', 30, 3000) RETURNING id`,
      [a.exchangerId],
    );
    await writeOnly({ feedId: second!.id, exchangerId: a.exchangerId }, [trx('3.5')], GUARD);
    await writeOnly(a, [trx('3.2')], GUARD); // a's first feed is the more recent one now: its 3.2 shows, not 3.5
    expect(await history.drain({ wait: true })).toMatchObject({ writes: 2, carried: 0 });
    expect(await driftOf('TRX', 'XLM')).toEqual([]);
    expect((await changesOf('TRX', 'XLM')).map((c) => c.rate)).toEqual(['2.2', '2.3', '3.0', '3.1', '3.2']);
  });

  it('carries no offer the rate guard holds: neither one it holds now nor one held since an earlier poll', async () => {
    const a = await exchanger('carry-held');
    const ada = (rate: string, city: string | null = null) => offerOf({ from: 'ADA', to: 'XLM', rate, city });
    const others = await Promise.all(Array.from({ length: 4 }, (_, i) => exchanger(`carry-ref-${i}`)));
    for (const [i, o] of others.entries()) await write(o, [ada(`1.0${i}`)], GUARD);
    await write(a, [ada('1.01')], GUARD);
    await new QuarantineRepository(dataSource).refreshReferences();
    // A typo, a hundred times the market, held in the write's own transaction: not carried; its MSK offer is.
    const typo = await writeOnly(a, [ada('101'), ada('1.015', 'MSK')], GUARD);
    expect(typo.guard.quarantined).toBe(1);
    expect(await carriedRates(a.feedId)).toEqual(['1.015']);
    expect(await history.drain({ wait: true })).toMatchObject({ carried: 1 });
    expect(await driftOf('ADA', 'XLM')).toEqual([]);
    // The next poll changes only its MSK offer: the typo, unchanged and still held, is not carried either.
    const next = await writeOnly(a, [ada('101'), ada('1.035', 'MSK')], GUARD);
    expect(next.guard.quarantined).toBe(1);
    expect(await carriedRates(a.feedId)).toEqual(['1.035']);
    expect(await history.drain({ wait: true })).toMatchObject({ carried: 1 });
    expect(await driftOf('ADA', 'XLM')).toEqual([]);
    expect((await changesOf('ADA', 'XLM')).map((c) => c.rate)).toEqual(['1.00', '1.01', '1.02', '1.03', '1.035']);
    expect((await changesOf('ADA', 'XLM', 'MSK')).map((c) => c.rate)).toEqual(['1.015', '1.035']);
  });

  it('carries every shown offer of the directions it marks: the ones written, and one the guard freed unchanged', async () => {
    // A feed without cities: a direction's offers are the one written there — except where the guard's verdict
    // changed, which the mark names too, though nothing was written there.
    const a = await exchanger('carry-freed');
    const near = (rate: string) => offerOf({ from: 'NEAR', to: 'ZEC', rate });
    const eos = (rate: string) => offerOf({ from: 'EOS', to: 'ICP', rate });
    const others = await Promise.all(Array.from({ length: 4 }, (_, i) => exchanger(`carry-freed-ref-${i}`)));
    const market = async (rate: (i: number) => string) => {
      for (const [i, o] of others.entries()) await write(o, [near(rate(i))], GUARD);
      await new QuarantineRepository(dataSource).refreshReferences();
    };
    await market((i) => `1.0${i}`);
    // 101 against a market of 1.0x: held.
    expect((await write(a, [near('101'), eos('2')], GUARD)).guard.quarantined).toBe(1);
    // The market comes to it; the feed's next poll changes only its EOS offer, and the guard frees the NEAR one.
    await market((i) => `100.${i}`);
    const next = await writeOnly(a, [near('101'), eos('2.1')], GUARD);
    expect(next.guard.released).toBe(1);
    expect(next.touched).toEqual([
      ['EOS', 'ICP'],
      ['NEAR', 'ZEC'],
    ]);
    expect([...(await carriedRates(a.feedId))].sort()).toEqual(['101', '2.1']);
    await history.drain({ wait: true });
    expect(await driftOf('NEAR', 'ZEC')).toEqual([]);
    expect((await changesOf('NEAR', 'ZEC')).map((c) => c.rate).at(-1)).toBe('101');
    expect(await driftOf('EOS', 'ICP')).toEqual([]);
  });

  it('never records a carried offer the guard’s sweep has held since: the sweep marks its directions with its verdicts', async () => {
    const quarantine = new QuarantineRepository(dataSource);
    const others = await Promise.all(Array.from({ length: 4 }, (_, i) => exchanger(`swept-ref-${i}`)));
    const eos = (rate: string) => offerOf({ from: 'EOS', to: 'XTZ', rate });
    for (const o of others) await write(o, [eos('1.0')], GUARD);
    const a = await exchanger('swept');
    await write(a, [eos('1.02')], GUARD);
    // a's poll, in the band when written, carries its offer; the market then falls away from it (the others
    // write without the guard: nobody holds them) before any drain.
    await writeOnly(a, [eos('1.05')], GUARD);
    for (const o of others) await writeOnly(o, [eos('0.5')]);
    await quarantine.refreshReferences();
    const swept = await quarantine.sweep(GUARD, true); // the whole database's: other tests' offers too
    expect(swept.touched).toContainEqual(['EOS', 'XTZ']);
    await history.drain({ wait: true });
    expect(await driftOf('EOS', 'XTZ')).toEqual([]);
    expect((await changesOf('EOS', 'XTZ')).map((c) => c.rate)).toEqual(['1.0', '1.02', '0.5']);
  });

  it('stops between batches when asked (a shutting-down recorder), leaving the rest pending for the next drain', async () => {
    const writers = await Promise.all(Array.from({ length: 4 }, (_, i) => exchanger(`stop-${i}`)));
    // Four writes in four directions: with one pair a batch, four batches.
    const pairs: Array<[string, string]> = [
      ['DASH', 'BTC'],
      ['DASH', 'ETH'],
      ['DASH', 'LTC'],
      ['DASH', 'XMR'],
    ];
    await Promise.all(
      writers.map((w, i) => writeOnly(w, [offerOf({ from: pairs[i]![0], to: pairs[i]![1], rate: '2' })])),
    );
    let asked = 0;
    const first = await history.drain({ wait: true, maxPairs: 1, stop: () => ++asked >= 2 });
    expect(first).toMatchObject({ ran: true, writes: 2, changes: 2, more: true });
    expect(await pendingRows()).toBe(2);
    const backlog = await history.backlog();
    expect(backlog.writes).toBe(2);
    expect(backlog.oldestSeconds).toBeGreaterThanOrEqual(0);
    // The next recorder takes the rest: every direction recorded once.
    expect(await history.drain({ wait: true })).toMatchObject({ writes: 2, changes: 2, more: false });
    expect(await history.backlog()).toEqual({ writes: 0, oldestSeconds: 0 });
    const recorded = await Promise.all(pairs.map(([from, to]) => changesOf(from, to)));
    expect(recorded).toEqual(pairs.map(() => [{ rate: '2', previous: null, offers: 1 }]));
  });

  it('records a pending direction whose offers went away before the drain: withdrawn, or the exchanger deleted', async () => {
    const a = await exchanger('gone-a');
    const b = await exchanger('gone-b');
    await write(a, [offerOf({ from: 'XLM', to: 'ETH', rate: '0.3' })]);
    await write(b, [offerOf({ from: 'XLM', to: 'ETH', rate: '0.2' })]);
    // a raises, then its exchanger is deleted (offers and feed with it) before the recorder drains.
    await writeOnly(a, [offerOf({ from: 'XLM', to: 'ETH', rate: '0.4' })]);
    await dataSource.query(`DELETE FROM exchangers WHERE id = $1`, [a.exchangerId]);
    await history.drain({ wait: true });
    expect((await changesOf('XLM', 'ETH')).map((c) => c.rate)).toEqual(['0.3', '0.2']);
    // b withdraws: nothing shown.
    await writeOnly(b, []);
    await history.drain({ wait: true });
    expect((await changesOf('XLM', 'ETH')).map((c) => [c.rate, c.offers])).toEqual([
      ['0.3', 1],
      ['0.2', 1],
      [null, 0],
    ]);
    // A direction published and withdrawn before any drain: nothing to record, no row.
    await writeOnly(b, [offerOf({ from: 'XLM', to: 'LTC', rate: '0.01' })]);
    await writeOnly(b, []);
    expect(await history.drain({ wait: true })).toMatchObject({ writes: 2, pairs: 1, changes: 0 });
    expect(await changesOf('XLM', 'LTC')).toEqual([]);
    expect(await pendingRows()).toBe(0);
  });

  it('loses nothing when the recorder dies between the write and its recording: the pending rows stay', async () => {
    const a = await exchanger('crash');
    await writeOnly(a, [offerOf({ from: 'ZEC', to: 'BTC', rate: '0.004' })]);
    // The write committed, its mark with it; nothing is recorded until a drain.
    expect(await pendingRows()).toBe(1);
    expect(await changesOf('ZEC', 'BTC')).toEqual([]);
    // A drain that dies mid-way: its change point waits on a lock, and its connection is killed.
    const blocker = dataSource.createQueryRunner();
    await blocker.connect();
    await blocker.startTransaction();
    await blocker.query(`LOCK TABLE history_changes IN EXCLUSIVE MODE`);
    const [{ pid: blockerPid }] = (await blocker.query(`SELECT pg_backend_pid() AS pid`)) as [{ pid: number }];
    const dying = history.drain({ wait: true }).then(
      () => 'finished',
      (error: unknown) => String(error),
    );
    let killed = false;
    while (!killed) {
      const [row] = await dataSource.query<Array<{ killed: boolean }>>(
        `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
         WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'relation' AND pid <> $1 LIMIT 1`,
        [blockerPid],
      );
      killed = row?.killed === true;
    }

    await blocker.rollbackTransaction();
    await blocker.release();
    expect(await dying).toMatch(/terminat/);
    expect(await pendingRows()).toBe(1);
    expect(await changesOf('ZEC', 'BTC')).toEqual([]);
    // The next drain (any process's: the lock died with the connection) records it.
    const another = new HistoryRepository(dataSource);
    expect(await another.drain()).toMatchObject({ ran: true, writes: 1, changes: 1 });
    expect(await changesOf('ZEC', 'BTC')).toEqual([{ rate: '0.004', previous: null, offers: 1 }]);
    expect(await pendingRows()).toBe(0);
  });

  it('drains one process at a time: a drain finding another under way leaves the rows to it', async () => {
    const a = await exchanger('one-at-a-time');
    await writeOnly(a, [offerOf({ from: 'BCH', to: 'BTC', rate: '0.006' })]);
    const holder = dataSource.createQueryRunner();
    await holder.connect();
    try {
      await holder.query(`SELECT pg_advisory_lock(${HISTORY_LOCK_CLASS}, -2)`);
      expect(await history.drain()).toMatchObject({ ran: false, writes: 0 });
      expect(await pendingRows()).toBe(1);
      const waiting = history.drain({ wait: true });
      await holder.query(`SELECT pg_advisory_unlock(${HISTORY_LOCK_CLASS}, -2)`);
      expect(await waiting).toMatchObject({ ran: true, writes: 1, changes: 1 });
    } finally {
      await holder.release();
    }
  });

  it('holds no connection while it waits for another drain: the pool serves others meanwhile', async () => {
    const a = await exchanger('waits-free');
    await writeOnly(a, [offerOf({ from: 'DASH', to: 'BTC', rate: '0.0007' })]);
    // One connection, as a worker's last free one: a session blocked in pg_advisory_lock would keep it.
    const single = createDataSource({ url: db.url, poolSize: 1, applicationName: 'ratewatch-waiting-drain' });
    await single.initialize();
    const holder = dataSource.createQueryRunner();
    await holder.connect();
    try {
      await holder.query(`SELECT pg_advisory_lock(${HISTORY_LOCK_CLASS}, -2)`);
      let settled = false;
      const waiting = new HistoryRepository(single).drain({ wait: true }).finally(() => (settled = true));
      // It has asked for the lock (and found it taken) ...
      await waitFor(
        'the waiting drain to ask for the lock',
        async () =>
          (
            await dataSource.query<Array<{ n: number }>>(
              `SELECT count(*)::int AS n FROM pg_stat_activity
             WHERE application_name = 'ratewatch-waiting-drain' AND query LIKE '%advisory_lock(%'`,
            )
          )[0]!.n > 0,
      );
      // ... yet the pool's one connection answers someone else while the lock is still taken.
      expect(await single.query(`SELECT 1 AS one`)).toEqual([{ one: 1 }]);
      expect(settled).toBe(false);
      await holder.query(`SELECT pg_advisory_unlock(${HISTORY_LOCK_CLASS}, -2)`);
      expect(await waiting).toMatchObject({ ran: true, writes: 1 });
      expect(await pendingRows()).toBe(0);
    } finally {
      await holder.release();
      await single.destroy();
    }
  });

  it('prunes each resolution past its own retention (0 keeps for ever), change points after two hours', async () => {
    const a = await exchanger('old');
    await write(a, [offerOf({ from: 'BTC', to: 'LTC', rate: '500' })]);
    const [{ id }] = (await dataSource.query<Array<{ id: number }>>(
      `SELECT id FROM history_directions WHERE from_code = 'BTC' AND to_code = 'LTC' AND city = ''`,
    )) as [{ id: number }];
    const now = at('2026-06-01T00:00:00Z');
    const ago = (days: number) => new Date(now.getTime() - days * 86_400_000);
    await write(a, [offerOf({ from: 'BTC', to: 'LTC', rate: '501' })]);
    // Two change points: one of two days ago (pruned), one of an hour ago (kept: its hour is not folded yet).
    await dataSource.query(
      `UPDATE history_changes c SET at = CASE WHEN c.rate = 500 THEN $2::timestamptz ELSE $3::timestamptz END WHERE direction_id = $1`,
      [id, ago(2), new Date(now.getTime() - 3_600_000)],
    );
    await dataSource.query(`UPDATE history_rollup SET folded_until = $1`, [now]);
    for (const age of [8, 6])
      await dataSource.query(
        `INSERT INTO history_minutes (direction_id, bucket, open, minutes, closes, highs, lows, offers)
         VALUES ($1, $2, NULL, '{0}', '{500}', '{NULL}', '{NULL}', '{1}')`,
        [id, ago(age)],
      );
    for (const [table, days] of [
      ['history_hours', [91, 89]],
      ['history_days', [1000, 1]],
    ] as const)
      for (const age of days)
        await dataSource.query(
          `INSERT INTO ${table} (direction_id, bucket, open, high, low, close, offers) VALUES ($1, $2, NULL, 500, 500, 500, 1)`,
          [id, ago(age)],
        );
    const ages = async (table: string) =>
      (
        await dataSource.query<Array<{ bucket: Date }>>(
          `SELECT bucket FROM ${table} WHERE direction_id = $1 ORDER BY 1`,
          [id],
        )
      ).map((r) => Math.round((now.getTime() - r.bucket.getTime()) / 86_400_000));

    const result = await history.rollUp(RETENTION, now);
    // (Other tests' old points go too: the counts are of the whole database.)
    expect(result.pruned).toMatchObject({ day: 0 });
    expect(
      await dataSource.query(`SELECT rate::text AS rate FROM history_changes WHERE direction_id = $1`, [id]),
    ).toEqual([{ rate: '501' }]);
    expect(await ages('history_minutes')).toEqual([6]);
    expect(await ages('history_hours')).toEqual([89]);
    expect(await ages('history_days')).toEqual([1000, 1]);
    await history.rollUp({ ...RETENTION, day: 400 * 86_400 }, now);
    expect(await ages('history_days')).toEqual([1]);
  });

  it('refuses a series of more buckets than it serves, saying what to do', async () => {
    const query = { from: 'BTC', to: 'ETH', since: at('2026-01-01T00:00:00Z'), until: at('2026-01-04T00:00:00Z') };
    await expect(history.series({ ...query, resolution: 'minute' })).rejects.toThrow(InvalidRequestError);
    await expect(history.series({ ...query, resolution: 'minute' })).rejects.toThrow(
      /spans 4320 minute buckets; at most 3000: narrow the range or ask for a coarser resolution/,
    );
    await expect(history.series({ ...query, since: query.until, resolution: 'hour' })).rejects.toThrow(
      /since must be before until/,
    );
    // 90 days of hours is served.
    await expect(
      history.series({ ...query, since: at('2025-10-06T00:00:00Z'), resolution: 'hour' }),
    ).resolves.toBeInstanceOf(Array);
  });
});
