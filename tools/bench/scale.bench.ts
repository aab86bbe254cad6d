/**
 * npm run bench:scale [-- --exchangers 500 --offers 2000 --interval 30 --change 0.1 --minutes 5 --workers 2 --concurrency 64 --processing 4] [--quick] [--profile]
 *
 * Fleet mode on the local PostgreSQL and Redis: the feed simulator, one api and W workers as separate
 * processes. Reports polls scheduled vs completed, poll latency, staleness (for sampled directions:
 * when the api first served a new rate minus when the simulator changed it), offers/s written, CPU and
 * peak memory per process, and the database size. Target: 100 % of polls completed and p99 staleness
 * ≤ interval + 5 s. With `--profile`, the workers and the simulator run under the V8 CPU profiler and the
 * run ends with where their CPU time went (by area and by function; the raw `.cpuprofile` files stay
 * in bench-results/profile-scale for Chrome DevTools).
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { printProfileSummary, summarizeProfiles } from './cpu-profile';
import { cpuSeconds, peakRssMb } from './process-stats';
import { writeResults } from './bench-kit';
import { startFleet } from './fleet';

const { values } = parseArgs({
  options: {
    exchangers: { type: 'string', default: '500' },
    offers: { type: 'string', default: '2000' },
    interval: { type: 'string', default: '30' },
    change: { type: 'string', default: '0.1' },
    minutes: { type: 'string', default: '5' },
    workers: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '64' },
    processing: { type: 'string', default: '4' },
    quick: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
  },
});
const quick = values.quick;
const EXCHANGERS = quick ? 20 : Number(values.exchangers);
const OFFERS = quick ? 300 : Number(values.offers);
const INTERVAL = quick ? 10 : Number(values.interval);
const CHANGE = Number(values.change);
const MINUTES = quick ? 0.5 : Number(values.minutes);
const WORKERS = quick ? 1 : Number(values.workers);
/** Polls one worker has in hand (WORKER_CONCURRENCY), and how many of them process at once (POLL_PROCESSING_CONCURRENCY). */
const CONCURRENCY = Number(values.concurrency);
const PROCESSING = Number(values.processing);
const ROOT = join(__dirname, '../../..');
const PROFILE_DIR = join(ROOT, 'bench-results', 'profile-scale');
/** Sampled directions: PER_EXCHANGER from each of the first SAMPLED_EXCHANGERS exchangers. */
const SAMPLED_EXCHANGERS = 40;
const PER_EXCHANGER = 5;

const percentile = (xs: number[], p: number) =>
  xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

async function main(): Promise<void> {
  if (values.profile) rmSync(PROFILE_DIR, { recursive: true, force: true });
  const fleet = await startFleet({
    exchangers: EXCHANGERS,
    offers: OFFERS,
    interval: INTERVAL,
    change: CHANGE,
    workers: WORKERS,
    env: {
      PUBLIC_RATE_LIMIT: '0',
      PUBLIC_CACHE_SECONDS: '1',
      WORKER_CONCURRENCY: String(CONCURRENCY),
      POLL_PROCESSING_CONCURRENCY: String(PROCESSING),
    },
    nodeArgs: (label) =>
      values.profile && label !== 'api'
        ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${label}.cpuprofile`]
        : [],
  });
  const { sim, api, db, processes: children } = fleet;
  try {
    // Warm-up: the first snapshot of every feed (EXCHANGERS × OFFERS inserts) is a one-off, not the
    // market's cadence; measuring starts once every feed has been read once.
    const warmStart = Date.now();
    for (;;) {
      const [row] = (
        await db.query<{ cold: number }>(`SELECT count(*)::int AS cold FROM feeds WHERE last_success_at IS NULL`)
      ).rows;
      if (row!.cold === 0) break;
      if (Date.now() - warmStart > 30 * 60_000) throw new Error(`${row!.cold} feeds still unread after 30 min`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    console.log(`warm-up: every feed read once after ${((Date.now() - warmStart) / 1000).toFixed(0)} s`);
    await db.query('SELECT pg_stat_statements_reset()').catch(() => undefined);
    // Sampled directions: one per exchanger for the first SAMPLES exchangers.
    const samples: Array<{ slug: string; from: string; to: string }> = [];
    for (const feed of fleet.feeds.slice(0, SAMPLED_EXCHANGERS))
      samples.push(...(await sampleDirections(sim, feed.slug)));

    const cpuStart = new Map(children.map(({ name, child }) => [name, cpuSeconds(child.pid!)]));
    const pgPids = pids('postgres');
    const redisPids = pids('redis-server');
    const pgCpuStart = pgPids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    const redisCpuStart = redisPids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    const startedAt = Date.now();
    const endAt = startedAt + MINUTES * 60_000;
    const served = new Map<string, number>();
    while (Date.now() < endAt) {
      await Promise.all(
        samples.map(async (s) => {
          try {
            const truth = (await (await fetch(`${sim}/truth/${s.slug}?from=${s.from}&to=${s.to}`)).json()) as {
              rate: string;
              changedAt: string;
            };
            const changedAt = Date.parse(truth.changedAt);
            if (changedAt < startedAt) return;
            const key = `${s.slug}|${s.from}|${s.to}|${truth.changedAt}`;
            if (served.has(key)) return;
            const table = (await (await fetch(`${api}/v1/rates?from=${s.from}&to=${s.to}&limit=500`)).json()) as {
              items: Array<{ exchanger: { slug: string }; rate: string }>;
            };
            if (table.items.some((i) => i.exchanger.slug === s.slug && i.rate === truth.rate))
              served.set(key, Date.now() - changedAt);
          } catch {
            // a sample that fails to answer is simply not counted this round
          }
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const seconds = (Date.now() - startedAt) / 1000;
    const cpu = children.map(({ name, child }) => ({
      process: name,
      cpuPercent: (100 * (cpuSeconds(child.pid!) - cpuStart.get(name)!)) / seconds,
      peakRssMb: peakRssMb(child.pid!),
    }));
    cpu.push({
      process: 'postgres (all)',
      cpuPercent: (100 * (pids('postgres').reduce((sum, pid) => sum + cpuSeconds(pid), 0) - pgCpuStart)) / seconds,
      peakRssMb: NaN,
    });
    cpu.push({
      process: 'redis',
      cpuPercent: (100 * (redisPids.reduce((sum, pid) => sum + cpuSeconds(pid), 0) - redisCpuStart)) / seconds,
      peakRssMb: redisPids[0] ? peakRssMb(redisPids[0]) : NaN,
    });

    const runs = await db.query<{ status: string; duration_ms: number; changes: number }>(
      `SELECT status, duration_ms, inserted + updated + deleted AS changes FROM feed_runs WHERE started_at >= $1`,
      [new Date(startedAt)],
    );
    const size = await db.query<{ size: string }>(
      `SELECT pg_size_pretty(pg_database_size(current_database())) AS size`,
    );
    const scheduled = Math.floor(seconds / INTERVAL) * EXCHANGERS;
    const latencies = runs.rows.map((r) => r.duration_ms);
    const staleness = [...served.values()].map((ms) => ms / 1000);
    const result = {
      parameters: {
        exchangers: EXCHANGERS,
        offers: OFFERS,
        interval: INTERVAL,
        change: CHANGE,
        minutes: MINUTES,
        workers: WORKERS,
        concurrency: CONCURRENCY,
        processing: PROCESSING,
      },
      seconds,
      pollsScheduled: scheduled,
      pollsCompleted: runs.rows.length,
      completedShare: runs.rows.length / Math.max(1, scheduled),
      errors: runs.rows.filter((r) => r.status === 'error').length,
      pollLatencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
      stalenessSeconds: {
        samples: staleness.length,
        p50: percentile(staleness, 50),
        p99: percentile(staleness, 99),
        max: Math.max(...staleness),
      },
      offersWrittenPerSecond: runs.rows.reduce((sum, r) => sum + Number(r.changes), 0) / seconds,
      processes: cpu,
      databaseSize: size.rows[0]?.size,
    };
    const met = result.completedShare >= 0.99 && result.stalenessSeconds.p99 <= INTERVAL + 5;
    console.log(
      `\nScale (fleet: ${WORKERS} worker(s), ${EXCHANGERS} exchangers × ${OFFERS} offers, every ${INTERVAL} s, ${CHANGE * 100} % changing, ${seconds.toFixed(0)} s)`,
    );
    console.log(
      `  polls completed / scheduled   ${result.pollsCompleted} / ${result.pollsScheduled} (${(100 * result.completedShare).toFixed(1)} %), errors ${result.errors}`,
    );
    console.log(`  poll latency p50 / p99        ${result.pollLatencyMs.p50} / ${result.pollLatencyMs.p99} ms`);
    console.log(
      `  staleness p50 / p99 / max     ${result.stalenessSeconds.p50?.toFixed(1)} / ${result.stalenessSeconds.p99?.toFixed(1)} / ${result.stalenessSeconds.max.toFixed(1)} s (${staleness.length} samples; target p99 ≤ ${INTERVAL + 5} s)`,
    );
    console.log(`  offers written                ${result.offersWrittenPerSecond.toFixed(0)} /s`);
    for (const p of cpu)
      console.log(
        `  ${p.process.padEnd(28)} ${p.cpuPercent.toFixed(0).padStart(4)} % CPU   ${Number.isNaN(p.peakRssMb) ? '' : `${p.peakRssMb.toFixed(0)} MB peak`}`,
      );
    console.log(`  database size                 ${result.databaseSize}`);
    console.log(`  target (100 % polls, p99 staleness ≤ interval + 5 s): ${met ? 'met' : 'MISSED'}`);
    console.log(`results written to ${writeResults('scale', { ...result, met })}`);
  } finally {
    await fleet.stop();
  }
}

/** A few directions (without a city) of one simulated exchanger, read from its feed. */
async function sampleDirections(sim: string, slug: string): Promise<Array<{ slug: string; from: string; to: string }>> {
  for (const ext of ['xml', 'json', 'txt']) {
    const response = await fetch(`${sim}/feeds/${slug}.${ext}`);
    if (!response.ok) continue;
    const text = await response.text();
    const pattern =
      ext === 'xml'
        ? /<from>([A-Z0-9]+)<\/from><to>([A-Z0-9]+)<\/to><in>1<\/in><out>[^<]+<\/out><amount>\d+<\/amount><minamount>10<\/minamount><maxamount>100000<\/maxamount><\/item>/g
        : ext === 'json'
          ? /"from":"([A-Z0-9]+)","to":"([A-Z0-9]+)","in":1,"out":[^,]+,"amount":\d+}/g
          : /^([A-Z0-9]+);([A-Z0-9]+);/gm;
    return [...text.matchAll(pattern)].slice(0, PER_EXCHANGER).map((m) => ({ slug, from: m[1]!, to: m[2]! }));
  }
  return [];
}

function pids(name: string): number[] {
  try {
    return execFileSync('pgrep', ['-x', name], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function run(): Promise<void> {
  await main();
  if (!values.profile) return;
  const summaries = summarizeProfiles(PROFILE_DIR);
  for (const [file, summary] of Object.entries(summaries))
    printProfileSummary(file.replace('.cpuprofile', ''), summary);
  console.log(
    `profiles summarized in ${writeResults('scale-profile', summaries)}; raw .cpuprofile files (open in Chrome DevTools) in ${PROFILE_DIR}`,
  );
}

run().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
