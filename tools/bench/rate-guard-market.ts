/**
 * The rate guard's cost (issue 16) for bench:ingest: one feed of 2,000 offers, 10 % changed a poll, written
 * with and without the guard inside a market of BENCH_GUARD_EXCHANGERS (default 500) exchangers ×
 * BENCH_GUARD_OFFERS (default 2,000) offers with references refreshed; and the housekeeping job over that
 * market (`refreshReferences()`, then `sweep()`) against a bare scan of the fresh offers. Write rounds
 * alternate with and without the guard, so a busy neighbour on the machine costs both sides alike. The guard
 * has no statement of its own: the write's statement reads its candidates (writtenCandidatesSql; the feed has
 * no cities, so its written and held offers), judgeWritten judges them, so with − without is all it costs.
 * BENCH_GUARD_KEEP=1 keeps the database for profiling. */
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import {
  createDataSource,
  FeedsRepository,
  INTEGRITY_OFF,
  integrityPolicy,
  migrateAndSeed,
  newFeedRun,
  QuarantineRepository,
  readBundledCatalog,
  shownOffersSql,
} from '@app/database';
import type { NormalizedOffer } from '@app/domain';
import { BenchRow, medianMs, msRow } from './bench-kit';
import { createScratchDatabase } from './scratch-database';

const EXCHANGERS = Number(process.env.BENCH_GUARD_EXCHANGERS ?? 500);
const PER_FEED = Number(process.env.BENCH_GUARD_OFFERS ?? 2_000);
/** Directions of the market: each is published by EXCHANGERS × PER_FEED / POOL (100) exchangers. */
const POOL = Number(process.env.BENCH_GUARD_DIRECTIONS ?? 10_000);
/** The housekeeping schedule's period of `refreshReferences` (libs/queue). */
const REFRESH_PERIOD_MS = 20_000;
/** BENCH_GUARD_KEEP=1 keeps the seeded database (its URL is printed) for EXPLAIN ANALYZE. */
const KEEP = process.env.BENCH_GUARD_KEEP === '1';

export interface GuardBench {
  offers: number;
  seedMs: number;
  rows: BenchRow[];
  refresh: BenchRow[];
}

/**
 * `readNormalizeMs` — read + normalize of PER_FEED offers (from the parse rows of the same run), the rest
 * of a poll's processing beside its write.
 */
export async function benchGuard(runs: number, readNormalizeMs: number): Promise<GuardBench> {
  const db = await createScratchDatabase('rw_guard_bench');
  try {
    const started = Date.now();
    const pool = directionPool(POOL);
    await migrateAndSeed(db.url);
    await seedMarket(db.url, pool);
    const dataSource = createDataSource({ url: db.url, poolSize: 2 });
    await dataSource.initialize();
    try {
      const feeds = new FeedsRepository(dataSource);
      const references = new QuarantineRepository(dataSource);
      const [row] = await dataSource.query<Array<{ id: number; exchanger_id: number }>>(
        `WITH x AS (INSERT INTO exchangers (slug, name, site_url, referral_url) VALUES ('bench', 'Bench', 'https://b.example', 'https://b.example/?r=1') RETURNING id)
         INSERT INTO feeds (exchanger_id, url) SELECT id, 'https://b.example/rates.xml' FROM x RETURNING id, exchanger_id`,
      );
      const feed = { id: row!.id, exchangerId: row!.exchanger_id };
      const base = pool.slice(0, PER_FEED).map((d) => offer(d.from, d.to, d.rate));
      const tenPercent = base.map((o, i) => (i % 10 === 0 ? { ...o, out: bump(o.out), rate: bump(o.rate) } : o));
      const run = newFeedRun('schedule', 'ok', { format: 'xml', dialect: 'xml', items: PER_FEED, accepted: PER_FEED });
      const answer = { etag: null, lastModified: null, contentHash: 'x' };
      const guard = integrityPolicy({ enabled: true, bands: {} });
      const apply = (offers: NormalizedOffer[], policy = INTEGRITY_OFF) =>
        feeds.applyAnswer(feed, { ...run, startedAt: new Date() }, answer, offers, policy);
      await apply(base);
      await dataSource.query('VACUUM ANALYZE');
      const refresh = await references.refreshReferences();
      if (refresh.market < POOL * 0.9) throw new Error(`expected ~${POOL} market references, got ${refresh.market}`);
      const seedMs = Date.now() - started;
      const offers = await count(dataSource);

      // Steady state: every poll changes 10 % of the feed; rounds alternate without and with the guard.
      let flip = false;
      const write = (policy: typeof guard) => async () => {
        flip = !flip;
        const change = await apply(flip ? tenPercent : base, policy);
        if (change.updated !== PER_FEED / 10)
          throw new Error(`expected ${PER_FEED / 10} updates, got ${change.updated}`);
        if (change.guard.quarantined !== 0)
          throw new Error(`the guard held ${change.guard.quarantined} in-band offers`);
      };
      const [withoutMs, withMs] = await alternating(runs * 3, write(INTEGRITY_OFF), write(guard));

      const guardMs = Math.max(withMs - withoutMs, 0);
      const pollMs = readNormalizeMs + withMs;
      const n = PER_FEED.toLocaleString('en-US');
      const rows: BenchRow[] = [
        msRow(
          `${n}-offer feed, 10 % changed: write without the guard`,
          withoutMs,
          withoutMs,
          'the same write without the guard',
        ),
        msRow(
          `${n}-offer feed, 10 % changed: write with the guard`,
          withMs,
          withoutMs,
          'the same write without the guard',
        ),
        msRow(
          '  the guard: with − without (share of the write)',
          guardMs,
          withoutMs,
          'the same write without the guard',
        ),
        msRow(
          '  the guard: share of the poll (read + normalize + write)',
          guardMs,
          pollMs,
          `poll: ${readNormalizeMs.toFixed(1)} read + normalize + ${withMs.toFixed(1)} write`,
          '≤ 5 %',
          guardMs / pollMs <= 0.05,
        ),
      ];

      // refreshReferences over the whole market, against a bare scan of the offers it reads.
      const client = new Client({ connectionString: db.url });
      await client.connect();
      try {
        const refreshRuns = Math.max(3, Math.ceil(runs / 2));
        const scan = 'bare scan of the fresh offers (count of shownOffersSql with held)';
        const scanMs = await medianMs(
          () => client.query(`SELECT count(*) FROM (${shownOffersSql('TRUE', true)}) s`),
          refreshRuns,
          1,
        );
        const countMs = await medianMs(() => client.query(`SELECT count(*) FROM offers`), refreshRuns, 1);
        const refreshMs = await medianMs(() => references.refreshReferences(), refreshRuns, 1);
        const sweepMs = await medianMs(
          async () => {
            const swept = await references.sweep(guard);
            if (swept.touched.length !== 0) throw new Error(`the sweep changed ${swept.touched.length} directions`);
          },
          refreshRuns,
          1,
        );
        const jobMs = refreshMs + sweepMs;
        const rows2 = [
          msRow('refreshReferences()', refreshMs, scanMs, scan),
          msRow('sweep() (stored offers judged against the references)', sweepMs, scanMs, scan),
          msRow('  bare SELECT count(*) FROM offers', countMs, scanMs, scan),
          msRow(
            '  the housekeeping job (both): share of its 20 s period',
            jobMs,
            REFRESH_PERIOD_MS,
            'the housekeeping period',
            '≤ 5 %',
            jobMs / REFRESH_PERIOD_MS <= 0.05,
          ),
        ];
        return { offers, seedMs, rows, refresh: rows2 };
      } finally {
        await client.end();
      }
    } finally {
      await dataSource.destroy();
    }
  } finally {
    if (KEEP) console.log(`kept the scratch database for profiling: ${db.url}`);
    else await db.drop();
  }
}

/** Medians of `a` and `b` over `runs` rounds each, taken in turn (after two warm-up rounds each). */
async function alternating(
  runs: number,
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
): Promise<[number, number]> {
  const times: [number[], number[]] = [[], []];
  for (let i = 0; i < runs + 2; i++) {
    for (const [k, fn] of [a, b].entries()) {
      const t = performance.now();
      await fn();
      if (i >= 2) times[k]!.push(performance.now() - t);
    }
  }
  const median = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  return [median(times[0]), median(times[1])];
}

export interface PoolDirection {
  from: string;
  to: string;
  rate: string;
}

/** `n` distinct directions over the catalog, each with a centre rate. */
export function directionPool(n: number): PoolDirection[] {
  const codes = readBundledCatalog().map((c) => c.code);
  const seen = new Set<string>();
  const pool: PoolDirection[] = [];
  for (let i = 0; pool.length < n; i++) {
    const from = codes[i % codes.length]!;
    const to = codes[(i * 7 + 1 + Math.floor(i / codes.length)) % codes.length]!;
    if (from === to || seen.has(`${from}>${to}`)) continue;
    seen.add(`${from}>${to}`);
    pool.push({ from, to, rate: (((i % 997) + 1) * 1.37).toFixed(4) });
  }
  return pool;
}

/**
 * EXCHANGERS − 1 fresh feeds of PER_FEED offers each over the pool (the bench feed is the last exchanger):
 * exchanger k publishes pool directions k·step … k·step + PER_FEED − 1 (cyclic), at the centre rate ±0.5 %.
 */
async function seedMarket(url: string, pool: PoolDirection[]): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO exchangers (slug, name, site_url, referral_url) SELECT 'ex-' || g, 'Exchanger ' || g, 'https://ex' || g || '.example', 'https://ex' || g || '.example/?rid=1' FROM generate_series(1, $1) g`,
      [EXCHANGERS - 1],
    );
    // Confirmed "in the future" with a month-long stale limit: shown for the whole run, never due for a poll.
    await client.query(
      `INSERT INTO feeds (exchanger_id, url, last_success_at, last_status, stale_after_s, interval_s) SELECT id, 'https://ex' || id || '.example/rates.xml', now() + interval '1 day', 'ok', 86400 * 30, 86400 FROM exchangers`,
    );
    await client.query(
      `CREATE TEMP TABLE pool AS SELECT (ord - 1)::int AS d, f AS from_code, t AS to_code, r AS rate
       FROM unnest($1::text[], $2::text[], $3::numeric[]) WITH ORDINALITY AS p(f, t, r, ord)`,
      [pool.map((p) => p.from), pool.map((p) => p.to), pool.map((p) => p.rate)],
    );
    await client.query(`CREATE UNIQUE INDEX ON pool (d)`);
    const step = Math.max(1, Math.floor(pool.length / EXCHANGERS));
    await client.query(
      `INSERT INTO offers (feed_id, exchanger_id, from_code, to_code, amount_in, amount_out, rate, reserve, from_min, from_max, to_fee, flags, fp)
       SELECT f.id, f.exchanger_id, p.from_code, p.to_code, 1, x.rate, x.rate, 100000 + j, 10, 100000,
              CASE WHEN j % 3 = 0 THEN '[{"kind":"percent","value":"0.5"}]'::jsonb ELSE '[]'::jsonb END,
              CASE WHEN j % 4 = 0 THEN '{manual}'::text[] ELSE '{}'::text[] END, f.id * 100000 + j
       FROM feeds f
       CROSS JOIN generate_series(0, $1 - 1) j
       JOIN pool p ON p.d = (f.exchanger_id * $2 + j) % $3
       CROSS JOIN LATERAL (SELECT round(p.rate * (1 + (((f.id * 7919 + j) % 101) - 50) / 10000.0), 6) AS rate) x`,
      [PER_FEED, step, pool.length],
    );
  } finally {
    await client.end();
  }
}

async function count(dataSource: ReturnType<typeof createDataSource>): Promise<number> {
  const [row] = await dataSource.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM offers`);
  return row!.n;
}

/** A plain offer of a bench market: 1 → `rate`, a reserve and limits, no fees or flags. */
export function offer(from: string, to: string, rate: string): NormalizedOffer {
  return {
    from,
    to,
    city: null,
    in: '1',
    out: rate,
    rate,
    reserve: '100000',
    fromMin: '10',
    fromMax: '100000',
    toMin: null,
    toMax: null,
    fromFee: [],
    toFee: [],
    minFee: [],
    flags: [],
    floating: null,
    delayMinutes: null,
  };
}

function bump(value: string): string {
  return (Number(value) * 1.001).toFixed(6).replace(/\.?0+$/, '');
}
