/**
 * npm run bench:read — the public read path under load. Seeds 500 exchangers with one feed each,
 * 1,000,000 offers in all, 500 of them on BTC→SBERRUB, and the review counts of nine exchangers in ten (the
 * tables LEFT JOIN them, so both a found and a missing standing row are read); starts the api (standalone mode on the local
 * PostgreSQL, a child process) and drives /v1/rates with 50 connections for 10 s (autocannon).
 * Baseline, same run: a bare node:http server (child process) sending the same bytes — the api's body and
 * headers, from one Buffer, kept alive as long. Both are warmed up, then BENCH_RUNS (3) runs alternate
 * between them; the table shows the medians. Targets: ≥ 0.85× the baseline's requests/s, p99 ≤ the
 * baseline's p99 + 2 ms.
 * BENCH_OFFERS (default 1000000), BENCH_SECONDS (10), BENCH_CONNECTIONS (50), BENCH_RUNS (3),
 * BENCH_PROFILE=1 (the api under the V8 profiler: a summary at the end, the raw file in bench-results/profile-read),
 * BENCH_PIN=1 (pin the servers to the last CPU and the load generator to the others).
 * BENCH_KEEP_DB=1 keeps the seeded database (its name is printed); BENCH_REUSE_DB=<that name> runs against it
 * again without seeding (minutes at 1,000,000 offers) and keeps it — for iterating on the api, not for the
 * figures of record (a reused database has the previous runs' history and statistics).
 *
 * Then the calculator on one huge direction (big-direction.ts): BENCH_CALC_OFFERS (default 100000)
 * offers on one direction, event-loop time per uncached calculator request against the same request on
 * a 10-offer direction, BENCH_CALC_ROUNDS (default 20) new amounts of each side. BENCH_ONLY=calculator
 * runs only that part, BENCH_ONLY=load only the first.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Client } from 'pg';
import { BenchRow, printTable, waitForJson, writeResults } from './bench-kit';
import { calculatorRows } from './big-direction';
import { printProfileSummary, summarizeProfiles } from './cpu-profile';
import { loopBlocks, printLoopBlocks } from './loop-blocks';
import { loopDelayOver } from './loop-probe';
import { recordReadMarket, seedReadMarket } from './read-market';
import { createScratchDatabase, LOCAL_POSTGRES_URL, ScratchDatabase } from './scratch-database';

const OFFERS = Number(process.env.BENCH_OFFERS ?? 1_000_000);
/** The offers in the database the runs read: OFFERS once seeded, counted in a reused one. */
let offersInDatabase = OFFERS;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const CALC_OFFERS = Number(process.env.BENCH_CALC_OFFERS ?? 100_000);
const CALC_ROUNDS = Number(process.env.BENCH_CALC_ROUNDS ?? 20);
const ONLY = process.env.BENCH_ONLY ?? '';
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const WARMUP_SECONDS = Math.min(3, SECONDS);
const PROFILE = Boolean(process.env.BENCH_PROFILE);
const PROFILE_DIR = join(process.cwd(), 'bench-results', 'profile-read');
const PATH = '/v1/rates?from=BTC&to=SBERRUB';

async function main(): Promise<void> {
  if (ONLY !== 'calculator') await loadRows();
  if (ONLY !== 'load') {
    const { rows, concurrentStatuses } = await calculatorRows(CALC_OFFERS, CALC_ROUNDS);
    printTable(
      `Calculator on one direction of ${CALC_OFFERS.toLocaleString('en-US')} offers (api in this process)`,
      rows,
    );
    console.log(`20 concurrent new amounts on it with 5 requests of another direction: ${concurrentStatuses}`);
    console.log(
      `results written to ${writeResults('read-calculator', { offers: CALC_OFFERS, rows, concurrentStatuses })}`,
    );
  }
}

async function loadRows(): Promise<void> {
  const reuse = process.env.BENCH_REUSE_DB;
  const db = reuse ? reusedDatabase(reuse) : await createScratchDatabase('rw_bench_read');
  const url = db.url;
  try {
    if (reuse) {
      offersInDatabase = await countOffers(url);
      console.log(`reusing database ${reuse}: ${offersInDatabase.toLocaleString('en-US')} offers`);
    } else {
      const seedMs = await seedReadMarket(url, OFFERS);
      console.log(`seeded ${OFFERS.toLocaleString('en-US')} offers in ${(seedMs / 1000).toFixed(1)} s`);
      const recordMs = await recordReadMarket(url);
      console.log(`recorded its history and rate-guard references in ${(recordMs / 1000).toFixed(1)} s`);
    }
    const results: Record<string, unknown> = {};
    for (const mode of MODES) results[mode] = await loadRowsIn(mode, url);
    console.log(
      `results written to ${writeResults('read', { offers: offersInDatabase, seconds: SECONDS, connections: CONNECTIONS, ...results })}`,
    );
  } finally {
    if (process.env.BENCH_KEEP_DB || reuse) console.log(`kept database ${db.name}`);
    else await db.drop();
  }
}

/**
 * The runs against one api: `standalone` (no REDIS_URL: the one process also polls and runs the housekeeping
 * jobs and the history recorder) or `fleet` (an api replica beside the workers: REDIS_URL set, a prefix of its
 * own; no in-process jobs — the workers, not started here, would run them).
 */
async function loadRowsIn(mode: Mode, url: string): Promise<unknown> {
  const children: ChildProcess[] = [];
  try {
    const apiPort = 3900 + Math.floor(Math.random() * 50);
    // BENCH_PROFILE=1 writes a CPU profile of the api to bench-results/profile-read/ (open it in Chrome DevTools).
    const profileDir = join(PROFILE_DIR, mode);
    if (PROFILE) rmSync(profileDir, { recursive: true, force: true });
    const profile = PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, '--cpu-prof-name=api.cpuprofile'] : [];
    // Both servers carry the loop probe: its event-loop delay beside the client's latency, the same cost to each.
    rmSync(LOOP_FILES.api, { force: true });
    rmSync(LOOP_FILES.bare, { force: true });
    const apiChild = startChild([...profile, ...LOOP_PROBE, 'dist/apps/api/src/main.js'], {
      LOOP_PROBE_FILE: LOOP_FILES.api,
      DATABASE_URL: url,
      PORT: String(apiPort),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      PUBLIC_RATE_LIMIT: '0',
      SHUTDOWN_DRAIN_SECONDS: '0',
      ...(mode === 'fleet'
        ? { REDIS_URL: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379', REDIS_PREFIX: `rwbench${process.pid}` }
        : {}),
    });
    children.push(apiChild);
    PIDS.api = apiChild.pid!;
    const api = `http://127.0.0.1:${apiPort}`;
    await waitForJson(`${api}/health/ready`);
    // Ready is not settled: the api reads the whole market for its USD values as it starts (seconds at
    // 1,000,000 offers, in the background). A deployment serves most of its requests after that; so does the
    // bench: a table sorted by rankrate waits for those values, then the loop must stay quiet for 3 s.
    const readyAt = Date.now();
    await (await fetch(`${api}${PATH}&sort=rankrate`)).text();
    await settled(LOOP_FILES.api);
    const settledMs = Date.now() - readyAt;
    console.log(
      `\n${mode}: api ready, settled ${(settledMs / 1000).toFixed(1)} s later; load average ${loadAverage()}`,
    );

    // The baseline sends the api's own answer: the same body and the same headers (Date and Connection
    // aside, which node:http adds to both), kept alive as long, from a Buffer made once.
    const answer = await fetch(api + PATH);
    const body = await answer.text();
    const headers: Record<string, string> = {};
    answer.headers.forEach((value, name) => {
      if (!UNCOPIED_HEADERS.has(name)) headers[name] = value;
    });
    const keepAliveSeconds = Number(/timeout=(\d+)/.exec(answer.headers.get('keep-alive') ?? '')?.[1] ?? 5);
    const basePort = apiPort + 100;
    const bareChild = startChild([...LOOP_PROBE, '-e', BARE_SERVER], {
      LOOP_PROBE_FILE: LOOP_FILES.bare,
      BODY: body,
      HEADERS: JSON.stringify(headers),
      KEEP_ALIVE_MS: String(keepAliveSeconds * 1000),
      PORT: String(basePort),
    });
    children.push(bareChild);
    PIDS.bare = bareChild.pid!;
    const bare = `http://127.0.0.1:${basePort}${PATH}`;
    await waitForJson(bare);
    const bareAnswer = await fetch(bare);
    if ((await bareAnswer.text()) !== body) throw new Error('the bare server does not send the same body');

    // Warm-up (JIT, connection pools) of both, then the runs alternate so a busy moment of the shared
    // machine hits both alike; medians of BENCH_RUNS.
    await load(bare, WARMUP_SECONDS);
    await load(api + PATH, WARMUP_SECONDS);
    await load(`${api}${PATH}&amount=0.5`, WARMUP_SECONDS);
    const runs: Array<{
      bare: autocannon.Result;
      rates: autocannon.Result;
      withAmount: autocannon.Result;
      loop: { bare: LoopFigures; rates: LoopFigures };
      cpuUsPerAnswer: { bare: number; rates: number };
      cache: CacheLookups;
    }> = [];
    for (let i = 0; i < RUNS; i++) {
      // Alternating which goes first, so neither always gets the quieter half of a busy minute.
      let bareRun: Probed;
      let ratesRun: Probed;
      let cache: CacheLookups;
      if (i % 2 === 0) {
        bareRun = await probed(bare, 'bare');
        ({ run: ratesRun, cache } = await counted(api, () => probed(api + PATH, 'api')));
      } else {
        ({ run: ratesRun, cache } = await counted(api, () => probed(api + PATH, 'api')));
        bareRun = await probed(bare, 'bare');
      }
      const amountRun = await load(`${api}${PATH}&amount=0.5`);
      runs.push({
        bare: bareRun.result,
        rates: ratesRun.result,
        withAmount: amountRun,
        loop: { bare: bareRun.loop, rates: ratesRun.loop },
        cpuUsPerAnswer: { bare: bareRun.cpuUsPerAnswer, rates: ratesRun.cpuUsPerAnswer },
        cache,
      });
      console.log(
        `run ${i + 1}/${RUNS}: bare ${Math.round(bareRun.result.requests.average)} req/s p99 ${bareRun.result.latency.p99} ms, ` +
          `api ${Math.round(ratesRun.result.requests.average)} req/s p99 ${ratesRun.result.latency.p99} ms ` +
          `(${(ratesRun.result.requests.average / bareRun.result.requests.average).toFixed(2)}×), ` +
          `calculator ${Math.round(amountRun.requests.average)} req/s; load average ${loadAverage()}\n` +
          `  event loop under load: bare ${loopText(bareRun.loop)}; api ${loopText(ratesRun.loop)}\n` +
          `  server CPU per answer: bare ${cpuText(bareRun)}, api ${cpuText(ratesRun)} ` +
          `(${(ratesRun.cpuUsPerAnswer / bareRun.cpuUsPerAnswer).toFixed(2)}×)\n` +
          `  api answer cache during its run: ${cache.hit} hits, ${cache.miss} misses, ${cache.refresh} refreshes; ` +
          `answers made in over 0.5 s: ${cache.slowerThanHalfSecond}, over 1 s: ${cache.slowerThanSecond}`,
      );
    }
    const median = (pick: (run: (typeof runs)[number]) => number) => {
      const xs = runs.map(pick).sort((a, b) => a - b);
      return xs[Math.floor(xs.length / 2)]!;
    };
    const baseline = { rps: median((r) => r.bare.requests.average), p99: median((r) => r.bare.latency.p99) };
    const rates = { rps: median((r) => r.rates.requests.average), p99: median((r) => r.rates.latency.p99) };
    const withAmount = {
      rps: median((r) => r.withAmount.requests.average),
      p99: median((r) => r.withAmount.latency.p99),
    };
    // After the load runs, so the JIT is warm: each query below is a new cache key, computed from the database.
    const cold = await coldAnswers(api);
    const row = (figure: string, rps: number, target: string, met: boolean | null): BenchRow => ({
      figure,
      value: rps,
      unit: 'req/s',
      baseline: 'bare node:http, same bytes',
      baselineValue: baseline.rps,
      ratio: rps / baseline.rps,
      target,
      met,
    });
    const latency = (figure: string, ms: number, target: string, met: boolean | null): BenchRow => ({
      figure,
      value: ms,
      unit: 'ms',
      baseline: 'bare node:http p99',
      baselineValue: baseline.p99,
      ratio: ms / Math.max(baseline.p99, 0.01),
      target,
      met,
    });
    const rows = [
      row(
        `GET ${PATH} (${body.length} bytes, 500 offers)`,
        rates.rps,
        '≥ 0.85× baseline',
        rates.rps >= 0.85 * baseline.rps,
      ),
      latency('  p99 latency', rates.p99, '≤ baseline + 2 ms', rates.p99 <= baseline.p99 + 2),
      row('GET … &amount=0.5 (calculator)', withAmount.rps, '', null),
      latency('  p99 latency', withAmount.p99, '', null),
      latency('cold answer, uncached (median of 10 new queries)', cold.median, '≤ 30 ms', cold.median <= 30),
      latency('cold answer with amount (median of 10)', cold.amountMedian, '', null),
    ];
    printTable(
      `Read path, ${MODE_NAMES[mode]} (${CONNECTIONS} connections, ${SECONDS} s, medians of ${RUNS} alternating runs, ` +
        `${offersInDatabase.toLocaleString('en-US')} offers in the database)`,
      rows,
    );
    const errors = runs.reduce(
      (n, r) => n + r.rates.errors + r.rates.non2xx + r.withAmount.errors + r.withAmount.non2xx,
      0,
    );
    const cpu = { bare: median((r) => r.cpuUsPerAnswer.bare), rates: median((r) => r.cpuUsPerAnswer.rates) };
    console.log(
      `server CPU per answer (medians; the figure a busy machine disturbs least): bare ${cpu.bare.toFixed(0)} µs, ` +
        `api ${cpu.rates.toFixed(0)} µs (${(cpu.rates / cpu.bare).toFixed(2)}×)`,
    );
    console.log(`errors and non-2xx answers under load: ${errors}; load average ${loadAverage()}`);
    if (PROFILE) {
      await stopChild(apiChild);
      for (const [file, summary] of Object.entries(summarizeProfiles(profileDir)))
        printProfileSummary(`${file.replace('.cpuprofile', '')} (warm-up, load runs and cold answers)`, summary);
      printLoopBlocks('api, stretches of 10 ms or more', loopBlocks(join(profileDir, 'api.cpuprofile'), 10));
      console.log(`raw .cpuprofile (open in Chrome DevTools) in ${profileDir}`);
    }
    return {
      settledMs,
      runs: runs.map((r) => ({
        bare: { rps: r.bare.requests.average, p99: r.bare.latency.p99 },
        api: { rps: r.rates.requests.average, p99: r.rates.latency.p99 },
        calculator: { rps: r.withAmount.requests.average, p99: r.withAmount.latency.p99 },
        loop: r.loop,
        cpuUsPerAnswer: r.cpuUsPerAnswer,
        cache: r.cache,
      })),
      rows,
      errors,
    };
  } finally {
    await Promise.all(children.map(stopChild));
    for (const file of Object.values(LOOP_FILES)) rmSync(file, { force: true });
  }
}

async function countOffers(url: string): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM offers');
    return rows[0]!.n;
  } finally {
    await client.end();
  }
}

/** A database an earlier run kept (BENCH_KEEP_DB), on the same PostgreSQL; never dropped here. */
function reusedDatabase(name: string): ScratchDatabase {
  if (!/^rw_bench_read_[0-9a-f]+$/.test(name))
    throw new Error(`BENCH_REUSE_DB: not a kept read-bench database: ${name}`);
  const url = new URL(LOCAL_POSTGRES_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), name, drop: () => Promise.resolve() };
}

type Mode = 'standalone' | 'fleet';
const MODE_NAMES: Record<Mode, string> = {
  standalone: 'standalone api (its own jobs in-process)',
  fleet: 'fleet api replica (jobs on the workers)',
};
/** BENCH_MODE: standalone, fleet, or both (default) — one after the other on the same database. */
const MODES: Mode[] = (
  (process.env.BENCH_MODE ?? 'both') === 'both' ? ['standalone', 'fleet'] : [process.env.BENCH_MODE as Mode]
).filter((m) => m === 'standalone' || m === 'fleet');

/** Resolves when the process's loop probe shows it settled: 3 s in a row under 10 % busy (at most 120 s). */
async function settled(probeFile: string): Promise<void> {
  const started = Date.now();
  const quietFor = 3000;
  while (Date.now() - started < 120_000) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = Date.now();
    if (now - started < quietFor) continue;
    const recent = loopDelayOver(probeFile, now - quietFor, now);
    if (recent.samples >= 5 && recent.eluMax < 0.1) return;
  }
}

interface CacheLookups {
  hit: number;
  miss: number;
  refresh: number;
  /** Answers made anew (for a reader or ahead of expiry) that took over 0.5 s, and over 1 s. */
  slowerThanHalfSecond: number;
  slowerThanSecond: number;
}

/** The api's answer-cache lookups (from /metrics) during `work`. */
async function counted<T>(api: string, work: () => Promise<T>): Promise<{ run: T; cache: CacheLookups }> {
  const before = await cacheLookups(api);
  const run = await work();
  const after = await cacheLookups(api);
  return {
    run,
    cache: {
      hit: after.hit - before.hit,
      miss: after.miss - before.miss,
      refresh: after.refresh - before.refresh,
      slowerThanHalfSecond: after.slowerThanHalfSecond - before.slowerThanHalfSecond,
      slowerThanSecond: after.slowerThanSecond - before.slowerThanSecond,
    },
  };
}

async function cacheLookups(api: string): Promise<CacheLookups> {
  const text = await (await fetch(`${api}/metrics`)).text();
  const sum = (pattern: RegExp) => {
    let n = 0;
    for (const line of text.split('\n')) {
      const value = pattern.exec(line)?.[1];
      if (value !== undefined) n += Number(value);
    }
    return n;
  };
  const count = (result: string) =>
    sum(new RegExp(`^ratewatch_public_cache_lookups_total\\{result="${result}"[^}]*\\} (\\S+)`));
  // Computations over a bound: all of them (+Inf) less those within it, misses and refreshes together.
  const slower = (le: string) =>
    sum(/^ratewatch_public_cache_compute_seconds_bucket\{[^}]*le="\+Inf"[^}]*\} (\S+)/) -
    sum(new RegExp(`^ratewatch_public_cache_compute_seconds_bucket\\{[^}]*le="${le}"[^}]*\\} (\\S+)`));
  return {
    hit: count('hit'),
    miss: count('miss'),
    refresh: count('refresh'),
    slowerThanHalfSecond: slower('0.5'),
    slowerThanSecond: slower('1'),
  };
}

type LoopFigures = ReturnType<typeof loopDelayOver>;
interface Probed {
  result: autocannon.Result;
  loop: LoopFigures;
  /** The server process's CPU time (user + system) during the run, per answer sent, µs. */
  cpuUsPerAnswer: number;
}

const LOOP_PROBE = ['-r', join(__dirname, 'loop-probe.js')];
const LOOP_FILES = {
  api: join(tmpdir(), `ratewatch-read-bench-loop-api-${process.pid}.jsonl`),
  bare: join(tmpdir(), `ratewatch-read-bench-loop-bare-${process.pid}.jsonl`),
};

/** The server processes' pids (their CPU time is read from /proc). */
const PIDS: Record<keyof typeof LOOP_FILES, number> = { api: 0, bare: 0 };

/**
 * A load run and what the server did meanwhile: its event loop (its probe's intervals inside the run) and its
 * CPU time per answer — on a shared machine the rate of answers follows what else runs, the CPU an answer
 * costs much less so.
 */
async function probed(url: string, server: keyof typeof LOOP_FILES): Promise<Probed> {
  const started = Date.now();
  const cpuBefore = cpuMs(PIDS[server]);
  const result = await load(url);
  const cpuAfter = cpuMs(PIDS[server]);
  // The probe writes every 500 ms: the interval that holds the run's end is written by then.
  await new Promise((resolve) => setTimeout(resolve, 600));
  const answers = Math.max(1, result.requests.total);
  return {
    result,
    loop: loopDelayOver(LOOP_FILES[server], started, Date.now()),
    cpuUsPerAnswer: ((cpuAfter - cpuBefore) * 1000) / answers,
  };
}

/** A process's CPU time so far (user + system), ms; NaN where /proc is not there. */
function cpuMs(pid: number): number {
  try {
    // After the command's closing parenthesis: state is field 3, utime and stime fields 14 and 15 (clock ticks).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}
/** USER_HZ: 100 on Linux (getconf CLK_TCK). */
const CLOCK_TICKS = 100;

function cpuText(run: Probed): string {
  return `${run.cpuUsPerAnswer.toFixed(0)} µs`;
}

function loopText(loop: LoopFigures): string {
  return `delay p99 ≤ ${loop.p99} ms, max ${loop.max} ms, busy ${Math.round(100 * loop.elu)} %, GC ${Math.round(loop.gcMs)} ms`;
}

/** Headers node:http writes by itself (or per connection), left out of the copy the baseline sends. */
const UNCOPIED_HEADERS = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);

const BARE_SERVER = `
const headers = JSON.parse(process.env.HEADERS);
const body = Buffer.from(process.env.BODY);
const server = require('node:http').createServer((q, s) => { s.writeHead(200, headers); s.end(body); });
server.keepAliveTimeout = Number(process.env.KEEP_ALIVE_MS);
server.listen(Number(process.env.PORT), '127.0.0.1');`;

async function coldAnswers(api: string): Promise<{ median: number; amountMedian: number }> {
  const time = async (path: string) => {
    const started = performance.now();
    const response = await fetch(api + path);
    await response.text();
    return performance.now() - started;
  };
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const plain: number[] = [];
  const amounts: number[] = [];
  // Each limit value is a new cache key: the answer is computed from the database every time.
  for (let i = 0; i < 10; i++) plain.push(await time(`${PATH}&limit=${200 + i}`));
  for (let i = 0; i < 10; i++) amounts.push(await time(`${PATH}&amount=0.0${i + 1}`));
  return { median: median(plain), amountMedian: median(amounts) };
}

function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

function load(url: string, seconds = SECONDS): Promise<autocannon.Result> {
  return autocannon({ url, connections: CONNECTIONS, duration: seconds });
}

/** SIGTERM, then waits for the exit (a profiled api writes its profile on the way out). */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/**
 * With BENCH_PIN=1, the CPU the servers (the api and the bare server, one at a time) are pinned to, the load
 * generator (this process) kept off it: on a small machine autocannon, the server under test and PostgreSQL
 * otherwise share every core. Not the default: on the 2-core VM it steadied the bare server (16.7k–23.5k
 * req/s across runs, 9.7k–18.9k unpinned) but not the fleet replica (0.41–1.09× the bare server), whose
 * threads (GC helpers included) then share one core. Without `taskset` or with one CPU it does nothing.
 */
const PINNED_CPU = pinnedCpu();

function pinnedCpu(): number | null {
  if (process.env.BENCH_PIN !== '1' || availableParallelism() < 2) return null;
  try {
    const last = availableParallelism() - 1;
    execFileSync('taskset', ['-a', '-p', '-c', `0-${last - 1}`, String(process.pid)], { stdio: 'ignore' });
    return last;
  } catch {
    return null;
  }
}

function startChild(args: string[], env: Record<string, string>): ChildProcess {
  const [command, commandArgs] =
    PINNED_CPU === null ? [process.execPath, args] : ['taskset', ['-c', String(PINNED_CPU), process.execPath, ...args]];
  const child = spawn(command, commandArgs, {
    cwd: join(__dirname, '../../..'),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return child;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
