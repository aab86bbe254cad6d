/**
 * The calculator on one huge direction (issue 15): 100,000 offers on USDTTRC20→CASHUSD — 200 exchangers
 * publishing 500 cities each, with varied rates, fees, limits and reserves — and a 10-offer direction
 * (BTC→SBERRUB) beside it. Measures, in the api's own process, how much of the event loop an uncached
 * calculator request (a new amount each time) takes, and fires concurrent distinct amounts while asking
 * for the unrelated direction.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { loadConfig } from '@app/config';
import { migrateAndSeed } from '@app/database';
import { startApi } from '../../apps/api/src/bootstrap';
import { BenchRow } from './bench-kit';
import { createScratchDatabase } from './scratch-database';

export const BIG_PATH = '/v1/rates?from=USDTTRC20&to=CASHUSD';
export const SMALL_PATH = '/v1/rates?from=BTC&to=SBERRUB';

/** Seeds `offers` offers on the big direction (500 cities per exchanger) and 10 on the small one. */
export async function seedBigDirection(url: string, offers: number): Promise<void> {
  await migrateAndSeed(url);
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const exchangers = Math.max(10, Math.ceil(offers / 500));
    await client.query(
      `INSERT INTO exchangers (slug, name, site_url, referral_url) SELECT 'big-' || g, 'Big ' || g, 'https://big' || g || '.example', 'https://big' || g || '.example/?rid=1' FROM generate_series(1, $1) g`,
      [exchangers],
    );
    // Confirmed "in the future" with a month-long stale limit: shown for the whole run, never due for a poll.
    await client.query(
      `INSERT INTO feeds (exchanger_id, url, last_success_at, last_status, stale_after_s, interval_s) SELECT id, 'https://big' || id || '.example/rates.xml', now() + interval '1 day', 'ok', 86400 * 30, 86400 FROM exchangers`,
    );
    await client.query(
      `INSERT INTO offers (feed_id, exchanger_id, from_code, to_code, city, amount_in, amount_out, rate, reserve, from_min, from_max, to_min, from_fee, to_fee, min_fee, flags)
       SELECT f.id, f.exchanger_id, 'USDTTRC20', 'CASHUSD', 'C' || c, 1, r.rate, r.rate,
              CASE WHEN n % 5 = 0 THEN 50 ELSE 1000000 + n END,
              CASE WHEN n % 7 = 0 THEN 5000 ELSE 10 END, 100000, CASE WHEN n % 13 = 0 THEN 300 END,
              CASE WHEN n % 4 = 0 THEN '[{"kind":"fixed","value":"2"}]'::jsonb ELSE '[]'::jsonb END,
              CASE WHEN n % 3 = 0 THEN '[{"kind":"percent","value":"0.5"}]'::jsonb ELSE '[]'::jsonb END,
              CASE WHEN n % 11 = 0 THEN '[{"kind":"fixed","value":"3","unit":"USD"}]'::jsonb ELSE '[]'::jsonb END,
              CASE WHEN n % 6 = 0 THEN '{manual}'::text[] ELSE '{}'::text[] END
       FROM feeds f
       CROSS JOIN generate_series(1, 500) c
       CROSS JOIN LATERAL (SELECT (f.id - 1) * 500 + c AS n) k
       CROSS JOIN LATERAL (SELECT 0.9 + ((k.n * 7919) % 10007) * 0.00001 AS rate) r
       WHERE k.n <= $1`,
      [offers],
    );
    await client.query(
      `INSERT INTO offers (feed_id, exchanger_id, from_code, to_code, amount_in, amount_out, rate, reserve, from_min)
       SELECT f.id, f.exchanger_id, 'BTC', 'SBERRUB', 1, 6800000 + f.id * 10, 6800000 + f.id * 10, 10000000, 0.001
       FROM feeds f WHERE f.id <= 10`,
    );
    await client.query('VACUUM ANALYZE offers');
  } finally {
    await client.end();
  }
}

interface RequestCost {
  /** Event-loop busy time during the request (ms), from `performance.eventLoopUtilization`. */
  busyMs: number;
  /** The longest the loop was blocked during the request (ms), from `monitorEventLoopDelay`. */
  blockMs: number;
  status: number;
}

/** Asks `url` alone and measures what it cost this process's event loop. */
async function measured(url: string): Promise<RequestCost> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const before = performance.eventLoopUtilization();
  const response = await fetch(url);
  await response.text();
  const elu = performance.eventLoopUtilization(before);
  delay.disable();
  return { busyMs: elu.active, blockMs: delay.max / 1e6, status: response.status };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const max = (xs: number[]) => Math.max(...xs);

/**
 * The calculator rows: seeds a scratch database with `offers` on one direction, starts the api in this
 * process (so its event loop is the one measured), and times uncached calculator requests.
 */
export async function calculatorRows(
  offers: number,
  rounds = 20,
): Promise<{ rows: BenchRow[]; concurrentStatuses: string }> {
  const db = await createScratchDatabase('rw_bench_calc');
  try {
    const started = Date.now();
    await seedBigDirection(db.url, offers);
    console.log(
      `seeded ${offers.toLocaleString('en-US')} offers on one direction in ${(Date.now() - started) / 1000} s`,
    );
    const api = await startApi(
      loadConfig({
        DATABASE_URL: db.url,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
        PUBLIC_RATE_LIMIT: '0',
        PUBLIC_CACHE_SECONDS: '30',
      }),
    );
    try {
      const big = (query: string) => `${api.url}${BIG_PATH}&${query}`;
      const small = (query: string) => `${api.url}${SMALL_PATH}&${query}`;
      // The first request loads the direction; then every new amount is a new answer-cache key.
      const first = await measured(big('amount=150'));
      // Warm the JIT on both paths before measuring.
      for (let i = 0; i < Math.min(5, rounds); i++) {
        await measured(big(`amount=${200 + i}.5`));
        await measured(small(`amount=0.0${i + 1}`));
      }
      const give: RequestCost[] = [];
      const get: RequestCost[] = [];
      const baseline: RequestCost[] = [];
      for (let i = 0; i < rounds; i++) {
        give.push(await measured(big(`amount=${300 + i * 37}.25`)));
        get.push(await measured(big(`amount=${400 + i * 41}.75&side=get`)));
        baseline.push(await measured(small(`amount=0.${i + 10}`)));
      }
      const all = [...give, ...get, first];
      const bad = all.filter((c) => c.status !== 200);
      if (bad.length > 0) console.log(`non-200 answers while measuring: ${bad.map((c) => c.status).join(', ')}`);

      // 20 distinct amounts at once, with the unrelated direction asked meanwhile.
      const statuses = await Promise.all([
        ...Array.from({ length: 20 }, (_, i) => fetch(big(`amount=${1000 + i}.5`)).then((r) => r.status)),
        ...Array.from({ length: 5 }, (_, i) => fetch(small(`limit=${50 + i}`)).then((r) => r.status)),
      ]);
      const counts = new Map<number, number>();
      for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
      const concurrentStatuses = [...counts].map(([s, n]) => `${n}× ${s}`).join(', ');

      const baseBusy = median(baseline.map((c) => c.busyMs));
      const row = (figure: string, value: number, target: string, met: boolean | null): BenchRow => ({
        figure,
        value,
        unit: 'ms',
        baseline: 'same request, 10-offer direction',
        baselineValue: baseBusy,
        ratio: value / Math.max(baseBusy, 0.01),
        target,
        met,
      });
      const giveBusy = median(give.map((c) => c.busyMs));
      const getBusy = median(get.map((c) => c.busyMs));
      const busy = [...give, ...get].map((c) => c.busyMs).sort((a, b) => a - b);
      const p90Busy = busy[Math.floor(busy.length * 0.9)]!;
      const worstBusy = max(busy);
      const worstBlock = max([...give, ...get].map((c) => c.blockMs));
      return {
        rows: [
          row(
            `calculator, ${offers.toLocaleString('en-US')}-offer direction: first request (loads it)`,
            first.busyMs,
            '',
            null,
          ),
          row('  its longest event-loop block', first.blockMs, '', null),
          row(`  new amount, side=give: event-loop time (median of ${rounds})`, giveBusy, '≤ 50 ms', giveBusy <= 50),
          row(`  new amount, side=get: event-loop time (median of ${rounds})`, getBusy, '≤ 50 ms', getBusy <= 50),
          row(`  new amount, p90 of the ${2 * rounds}`, p90Busy, '≤ 50 ms', p90Busy <= 50),
          row(`  new amount, worst of the ${2 * rounds} (a GC pause lands in one)`, worstBusy, '', null),
          row(`  longest event-loop block of the ${2 * rounds}`, worstBlock, '≤ 50 ms', worstBlock <= 50),
        ],
        concurrentStatuses,
      };
    } finally {
      await api.close();
    }
  } finally {
    await db.drop();
  }
}
