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
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { migrateAndSeed } from '@app/database';
import { printProfileSummary, summarizeProfiles } from './cpu-profile';
import { cpuSeconds, peakRssMb } from './process-stats';
import { waitForJson, writeResults } from './bench-kit';

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
const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const ROOT = join(__dirname, '../../..');
const PROFILE_DIR = join(ROOT, 'bench-results', 'profile-scale');
/** Sampled directions: PER_EXCHANGER from each of the first SAMPLED_EXCHANGERS exchangers. */
const SAMPLED_EXCHANGERS = 40;
const PER_EXCHANGER = 5;

const percentile = (xs: number[], p: number) => (xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!);

async function main(): Promise<void> {
  const name = `rw_bench_scale_${randomBytes(3).toString('hex')}`;
  const prefix = `rwbench-${randomBytes(3).toString('hex')}`;
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const dbUrl = new URL(ADMIN_URL);
  dbUrl.pathname = `/${name}`;
  const children: Array<{ name: string; child: ChildProcess }> = [];
  const start = (label: string, args: string[], env: Record<string, string>) => {
    const profiled = values.profile && label !== 'api' ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${label}.cpuprofile`] : [];
    const child = spawn(process.execPath, [...profiled, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
    children.push({ name: label, child });
    return child;
  };
  if (values.profile) rmSync(PROFILE_DIR, { recursive: true, force: true });
  try {
    await migrateAndSeed(dbUrl.toString());
    const simPort = 4700 + Math.floor(Math.random() * 100);
    start('simulator', ['dist/tools/feed-simulator/main.js', '--exchangers', String(EXCHANGERS), '--port', String(simPort), '--change', String(CHANGE), '--tick', String(INTERVAL), '--min-items', String(OFFERS), '--max-items', String(OFFERS)], {});
    const sim = `http://127.0.0.1:${simPort}`;
    const feedsList = await waitForJson<Array<{ slug: string; url: string }>>(`${sim}/`);
    const db = new Client({ connectionString: dbUrl.toString() });
    await db.connect();
    for (const feed of feedsList) {
      await db.query(
        `WITH e AS (INSERT INTO exchangers (slug, name, site_url, referral_url) VALUES ($1::text, $1::text, 'https://x.example', 'https://x.example/?r=1') RETURNING id)
         INSERT INTO feeds (exchanger_id, url, interval_s, timeout_ms, stale_after_s) SELECT id, $2, $3, $4, $5 FROM e`,
        [feed.slug, feed.url, INTERVAL, Math.min(10_000, INTERVAL * 1000 - 500), INTERVAL * 4],
      );
    }
    const env = { DATABASE_URL: dbUrl.toString(), REDIS_URL, REDIS_PREFIX: prefix, FETCH_ALLOW_PRIVATE: 'true', LOG_LEVEL: 'warn', PUBLIC_RATE_LIMIT: '0', PUBLIC_CACHE_SECONDS: '1', WORKER_CONCURRENCY: String(CONCURRENCY), POLL_PROCESSING_CONCURRENCY: String(PROCESSING) };
    const apiPort = simPort + 100;
    start('api', ['dist/apps/api/src/main.js'], { ...env, PORT: String(apiPort), HOST: '127.0.0.1' });
    for (let w = 0; w < WORKERS; w++) start(`worker-${w + 1}`, ['dist/apps/worker/src/main.js'], { ...env, WORKER_PORT: String(apiPort + 1 + w), HOST: '127.0.0.1' });
    const api = `http://127.0.0.1:${apiPort}`;
    await waitForJson(`${api}/health/ready`);

    // Sampled directions: one per exchanger for the first SAMPLES exchangers.
    const samples: Array<{ slug: string; from: string; to: string }> = [];
    for (const feed of feedsList.slice(0, SAMPLED_EXCHANGERS)) samples.push(...(await sampleDirections(sim, feed.slug)));

    const cpuStart = new Map(children.map(({ name, child }) => [name, cpuSeconds(child.pid!)]));
    const pgPids = pids('postgres');
    const redisPids = pids('redis-server');
    const pgCpuStart = pgPids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    const redisCpuStart = redisPids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    const startedAt = Date.now();
    const endAt = startedAt + MINUTES * 60_000;
    const served = new Map<string, number>();
    while (Date.now() < endAt) {
      await Promise.all(samples.map(async (s) => {
        try {
          const truth = (await (await fetch(`${sim}/truth/${s.slug}?from=${s.from}&to=${s.to}`)).json()) as { rate: string; changedAt: string };
          const changedAt = Date.parse(truth.changedAt);
          if (changedAt < startedAt) return;
          const key = `${s.slug}|${s.from}|${s.to}|${truth.changedAt}`;
          if (served.has(key)) return;
          const table = (await (await fetch(`${api}/v1/rates?from=${s.from}&to=${s.to}&limit=500`)).json()) as { items: Array<{ exchanger: { slug: string }; rate: string }> };
          if (table.items.some((i) => i.exchanger.slug === s.slug && i.rate === truth.rate)) served.set(key, Date.now() - changedAt);
        } catch {
          // a sample that fails to answer is simply not counted this round
        }
      }));
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const seconds = (Date.now() - startedAt) / 1000;
    const cpu = children.map(({ name, child }) => ({ process: name, cpuPercent: (100 * (cpuSeconds(child.pid!) - cpuStart.get(name)!)) / seconds, peakRssMb: peakRssMb(child.pid!) }));
    cpu.push({ process: 'postgres (all)', cpuPercent: (100 * (pids('postgres').reduce((sum, pid) => sum + cpuSeconds(pid), 0) - pgCpuStart)) / seconds, peakRssMb: NaN });
    cpu.push({ process: 'redis', cpuPercent: (100 * (redisPids.reduce((sum, pid) => sum + cpuSeconds(pid), 0) - redisCpuStart)) / seconds, peakRssMb: redisPids[0] ? peakRssMb(redisPids[0]) : NaN });

    const runs = await db.query<{ status: string; duration_ms: number; changes: number }>(
      `SELECT status, duration_ms, inserted + updated + deleted AS changes FROM feed_runs WHERE started_at >= $1`,
      [new Date(startedAt)],
    );
    const size = await db.query<{ size: string }>(`SELECT pg_size_pretty(pg_database_size(current_database())) AS size`);
    await db.end();
    const scheduled = Math.floor(seconds / INTERVAL) * EXCHANGERS;
    const latencies = runs.rows.map((r) => r.duration_ms);
    const staleness = [...served.values()].map((ms) => ms / 1000);
    const result = {
      parameters: { exchangers: EXCHANGERS, offers: OFFERS, interval: INTERVAL, change: CHANGE, minutes: MINUTES, workers: WORKERS, concurrency: CONCURRENCY, processing: PROCESSING },
      seconds,
      pollsScheduled: scheduled,
      pollsCompleted: runs.rows.length,
      completedShare: runs.rows.length / Math.max(1, scheduled),
      errors: runs.rows.filter((r) => r.status === 'error').length,
      pollLatencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
      stalenessSeconds: { samples: staleness.length, p50: percentile(staleness, 50), p99: percentile(staleness, 99), max: Math.max(...staleness) },
      offersWrittenPerSecond: runs.rows.reduce((sum, r) => sum + Number(r.changes), 0) / seconds,
      processes: cpu,
      databaseSize: size.rows[0]?.size,
    };
    const met = result.completedShare >= 0.99 && result.stalenessSeconds.p99 <= INTERVAL + 5;
    console.log(`\nScale (fleet: ${WORKERS} worker(s), ${EXCHANGERS} exchangers × ${OFFERS} offers, every ${INTERVAL} s, ${CHANGE * 100} % changing, ${seconds.toFixed(0)} s)`);
    console.log(`  polls completed / scheduled   ${result.pollsCompleted} / ${result.pollsScheduled} (${(100 * result.completedShare).toFixed(1)} %), errors ${result.errors}`);
    console.log(`  poll latency p50 / p99        ${result.pollLatencyMs.p50} / ${result.pollLatencyMs.p99} ms`);
    console.log(`  staleness p50 / p99 / max     ${result.stalenessSeconds.p50?.toFixed(1)} / ${result.stalenessSeconds.p99?.toFixed(1)} / ${result.stalenessSeconds.max.toFixed(1)} s (${staleness.length} samples; target p99 ≤ ${INTERVAL + 5} s)`);
    console.log(`  offers written                ${result.offersWrittenPerSecond.toFixed(0)} /s`);
    for (const p of cpu) console.log(`  ${p.process.padEnd(28)} ${p.cpuPercent.toFixed(0).padStart(4)} % CPU   ${Number.isNaN(p.peakRssMb) ? '' : `${p.peakRssMb.toFixed(0)} MB peak`}`);
    console.log(`  database size                 ${result.databaseSize}`);
    console.log(`  target (100 % polls, p99 staleness ≤ interval + 5 s): ${met ? 'met' : 'MISSED'}`);
    console.log(`results written to ${writeResults('scale', { ...result, met })}`);
  } finally {
    await Promise.all(children.reverse().map(({ child }) => stop(child)));
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

/** SIGTERM, then waits for the exit (the CPU profile is written on exit); SIGKILL after 15 s. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** A few directions (without a city) of one simulated exchanger, read from its feed. */
async function sampleDirections(sim: string, slug: string): Promise<Array<{ slug: string; from: string; to: string }>> {
  for (const ext of ['xml', 'json', 'txt']) {
    const response = await fetch(`${sim}/feeds/${slug}.${ext}`);
    if (!response.ok) continue;
    const text = await response.text();
    const pattern =
      ext === 'xml' ? /<from>([A-Z0-9]+)<\/from><to>([A-Z0-9]+)<\/to><in>1<\/in><out>[^<]+<\/out><amount>\d+<\/amount><minamount>10<\/minamount><maxamount>100000<\/maxamount><\/item>/g
      : ext === 'json' ? /"from":"([A-Z0-9]+)","to":"([A-Z0-9]+)","in":1,"out":[^,]+,"amount":\d+}/g
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
  for (const [file, summary] of Object.entries(summaries)) printProfileSummary(file.replace('.cpuprofile', ''), summary);
  console.log(`profiles summarized in ${writeResults('scale-profile', summaries)}; raw .cpuprofile files (open in Chrome DevTools) in ${PROFILE_DIR}`);
}

run().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
