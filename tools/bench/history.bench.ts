/**
 * npm run bench:history — the rate history's costs (issues 20, 21) in a market of BENCH_HISTORY_EXCHANGERS (500)
 * exchangers × BENCH_HISTORY_OFFERS (2,000) offers over BENCH_HISTORY_DIRECTIONS (10,000) directions, each
 * against its target:
 * 1. what history adds to a poll (read + normalize + write of one 2,000-offer feed, 10 % changed): rounds with
 *    and without recording alternate in the same run — the write only marks its directions pending — and the
 *    recorder's drain of that poll's directions, timed apart, for a feed priced like the market and for one
 *    holding the best of every direction it publishes (each poll then moves 200 bests, half of them down);
 * 2. the recorder at the market's cadence: every simulated second a fifteenth of the market's feeds (33 at
 *    500 feeds every 15 s) each move 10 % of their offers by −10…+10 basis points and mark them, then one drain
 *    records them all — its time a second of the market and a poll, against the second;
 * 3. bytes a day of minute data: the whole market simulated for BENCH_HISTORY_MINUTES (60) minutes, 10 % of
 *    every exchanger's offers moving every 15 s, bests recorded each cycle and rolled up each minute;
 *    table sizes (pg_total_relation_size) extrapolated to a day;
 * 4. a 90-day hourly series of one direction among BENCH_HISTORY_SERIES_DIRECTIONS (200) with 90 days of
 *    hour buckets each.
 * Medians of BENCH_RUNS (9) × 3 rounds; BENCH_HISTORY_ONLY=write measures only the first two. Needs the
 * PostgreSQL of TEST_POSTGRES_URL (127.0.0.1:5432).
 */
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import {
  createDataSource,
  FeedsRepository,
  HistoryRepository,
  markPending,
  migrateAndSeed,
  newFeedRun,
  readBundledCatalog,
  shownOffersSql,
} from '@app/database';
import { Dec, DEFAULT_CURRENCY_ALIASES, NormalizedOffer } from '@app/domain';
import { buildContext, checkFeed } from '@app/feeds';
import { BenchRow, medianMs, msRow, printTable, writeResults } from './bench-kit';
import { directionPool, offer, PoolDirection } from './rate-guard-market';
import { createScratchDatabase } from './scratch-database';

const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const EXCHANGERS = Number(process.env.BENCH_HISTORY_EXCHANGERS ?? 500);
const PER_FEED = Number(process.env.BENCH_HISTORY_OFFERS ?? 2_000);
const POOL = Number(process.env.BENCH_HISTORY_DIRECTIONS ?? 10_000);
const MINUTES = Number(process.env.BENCH_HISTORY_MINUTES ?? 60);
/** Directions the storage run moves (every tenth of the market's): its growth is scaled to the market. */
const STORAGE_DIRECTIONS = Number(process.env.BENCH_HISTORY_STORAGE_DIRECTIONS ?? 1_000);
const SERIES_DIRECTIONS = Number(process.env.BENCH_HISTORY_SERIES_DIRECTIONS ?? 200);
/** The large feed's offers (the fleet fault test's big feed: 40,000 directions, most of them its own). */
const BIG = Number(process.env.BENCH_HISTORY_BIG ?? 40_000);
/** BENCH_HISTORY_ONLY=write,series (any of write, big, series, storage) measures only those. */
const ONLY = new Set((process.env.BENCH_HISTORY_ONLY ?? 'write,big,series,storage').split(','));
const CYCLE_SECONDS = 15;
const RETENTION = { minute: 7 * 86_400, hour: 90 * 86_400, day: 0 };
const MB = 1024 * 1024;

async function main(): Promise<void> {
  if (ONLY.size === 1 && ONLY.has('big')) {
    printTable(
      `History write: the first and second snapshot of a ${BIG.toLocaleString('en-US')}-offer feed`,
      await benchBigFeed(),
    );
    return;
  }
  const db = await createScratchDatabase('rw_history_bench');
  const dataSource = createDataSource({ url: db.url, poolSize: 4 });
  try {
    const started = Date.now();
    const pool = directionPool(POOL);
    await migrateAndSeed(db.url);
    await dataSource.initialize();
    await seedMarket(dataSource, pool);
    await dataSource.query('VACUUM ANALYZE');
    const feeds = new FeedsRepository(dataSource);
    const history = new HistoryRepository(dataSource);
    const simStart = new Date('2026-01-01T00:00:00Z');
    // Every direction's first best, as the first roll-up after deploying finds them, a minute before the run.
    const initial = await history.reevaluateFeeds(new Date(simStart.getTime() - 60_000));
    await history.rollUp(RETENTION, simStart);
    await dataSource.query('VACUUM ANALYZE');
    const seedS = (Date.now() - started) / 1000;
    console.log(
      `market: ${(EXCHANGERS * PER_FEED).toLocaleString('en-US')} offers over ${POOL.toLocaleString('en-US')} directions, ` +
        `${initial.changes.toLocaleString('en-US')} first bests recorded; seeded in ${seedS.toFixed(0)} s`,
    );

    const write: BenchRow[] = [];
    if (ONLY.has('write')) {
      const readNormalizeMs = measureReadNormalize(pool);
      write.push(
        ...(await benchWrite(dataSource, feeds, history, pool, readNormalizeMs, 'priced like the market', 1)),
        ...(await benchWrite(
          dataSource,
          feeds,
          history,
          pool,
          readNormalizeMs,
          'holding the best of all its directions',
          1.01,
        )),
      );
      write.push(...(await benchCadence(dataSource, history)));
      printTable(
        `History write: one ${PER_FEED.toLocaleString('en-US')}-offer feed, 10 % changed a poll, and the recorder at the market's cadence (median of ${RUNS * 3})`,
        write,
      );
    }
    // Before the storage run: the read alone on an idle database, as the roll-up leaves it (folded up to now).
    const series = ONLY.has('series') ? await benchSeries(dataSource, history) : [];
    if (series.length > 0) printTable('History read: one direction, 90 days of hours', series);
    const storage = ONLY.has('storage') ? await benchStorage(dataSource, history, simStart) : [];
    if (storage.length > 0)
      printTable(
        `History storage: ${MINUTES} simulated minutes of the market (a sample of its directions), scaled to the market and a day`,
        storage,
      );
    // Last: its 40,000 directions are not the market's.
    const big = ONLY.has('big') ? await benchBigFeed() : [];
    if (big.length > 0)
      printTable(`History write: the first and second snapshot of a ${BIG.toLocaleString('en-US')}-offer feed`, big);
    console.log(`\nresults written to ${writeResults('history', { runs: RUNS, write, big, storage, series })}`);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await db.drop();
  }
}

/** Read + normalize of a 2,000-offer XML feed, as the poll does it (checkFeed), in ms. */
function measureReadNormalize(pool: PoolDirection[]): number {
  const context = buildContext(
    readBundledCatalog().map((c) => ({ ...c, enabled: true })),
    Object.entries(DEFAULT_CURRENCY_ALIASES),
  );
  const body = Buffer.from(
    `<rates>${pool
      .slice(0, PER_FEED)
      .map(
        (d) =>
          `<item><from>${d.from}</from><to>${d.to}</to><in>1</in><out>${d.rate}</out><amount>100000</amount><minamount>10 ${d.from}</minamount><maxamount>100000 ${d.from}</maxamount></item>`,
      )
      .join('')}</rates>`,
  );
  const times: number[] = [];
  for (let i = 0; i < RUNS + 2; i++) {
    const t = performance.now();
    const report = checkFeed(body, { format: 'auto', contentType: 'application/xml' }, context);
    if (i >= 2) times.push(performance.now() - t);
    if (report.status !== 'ok' || report.offers.length !== PER_FEED)
      throw new Error(`the bench feed did not read: ${report.status}, ${report.offers.length} offers`);
  }
  return median(times);
}

/**
 * One feed's poll write with and without history, alternating; each round changes another 10 % of its
 * offers (a different tenth, a new rate), so every round has bests to move when it holds them. The write
 * with history marks its directions; the recorder's drain after each pair of rounds (the round without
 * history marked too, untimed, so history stays true) is timed apart, per poll.
 */
async function benchWrite(
  dataSource: ReturnType<typeof createDataSource>,
  feeds: FeedsRepository,
  history: HistoryRepository,
  pool: PoolDirection[],
  readNormalizeMs: number,
  label: string,
  premium: number,
): Promise<BenchRow[]> {
  const [row] = await dataSource.query<Array<{ id: number; exchanger_id: number }>>(
    `WITH x AS (INSERT INTO exchangers (slug, name, site_url, referral_url) VALUES ($1::text, $1::text, 'https://b.example', 'https://b.example/?r=1') RETURNING id)
     INSERT INTO feeds (exchanger_id, url) SELECT id, 'https://b.example/' || $1::text || '.xml' FROM x RETURNING id, exchanger_id`,
    [`bench-${String(premium).replace('.', '-')}`],
  );
  const feed = { id: row!.id, exchangerId: row!.exchanger_id };
  const rates = pool.slice(0, PER_FEED).map((d) => new Dec(d.rate).times(premium));
  let round = 0;
  // Each round another tenth moves by −3…+3 basis points (never 0).
  const snapshot = () =>
    pool.slice(0, PER_FEED).map((d, i) => {
      if (i % 10 === round % 10) rates[i] = rates[i]!.times(new Dec((round % 7) - 3 || 1).div(10_000).plus(1));
      return offer(d.from, d.to, rates[i]!.toFixed(6));
    });
  const answer = { etag: null, lastModified: null, contentHash: 'x' };
  const apply = (offers: NormalizedOffer[], recordHistory: boolean) =>
    feeds.applyAnswer(
      feed,
      newFeedRun('schedule', 'ok', { startedAt: new Date() }),
      answer,
      offers,
      undefined,
      recordHistory,
    );
  await apply(snapshot(), true);
  await history.drain({ wait: true });
  await dataSource.query(`ANALYZE offers`);
  const changesBefore = await changePoints(dataSource);
  const times = { without: [] as number[], with: [] as number[], drain: [] as number[], lowering: [] as number[] };
  const write = async (recordHistory: boolean) => {
    round++;
    const t = performance.now();
    const change = await apply(snapshot(), recordHistory);
    const ms = performance.now() - t;
    if (change.updated !== PER_FEED / 10) throw new Error(`expected ${PER_FEED / 10} updates, got ${change.updated}`);
    // The round without history is marked too (untimed): the recorder's history stays the market's.
    if (!recordHistory) await dataSource.transaction((tx) => markPending(tx, change.touched, feed.exchangerId));
    return { ms, lowering: (round % 7) - 3 < 0 };
  };
  for (let i = 0; i < RUNS * 3 + 3; i++) {
    const without = await write(false);
    const withHistory = await write(true);
    const t = performance.now();
    await history.drain({ wait: true });
    // Two polls' directions: the drain a poll is half.
    const drainMs = (performance.now() - t) / 2;
    if (i < 3) continue;
    times.without.push(without.ms);
    times.with.push(withHistory.ms);
    times.drain.push(drainMs);
    if (without.lowering && withHistory.lowering) times.lowering.push(drainMs);
  }
  const perRound = ((await changePoints(dataSource)) - changesBefore) / ((RUNS * 3 + 3) * 2);
  const withoutMs = median(times.without);
  const withMs = median(times.with);
  const historyMs = Math.max(withMs - withoutMs, 0);
  const pollMs = readNormalizeMs + withoutMs;
  const poll = `poll: ${readNormalizeMs.toFixed(1)} read + normalize + ${withoutMs.toFixed(1)} write`;
  return [
    msRow(`feed ${label}: write without history`, withoutMs, withoutMs, 'the same write without history'),
    msRow(
      `feed ${label}: write with history (marks its ${PER_FEED / 10} directions)`,
      withMs,
      withoutMs,
      'the same write without history',
    ),
    msRow(
      '  history: share of the poll (read + normalize + write)',
      historyMs,
      pollMs,
      poll,
      '≤ 2 %',
      historyMs / pollMs <= 0.02,
    ),
    msRow(
      `  recorder: drain of a poll's directions (${perRound.toFixed(0)} change points a poll), after the write`,
      median(times.drain),
      pollMs,
      poll,
    ),
    msRow(`    of which rounds lowering its rates`, median(times.lowering), pollMs, poll),
  ];
}

/**
 * The recorder at the market's cadence: each simulated second, the next fifteenth of the market's feeds (a
 * feed is polled every 15 s) move 10 % of their offers (one UPDATE, −10…+10 basis points) and mark them as
 * their writes do (one pending row each), then one drain records them — timed, with what it did. Its time
 * is the PostgreSQL time the history costs a second of the market (and, divided, a poll).
 */
async function benchCadence(
  dataSource: ReturnType<typeof createDataSource>,
  history: HistoryRepository,
): Promise<BenchRow[]> {
  const market = await dataSource.query<Array<{ id: number }>>(
    `SELECT id FROM feeds WHERE url LIKE 'https://ex%' ORDER BY id`,
  );
  const perSecond = Math.max(1, Math.round(market.length / CYCLE_SECONDS));
  await history.drain({ wait: true });
  const times: number[] = [];
  const done = { pairs: 0, byWriters: 0, computed: 0, changes: 0, marked: 0, writes: 0 };
  const seconds = RUNS * 3;
  for (let s = 0; s < seconds + 2; s++) {
    const polled = Array.from({ length: perSecond }, (_, k) => market[(s * perSecond + k) % market.length]!.id);
    // Each feed's mark as its write appends it with the guard on, carrying the feed's offers in its moved pairs
    // (the market's offers have no city: a moved row is its feed's only offer in its pair).
    const moved = await dataSource.query<
      Array<{ feed_id: number; exchanger_id: number; froms: string[]; tos: string[]; rates: string[] }>
    >(
      `WITH moved AS (
         UPDATE offers SET rate = round(rate * (1 + (mod(hashtext(feed_id || '>' || from_code || '>' || to_code || '>' || $2)::bigint + 2147483648, 21) - 10) / 10000.0), 8),
                amount_out = round(rate * (1 + (mod(hashtext(feed_id || '>' || from_code || '>' || to_code || '>' || $2)::bigint + 2147483648, 21) - 10) / 10000.0), 8)
         WHERE feed_id = ANY($1::int[]) AND mod(hashtext(from_code || to_code || feed_id || '>' || $2)::bigint + 2147483648, 10) = 0
         RETURNING feed_id, exchanger_id, from_code, to_code, rate
       )
       SELECT feed_id, exchanger_id, array_agg(from_code) AS froms, array_agg(to_code) AS tos, array_agg(rate::text) AS rates
       FROM moved GROUP BY feed_id, exchanger_id`,
      [polled, `cadence-${s}`],
    );
    await dataSource.transaction(async (tx) => {
      for (const m of moved) {
        const offers = m.froms.map((from, i) => ({ from, to: m.tos[i]!, city: null, rate: m.rates[i]! }));
        const pairs = offers.map((o) => [o.from, o.to] as const);
        await markPending(tx, pairs, m.exchanger_id, { feedId: m.feed_id, offers, held: new Set() });
      }
    });
    const t = performance.now();
    const drained = await history.drain({ wait: true });
    if (s < 2) continue;
    times.push(performance.now() - t);
    for (const key of Object.keys(done) as Array<keyof typeof done>) done[key] += drained[key];
  }
  const secondMs = median(times);
  const per = (n: number) => (n / seconds).toFixed(0);
  console.log(
    `\n  recorder at the cadence: ${per(done.writes)} polls and ${per(done.marked)} marked directions a second, ` +
      `${per(done.pairs)} distinct: ${per(done.byWriters)} decided by their writers, ${per(done.computed)} over every offer; ` +
      `${per(done.changes)} change points a second`,
  );
  return [
    {
      figure: `recorder at the market's cadence: a second's drain (${perSecond} polls, ${per(done.pairs)} directions)`,
      value: secondMs,
      unit: 'ms',
      baseline: 'the second',
      baselineValue: 1_000,
      ratio: secondMs / 1_000,
      target: '≤ 10 %',
      met: secondMs <= 100,
    },
    {
      figure: '  recorder: per poll',
      value: secondMs / perSecond,
      unit: 'ms',
      baseline: "a poll's share of the second",
      baselineValue: 1_000 / perSecond,
      ratio: secondMs / 1_000,
      target: '≤ 3 ms',
      met: secondMs / perSecond <= 3,
    },
  ];
}

/**
 * The fleet fault test's large feed, in a database of its own as small as the test's: a market of 20
 * exchangers × 50 offers (recorded, analyzed, the recording statements warmed up by small polls as the
 * workers' connections are), then a feed of BIG offers over BIG directions (the market's 200 and as many
 * more nobody else publishes): its first snapshot (every direction without a history row) and a second one
 * moving every rate up (it then beats or holds every best), with history, against the same two writes of a
 * twin feed without history (written first, then deleted), and the recorder's drain after each. Once each: a
 * first snapshot happens once. Target: the drain well inside the 60 s the fault test gives it (it writes a
 * history row and a change point a direction, several times the write itself).
 */
async function benchBigFeed(): Promise<BenchRow[]> {
  const db = await createScratchDatabase('rw_history_big');
  const dataSource = createDataSource({ url: db.url, poolSize: 2 });
  try {
    await migrateAndSeed(db.url);
    await dataSource.initialize();
    return await bigFeedRows(dataSource, new FeedsRepository(dataSource), new HistoryRepository(dataSource));
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await db.drop();
  }
}

async function bigFeedRows(
  dataSource: ReturnType<typeof createDataSource>,
  feeds: FeedsRepository,
  history: HistoryRepository,
): Promise<BenchRow[]> {
  const pool = directionPool(BIG);
  const feedOf = async (slug: string) => {
    const [row] = await dataSource.query<Array<{ id: number; exchanger_id: number }>>(
      `WITH x AS (INSERT INTO exchangers (slug, name, site_url, referral_url) VALUES ($1::text, $1::text, 'https://b.example', 'https://b.example/?r=1') RETURNING id)
       INSERT INTO feeds (exchanger_id, url) SELECT id, 'https://b.example/' || $1::text || '.xml' FROM x RETURNING id, exchanger_id`,
      [slug],
    );
    return { id: row!.id, exchangerId: row!.exchanger_id };
  };
  const snapshot = (version: number) =>
    pool.map((d) => offer(d.from, d.to, new Dec(d.rate).times(new Dec(version).div(1000).plus(1)).toFixed(6)));
  const timed = async (feed: { id: number; exchangerId: number }, version: number, recordHistory: boolean) => {
    const t = performance.now();
    await feeds.applyAnswer(
      feed,
      newFeedRun('schedule', 'ok', { startedAt: new Date() }),
      { etag: null, lastModified: null, contentHash: String(version) },
      snapshot(version),
      undefined,
      recordHistory,
    );
    return performance.now() - t;
  };
  const market = directionPool(200);
  for (let e = 0; e < 20; e++) {
    const small = await feedOf(`small-${e}`);
    // Ten polls each (more than the five custom plans PostgreSQL makes before it may keep a generic one).
    for (let poll = 0; poll < 10; poll++)
      await feeds.applyAnswer(
        small,
        newFeedRun('schedule', 'ok', { startedAt: new Date() }),
        { etag: null, lastModified: null, contentHash: `${e}-${poll}` },
        market
          .slice((e * 10) % 150, ((e * 10) % 150) + 50)
          .map((d) => offer(d.from, d.to, new Dec(d.rate).times(1 + ((e + poll) % 7) / 1000).toFixed(6))),
        undefined,
        true,
      );
    await history.drain({ wait: true });
  }
  await dataSource.query('VACUUM ANALYZE');
  const twin = await feedOf('big-twin');
  // The first snapshot with the statistics of the small market; the second after autovacuum's ANALYZE.
  const firstWithout = await timed(twin, 1, false);
  await dataSource.query('ANALYZE');
  const secondWithout = await timed(twin, 2, false);
  await dataSource.query(`DELETE FROM exchangers WHERE id = $1`, [twin.exchangerId]);
  await dataSource.query('VACUUM ANALYZE');
  const feed = await feedOf('big');
  const changesBefore = await changePoints(dataSource);
  /** The recorder's drain of what the write marked. */
  const drained = async () => {
    const t = performance.now();
    await history.drain({ wait: true });
    return performance.now() - t;
  };
  const firstWith = await timed(feed, 1, true);
  const firstDrain = await drained();
  const firstChanges = (await changePoints(dataSource)) - changesBefore;
  await dataSource.query('ANALYZE');
  const secondWith = await timed(feed, 2, true);
  const secondDrain = await drained();
  const secondChanges = (await changePoints(dataSource)) - changesBefore - firstChanges;
  // The shown-offer counts history recorded for the feed's own directions (nobody else publishes them): 1 each.
  const [counts] = await dataSource.query<Array<{ wrong: number }>>(
    `SELECT count(*)::int AS wrong FROM history_directions d JOIN LATERAL (
       SELECT offers FROM history_changes c WHERE c.direction_id = d.id ORDER BY at DESC LIMIT 1) c ON true
     WHERE d.holder = $1 AND c.offers <> (SELECT count(*) FROM (${shownOffersSql('o.from_code = d.from_code AND o.to_code = d.to_code')}) s)`,
    [feed.exchangerId],
  );
  if (counts!.wrong !== 0) throw new Error(`${counts!.wrong} directions recorded a wrong offer count`);
  const row = (figure: string, value: number, baselineValue: number, target = '', met: boolean | null = null) =>
    msRow(figure, value, baselineValue, 'the same write without history', target, met);
  return [
    row('first snapshot: write without history', firstWithout, firstWithout),
    row('first snapshot: write with history (marks its directions)', firstWith, firstWithout),
    row(
      `  recorder: its drain (${firstChanges.toLocaleString('en-US')} change points)`,
      firstDrain,
      firstWithout,
      '≤ 10 s',
      firstDrain <= 10_000,
    ),
    row('second snapshot: write without history', secondWithout, secondWithout),
    row('second snapshot: write with history (marks its directions)', secondWith, secondWithout),
    row(`  recorder: its drain (${secondChanges.toLocaleString('en-US')} change points)`, secondDrain, secondWithout),
  ];
}

/**
 * The market moving for MINUTES (60) minutes in STORAGE_DIRECTIONS (1,000) of its directions (every tenth,
 * with all their offers: the same changes a direction as in the whole market, at a tenth of the run time):
 * every 15 s a tenth of those offers take a new rate (one UPDATE), then every sampled direction's best is
 * recorded at that simulated time (what the exchangers' own writes record, once per cycle; a write's
 * intermediate bests within a cycle are not simulated) and each minute the roll-up runs, then once more when
 * the hour has settled, folding it. Sizes are of the tables as they stand (no VACUUM FULL); their growth is
 * scaled to the whole market (× directions / sampled) and to a day (× 1,440 / MINUTES). Change points are
 * kept two hours whatever the day: their figure is the size they keep to, not a growth a day.
 */
async function benchStorage(
  dataSource: ReturnType<typeof createDataSource>,
  history: HistoryRepository,
  simStart: Date,
): Promise<BenchRow[]> {
  const sizes = async () => {
    const [row] = await dataSource.query<
      Array<{ minutes: string; changes: string; hours: string; days: string; directions: string }>
    >(
      `SELECT pg_total_relation_size('history_minutes') AS minutes, pg_total_relation_size('history_changes') AS changes,
              pg_total_relation_size('history_hours') AS hours, pg_total_relation_size('history_days') AS days,
              pg_total_relation_size('history_directions') AS directions`,
    );
    return {
      minutes: Number(row!.minutes),
      changes: Number(row!.changes),
      hours: Number(row!.hours),
      days: Number(row!.days),
    };
  };
  const all = await dataSource.query<Array<{ from: string; to: string }>>(
    `SELECT DISTINCT from_code AS "from", to_code AS "to" FROM offers ORDER BY 1, 2`,
  );
  const step = Math.max(1, Math.floor(all.length / STORAGE_DIRECTIONS));
  const pairs = all.filter((_, i) => i % step === 0).map((p) => [p.from, p.to] as const);
  const scale = all.length / pairs.length;
  // The simulated minutes are in the past: the roll-up starts over, folding the first bests' hour before the run.
  await dataSource.query(`UPDATE history_rollup SET folded_until = NULL`);
  await history.rollUp(RETENTION, new Date(simStart.getTime() + 5 * 60_000));
  await dataSource.query(`VACUUM ANALYZE`);
  const before = await sizes();
  const changesBefore = await changePoints(dataSource);
  let recordMs = 0;
  const rollUpMs: number[] = [];
  let foldMs = 0;
  const started = Date.now();
  for (let minute = 0; minute < MINUTES; minute++) {
    for (let cycle = 0; cycle < 60 / CYCLE_SECONDS; cycle++) {
      const n = minute * (60 / CYCLE_SECONDS) + cycle + 1;
      const at = new Date(simStart.getTime() + n * CYCLE_SECONDS * 1000);
      await dataSource.query(
        `UPDATE offers SET rate = round(rate * (1 + (mod(hashtext(feed_id || '>' || from_code || '>' || to_code || '>' || $1)::bigint + 2147483648, 21) - 10) / 10000.0), 8),
                amount_out = round(rate * (1 + (mod(hashtext(feed_id || '>' || from_code || '>' || to_code || '>' || $1)::bigint + 2147483648, 21) - 10) / 10000.0), 8),
                updated_at = $2
         WHERE (from_code, to_code) IN (SELECT * FROM unnest($3::text[], $4::text[]))
           AND mod(hashtext(from_code || to_code || feed_id || '>' || $1)::bigint + 2147483648, 10) = 0`,
        [n, at, pairs.map((p) => p[0]), pairs.map((p) => p[1])],
      );
      const t = performance.now();
      await history.reevaluate(pairs, at);
      recordMs += performance.now() - t;
    }
    const t = performance.now();
    await history.rollUp(RETENTION, new Date(simStart.getTime() + (minute + 1) * 60_000 + CYCLE_SECONDS * 1000));
    rollUpMs.push(performance.now() - t);
    process.stdout.write(
      `  simulated minute ${minute + 1}/${MINUTES} (${((Date.now() - started) / 1000).toFixed(0)} s)\r`,
    );
  }
  // The hour settled: the roll-up that folds it.
  {
    const t = performance.now();
    await history.rollUp(RETENTION, new Date(simStart.getTime() + Math.ceil(MINUTES / 60) * 3_600_000 + 6 * 60_000));
    foldMs = performance.now() - t;
  }
  const after = await sizes();
  const [{ n: minuteRows }] = (await dataSource.query<Array<{ n: number }>>(
    `SELECT COALESCE(sum(cardinality(minutes)), 0)::int AS n FROM history_minutes WHERE bucket >= $1`,
    [simStart],
  )) as [{ n: number }];
  const points = (await changePoints(dataSource)) - changesBefore;
  const perDay = (bytes: number) => ((bytes * scale) / MINUTES / MB) * 1440;
  const mb = (figure: string, bytes: number, target = '', met: boolean | null = null): BenchRow => ({
    figure,
    value: perDay(bytes),
    unit: 'MB/day',
    baseline: `${MINUTES} min of ${pairs.length.toLocaleString('en-US')} directions grew ${(bytes / MB).toFixed(1)} MB`,
    baselineValue: bytes / MB,
    ratio: perDay(bytes) / (bytes / MB),
    target,
    met,
  });
  const minutes = after.minutes - before.minutes;
  // Change points as they stand at the end (the hour folded, none pruned yet: kept two hours, so at most
  // two hours' worth, whatever the day).
  const changes = after.changes - before.changes;
  const changesKept = ((changes * scale) / MINUTES) * 120;
  console.log(
    `\n  ${((minuteRows * scale) / MINUTES).toFixed(0)} minute buckets and ${((points * scale) / MINUTES).toFixed(0)} change points a simulated minute in the market ` +
      `(${(minutes / Math.max(minuteRows, 1)).toFixed(1)} bytes a minute bucket with its index); recording ${pairs.length.toLocaleString('en-US')} ` +
      `directions took ${(recordMs / (MINUTES * 4)).toFixed(0)} ms a cycle; hour and day buckets grew ` +
      `${(((after.hours - before.hours + after.days - before.days) * scale) / MB).toFixed(1)} MB in the market`,
  );
  return [
    mb('minute buckets (history_minutes, packed hours)', minutes, '≤ 200 MB/day', perDay(minutes) <= 200),
    {
      figure: 'change points (history_changes): kept two hours, a fixed size',
      value: changesKept / MB,
      unit: 'MB',
      baseline: `${MINUTES} min of ${pairs.length.toLocaleString('en-US')} directions grew ${(changes / MB).toFixed(1)} MB`,
      baselineValue: changes / MB,
      ratio: changesKept / changes,
      target: '',
      met: null,
    },
    {
      figure: 'the roll-up job (median of its runs)',
      value: median(rollUpMs),
      unit: 'ms',
      baseline: 'its 60 s period',
      baselineValue: 60_000,
      ratio: median(rollUpMs) / 60_000,
      target: '',
      met: null,
    },
    {
      figure: `  the run that folds the hour (${pairs.length.toLocaleString('en-US')} directions)`,
      value: foldMs,
      unit: 'ms',
      baseline: 'its 60 s period',
      baselineValue: 60_000,
      ratio: foldMs / 60_000,
      target: '',
      met: null,
    },
  ];
}

/** 90 days of hour buckets for SERIES_DIRECTIONS directions, then one direction's 90-day hourly series. */
async function benchSeries(
  dataSource: ReturnType<typeof createDataSource>,
  history: HistoryRepository,
): Promise<BenchRow[]> {
  const directions = await dataSource.query<Array<{ id: number; from: string; to: string }>>(
    `SELECT id, from_code AS "from", to_code AS "to" FROM history_directions WHERE city = '' ORDER BY id LIMIT $1`,
    [SERIES_DIRECTIONS],
  );
  await dataSource.query(
    `INSERT INTO history_hours (direction_id, bucket, open, high, low, close, offers)
     SELECT d, h, 100 + (g % 13), 101 + (g % 13), 99 + (g % 13), 100.5 + (g % 13), 100
     FROM unnest($1::int[]) d, generate_series(date_bin('1 hour', now() - interval '90 days', '2000-01-01Z'), now(), interval '1 hour') WITH ORDINALITY AS s(h, g)
     ON CONFLICT DO NOTHING`,
    [directions.map((d) => d.id)],
  );
  // As the roll-up leaves it in production: folded up to this minute.
  await dataSource.query(
    `UPDATE history_rollup SET folded_until = date_bin('1 hour', now() - interval '5 minutes', '2000-01-01Z')`,
  );
  await dataSource.query(`VACUUM ANALYZE history_hours`);
  const target = directions[Math.floor(directions.length / 2)]!;
  let points = 0;
  const queryMs = await medianMs(async () => {
    const series = await history.series({
      from: target.from,
      to: target.to,
      resolution: 'hour',
      since: new Date(Date.now() - 90 * 86_400_000),
    });
    points = series.length;
  }, RUNS * 3);
  const client = new Client({ connectionString: (dataSource.options as { url: string }).url });
  await client.connect();
  const bareMs = await medianMs(() => client.query(`SELECT 1`), RUNS * 3).finally(() => client.end());
  return [
    {
      figure: `90-day hourly series (${points.toLocaleString('en-US')} points)`,
      value: queryMs,
      unit: 'ms',
      baseline: 'a bare SELECT 1 round trip',
      baselineValue: bareMs,
      ratio: queryMs / bareMs,
      target: '≤ 20 ms',
      met: queryMs <= 20,
    },
  ];
}

async function changePoints(dataSource: ReturnType<typeof createDataSource>): Promise<number> {
  const [row] = await dataSource.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM history_changes`);
  return row!.n;
}

function median(xs: number[]): number {
  return [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
}

/**
 * EXCHANGERS − 2 fresh feeds of PER_FEED offers each over the pool (the two bench feeds are the rest):
 * exchanger k publishes pool directions k·step … k·step + PER_FEED − 1 (cyclic), at the centre rate ±0.5 %.
 */
async function seedMarket(dataSource: ReturnType<typeof createDataSource>, pool: PoolDirection[]): Promise<void> {
  await dataSource.query(
    `INSERT INTO exchangers (slug, name, site_url, referral_url) SELECT 'ex-' || g, 'Exchanger ' || g, 'https://ex' || g || '.example', 'https://ex' || g || '.example/?rid=1' FROM generate_series(1, $1) g`,
    [EXCHANGERS - 2],
  );
  // Confirmed "in the future" with a month-long stale limit: shown for the whole run, never due for a poll.
  await dataSource.query(
    `INSERT INTO feeds (exchanger_id, url, last_success_at, last_status, stale_after_s, interval_s) SELECT id, 'https://ex' || id || '.example/rates.xml', now() + interval '1 day', 'ok', 86400 * 30, 86400 FROM exchangers`,
  );
  await dataSource.query(
    `INSERT INTO offers (feed_id, exchanger_id, from_code, to_code, amount_in, amount_out, rate, reserve, fp)
     SELECT f.id, f.exchanger_id, p.f, p.t, 1, x.rate, x.rate, 100000 + j, f.id * 100000 + j
     FROM feeds f
     CROSS JOIN generate_series(0, $1 - 1) j
     JOIN unnest($4::text[], $5::text[], $6::numeric[]) WITH ORDINALITY AS p(f, t, r, ord) ON p.ord - 1 = (f.exchanger_id * $2 + j) % $3
     CROSS JOIN LATERAL (SELECT round(p.r * (1 + (((f.id * 7919 + j) % 101) - 50) / 10000.0), 6) AS rate) x`,
    [
      PER_FEED,
      Math.max(1, Math.floor(pool.length / EXCHANGERS)),
      pool.length,
      pool.map((p) => p.from),
      pool.map((p) => p.to),
      pool.map((p) => p.rate),
    ],
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
