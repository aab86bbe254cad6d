/**
 * The snapshot-write part of `npm run bench:ingest`: 10,000 offers written by FeedsRepository.applyAnswer as a
 * poll writes them (the rate guard on with its default bands, every direction having a reference; history
 * marks on: the defaults of RATE_GUARD and HISTORY_RECORDING) — 5 % changed, 100 % changed, first write,
 * unchanged body — against a bare COPY of the same rows into an unindexed temporary table. The two are timed
 * in pairs, one right after the other (in alternating order), so a busy neighbour on the machine weighs on
 * both alike; each row's baseline is the median of its own pairs' COPYs.
 *
 * Between two timed writes (not timed) the offers are vacuumed, as autovacuum keeps them in a running
 * deployment: without it — CI's PostgreSQL runs with autovacuum off — dead row versions pile up poll after
 * poll, updates stop finding room on their page (no HOT update: every index gets a new entry) and each
 * write costs more than the last. The statistics are those of an ANALYZE after the first write.
 */
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import {
  createDataSource,
  FeedsRepository,
  INTEGRITY_OFF,
  integrityPolicy,
  migrateAndSeed,
  newFeedRun,
  readBundledCatalog,
  snapshotCache,
} from '@app/database';
import type { NormalizedOffer } from '@app/domain';
import { BenchRow, medianMs } from './bench-kit';
import { createScratchDatabase } from './scratch-database';

const RUNS = Number(process.env.BENCH_RUNS ?? 9);

export async function benchWriting(): Promise<BenchRow[]> {
  const db = await createScratchDatabase('rw_bench');
  const url = db.url;
  try {
    await migrateAndSeed(url.toString());
    const dataSource = createDataSource({ url: url.toString(), poolSize: 2 });
    await dataSource.initialize();
    const client = new Client({ connectionString: url.toString() });
    await client.connect();
    try {
      return await writeFigures(dataSource, client);
    } finally {
      await client.end();
      await dataSource.destroy();
    }
  } finally {
    await db.drop();
  }
}

/**
 * Medians of a write and of the baseline (which times itself: its milliseconds), in `runs` pairs after
 * `warmup` untimed ones; `between` runs untimed before each write.
 */
/** A write's median and its baseline's, in ms. */
type Paired = { ms: number; baselineMs: number };

async function pairedMs(
  write: () => Promise<unknown>,
  baseline: () => Promise<number>,
  runs: number,
  between: () => Promise<unknown>,
  warmup = 2,
): Promise<Paired> {
  const writes: number[] = [];
  const baselines: number[] = [];
  const timedWrite = async () => {
    await between();
    const started = process.hrtime.bigint();
    await write();
    writes.push(Number(process.hrtime.bigint() - started) / 1e6);
  };
  for (let i = 0; i < warmup + runs; i++) {
    if (i % 2 === 0) {
      await timedWrite();
      baselines.push(await baseline());
    } else {
      baselines.push(await baseline());
      await timedWrite();
    }
  }
  const median = (times: number[]) => times.slice(warmup).sort((a, b) => a - b)[runs >> 1]!;
  return { ms: median(writes), baselineMs: median(baselines) };
}

async function writeFigures(dataSource: ReturnType<typeof createDataSource>, client: Client): Promise<BenchRow[]> {
  const feeds = new FeedsRepository(dataSource);
  const [exchanger] = await dataSource.query<Array<{ id: number }>>(
    `INSERT INTO exchangers (slug, name, site_url, referral_url) VALUES ('bench', 'Bench', 'https://b.example', 'https://b.example/?r=1') RETURNING id`,
  );
  const [feedRow] = await dataSource.query<Array<{ id: number }>>(
    `INSERT INTO feeds (exchanger_id, url) VALUES ($1, 'https://b.example/rates.xml') RETURNING id`,
    [exchanger!.id],
  );
  const feed = { id: feedRow!.id, exchangerId: exchanger!.id };

  const base = snapshot(10_000, 0);
  const allChanged = snapshot(10_000, 1);
  const fivePercent = base.map((o, i) => (i % 20 === 0 ? { ...o, out: bump(o.out), rate: bump(o.rate) } : o));
  // Every direction has a market reference at the base rate: the guard judges each changed offer (all in band).
  await dataSource.query(
    `INSERT INTO direction_references (from_code, to_code, city, rate, source, exchangers)
     SELECT f, t, '', r::numeric, 'market', 5 FROM unnest($1::text[], $2::text[], $3::text[]) AS x(f, t, r)`,
    [base.map((o) => o.from), base.map((o) => o.to), base.map((o) => o.rate)],
  );
  const poll = integrityPolicy({ enabled: true, bands: {} });
  const run = newFeedRun('schedule', 'ok', {
    format: 'xml',
    dialect: 'xml',
    httpStatus: 200,
    bytes: 0,
    items: 10_000,
    accepted: 10_000,
  });
  const answer = { etag: null, lastModified: null, contentHash: 'x' };
  /** A write as a poll makes it; `real` false: without the rate guard and the history mark (or one of them). */
  const apply = (offers: NormalizedOffer[], real: boolean | 'guard' | 'mark' = true) =>
    feeds.applyAnswer(
      feed,
      { ...run, startedAt: new Date() },
      answer,
      offers,
      real === true || real === 'guard' ? poll : INTEGRITY_OFF,
      real === true || real === 'mark',
    );
  const vacuum = () => dataSource.query('VACUUM offers');

  // Baseline: a bare COPY of the same 10,000 rows into an unindexed temporary table.
  await client.query(`CREATE TEMP TABLE copy_baseline (feed_id int, exchanger_id int, from_code text, to_code text, city text, amount_in numeric, amount_out numeric, rate numeric,
                      reserve numeric, from_min numeric, from_max numeric, to_min numeric, to_max numeric, from_fee jsonb, to_fee jsonb, min_fee jsonb, flags text[])`);
  const copyText = base.map((o) => copyLine(feed, o)).join('');
  const baseline = async () => {
    await client.query('TRUNCATE copy_baseline');
    const started = process.hrtime.bigint();
    await pipeline(Readable.from([copyText]), client.query(copyFrom('COPY copy_baseline FROM STDIN')));
    return Number(process.hrtime.bigint() - started) / 1e6;
  };

  await apply(base);
  await dataSource.query('ANALYZE');
  /**
   * Flips between `changed` and `base`: every timed write changes the same offers. As in a poll read through
   * the feeds' memo, an offer the last write did not have is a new object (its item was normalized again),
   * made before the write (untimed, in `between`); an unchanged one is the very object of the last poll.
   */
  const flipping = (
    changed: NormalizedOffer[],
    expect: number,
    real: boolean | 'guard' | 'mark' = true,
    before: () => Promise<unknown> = vacuum,
  ) => {
    let flip = false;
    let last = base;
    let next = base;
    return {
      between: async () => {
        await before();
        flip = !flip;
        const target = flip ? changed : base;
        next = target.map((o, i) => (o === last[i] ? o : { ...o }));
      },
      write: async () => {
        const change = await apply(next, real);
        last = next;
        if (change.updated !== expect) throw new Error(`expected ${expect} updates, got ${change.updated}`);
      },
    };
  };
  const paired = (f: ReturnType<typeof flipping>) => pairedMs(f.write, baseline, RUNS, f.between);
  /** A change's write as a poll makes it, then alone, with the rate guard only and with the history mark only. */
  const parts = async (changed: NormalizedOffer[], expect: number) => {
    const timed = [];
    for (const real of [true, false, 'guard', 'mark'] as const) {
      await apply(base);
      timed.push(await paired(flipping(changed, expect, real)));
    }
    const [whole, alone, guard, mark] = timed as [Paired, Paired, Paired, Paired];
    return { whole, alone, guard, mark };
  };
  const all = await parts(allChanged, 10_000);
  const five = await parts(fivePercent, 500);
  // The same, by a worker that did not write the feed last (another worker did, or it restarted): no cache.
  await apply(base);
  const fiveCold = await paired(
    flipping(fivePercent, 500, true, async () => {
      await vacuum();
      snapshotCache.clear();
    }),
  );
  // A changed body whose offers are all the same (only the order or whitespace changed).
  await apply(base);
  const same = await pairedMs(
    async () => {
      const change = await apply(base);
      if (change.updated + change.inserted + change.deleted !== 0) throw new Error('expected no change');
    },
    baseline,
    RUNS,
    vacuum,
  );
  // Offers deleted behind the writer's back: its cache must go too (a feed's rows change only through it).
  // A first write's offers were all just normalized: new objects.
  let first = base;
  const clearFeed = async () => {
    await dataSource.query(`DELETE FROM offers WHERE feed_id = $1`, [feed.id]);
    await vacuum();
    snapshotCache.clear();
    first = base.map((o) => ({ ...o }));
  };
  const insert = await pairedMs(
    async () => {
      const change = await apply(first);
      if (change.inserted !== 10_000) throw new Error(`expected 10000 inserts, got ${change.inserted}`);
    },
    baseline,
    RUNS,
    clearFeed,
    1,
  );

  // An unchanged body: hash the bytes, compare, record the poll — what FeedPollService does for it.
  const body = Buffer.from(
    `<rates>${base.map((o) => `<item><from>${o.from}</from><to>${o.to}</to><in>${o.in}</in><out>${o.out}</out><amount>${o.reserve}</amount></item>`).join('\n')}</rates>`,
  );
  const unchanged = await pairedMs(
    async () => {
      const hash = createHash('sha256').update(body).digest('hex');
      if (hash !== createHash('sha256').update(body).digest('hex').slice(0)) throw new Error('unreachable');
      await feeds.recordUnchanged(
        feed.id,
        { ...run, status: 'unchanged', startedAt: new Date() },
        { etag: null, lastModified: null, contentHash: null },
      );
    },
    baseline,
    RUNS,
    () => Promise.resolve(),
  );
  const hashOnlyMs = await medianMs(() => createHash('sha256').update(body).digest('hex'), RUNS);

  const row = (
    figure: string,
    { ms, baselineMs }: { ms: number; baselineMs: number },
    factor: number | null,
    target: string,
  ): BenchRow => ({
    figure,
    value: ms,
    unit: 'ms',
    baseline: 'bare COPY into an unindexed temp table, timed beside it',
    baselineValue: baselineMs,
    ratio: ms / baselineMs,
    target,
    met: factor === null ? null : ms / baselineMs <= factor,
  });
  const partRows = (figure: string, p: Awaited<ReturnType<typeof parts>>, factor: number) => [
    row(figure, p.whole, factor, `≤ ${factor}× COPY`),
    row('  the same, snapshot write alone (no guard, no history mark)', p.alone, null, ''),
    row('  the same with the rate guard only', p.guard, null, ''),
    row('  the same with the history mark only', p.mark, null, ''),
  ];
  return [
    ...partRows('5 % changed (500 updates, diff of 10,000)', five, 0.7),
    row('  the same without the snapshot cache (another worker wrote last)', fiveCold, null, ''),
    ...partRows('100 % changed (10,000 updates)', all, 3),
    row('changed body, the same 10,000 offers (diff only)', same, null, ''),
    row('first write (10,000 inserts)', insert, null, ''),
    {
      ...row(
        `unchanged body (${(body.length / 1e6).toFixed(1)} MB: sha256 + record the poll)`,
        unchanged,
        null,
        '≤ 5 ms',
      ),
      met: unchanged.ms <= 5,
    },
    row('  of which sha256 of the body twice', { ms: hashOnlyMs * 2, baselineMs: unchanged.baselineMs }, null, ''),
  ];
}

function bump(value: string): string {
  return (Number(value) * 1.001).toFixed(6).replace(/\.?0+$/, '');
}

/** `n` distinct directions over the catalog, realistic fields; `salt` shifts every rate. */
function snapshot(n: number, salt: number): NormalizedOffer[] {
  const codes = readBundledCatalog().map((c) => c.code);
  const offers: NormalizedOffer[] = [];
  for (let i = 0; offers.length < n; i++) {
    const from = codes[i % codes.length]!;
    const to = codes[(i * 7 + 1 + Math.floor(i / codes.length)) % codes.length]!;
    if (from === to || offers.some((o) => o.from === from && o.to === to)) continue;
    const out = (((i % 997) + 1) * 1.37 + salt).toFixed(4);
    offers.push({
      from,
      to,
      city: null,
      in: '1',
      out,
      rate: out,
      reserve: String(100000 + i),
      fromMin: '10',
      fromMax: '100000',
      toMin: null,
      toMax: null,
      fromFee: i % 5 === 0 ? [{ kind: 'percent', value: '0.5' }] : [],
      toFee: [],
      minFee: [],
      flags: i % 3 === 0 ? ['manual'] : [],
      floating: null,
      delayMinutes: null,
    });
  }
  return offers;
}

function copyLine(feed: { id: number; exchangerId: number }, o: NormalizedOffer): string {
  const n = (v: string | null) => v ?? '\\N';
  return (
    [
      feed.id,
      feed.exchangerId,
      o.from,
      o.to,
      o.city ?? '',
      o.in,
      o.out,
      o.rate,
      n(o.reserve),
      n(o.fromMin),
      n(o.fromMax),
      n(o.toMin),
      n(o.toMax),
      JSON.stringify(o.fromFee),
      JSON.stringify(o.toFee),
      JSON.stringify(o.minFee),
      `{${o.flags.join(',')}}`,
    ].join('\t') + '\n'
  );
}
