/**
 * npm run bench:scale [-- --intervals 15,30 --start 500 --max 4000 --measure-intervals 6 --budget 45] [--quick] [--profile]
 * npm run bench:scale -- --exchangers 500 [--interval 30 --minutes 5 --settle 8] [--quick] [--profile]
 *
 * Fleet mode on the local PostgreSQL and Redis: the feed simulator, one api and W workers as separate
 * processes (2,000 offers per exchanger, 10 % of them changing at every tick of the market, which ticks at
 * the poll interval). The target: 100 % of polls completed (≥ 99 % counted, for the window's edges) and
 * p99 staleness ≤ interval + 5 s, where staleness is, for sampled directions, when the api first served
 * a new rate minus when the simulator changed it.
 *
 * Without `--exchangers`: a search, at each interval, for the largest exchanger count that meets the
 * target — from `--start`, doubling while met, then bisecting between the largest met and the smallest
 * missed down to `--resolution` (10 %) or `--step` (100) exchangers. One fleet per interval: a probe
 * resizes the simulated market (new feeds registered, feeds beyond the count disabled), waits until every
 * feed of the probe was read since the resize (the first snapshots are a one-off, not the cadence), then
 * measures `--measure-intervals` poll intervals. The whole search stops at `--budget` minutes (both
 * intervals; the first gets half) with the best answer so far. The 30 s search starts at twice the 15 s
 * answer. Prints each probe and a summary: the largest count met per interval, offers/s polled and
 * written, offers/s per worker core (offers read and normalized per second of worker CPU), CPU per
 * process, PostgreSQL's CPU, and whether 1,000 exchangers at 15 s was met.
 *
 * With `--exchangers N`: one configuration, measured for `--minutes`.
 *
 * Either way a window begins once the fleet is on time (at most `--settle` intervals after the warm-up, each
 * printed; a window that begins behind says so): the first snapshots set off one-off work over the whole
 * new market in the background, which is not the market's cadence either.
 *
 * Where pg_stat_statements can be created in the scratch database, each probe also prints its 10
 * statements with the most execution time (per poll) in the measured window (a difference of two
 * snapshots: a reset would leave this database's entries the least used, the first evicted when other
 * databases fill pg_stat_statements). Those times are wall-clock, and grow with the wait for a core on a
 * saturated machine; so each probe also prints PostgreSQL's CPU by statement (PgCpuSampler: every backend's
 * CPU time read every 200 ms and charged to the statement it showed), which needs no extension.
 *
 * With `--profile`, the workers and the simulator run under the V8 CPU profiler and the run ends with
 * where their CPU time went in the measured window(s) (by area and by function; the samples of the warm-up and
 * the settling are left out; the raw `.cpuprofile` files, whole, stay in bench-results/profile-scale for Chrome
 * DevTools).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { monotonicMicros, printProfileSummary, ProfileWindows, summarizeProfiles } from './cpu-profile';
import { CpuByLabel, PgCpuSampler } from './pg-cpu-by-statement';
import { cpuSeconds, cpuSecondsWithReaped, cpuTimes, machineBusySeconds, peakRssMb } from './process-stats';
import { writeResults } from './bench-kit';
import { Fleet, FLEET_LOGS, startFleet } from './fleet';

const { values } = parseArgs({
  options: {
    exchangers: { type: 'string' },
    offers: { type: 'string', default: '2000' },
    interval: { type: 'string', default: '30' },
    intervals: { type: 'string', default: '15,30' },
    change: { type: 'string', default: '0.1' },
    minutes: { type: 'string', default: '5' },
    start: { type: 'string', default: '500' },
    max: { type: 'string', default: '4000' },
    min: { type: 'string', default: '50' },
    step: { type: 'string', default: '100' },
    resolution: { type: 'string', default: '0.1' },
    'measure-intervals': { type: 'string', default: '6' },
    settle: { type: 'string', default: '8' },
    budget: { type: 'string', default: '45' },
    workers: { type: 'string', default: '2' },
    /** Feed-poll shards (FEED_POLL_SHARDS); default: one a worker. */
    shards: { type: 'string' },
    concurrency: { type: 'string', default: '64' },
    processing: { type: 'string', default: '4' },
    quick: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
  },
});
const quick = values.quick;
const SEARCH = values.exchangers === undefined;
const OFFERS = quick ? 300 : Number(values.offers);
const CHANGE = Number(values.change);
const WORKERS = quick ? 1 : Number(values.workers);
/** Queues the feeds' polls are spread over, each taken by one worker (FEED_POLL_SHARDS). */
const SHARDS = values.shards === undefined ? WORKERS : Number(values.shards);
/** Polls one worker has in hand (WORKER_CONCURRENCY), and how many of them process at once (POLL_PROCESSING_CONCURRENCY). */
const CONCURRENCY = Number(values.concurrency);
/** Poll intervals the fleet gets after its warm-up to get on time before a window is measured (see settle). */
const SETTLE_INTERVALS = quick ? 1 : Number(values.settle);
const PROCESSING = Number(values.processing);
const ROOT = join(__dirname, '../../..');
const PROFILE_DIR = join(ROOT, 'bench-results', 'profile-scale');
/** Every probe's measured window: `--profile` summarizes the samples taken in them (the raw files keep all). */
const measuredWindows: Array<ProfileWindows[number]> = [];
/** Sampled directions: PER_EXCHANGER from each of the first SAMPLED_EXCHANGERS exchangers. */
const SAMPLED_EXCHANGERS = 40;
const PER_EXCHANGER = 5;
/** The issue's target (#21): 1,000 exchangers × 2,000 offers every 15 s. */
const TARGET = { exchangers: 1000, interval: 15 };
/** Polls completed / scheduled counted as all of them (a window cuts a few polls at its edges). */
const COMPLETED_SHARE = 0.99;
/** A feed disabled by a shrink keeps its schedule until the next reconcile (every 60 s). */
const RECONCILE_MS = 65_000;

const percentile = (xs: number[], p: number) =>
  xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const seconds = (ms: number) => `${(ms / 1000).toFixed(0)} s`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Statement {
  query: string;
  calls: number;
  totalMs: number;
  msPerPoll: number;
  callsPerPoll: number;
  meanMs: number;
  /** Pages read (shared buffers or disk) per poll: the statement's work, whatever the machine's load. */
  blocksPerPoll: number;
}

interface ProbeResult {
  parameters: {
    exchangers: number;
    offers: number;
    interval: number;
    change: number;
    workers: number;
    shards: number;
    concurrency: number;
    processing: number;
  };
  warmUpSeconds: number;
  seconds: number;
  /** Stopped before the window's end: the polls were already too far behind to catch up. */
  stoppedEarly: boolean;
  /** Whether the fleet was on time before the window began (settle); false: the window measured it still behind. */
  settled: boolean;
  pollsScheduled: number;
  pollsCompleted: number;
  completedShare: number;
  errors: number;
  /** The failed polls' errors, most frequent first: what a failure was, not only how many. */
  errorKinds: Array<{ error: string; polls: number }>;
  pollLatencyMs: { p50: number; p99: number };
  /** Mean ms a poll spent in each stage (the workers' ratewatch_feed_poll_stage_seconds over the window). */
  pollStagesMs: Record<string, { mean: number; polls: number }> | null;
  /**
   * The rate history's backlog at the window's start and end (the workers' ratewatch_history_pending): writes
   * waiting for the recorder and the oldest one's age. Growing: history falls behind the polls.
   */
  historyBacklog: { start: HistoryBacklog; end: HistoryBacklog } | null;
  stalenessSeconds: { samples: number; p50: number; p99: number; max: number };
  offersPolledPerSecond: number;
  offersWrittenPerSecond: number;
  workerCpuSeconds: number;
  /** Offers read and normalized per second of worker CPU (all workers together). */
  offersPerWorkerCore: number;
  /**
   * Per process, its CPU as a share of one core and its peak memory; for the fleet's own processes also the share
   * of that CPU spent in the kernel for them (sockets, mostly), `kernelShare`.
   */
  processes: Array<{ process: string; cpuPercent: number; peakRssMb: number; kernelShare?: number }>;
  /**
   * CPU per poll completed in the window, ms: all workers together, and all of PostgreSQL. Steadier than the share
   * of polls done, which a saturated machine makes swing from run to run: the figure to compare two versions by.
   */
  cpuMsPerPoll: { workers: number; postgres: number };
  databaseSize: string | undefined;
  /** The statements with the most execution time in the window (pg_stat_statements), when available. */
  statements: { evictions: number; top: Statement[] } | null;
  /** PostgreSQL's CPU in the window by what each process ran (PgCpuSampler), when it could be sampled. */
  pgCpu: { seconds: number; top: CpuByLabel[] } | null;
  met: boolean;
  loadAverage: string;
}

interface SearchResult {
  interval: number;
  /** The largest count that met the target (0: none did). */
  largestMet: number;
  /** The smallest count that missed it (null: none did, up to --max). */
  smallestMissed: number | null;
  /** Why the search ended: resolution reached, --max or --min reached, or the budget ran out. */
  ended: 'resolution' | 'max' | 'min' | 'budget';
  best: ProbeResult | null;
  probes: ProbeResult[];
}

const fleetEnv = {
  PUBLIC_RATE_LIMIT: '0',
  PUBLIC_CACHE_SECONDS: '1',
  WORKER_CONCURRENCY: String(CONCURRENCY),
  POLL_PROCESSING_CONCURRENCY: String(PROCESSING),
  FEED_POLL_SHARDS: String(SHARDS),
};

async function launch(exchangers: number, interval: number): Promise<Fleet & { statements: boolean }> {
  const fleet = await startFleet({
    exchangers,
    offers: OFFERS,
    interval,
    change: CHANGE,
    workers: WORKERS,
    env: fleetEnv,
    nodeArgs: (label) =>
      values.profile && label !== 'api'
        ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${label}-${interval}s.cpuprofile`]
        : [],
  });
  const statements = await fleet.db
    .query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements')
    .then(() => fleet.db.query('SELECT count(*) FROM pg_stat_statements'))
    .then(
      () => true,
      () => false,
    );
  return Object.assign(fleet, { statements });
}

/** Waits until every enabled feed was read after `since` (the probe's resize); false when `deadline` came first. */
async function warmUp(fleet: Fleet, since: Date, deadline: number): Promise<{ done: boolean; cold: number }> {
  for (;;) {
    const [row] = (
      await fleet.db.query<{ cold: number }>(
        `SELECT count(*)::int AS cold FROM feeds WHERE enabled AND (last_success_at IS NULL OR last_success_at < $1)`,
        [since],
      )
    ).rows;
    if (row!.cold === 0) return { done: true, cold: 0 };
    if (Date.now() > deadline) return { done: false, cold: row!.cold };
    await sleep(1000);
  }
}

/**
 * After the warm-up, up to `--settle` poll intervals for the fleet to get on time: the first snapshots of every
 * feed set off one-off background work over the whole new market (the guard's first references, the api's
 * market values, history's first records, the first vacuum and analyze of the new rows) that a fleet running
 * for days pays once. Prints, per interval, the share of the polls due in it that were done and how long a
 * poll waited in the queue; returns at the first interval with ≥ 99 % done and a queue wait under a tenth of
 * the interval, or after `intervals` (then the window measures a fleet still behind, and says so).
 */
async function settle(fleet: Fleet, exchangers: number, interval: number, intervals: number): Promise<boolean> {
  for (let i = 1; i <= intervals; i++) {
    const from = new Date();
    const stagesBefore = await pollStageTotals(fleet.workers).catch(() => null);
    await sleep(interval * 1000);
    const done = await pollsDoneSince(fleet.db, from);
    const stagesAfter = stagesBefore ? await pollStageTotals(fleet.workers).catch(() => null) : null;
    const queued = stagesBefore && stagesAfter ? stageMeans(stagesBefore, stagesAfter)['queued']?.mean : undefined;
    const share = done / exchangers;
    console.log(
      `  settling ${i}/${intervals}: ${(100 * share).toFixed(1)} % of an interval's polls done, queued ${queued === undefined ? '?' : `${(queued / 1000).toFixed(1)} s`}`,
    );
    if (share >= COMPLETED_SHARE && queued !== undefined && queued < (interval * 1000) / 10) return true;
  }
  return false;
}

/**
 * One measured window on a warmed fleet of `exchangers`: polls, latency, staleness, throughput, CPU, and
 * the costliest statements. Stops early when the polls are too far behind to meet the target.
 */
async function measure(
  fleet: Fleet & { statements: boolean },
  exchangers: number,
  interval: number,
  windowMs: number,
  warmUpSeconds: number,
  settled: boolean,
): Promise<ProbeResult> {
  const { sim, api, db } = fleet;
  const workers = fleet.processes.filter((p) => p.name.startsWith('worker'));
  const samples: Array<{ slug: string; from: string; to: string }> = [];
  for (const feed of fleet.feeds.slice(0, SAMPLED_EXCHANGERS))
    samples.push(...(await sampleDirections(sim, feed.slug)));
  // A snapshot, not a reset: after a reset this database's entries are the least used ones, which
  // pg_stat_statements evicts first when other databases' statements fill it (pg_stat_statements.max).
  const statementsAtStart = fleet.statements ? await statementTotals(db).catch(() => null) : null;

  const stagesAtStart = await pollStageTotals(fleet.workers).catch(() => null);
  const backlogAtStart = await historyBacklog(fleet.workers).catch(() => null);
  // The CPU readings bracket the window exactly (`elapsed`): read after the awaits above and before those after
  // it — on a loaded machine a worker's /metrics answers in seconds, and CPU read around them counted that time
  // against the window's (a stopped run printed the machine at 271 % of two cores, which no window can be).
  const cpuStart = new Map(fleet.processes.map(({ name, child }) => [name, cpuTimes(child.pid!)]));
  // All of PostgreSQL's processes, backends that end during the window included (cpuSecondsWithReaped).
  const pgCpuAt = () => pids('postgres').reduce((sum, pid) => sum + cpuSecondsWithReaped(pid), 0);
  const pgCpuStart = pgCpuAt();
  const machineStart = machineBusySeconds();
  const redisPids = pids('redis-server');
  const redisCpu = () => redisPids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const redisCpuStart = redisCpu();
  const pgSampler = new PgCpuSampler(fleet.dbUrl);
  const sampling = await pgSampler.start().then(
    () => true,
    () => false,
  );
  const startedAt = Date.now();
  const windowFrom = monotonicMicros();
  const endAt = startedAt + windowMs;
  const served = new Map<string, number>();
  let stoppedEarly = false;
  let nextCheck = startedAt + 3 * interval * 1000;
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
    if (Date.now() >= nextCheck) {
      nextCheck += interval * 1000;
      const elapsed = (Date.now() - startedAt) / 1000;
      const done = await pollsDoneSince(db, new Date(startedAt));
      // Under 80 % of the polls due an interval ago done (a poll in hand is not counted yet): the backlog
      // only grows from here.
      if (done < 0.8 * (Math.floor(elapsed / interval) - 1) * exchangers) {
        stoppedEarly = true;
        break;
      }
    }
    await sleep(1000);
  }
  const elapsed = (Date.now() - startedAt) / 1000;
  measuredWindows.push([windowFrom, monotonicMicros()]);
  const pgCpu = sampling ? await pgSampler.stop() : null;
  const cpuEnd = new Map(fleet.processes.map(({ name, child }) => [name, cpuTimes(child.pid!)]));
  /** A process's CPU seconds in the window: user and system. */
  const used = (name: string) => {
    const [start, end] = [cpuStart.get(name)!, cpuEnd.get(name)!];
    return { user: end.user - start.user, system: end.system - start.system };
  };
  const pgCpuSeconds = pgCpuAt() - pgCpuStart;
  const machineSeconds = machineBusySeconds() - machineStart;
  const redisSeconds = redisCpu() - redisCpuStart;
  const stagesAtEnd = stagesAtStart ? await pollStageTotals(fleet.workers).catch(() => null) : null;
  const backlogAtEnd = backlogAtStart ? await historyBacklog(fleet.workers).catch(() => null) : null;
  const cpu: ProbeResult['processes'] = fleet.processes.map(({ name, child }) => {
    const { user, system } = used(name);
    return {
      process: name,
      cpuPercent: (100 * (user + system)) / elapsed,
      peakRssMb: peakRssMb(child.pid!),
      kernelShare: system / Math.max(user + system, 1e-9),
    };
  });
  const workerCpuSeconds = workers.reduce((sum, { name }) => {
    const { user, system } = used(name);
    return sum + user + system;
  }, 0);
  cpu.push({ process: 'postgres (all)', cpuPercent: (100 * pgCpuSeconds) / elapsed, peakRssMb: NaN });
  cpu.push({
    process: 'redis',
    cpuPercent: (100 * redisSeconds) / elapsed,
    peakRssMb: redisPids[0] ? peakRssMb(redisPids[0]) : NaN,
  });
  // Everything on the machine (the bench itself, the kernel's threads too), as a share of one core like the
  // rest: at 200 % on two cores the machine is saturated, whatever the processes above add up to.
  cpu.push({
    process: 'machine (every process)',
    cpuPercent: (100 * machineSeconds) / elapsed,
    peakRssMb: NaN,
  });

  const runs = await db.query<{
    status: string;
    duration_ms: number;
    items: number;
    changes: number;
    error: string | null;
  }>(
    `SELECT r.status, r.duration_ms, r.items, r.inserted + r.updated + r.deleted AS changes,
            concat_ws(': ', r.error_code, left(r.error_message, 120)) AS error
     FROM feed_runs r JOIN feeds f ON f.id = r.feed_id WHERE f.enabled AND r.started_at >= $1`,
    [new Date(startedAt)],
  );
  const failed = runs.rows.filter((r) => r.status === 'error');
  const size = await db.query<{ size: string }>(`SELECT pg_size_pretty(pg_database_size(current_database())) AS size`);
  const scheduled = Math.floor(elapsed / interval) * exchangers;
  const completed = runs.rows.length;
  const statements = statementsAtStart
    ? await topStatements(db, statementsAtStart, Math.max(1, completed)).catch(() => null)
    : null;
  const latencies = runs.rows.map((r) => r.duration_ms);
  const staleness = [...served.values()].map((ms) => ms / 1000);
  const offersPolled = runs.rows.reduce((sum, r) => sum + Number(r.items), 0);
  const completedShare = completed / Math.max(1, scheduled);
  const p99 = percentile(staleness, 99);
  return {
    parameters: {
      exchangers,
      offers: OFFERS,
      interval,
      change: CHANGE,
      workers: WORKERS,
      shards: SHARDS,
      concurrency: CONCURRENCY,
      processing: PROCESSING,
    },
    warmUpSeconds,
    settled,
    seconds: elapsed,
    stoppedEarly,
    pollsScheduled: scheduled,
    pollsCompleted: completed,
    completedShare,
    errors: failed.length,
    errorKinds: errorKinds(failed.map((r) => r.error || '(no message)')),
    pollLatencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
    pollStagesMs: stagesAtStart && stagesAtEnd ? stageMeans(stagesAtStart, stagesAtEnd) : null,
    historyBacklog: backlogAtStart && backlogAtEnd ? { start: backlogAtStart, end: backlogAtEnd } : null,
    stalenessSeconds: {
      samples: staleness.length,
      p50: percentile(staleness, 50),
      p99,
      max: staleness.length ? Math.max(...staleness) : NaN,
    },
    offersPolledPerSecond: offersPolled / elapsed,
    offersWrittenPerSecond: runs.rows.reduce((sum, r) => sum + Number(r.changes), 0) / elapsed,
    workerCpuSeconds,
    offersPerWorkerCore: offersPolled / Math.max(0.01, workerCpuSeconds),
    cpuMsPerPoll: {
      workers: (1000 * workerCpuSeconds) / Math.max(1, completed),
      postgres: (1000 * pgCpuSeconds) / Math.max(1, completed),
    },
    processes: cpu,
    databaseSize: size.rows[0]?.size,
    statements,
    pgCpu,
    // A window without a single staleness sample proves nothing about staleness: not met.
    met: !stoppedEarly && completedShare >= COMPLETED_SHARE && p99 <= interval + 5,
    loadAverage: loadAverage(),
  };
}

/** Per poll stage, the seconds and polls the workers' /metrics count so far (summed over the workers). */
async function pollStageTotals(workers: string[]): Promise<Map<string, { sum: number; count: number }>> {
  const totals = new Map<string, { sum: number; count: number }>();
  for (const worker of workers) {
    const text = await (await fetch(`${worker}/metrics`)).text();
    for (const [, kind, stage, value] of text.matchAll(
      /^ratewatch_feed_poll_stage_seconds_(sum|count)\{[^}]*\bstage="(\w+)"[^}]*\} (\S+)$/gm,
    )) {
      const entry = totals.get(stage!) ?? { sum: 0, count: 0 };
      entry[kind as 'sum' | 'count'] += Number(value);
      totals.set(stage!, entry);
    }
  }
  return totals;
}

interface HistoryBacklog {
  writes: number;
  oldestSeconds: number;
}

/**
 * The history backlog the workers' /metrics report (each reads the same table: the first that answers).
 */
async function historyBacklog(workers: string[]): Promise<HistoryBacklog> {
  for (const worker of workers) {
    const text = await (await fetch(`${worker}/metrics`)).text();
    const gauge = (measure: string) =>
      text.match(new RegExp(`^ratewatch_history_pending\\{[^}]*\\bmeasure="${measure}"[^}]*\\} (\\S+)$`, 'm'))?.[1];
    const writes = gauge('writes');
    const oldest = gauge('oldest_seconds');
    if (writes !== undefined && oldest !== undefined) return { writes: Number(writes), oldestSeconds: Number(oldest) };
  }
  throw new Error('no worker reports ratewatch_history_pending');
}

/** Errors counted by message, the most frequent first. */
function errorKinds(errors: readonly string[]): Array<{ error: string; polls: number }> {
  const counts = new Map<string, number>();
  for (const error of errors) counts.set(error, (counts.get(error) ?? 0) + 1);
  return [...counts].map(([error, polls]) => ({ error, polls })).sort((a, b) => b.polls - a.polls);
}

/** Polls of enabled feeds begun since `since` (their feed_runs rows). */
async function pollsDoneSince(db: Fleet['db'], since: Date): Promise<number> {
  const { rows } = await db.query<{ done: number }>(
    `SELECT count(*)::int AS done FROM feed_runs r JOIN feeds f ON f.id = r.feed_id WHERE f.enabled AND r.started_at >= $1`,
    [since],
  );
  return rows[0]!.done;
}

/** Mean ms a poll spent in each stage between two readings of pollStageTotals, and how many polls it counts. */
function stageMeans(
  start: Map<string, { sum: number; count: number }>,
  end: Map<string, { sum: number; count: number }>,
): Record<string, { mean: number; polls: number }> {
  return Object.fromEntries(
    [...end].map(([stage, at]) => {
      const before = start.get(stage) ?? { sum: 0, count: 0 };
      const polls = at.count - before.count;
      return [stage, { mean: polls > 0 ? (1000 * (at.sum - before.sum)) / polls : NaN, polls }];
    }),
  );
}

interface StatementTotals {
  byId: Map<string, { query: string; calls: number; totalMs: number; blocks: number }>;
  /** pg_stat_statements_info.dealloc: how many times entries were evicted to make room. */
  evictions: number;
}

/** This database's statements in pg_stat_statements now, by query id. */
async function statementTotals(db: Fleet['db']): Promise<StatementTotals> {
  const { rows } = await db.query<{ id: string; query: string; calls: string; total: number; blocks: string }>(
    `SELECT queryid::text AS id, query, calls, total_exec_time AS total,
            shared_blks_hit + shared_blks_read + local_blks_hit + local_blks_read + temp_blks_read AS blocks
     FROM pg_stat_statements
     WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND query NOT LIKE '%pg_stat_statements%'`,
  );
  const info = await db.query<{ dealloc: string }>('SELECT dealloc FROM pg_stat_statements_info');
  return {
    byId: new Map(
      rows.map((r) => [
        `${r.id}|${r.query}`,
        { query: r.query, calls: Number(r.calls), totalMs: r.total, blocks: Number(r.blocks) },
      ]),
    ),
    evictions: Number(info.rows[0]?.dealloc ?? 0),
  };
}

/**
 * The 10 statements of this database with the most execution time between `start` and now, and how many
 * evictions happened meanwhile (an evicted statement's time before it was made again is lost).
 */
async function topStatements(
  db: Fleet['db'],
  start: StatementTotals,
  polls: number,
): Promise<{ evictions: number; top: Statement[] }> {
  const end = await statementTotals(db);
  const top = [...end.byId]
    .map(([id, now]) => {
      const before = start.byId.get(id);
      // An entry evicted and made again in the window counts from zero.
      const from = before && before.calls <= now.calls ? before : { calls: 0, totalMs: 0, blocks: 0 };
      return {
        query: now.query,
        calls: now.calls - from.calls,
        totalMs: now.totalMs - from.totalMs,
        blocks: now.blocks - from.blocks,
      };
    })
    .filter((st) => st.calls > 0)
    .sort((a, b) => b.totalMs - a.totalMs)
    .slice(0, 10)
    .map((st) => ({
      query: st.query.replace(/\s+/g, ' ').trim(),
      calls: st.calls,
      totalMs: st.totalMs,
      msPerPoll: st.totalMs / polls,
      callsPerPoll: st.calls / polls,
      meanMs: st.totalMs / st.calls,
      blocksPerPoll: st.blocks / polls,
    }));
  return { evictions: end.evictions - start.evictions, top };
}

function printProbe(result: ProbeResult): void {
  const { exchangers, interval, workers } = result.parameters;
  console.log(
    `\nScale (fleet: ${workers} worker(s), ${result.parameters.shards} feed-poll shard(s), ${exchangers} exchangers × ${OFFERS} offers, every ${interval} s, ${CHANGE * 100} % changing, warm-up ${result.warmUpSeconds.toFixed(0)} s, measured ${result.seconds.toFixed(0)} s${result.settled ? '' : ' (not on time after settling)'}${result.stoppedEarly ? ', stopped early: too far behind' : ''}; load ${result.loadAverage})`,
  );
  console.log(
    `  polls completed / scheduled   ${result.pollsCompleted} / ${result.pollsScheduled} (${(100 * result.completedShare).toFixed(1)} %), errors ${result.errors}`,
  );
  for (const { error, polls } of result.errorKinds.slice(0, 3)) console.log(`    ${polls} × ${error}`);
  if (result.errors > 0) console.log(`    (the workers' logs: ${FLEET_LOGS})`);
  console.log(`  poll latency p50 / p99        ${result.pollLatencyMs.p50} / ${result.pollLatencyMs.p99} ms`);
  if (result.pollStagesMs)
    console.log(
      `  poll stages, mean ms          ${Object.entries(result.pollStagesMs)
        .map(([stage, { mean, polls }]) => `${stage} ${mean.toFixed(0)} (${polls})`)
        .join(' · ')}`,
    );
  const backlog = result.historyBacklog;
  if (backlog)
    console.log(
      `  history backlog               ${backlog.start.writes} → ${backlog.end.writes} writes waiting, the oldest ${backlog.start.oldestSeconds.toFixed(0)} → ${backlog.end.oldestSeconds.toFixed(0)} s old (start → end of the window)`,
    );
  const s = result.stalenessSeconds;
  console.log(
    `  staleness p50 / p99 / max     ${s.p50.toFixed(1)} / ${s.p99.toFixed(1)} / ${s.max.toFixed(1)} s (${s.samples} samples; target p99 ≤ ${interval + 5} s)`,
  );
  console.log(
    `  offers polled / written       ${result.offersPolledPerSecond.toFixed(0)} /s / ${result.offersWrittenPerSecond.toFixed(0)} /s`,
  );
  console.log(
    `  offers per worker core        ${result.offersPerWorkerCore.toFixed(0)} /s (offers read + normalized per second of worker CPU; ${result.workerCpuSeconds.toFixed(0)} CPU s)`,
  );
  console.log(
    `  CPU per poll                  workers ${result.cpuMsPerPoll.workers.toFixed(1)} ms, PostgreSQL ${result.cpuMsPerPoll.postgres.toFixed(1)} ms (each poll completed in the window; the paced whole-market work included)`,
  );
  for (const p of result.processes)
    console.log(
      `  ${p.process.padEnd(28)} ${p.cpuPercent.toFixed(0).padStart(4)} % CPU   ${Number.isNaN(p.peakRssMb) ? '' : `${p.peakRssMb.toFixed(0)} MB peak`}${p.kernelShare === undefined ? '' : `   ${(100 * p.kernelShare).toFixed(0)} % of it in the kernel`}`,
    );
  console.log(`  database size                 ${result.databaseSize}`);
  if (result.statements) {
    const { evictions } = result.statements;
    console.log(
      `  top statements by total time (pg_stat_statements, this database, the measured window${evictions > 0 ? `; ${evictions} evictions meanwhile: may undercount` : ''})`,
    );
    // Blocks (8 kB pages read from shared buffers or disk) do not grow with the machine's load as ms do.
    console.log('     ms/poll  calls/poll   mean ms  blocks/poll  statement');
    for (const st of result.statements.top)
      console.log(
        `    ${st.msPerPoll.toFixed(2).padStart(8)}  ${st.callsPerPoll.toFixed(2).padStart(10)}  ${st.meanMs.toFixed(2).padStart(8)}  ${st.blocksPerPoll.toFixed(0).padStart(11)}  ${st.query.slice(0, 120)}`,
      );
  }
  if (result.pgCpu) {
    console.log(
      `  PostgreSQL's CPU by statement (${result.pgCpu.seconds.toFixed(1)} s in all; each process's CPU time read every 200 ms and charged to the statement it showed — short ones blur into their neighbours)`,
    );
    for (const t of result.pgCpu.top)
      console.log(`    ${(100 * t.share).toFixed(1).padStart(5)} %  ${t.seconds.toFixed(1).padStart(6)} s  ${t.label}`);
  }
  console.log(`  target (100 % polls, p99 staleness ≤ interval + 5 s): ${result.met ? 'met' : 'MISSED'}`);
}

/** The search at one interval, on one fleet, until `deadline`. */
async function search(interval: number, first: number, deadline: number): Promise<SearchResult> {
  const max = quick ? 40 : Number(values.max);
  const min = quick ? 5 : Number(values.min);
  const step = quick ? 5 : Number(values.step);
  const resolution = Number(values.resolution);
  const windowMs = Number(values['measure-intervals']) * interval * 1000;
  let n = Math.max(min, Math.min(max, first));
  console.log(
    `\n== search at ${interval} s: from ${n} exchangers, ${values['measure-intervals']} intervals (${seconds(windowMs)}) a probe, until ${new Date(deadline).toISOString().slice(11, 19)} UTC`,
  );
  const fleet = await launch(n, interval);
  const result: SearchResult = {
    interval,
    largestMet: 0,
    smallestMissed: null,
    ended: 'budget',
    best: null,
    probes: [],
  };
  let killed: string[] = [];
  try {
    let since = new Date(Date.now() - 1000);
    let shrunkAt = 0;
    for (;;) {
      // A probe's settling counts against the budget as its window does.
      if (Date.now() + SETTLE_INTERVALS * interval * 1000 + windowMs + 30_000 > deadline) break;
      const warmStart = Date.now();
      const warm = await warmUp(fleet, since, deadline - windowMs);
      if (shrunkAt > 0) await sleep(Math.max(0, shrunkAt + RECONCILE_MS - Date.now()));
      const warmUpSeconds = (Date.now() - warmStart) / 1000;
      if (!warm.done) {
        console.log(`  ${n} exchangers: ${warm.cold} feeds still unread at the budget's end; search stopped`);
        break;
      }
      console.log(`  ${n} exchangers: every feed read once after ${warmUpSeconds.toFixed(0)} s`);
      const settled = await settle(fleet, n, interval, SETTLE_INTERVALS);
      const probe = await measure(fleet, n, interval, windowMs, warmUpSeconds, settled);
      printProbe(probe);
      result.probes.push(probe);
      if (probe.met && n > result.largestMet) {
        result.largestMet = n;
        result.best = probe;
      }
      if (!probe.met) result.smallestMissed = Math.min(result.smallestMissed ?? Infinity, n);
      const lo = result.largestMet;
      const hi = result.smallestMissed;
      let next: number;
      if (hi === null) {
        if (n >= max) {
          result.ended = 'max';
          break;
        }
        next = Math.min(max, 2 * n);
      } else if (lo === 0) {
        if (n <= min) {
          result.ended = 'min';
          break;
        }
        next = Math.max(min, Math.floor(n / 2));
      } else {
        if (hi - lo <= Math.max(step, resolution * lo)) {
          result.ended = 'resolution';
          break;
        }
        next = Math.round((lo + hi) / 2 / (step / 10)) * (step / 10);
      }
      const resized = await fleet.resize(next);
      console.log(
        `  → ${next} exchangers (${resized.added} feeds added, ${resized.disabled} disabled; largest met ${lo || 'none'}, smallest missed ${hi ?? 'none'})`,
      );
      shrunkAt = resized.disabled > 0 ? Date.now() : 0;
      since = new Date(Date.now());
      n = next;
    }
  } finally {
    killed = (await fleet.stop()).killed;
  }
  if (killed.length > 0) console.log(`  SIGKILLed at the end (no CPU profile from them): ${killed.join(', ')}`);
  return result;
}

function printSummary(searches: SearchResult[], target: { met: boolean }): void {
  console.log(
    `\nScale search summary (${WORKERS} worker(s), ${OFFERS} offers an exchanger, ${CHANGE * 100} % changing; load now ${loadAverage()})`,
  );
  const header = [
    'interval',
    'largest met',
    'smallest missed',
    'ended',
    'polled /s',
    'written /s',
    'offers/s per worker core',
    'CPU per process (% of a core)',
  ];
  const lines = searches.map((s) => [
    `${s.interval} s`,
    s.largestMet ? String(s.largestMet) : 'none',
    s.smallestMissed === null ? 'none' : String(s.smallestMissed),
    s.ended,
    s.best ? s.best.offersPolledPerSecond.toFixed(0) : '',
    s.best ? s.best.offersWrittenPerSecond.toFixed(0) : '',
    s.best ? s.best.offersPerWorkerCore.toFixed(0) : '',
    s.best
      ? s.best.processes.map((p) => `${p.process.replace(' (all)', '')} ${p.cpuPercent.toFixed(0)}`).join(', ')
      : '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) => `  ${cells.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`.trimEnd();
  console.log([row(header), row(widths.map((w) => '-'.repeat(w))), ...lines.map(row)].join('\n'));
  console.log(
    `  target ${TARGET.exchangers.toLocaleString('en-US')} exchangers × 2000 offers @ ${TARGET.interval} s: ${quick ? 'not measured (--quick)' : target.met ? 'met' : 'MISSED'}`,
  );
}

async function runSearch(): Promise<void> {
  const intervals = quick ? [5, 10] : values.intervals.split(',').map(Number);
  const budgetMs = (quick ? 6 : Number(values.budget)) * 60_000;
  const startedAt = Date.now();
  const searches: SearchResult[] = [];
  for (const [i, interval] of intervals.entries()) {
    // Each interval gets an equal share of what is left, so an early search that ends soon leaves more.
    const deadline = Date.now() + (startedAt + budgetMs - Date.now()) / (intervals.length - i);
    const previous = searches.at(-1);
    const first = previous?.largestMet
      ? Math.round((previous.largestMet * interval) / previous.interval)
      : quick
        ? 10
        : Number(values.start);
    searches.push(await search(interval, first, deadline));
  }
  const at15 = searches.find((s) => s.interval === TARGET.interval);
  const target = {
    ...TARGET,
    offers: OFFERS,
    met: !quick && OFFERS >= 2000 && (at15?.largestMet ?? 0) >= TARGET.exchangers,
  };
  printSummary(searches, target);
  console.log(
    `results written to ${writeResults('scale', { mode: 'search', quick, budgetMinutes: budgetMs / 60_000, searches, target, loadAverage: loadAverage() })}`,
  );
}

async function runSingle(): Promise<void> {
  const exchangers = quick ? 20 : Number(values.exchangers);
  const interval = quick ? 10 : Number(values.interval);
  const windowMs = (quick ? 0.5 : Number(values.minutes)) * 60_000;
  const fleet = await launch(exchangers, interval);
  try {
    // Warm-up: the first snapshot of every feed (exchangers × offers inserts) is a one-off, not the
    // market's cadence; measuring starts once every feed has been read once.
    const warmStart = Date.now();
    const warm = await warmUp(fleet, new Date(0), warmStart + 30 * 60_000);
    if (!warm.done) throw new Error(`${warm.cold} feeds still unread after 30 min`);
    const warmUpSeconds = (Date.now() - warmStart) / 1000;
    console.log(`warm-up: every feed read once after ${warmUpSeconds.toFixed(0)} s`);
    const settled = await settle(fleet, exchangers, interval, SETTLE_INTERVALS);
    const result = await measure(fleet, exchangers, interval, windowMs, warmUpSeconds, settled);
    printProbe(result);
    console.log(`results written to ${writeResults('scale', { mode: 'single', ...result })}`);
  } finally {
    const { killed } = await fleet.stop();
    if (killed.length > 0) console.log(`SIGKILLed at the end (no CPU profile from them): ${killed.join(', ')}`);
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
          ? /"from":"([A-Z0-9]+)","to":"([A-Z0-9]+)","in":"1","out":"[^"]+","amount":"\d+"}/g
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

function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

async function run(): Promise<void> {
  if (values.profile) rmSync(PROFILE_DIR, { recursive: true, force: true });
  if (SEARCH) await runSearch();
  else await runSingle();
  if (!values.profile) return;
  const expected = ['simulator', ...Array.from({ length: WORKERS }, (_, w) => `worker-${w + 1}`)];
  const written = existsSync(PROFILE_DIR) ? readdirSync(PROFILE_DIR) : [];
  const missing = expected.filter((label) => !written.some((f) => f.startsWith(`${label}-`)));
  if (missing.length > 0) console.log(`\nno CPU profile from: ${missing.join(', ')} (killed, or crashed)`);
  // The measured windows' samples: the warm-up's first snapshots and the settling are not the market's cadence.
  const summaries = summarizeProfiles(PROFILE_DIR, measuredWindows.length > 0 ? measuredWindows : null);
  if (measuredWindows.length > 0) console.log('\nCPU profiles of the measured window(s) only');
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
