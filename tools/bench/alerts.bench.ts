/**
 * npm run bench:alerts — alerts' costs (issue 20) with BENCH_ALERTS (100,000) active alerts over
 * BENCH_ALERT_DIRECTIONS (1,000) directions, each direction shown by 5 exchangers, against the targets:
 * 1. a change that crosses 1,000 alerts of one direction is delivered to a local receiver (node:http on
 *    127.0.0.1) within 2 s at p99, from the change's announcement to each receipt: evaluation, the notices
 *    written, then sent — standalone: the in-process deliverer; fleet: the alert-delivery queue (BullMQ on
 *    the Redis of TEST_REDIS_URL, skipped when it does not answer) and a BullMQ worker of the worker's
 *    concurrency calling what AlertDeliveryProcessor calls. BENCH_ALERT_ROUNDS (3) rounds a mode, each
 *    crossing a fresh 1,000;
 * 2. a change that crosses none costs ≤ 1 ms: the evaluation of a changed direction with 100 alerts none of
 *    which the market reached, and of a direction with no alert at all; against a bare indexed SELECT of
 *    the alerts table through the same pool (the cheapest query that could tell "any alert here?").
 * Medians of BENCH_RUNS (200). Needs the PostgreSQL of TEST_POSTGRES_URL (127.0.0.1:5432). */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { Queue, Worker } from 'bullmq';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import {
  AlertDeliverer,
  AlertEvaluator,
  AlertsMetrics,
  BullAlertDeliveryQueue,
  InProcessAlertDeliveryQueue,
  WebhookPoster,
} from '@app/alerts';
import { AppConfig, loadConfig } from '@app/config';
import {
  ALERT_CANDIDATES_SQL,
  AlertDeliveriesRepository,
  AlertsRepository,
  createDataSource,
  migrateAndSeed,
} from '@app/database';
import { hashAlertToken } from '@app/domain';
import { SnapshotChanges } from '@app/messaging';
import { AlertDeliveryJob, bullConnection, QUEUES } from '@app/queue';
import { ALERT_DELIVERY_CONCURRENCY, ALERT_DELIVERY_JOBS } from '../../apps/worker/src/alert-delivery.processor';
import { BenchRow, medianMs, printTable, writeResults } from './bench-kit';
import { directionPool, PoolDirection } from './rate-guard-market';
import { createScratchDatabase } from './scratch-database';

const ALERTS = Number(process.env.BENCH_ALERTS ?? 100_000);
const DIRECTIONS = Number(process.env.BENCH_ALERT_DIRECTIONS ?? 1_000);
const CROSSING = Number(process.env.BENCH_ALERT_CROSSING ?? 1_000);
const ROUNDS = Number(process.env.BENCH_ALERT_ROUNDS ?? 3);
const RUNS = Number(process.env.BENCH_RUNS ?? 200);
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const EXCHANGERS = 5;

async function main(): Promise<void> {
  const db = await createScratchDatabase('rw_alerts_bench');
  // The pool of a process with the default DATABASE_POOL_SIZE (10).
  const dataSource = createDataSource({ url: db.url, poolSize: 10 });
  const receipts: number[] = [];
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      receipts.push(performance.now());
      res.writeHead(204).end();
    });
  });
  try {
    const started = Date.now();
    await migrateAndSeed(db.url);
    await dataSource.initialize();
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const pool = directionPool(DIRECTIONS + 1);
    const quietDirection = pool[DIRECTIONS]!; // shown, no alert at all
    await seedMarket(dataSource, pool);
    // The crossing direction holds 2 × ROUNDS × CROSSING alerts `above` its best; the others share the rest.
    const target = pool[0]!;
    await seedAlerts(dataSource, pool.slice(1, DIRECTIONS), hook, ALERTS - 2 * ROUNDS * CROSSING);
    await seedCrossing(dataSource, target, hook);
    await dataSource.query('VACUUM ANALYZE');
    const [{ n: active }] = await dataSource.query<[{ n: number }]>(
      `SELECT count(*)::int AS n FROM alerts WHERE status = 'active'`,
    );
    console.log(`seeded ${active} alerts over ${DIRECTIONS} directions in ${Date.now() - started} ms`);

    // The pipeline as a standalone process wires it (the worker's differs only in the queue).
    const config = loadConfig({ FETCH_ALLOW_PRIVATE: 'true', ALERT_DELIVERY_ATTEMPTS: '3' });
    const alerts = new AlertsRepository(dataSource);
    const deliveries = new AlertDeliveriesRepository(dataSource);
    const metrics = new AlertsMetrics(new Registry(), alerts);
    const poster = new WebhookPoster(true);
    const deliverer = new AlertDeliverer(deliveries, poster, metrics, config);
    const queue = new InProcessAlertDeliveryQueue(deliveries, deliverer);
    const changes = new SnapshotChanges(config);
    const evaluator = new AlertEvaluator(changes, alerts, queue, metrics);
    evaluator.onModuleInit();

    // 1. Crossings delivered: standalone (in-process deliverer), then fleet (BullMQ on the real Redis).
    const crossings = async (publish: SnapshotChanges, idle: () => Promise<void>, first: number) => {
      const latencies: number[] = [];
      for (let round = first; round < first + ROUNDS; round++) {
        receipts.length = 0;
        await setRate(dataSource, target, bestAfterRound(target, round));
        const at = performance.now();
        publish.publish({ directions: [[target.from, target.to]] });
        const deadline = Date.now() + 30_000;
        while (receipts.length < CROSSING && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
        if (receipts.length < CROSSING) throw new Error(`round ${round}: ${receipts.length} of ${CROSSING} received`);
        for (const t of receipts) latencies.push(t - at);
        await idle();
      }
      return latencies.sort((a, b) => a - b);
    };
    const standalone = await crossings(changes, () => evaluator.idle(), 1);
    await evaluator.onModuleDestroy();
    const fleet = await fleetCrossings(config, alerts, deliverer, metrics, (publish, idle) =>
      crossings(publish, idle, ROUNDS + 1),
    );

    // 2. Changes that cross nothing: small moves of a direction with 100 alerts, none reached.
    const ordinary = pool[1]!;
    let flip = false;
    const wiggle = async () => {
      flip = !flip;
      await setRate(dataSource, ordinary, flip ? ordinary.rate : bump(ordinary.rate, '1.0001'));
    };
    const quiet = await medianMs(
      () => evaluator.evaluate({ directions: [[ordinary.from, ordinary.to]] }),
      RUNS,
      5,
      wiggle,
    );
    const none = await medianMs(
      () => evaluator.evaluate({ directions: [[quietDirection.from, quietDirection.to]] }),
      RUNS,
      5,
    );
    const baseline = await medianMs(
      () =>
        dataSource.query(`SELECT id FROM alerts WHERE status = 'active' AND from_code = $1 AND to_code = $2 LIMIT 1`, [
          ordinary.from,
          ordinary.to,
        ]),
      RUNS,
      5,
    );
    if (process.env.BENCH_ALERTS_EXPLAIN) {
      // The plan the evaluation's connection runs: generic, prepared once.
      const runner = dataSource.createQueryRunner();
      await runner.query(`SET plan_cache_mode = force_generic_plan`);
      await runner.query(`PREPARE candidates(text[], text[]) AS ${ALERT_CANDIDATES_SQL}`);
      for (const d of [ordinary, quietDirection]) {
        const plan = (await runner.query(
          `EXPLAIN (ANALYZE, BUFFERS) EXECUTE candidates('{${d.from}}', '{${d.to}}')`,
        )) as Array<{ 'QUERY PLAN': string }>;
        console.log(plan.map((r) => r['QUERY PLAN']).join('\n'));
      }
      await runner.query(`DEALLOCATE candidates; RESET plan_cache_mode`);
      await runner.release();
    }
    const stray = await dataSource.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM alert_deliveries WHERE alert_id IN (SELECT id FROM alerts WHERE from_code = $1 AND to_code = $2)`,
      [ordinary.from, ordinary.to],
    );
    if (stray[0]!.n !== 0) throw new Error('a change that crosses nothing fired a notice');

    const rows: BenchRow[] = [
      ...crossingRows('standalone', standalone),
      ...(fleet ? crossingRows('fleet', fleet) : []),
      row(
        'no crossing (100 alerts there): evaluation',
        quiet,
        'ms',
        'bare indexed SELECT',
        baseline,
        '≤ 1 ms',
        quiet <= 1,
      ),
      row('no alert there: evaluation', none, 'ms', 'bare indexed SELECT', baseline, '≤ 1 ms', none <= 1),
    ];
    const fired = standalone.length + (fleet?.length ?? 0);
    printTable(`bench:alerts — ${active} active alerts, ${fired} notices delivered in ${ROUNDS} rounds a mode`, rows);
    writeResults('alerts', { alerts: active, directions: DIRECTIONS, crossing: CROSSING, rounds: ROUNDS, rows });
    await evaluator.onModuleDestroy();
    await alerts.close();
    await queue.onApplicationShutdown();
    await poster.close();
  } finally {
    receiver.closeAllConnections();
    receiver.close();
    if (dataSource.isInitialized) await dataSource.destroy();
    await db.drop();
  }
}

/** The figures of one mode's crossings: first receipt, p50, p99 (the target) and max, from the change. */
function crossingRows(mode: string, latencies: number[]): BenchRow[] {
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)]!;
  const p99 = pct(99);
  const name = (what: string) => `${mode}: crossing ${CROSSING}, change → ${what}`;
  return [
    row(name('first receipt'), latencies[0]!, 'ms', 'same-run p99', p99, '', null),
    row(name('receipt p50'), pct(50), 'ms', 'same-run p99', p99, '', null),
    row(name('receipt p99'), p99, 'ms', 'target', 2000, '≤ 2,000 ms', p99 <= 2000),
    row(name('receipt max'), latencies[latencies.length - 1]!, 'ms', 'target', 2000, '', null),
  ];
}

/**
 * The fleet's path: the evaluator hands notices to the alert-delivery queue (BullMQ on the real Redis, a
 * prefix of its own) and a BullMQ worker with the worker's concurrency sends them (AlertDeliveryProcessor's
 * call). Null when Redis does not answer (the figures are then the standalone ones only).
 */
async function fleetCrossings(
  config: AppConfig,
  alerts: AlertsRepository,
  deliverer: AlertDeliverer,
  metrics: AlertsMetrics,
  measure: (publish: SnapshotChanges, idle: () => Promise<void>) => Promise<number[]>,
): Promise<number[] | null> {
  const connection = bullConnection(REDIS_URL, 'ratewatch-bench');
  const prefix = `rwbench-${randomBytes(4).toString('hex')}`;
  const queue = new Queue<AlertDeliveryJob>(QUEUES.alertDelivery, { connection, prefix });
  try {
    await withTimeout(queue.waitUntilReady(), 3000);
  } catch {
    console.log(`Redis at ${REDIS_URL} does not answer: fleet figures skipped`);
    await queue.close();
    return null;
  }
  const worker = new Worker<AlertDeliveryJob>(
    QUEUES.alertDelivery,
    async (job) => {
      const { retry } = await deliverer.sendPending(job.data.deliveryIds, ALERT_DELIVERY_CONCURRENCY);
      if (retry > 0) throw new Error(`${retry} notices to try again`);
    },
    { connection, prefix, concurrency: ALERT_DELIVERY_JOBS },
  );
  const changes = new SnapshotChanges(config);
  const evaluator = new AlertEvaluator(changes, alerts, new BullAlertDeliveryQueue(queue as never, config), metrics);
  evaluator.onModuleInit();
  try {
    return await measure(changes, () => evaluator.idle());
  } finally {
    await evaluator.onModuleDestroy();
    await worker.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function row(
  figure: string,
  value: number,
  unit: string,
  baseline: string,
  baselineValue: number,
  target: string,
  met: boolean | null,
): BenchRow {
  return { figure, value, unit, baseline, baselineValue, ratio: value / baselineValue, target, met };
}

/** A decimal times a factor, as text (exact: decimal arithmetic in SQL would do too). */
function bump(rate: string, factor: string): string {
  const [a, b] = [rate, factor].map((x) => x.split('.'));
  const scale = (a![1]?.length ?? 0) + (b![1]?.length ?? 0);
  const product = BigInt(a!.join('')) * BigInt(b!.join(''));
  const digits = product.toString().padStart(scale + 1, '0');
  return scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

/** The best of the crossing direction in round `round`: each round lifts it past the next 1,000 alerts. */
const bestAfterRound = (d: PoolDirection, round: number) => bump(d.rate, `1.${String(round * 10).padStart(2, '0')}`);

/** Every direction shown by EXCHANGERS exchangers (fresh feeds), the best at the pool's rate. */
async function seedMarket(dataSource: DataSource, pool: PoolDirection[]): Promise<void> {
  await dataSource.query(
    `WITH e AS (INSERT INTO exchangers (slug, name, site_url, referral_url)
                SELECT 'x' || i, 'X' || i, 'https://x' || i || '.example', 'https://x' || i || '.example/?r=1'
                FROM generate_series(1, ${EXCHANGERS}) i RETURNING id)
     INSERT INTO feeds (exchanger_id, url, interval_s, stale_after_s, last_success_at)
     SELECT id, 'https://feed' || id || '.example/rates.xml', 30, 86400, now() FROM e`,
  );
  await dataSource.query(
    `INSERT INTO offers (feed_id, exchanger_id, from_code, to_code, amount_in, amount_out, rate, reserve)
     SELECT f.id, f.exchanger_id, d.f, d.t, 1, d.r::numeric * (1 - f.id * 0.001), d.r::numeric * (1 - f.id * 0.001), 1000
     FROM feeds f CROSS JOIN unnest($1::text[], $2::text[], $3::text[]) AS d(f, t, r)`,
    [pool.map((d) => d.from), pool.map((d) => d.to), pool.map((d) => d.rate)],
  );
}

/**
 * `count` alerts spread evenly over the directions, of every kind, none reached by today's market: above
 * values 5-50 % over the best, below values under it, moves of 5-50 %, reserves over any shown.
 */
async function seedAlerts(dataSource: DataSource, pool: PoolDirection[], hook: string, count: number): Promise<void> {
  await dataSource.query(
    `WITH src AS (
       SELECT i, ($1::text[])[1 + i % n] AS f, ($2::text[])[1 + i % n] AS t, ($3::text[])[1 + i % n]::numeric AS r,
              (ARRAY['above', 'below', 'moves', 'reserve'])[1 + (i / n) % 4] AS kind
       FROM generate_series(0, $4::int - 1) i, (SELECT cardinality($1::text[]) AS n) c
     ), k AS (
       SELECT *, CASE kind WHEN 'above' THEN round(r * (1.05 + (i % 45) * 0.01), 8)
                           WHEN 'below' THEN round(r * (0.5 + (i % 45) * 0.01), 8)
                           WHEN 'moves' THEN 5 + (i % 45)
                           ELSE 100000 + i END AS value
       FROM src
     )
     INSERT INTO alerts (from_code, to_code, kind, value, metric, armed, reference, hi, lo, webhook_url, token_hash, secret, creator, expires_at)
     SELECT f, t, kind, value, CASE WHEN kind = 'reserve' THEN 'reserve' ELSE 'rate' END, true,
            CASE WHEN kind = 'moves' THEN r END,
            CASE kind WHEN 'above' THEN value WHEN 'reserve' THEN value WHEN 'moves' THEN r * (1 + value / 100) END,
            CASE kind WHEN 'below' THEN value WHEN 'moves' THEN r * (1 - value / 100) END,
            $5, $6, 'rws_bench', 'bench-' || (i % 5000), now() + interval '30 days'
     FROM k`,
    [pool.map((d) => d.from), pool.map((d) => d.to), pool.map((d) => d.rate), count, hook, hashAlertToken('bench')],
  );
}

/** 2 × ROUNDS × CROSSING `above` alerts on the crossing direction (a set a mode): round r's are passed by bestAfterRound(r) only. */
async function seedCrossing(dataSource: DataSource, d: PoolDirection, hook: string): Promise<void> {
  await dataSource.query(
    `INSERT INTO alerts (from_code, to_code, kind, value, metric, armed, hi, webhook_url, token_hash, secret, creator, expires_at)
     SELECT $1, $2, 'above', v, 'rate', true, v, $4, $5, 'rws_bench', 'bench-crossing', now() + interval '30 days'
     FROM (SELECT round($3::numeric * (1 + (r * 10 - 5 + (i % 1000) * 0.004) / 100), 8) AS v
           FROM generate_series(1, ${2 * ROUNDS}) r, generate_series(0, ${CROSSING} - 1) i) s`,
    [d.from, d.to, d.rate, hook, hashAlertToken('bench')],
  );
}

/** Sets a direction's offers so its best is `best` (the others under it, as seeded). */
async function setRate(dataSource: DataSource, d: PoolDirection, best: string): Promise<void> {
  await dataSource.query(
    `UPDATE offers o SET rate = $3::numeric * (1 - (f.id - 1) * 0.001), amount_out = $3::numeric * (1 - (f.id - 1) * 0.001)
     FROM feeds f WHERE f.id = o.feed_id AND o.from_code = $1 AND o.to_code = $2`,
    [d.from, d.to, best],
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
