/**
 * npm run bench:routes — GET /v1/routes at BestChange scale. Seeds the market of bench:read (500 exchangers
 * with one feed each, 1,000,000 offers, 500 of them on BTC→SBERRUB; its seeding copied, as read.bench.ts
 * runs itself when imported), starts the api (standalone mode on the local PostgreSQL, a child process),
 * and asks it for routes over a spread of directions and amounts.
 *
 * Every request is a new answer (a new amount each time: no answer cache hit), from BENCH_CONCURRENCY (4)
 * clients at once. Baseline, same run and same requests: GET /v1/rates of the same direction with the same
 * amount (the calculator on one direction; a route ranks 1 + 5 × (1 + 3) tables on 11 kept directions).
 * Each round asks BENCH_DIRECTIONS (60) directions once each by both endpoints, alternating which goes
 * first; the first round meets books not read yet (reported apart as "cold"), the next BENCH_ROUNDS (10)
 * the books the api keeps (PUBLIC_CACHE_SECONDS). BENCH_RUNS (3) runs; the table shows medians.
 * Target: p99 ≤ 20 ms for routes at 1,000,000 offers. The first answer reads the whole market for the
 * intermediates (MarketValues), timed apart.
 * Answers other than 200 are counted and shown, not timed.
 * BENCH_WARMUP_RUNS (1) runs of the same shape on other directions go first, untimed (V8 compiles the api's
 * code meanwhile: the first timed run had twice the CPU per answer of the third without it).
 * BENCH_OFFERS (default 1000000), BENCH_DIRECTIONS, BENCH_ROUNDS, BENCH_CONCURRENCY, BENCH_RUNS,
 * BENCH_CACHE_SECONDS (the api's PUBLIC_CACHE_SECONDS: how long it keeps a direction's rows; default the api's 2),
 * BENCH_KEEP_DB=1 (keep the seeded database), BENCH_DB=<name> (run on a kept one, no seeding),
 * BENCH_PROFILE=1 (the api under the V8 profiler: a summary at the end, the raw file in bench-results/profile-routes).
 * Each run also gives the api's CPU time per answer (both endpoints, from /proc where there is one): unlike
 * the latencies, hardly moved by other processes on the machine, so runs on a busy machine still compare.
 *
 * Statements per answer: after the runs, where pg_stat_statements can be created in the database, ten
 * directions of the last run are asked twice more by each endpoint one request at a time (a new amount
 * each; the second pass on the books the first kept, when PUBLIC_CACHE_SECONDS has not passed), and the statements the api ran meanwhile are counted per answer (a difference of
 * two snapshots of this database's entries; the api's background work in between is counted too).
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { readBundledCatalog } from '@app/database';
import { BenchRow, printTable, waitForJson, writeResults } from './bench-kit';
import { printProfileSummary, summarizeProfiles } from './cpu-profile';
import { seedReadMarket } from './read-market';
import { createScratchDatabase, LOCAL_POSTGRES_URL, ScratchDatabase } from './scratch-database';

const OFFERS = Number(process.env.BENCH_OFFERS ?? 1_000_000);
const DIRECTIONS = Number(process.env.BENCH_DIRECTIONS ?? 60);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
/** Untimed runs first, on other directions: the api's code is compiled by V8 before anything is timed. */
const WARMUP_RUNS = Number(process.env.BENCH_WARMUP_RUNS ?? 1);
const TARGET_P99_MS = 20;
const PROFILE = Boolean(process.env.BENCH_PROFILE);
const PROFILE_DIR = join(process.cwd(), 'bench-results', 'profile-routes');

interface Timings {
  routes: number[];
  rates: number[];
}

/** Answers other than 200 (a 503 when the pool's wait times out under load), by endpoint and status. */
const errors = new Map<string, number>();

async function main(): Promise<void> {
  // BENCH_DB=<name>: a database a run before kept (BENCH_KEEP_DB=1), used as it is: no seeding, not dropped.
  const reused = process.env.BENCH_DB;
  const db = reused ? existingDatabase(reused) : await createScratchDatabase('rw_bench_routes');
  const url = new URL(db.url);
  let api: ChildProcess | null = null;
  try {
    if (reused) console.log(`using database ${reused} as it is`);
    else {
      const seedMs = await seedReadMarket(url.toString(), OFFERS);
      console.log(`seeded ${OFFERS.toLocaleString('en-US')} offers in ${(seedMs / 1000).toFixed(1)} s`);
    }
    const port = 3960 + Math.floor(Math.random() * 30);
    if (PROFILE) rmSync(PROFILE_DIR, { recursive: true, force: true });
    const profile = PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, '--cpu-prof-name=api.cpuprofile'] : [];
    api = startChild([...profile, 'dist/apps/api/src/main.js'], {
      DATABASE_URL: url.toString(),
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      PUBLIC_RATE_LIMIT: '0',
      SHUTDOWN_DRAIN_SECONDS: '0',
      // BENCH_CACHE_SECONDS: how long the api keeps a direction's rows (and answers); the default is the api's.
      ...(process.env.BENCH_CACHE_SECONDS ? { PUBLIC_CACHE_SECONDS: process.env.BENCH_CACHE_SECONDS } : {}),
    });
    const base = `http://127.0.0.1:${port}`;
    await waitForJson(`${base}/health/ready`);

    // The first answers: the first reads the whole market (medians, best rates) for the intermediates.
    const firstRates = (await timed(`${base}/v1/rates?from=BTC&to=SBERRUB&amount=0.5`)) ?? NaN;
    const firstRoutes = (await timed(`${base}/v1/routes?from=BTC&to=SBERRUB&amount=0.5`)) ?? NaN;
    const sample = (await (await fetch(`${base}/v1/routes?from=BTC&to=SBERRUB&amount=0.5`)).json()) as {
      direct: unknown[];
      routes: unknown[];
      intermediates: string[];
    };
    console.log(
      `first answers: /v1/rates ${firstRates.toFixed(1)} ms, /v1/routes ${firstRoutes.toFixed(1)} ms (reads the market); ` +
        `BTC→SBERRUB 0.5: ${sample.direct.length} direct, ${sample.routes.length} routes through ${sample.intermediates.join(', ')}`,
    );

    // The seeded market spreads its offers over every code but BTC and SBERRUB (only BTC→SBERRUB has those).
    const codes = readBundledCatalog()
      .map((c) => c.code)
      .filter((c) => c !== 'BTC' && c !== 'SBERRUB');
    const runs: Array<{ cold: Timings; warm: Timings; load: number[]; cpuMsPerAnswer: number | null }> = [];
    let serial = 0;
    const amountOf = (i: number) => {
      serial++;
      // A new amount for every request: 1 to 1,000 with two decimals, never asked before in this run.
      return `${1 + ((serial * 7919 + i * 104729) % 1000)}.${String(serial % 100).padStart(2, '0')}${serial}`;
    };
    let directions: Array<[string, string]> = [];
    for (let run = -WARMUP_RUNS; run < RUNS; run++) {
      directions = pickDirections(codes, DIRECTIONS, run);
      const cold: Timings = { routes: [], rates: [] };
      const warm: Timings = { routes: [], rates: [] };
      const cpuBefore = cpuMsOf(api.pid);
      for (let round = 0; round <= ROUNDS; round++) {
        const into = round === 0 ? cold : warm;
        const queries = directions.map(([from, to], i) => ({
          from,
          to,
          amount: amountOf(i),
          routesFirst: (round + i) % 2 === 0,
        }));
        await inParallel(queries, CONCURRENCY, async (q) => {
          const query = `from=${q.from}&to=${q.to}&amount=${q.amount}`;
          const order = q.routesFirst ? (['routes', 'rates'] as const) : (['rates', 'routes'] as const);
          for (const which of order) {
            const ms = await timed(`${base}/v1/${which}?${query}`, which);
            if (ms !== null) into[which].push(ms);
          }
        });
      }
      const figures = {
        cold: summarize(cold),
        warm: summarize(warm),
      };
      if (run < 0) {
        console.log(`warm-up run ${run + WARMUP_RUNS + 1}/${WARMUP_RUNS} (untimed, other directions)`);
        continue;
      }
      const cpuAfter = cpuMsOf(api.pid);
      const answers = cold.routes.length + cold.rates.length + warm.routes.length + warm.rates.length;
      const cpuMsPerAnswer =
        cpuBefore === null || cpuAfter === null || answers === 0 ? null : (cpuAfter - cpuBefore) / answers;
      runs.push({ cold, warm, load: loadavg(), cpuMsPerAnswer });
      console.log(
        `run ${run + 1}/${RUNS}: routes p50 ${figures.warm.routes.p50.toFixed(1)} ms p99 ${figures.warm.routes.p99.toFixed(1)} ms, ` +
          `rates p50 ${figures.warm.rates.p50.toFixed(1)} ms p99 ${figures.warm.rates.p99.toFixed(1)} ms ` +
          `(${warm.routes.length} each); cold routes p99 ${figures.cold.routes.p99.toFixed(1)} ms; ` +
          `api CPU ${cpuMsPerAnswer === null ? 'n/a' : cpuMsPerAnswer.toFixed(2)} ms per answer; ` +
          `load average ${loadavg()
            .map((l) => l.toFixed(2))
            .join(' ')}`,
      );
    }
    const statements = await statementsPerAnswer(db.url, async (which) => {
      for (const [i, [from, to]] of directions.slice(0, 10).entries())
        await timed(`${base}/v1/${which}?from=${from}&to=${to}&amount=${amountOf(i)}`, which);
      return Math.min(10, directions.length);
    });
    const medianOf = (pick: (s: ReturnType<typeof summarize>) => number, phase: 'cold' | 'warm') => {
      const xs = runs.map((r) => pick(summarize(r[phase]))).sort((a, b) => a - b);
      return xs[Math.floor(xs.length / 2)]!;
    };
    const row = (
      figure: string,
      value: number,
      baseline: number,
      target: string,
      met: boolean | null,
      baselineName = '/v1/rates?amount= same requests',
    ): BenchRow => ({
      figure,
      value,
      unit: 'ms',
      baseline: baselineName,
      baselineValue: baseline,
      ratio: value / Math.max(baseline, 0.01),
      target,
      met,
    });
    const warmP99 = medianOf((s) => s.routes.p99, 'warm');
    const rows = [
      row(
        'GET /v1/routes p50 (new amount each, kept books)',
        medianOf((s) => s.routes.p50, 'warm'),
        medianOf((s) => s.rates.p50, 'warm'),
        '',
        null,
      ),
      row(
        '  p99',
        warmP99,
        medianOf((s) => s.rates.p99, 'warm'),
        `≤ ${TARGET_P99_MS} ms`,
        warmP99 <= TARGET_P99_MS,
      ),
      row(
        'GET /v1/routes p50, cold (books read from PostgreSQL)',
        medianOf((s) => s.routes.p50, 'cold'),
        medianOf((s) => s.rates.p50, 'cold'),
        '',
        null,
      ),
      row(
        '  p99, cold',
        medianOf((s) => s.routes.p99, 'cold'),
        medianOf((s) => s.rates.p99, 'cold'),
        '',
        null,
      ),
      row('first /v1/routes (reads the whole market)', firstRoutes, firstRates, '', null, 'first /v1/rates'),
    ];
    printTable(
      `Routes (${DIRECTIONS} directions × ${ROUNDS} rounds, ${CONCURRENCY} clients, medians of ${RUNS} runs, ` +
        `${OFFERS.toLocaleString('en-US')} offers in the database)`,
      rows,
    );
    if (statements) {
      for (const which of ['routes', 'rates'] as const) {
        const { perAnswer, top } = statements[which];
        console.log(`statements per /v1/${which} answer: ${perAnswer.toFixed(1)}`);
        for (const st of top) console.log(`  ${st.calls.toFixed(1).padStart(6)}  ${st.query}`);
      }
    } else console.log('statements per answer: pg_stat_statements is not available in this database');
    console.log(
      `answers other than 200: ${errors.size === 0 ? 'none' : [...errors].map(([k, n]) => `${k} ×${n}`).join(', ')}; ` +
        `load average ${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}`,
    );
    console.log(
      `results written to ${writeResults('routes', {
        offers: OFFERS,
        directions: DIRECTIONS,
        rounds: ROUNDS,
        concurrency: CONCURRENCY,
        runs: runs.map((r) => ({
          cold: summarize(r.cold),
          warm: summarize(r.warm),
          loadAverage: r.load,
          apiCpuMsPerAnswer: r.cpuMsPerAnswer,
        })),
        first: { rates: firstRates, routes: firstRoutes },
        errors: Object.fromEntries(errors),
        statements,
        rows,
      })}`,
    );
    if (PROFILE) {
      await stopChild(api);
      for (const [file, summary] of Object.entries(summarizeProfiles(PROFILE_DIR)))
        printProfileSummary(
          `${file.replace('.cpuprofile', '')} (first answers, runs and the statement count)`,
          summary,
        );
      console.log(`raw .cpuprofile (open in Chrome DevTools) in ${PROFILE_DIR}`);
    }
  } finally {
    if (api) await stopChild(api);
    if (process.env.BENCH_KEEP_DB || reused) console.log(`kept database ${db.name}`);
    else await db.drop();
  }
}

type StatementCounts = Map<string, number>;

/**
 * The statements the api runs per answer of each endpoint: `ask(endpoint)` asks some answers one at a time
 * and says how many; null when pg_stat_statements cannot be used in the database.
 */
async function statementsPerAnswer(
  dbUrl: string,
  ask: (which: 'routes' | 'rates') => Promise<number>,
): Promise<Record<'routes' | 'rates', { perAnswer: number; top: Array<{ query: string; calls: number }> }> | null> {
  const client = new Client({ connectionString: dbUrl });
  await client.connect();
  try {
    const usable = await client
      .query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements')
      .then(() => client.query('SELECT count(*) FROM pg_stat_statements'))
      .then(
        () => true,
        () => false,
      );
    if (!usable) return null;
    const counts = async (): Promise<StatementCounts> => {
      const { rows } = await client.query<{ query: string; calls: string }>(
        `SELECT query, sum(calls)::text AS calls FROM pg_stat_statements
         WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND query NOT LIKE '%pg_stat_statements%' GROUP BY query`,
      );
      return new Map(rows.map((r) => [r.query, Number(r.calls)]));
    };
    const out = {} as Record<'routes' | 'rates', { perAnswer: number; top: Array<{ query: string; calls: number }> }>;
    for (const which of ['routes', 'rates'] as const) {
      // The first pass keeps the books (and MarketValues' valuation); the second is counted.
      await ask(which);
      const before = await counts();
      const answers = await ask(which);
      const after = await counts();
      const calls = [...after]
        .map(([query, n]) => ({
          query: query.replace(/\s+/g, ' ').slice(0, 110),
          calls: (n - (before.get(query) ?? 0)) / answers,
        }))
        .filter((st) => st.calls > 0)
        .sort((a, b) => b.calls - a.calls);
      out[which] = { perAnswer: calls.reduce((n, st) => n + st.calls, 0), top: calls.slice(0, 6) };
    }
    return out;
  } finally {
    await client.end();
  }
}

/** CPU time (user + system) a process has used so far, in ms, from /proc; null where that cannot be read. */
function cpuMsOf(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is the 3rd field, utime the 14th, stime the 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks();
  } catch {
    return null;
  }
}

let ticks: number | null = null;
function clockTicks(): number {
  ticks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticks;
}

function existingDatabase(name: string): ScratchDatabase {
  const url = new URL(LOCAL_POSTGRES_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), name, drop: () => Promise.resolve() };
}

/** Directions spread over the catalog (a seeded walk, different per run), BTC→SBERRUB first. */
function pickDirections(codes: string[], count: number, run: number): Array<[string, string]> {
  const picked: Array<[string, string]> = [['BTC', 'SBERRUB']];
  let state = 12345 + run * 7777;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state;
  };
  while (picked.length < count) {
    const from = codes[next() % codes.length]!;
    const to = codes[next() % codes.length]!;
    if (from !== to) picked.push([from, to]);
  }
  return picked;
}

function summarize(t: Timings): { routes: { p50: number; p99: number }; rates: { p50: number; p99: number } } {
  return { routes: percentiles(t.routes), rates: percentiles(t.rates) };
}

function percentiles(xs: number[]): { p50: number; p99: number } {
  const sorted = [...xs].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
  return { p50: at(0.5), p99: at(0.99) };
}

/** The time of one answer, or null (counted in `errors`) when it is not a 200. */
async function timed(url: string, endpoint = 'first'): Promise<number | null> {
  const started = performance.now();
  const response = await fetch(url);
  await response.arrayBuffer();
  const ms = performance.now() - started;
  if (response.status === 200) return ms;
  const key = `${endpoint} ${response.status}`;
  errors.set(key, (errors.get(key) ?? 0) + 1);
  return null;
}

async function inParallel<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

function startChild(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, args, {
    cwd: join(__dirname, '../../..'),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
