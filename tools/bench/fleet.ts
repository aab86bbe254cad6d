import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { migrateAndSeed } from '@app/database';
import { waitForJson } from './bench-kit';
import { createScratchDatabase } from './scratch-database';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const ROOT = join(__dirname, '../../..');
/**
 * Where each fleet process's log goes (warnings and errors: LOG_LEVEL warn), one file a process, replaced by the
 * next fleet: a failed poll's stored error names only its kind, and its cause is in the worker's log.
 */
export const FLEET_LOGS = join(ROOT, 'bench-results', 'fleet-logs');

/**
 * The V8 flags the services run with — the start scripts (package.json) and the image (Dockerfile's
 * NODE_OPTIONS) give the api and the worker the same; the fleet runs them so, to measure what ships.
 * A young generation of 64 MiB semi-spaces instead of 16: a poll's garbage (its body, items, rows and
 * statements, a few MB) mostly dies in it instead of being promoted and marked in the old generation —
 * bench:scale 250 @ 15 s: garbage collection 11-12 % → 9-10 % of a worker's samples, worker CPU 33 % → 27 % a
 * worker, at up to ~100 MB more resident memory per process.
 */
export const SERVICE_NODE_FLAGS = ['--max-semi-space-size=64'] as const;

export interface FleetOptions {
  exchangers: number;
  offers: number;
  interval: number;
  change: number;
  workers: number;
  /** Environment for the api and the workers, on top of the database and Redis settings. */
  env: Record<string, string>;
  /** Node options per process label (e.g. --cpu-prof for the workers). */
  nodeArgs?: (label: string) => string[];
}

export interface Fleet {
  sim: string;
  api: string;
  /** Each worker's health and metrics port (`/metrics`). */
  workers: string[];
  db: Client;
  /** The scratch database's URL (for more connections than `db`). */
  dbUrl: string;
  feeds: Array<{ slug: string; url: string }>;
  processes: Array<{ name: string; child: ChildProcess }>;
  /**
   * Grows or shrinks the simulated market to `exchangers` (the simulator's POST /resize): feeds of new
   * exchangers are registered, feeds of exchangers gone are disabled (their schedules go at the next
   * reconcile, within a minute), feeds back in range are enabled again.
   */
  resize(exchangers: number): Promise<{ added: number; disabled: number }>;
  /** Stops every process; names the ones that had to be SIGKILLed (a killed process writes no CPU profile). */
  stop(): Promise<{ killed: string[] }>;
}

/**
 * How long a process may take to exit after SIGTERM before it is SIGKILLed: longer than the app's own
 * shutdown timeout (30 s, run-process.ts), so a worker finishing its polls in hand still exits by itself
 * and writes its CPU profile (`--cpu-prof` writes on exit, never on SIGKILL).
 */
const STOP_GRACE_MS = 40_000;

/**
 * Fleet mode for real, on the local PostgreSQL and Redis: a fresh database, the feed simulator, one
 * api and W workers as separate processes from dist/, one exchanger and feed per simulated exchanger.
 * For the scale bench and the load test.
 */
export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const scratch = await createScratchDatabase('rw_bench');
  const dbUrl = new URL(scratch.url);
  const processes: Fleet['processes'] = [];
  const db = new Client({ connectionString: dbUrl.toString() });
  /** The fleet's Redis keys all start with it: the run removes them when it stops. */
  const redisPrefix = `rwbench-${randomBytes(3).toString('hex')}`;
  let vacuuming: { stop(): Promise<void> } | null = null;
  const stop = async () => {
    const killed: string[] = [];
    await vacuuming?.stop();
    await Promise.all(
      [...processes].reverse().map(async ({ name, child }) => {
        if (await stopProcess(child)) killed.push(name);
      }),
    );
    await db.end().catch(() => undefined);
    await scratch.drop();
    await removeRedisKeys(redisPrefix).catch(() => undefined);
    return { killed };
  };
  const registered = new Set<string>();
  /** One exchanger and one feed per simulated exchanger not registered yet. */
  const register = async (list: Array<{ slug: string; url: string }>) => {
    const fresh = list.filter((f) => !registered.has(f.slug));
    if (fresh.length === 0) return 0;
    await db.query(
      `WITH e AS (
         INSERT INTO exchangers (slug, name, site_url, referral_url)
         SELECT slug, slug, 'https://x.example', 'https://x.example/?r=1' FROM unnest($1::text[]) AS slug
         RETURNING id, slug)
       INSERT INTO feeds (exchanger_id, url, interval_s, timeout_ms, stale_after_s)
       SELECT e.id, f.url, $3, $4, $5 FROM e JOIN unnest($1::text[], $2::text[]) AS f (slug, url) ON f.slug = e.slug`,
      [
        fresh.map((f) => f.slug),
        fresh.map((f) => f.url),
        options.interval,
        Math.min(10_000, options.interval * 1000 - 500),
        options.interval * 4,
      ],
    );
    for (const f of fresh) registered.add(f.slug);
    return fresh.length;
  };
  mkdirSync(FLEET_LOGS, { recursive: true });
  const start = (
    label: string,
    script: string,
    args: string[],
    env: Record<string, string>,
    flags: readonly string[] = [],
  ) => {
    const log = openSync(join(FLEET_LOGS, `${label}.log`), 'w');
    const nodeArgs = [...flags, ...(options.nodeArgs?.(label) ?? [])];
    const child = spawn(process.execPath, [...nodeArgs, join(ROOT, script), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', log, 'inherit'],
    });
    closeSync(log);
    processes.push({ name: label, child });
  };
  try {
    await migrateAndSeed(dbUrl.toString());
    const simPort = 4700 + Math.floor(Math.random() * 100);
    const { interval, offers } = options;
    start(
      'simulator',
      'dist/tools/feed-simulator/main.js',
      [
        '--exchangers',
        String(options.exchangers),
        '--port',
        String(simPort),
        '--change',
        String(options.change),
        '--tick',
        String(interval),
        '--min-items',
        String(offers),
        '--max-items',
        String(offers),
      ],
      {},
    );
    const sim = `http://127.0.0.1:${simPort}`;
    const feeds = await waitForJson<Array<{ slug: string; url: string }>>(`${sim}/`);
    await db.connect();
    await register(feeds);
    const env = {
      DATABASE_URL: dbUrl.toString(),
      REDIS_URL,
      REDIS_PREFIX: redisPrefix,
      FETCH_ALLOW_PRIVATE: 'true',
      LOG_LEVEL: 'warn',
      ...options.env,
    };
    const apiPort = simPort + 100;
    start(
      'api',
      'dist/apps/api/src/main.js',
      [],
      { ...env, PORT: String(apiPort), HOST: '127.0.0.1' },
      SERVICE_NODE_FLAGS,
    );
    for (let w = 0; w < options.workers; w++)
      start(
        `worker-${w + 1}`,
        'dist/apps/worker/src/main.js',
        [],
        { ...env, WORKER_PORT: String(apiPort + 1 + w), HOST: '127.0.0.1' },
        SERVICE_NODE_FLAGS,
      );
    const api = `http://127.0.0.1:${apiPort}`;
    await waitForJson(`${api}/health/ready`);
    vacuuming = await standInForAutovacuum(dbUrl.toString(), options.interval);
    const fleet: Fleet = {
      sim,
      api,
      workers: Array.from({ length: options.workers }, (_, w) => `http://127.0.0.1:${apiPort + 1 + w}`),
      db,
      dbUrl: dbUrl.toString(),
      feeds,
      processes,
      stop,
      resize: async (exchangers) => {
        const response = await fetch(`${sim}/resize?exchangers=${exchangers}`, { method: 'POST' });
        if (!response.ok) throw new Error(`simulator resize to ${exchangers}: ${response.status}`);
        const list = (await response.json()) as Array<{ slug: string; url: string }>;
        const added = await register(list);
        const disabled = await db.query(
          `UPDATE feeds f SET enabled = (e.slug = ANY($1::text[]))
           FROM exchangers e WHERE e.id = f.exchanger_id AND f.enabled <> (e.slug = ANY($1::text[]))
           RETURNING f.enabled`,
          [list.map((f) => f.slug)],
        );
        fleet.feeds = list;
        return { added, disabled: disabled.rows.filter((r: { enabled: boolean }) => !r.enabled).length };
      },
    };
    return fleet;
  } catch (error) {
    await stop();
    throw error;
  }
}

/** SIGTERM, then waits for the exit (a CPU profile is written on exit); SIGKILL after STOP_GRACE_MS. True when killed. */
async function stopProcess(child: ChildProcess): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return false;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
  return killed;
}

/** The fleet's rewritten tables, which the stand-in for autovacuum looks after. */
const REWRITTEN_TABLES = [
  'offers',
  'feeds',
  'feed_snapshots',
  'history_pending',
  'history_directions',
  'direction_references',
];

/**
 * Where the server runs without autovacuum (CI's and this workplace's PostgreSQL: `autovacuum = off`), the
 * fleet's tables would only grow: every poll's updates leave dead rows, updates stop being HOT (each adds
 * index entries) and every poll gets slower than it would on a production server. Then this does on its own
 * connection what autovacuum's defaults would: once an interval, each rewritten table whose dead rows (or
 * rows inserted) exceed 50 + 20 % of its rows is vacuumed, and one whose changes since its last analysis
 * exceed 50 + 10 % is analyzed — or by the table's own autovacuum settings, where it has any — throttled as an autovacuum worker is (cost delay 2 ms per 200). An
 * unthrottled VACUUM (ANALYZE) of every table every interval cost more than autovacuum would: 7 s of a core
 * every 15 s at 2,000,000 offers. Null when autovacuum is on.
 */
async function standInForAutovacuum(url: string, intervalSeconds: number): Promise<{ stop(): Promise<void> } | null> {
  const client = new Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query<{ autovacuum: string }>('SHOW autovacuum');
  if (rows[0]?.autovacuum !== 'off') {
    await client.end();
    return null;
  }
  await client.query(`SET vacuum_cost_delay = '2ms'`);
  await client.query(`SET vacuum_cost_limit = 200`);
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> = Promise.resolve();
  const upkeep = async () => {
    // A table's own settings (ALTER TABLE … SET (autovacuum_…)) win over the defaults, as for autovacuum.
    const setting = (name: string, fallback: number) =>
      `COALESCE((SELECT option_value::float8 FROM pg_options_to_table(c.reloptions) WHERE option_name = '${name}'), ${fallback})`;
    const { rows: due } = await client.query<{ name: string; vacuum: boolean; analyze: boolean }>(
      `SELECT s.relname AS name,
              s.n_dead_tup > ${setting('autovacuum_vacuum_threshold', 50)} + ${setting('autovacuum_vacuum_scale_factor', 0.2)} * GREATEST(s.n_live_tup, 0)
                OR s.n_ins_since_vacuum > ${setting('autovacuum_vacuum_insert_threshold', 1000)} + ${setting('autovacuum_vacuum_insert_scale_factor', 0.2)} * GREATEST(s.n_live_tup, 0) AS vacuum,
              s.n_mod_since_analyze > ${setting('autovacuum_analyze_threshold', 50)} + ${setting('autovacuum_analyze_scale_factor', 0.1)} * GREATEST(s.n_live_tup, 0) AS analyze
       FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid WHERE s.relname = ANY($1::text[])`,
      [REWRITTEN_TABLES],
    );
    for (const table of due) {
      if (stopped) return;
      if (table.vacuum) await client.query(`VACUUM ${table.analyze ? '(ANALYZE) ' : ''}${table.name}`);
      else if (table.analyze) await client.query(`ANALYZE ${table.name}`);
    }
  };
  const round = () => {
    running = upkeep()
      .catch(() => undefined)
      .finally(() => {
        if (!stopped) timer = setTimeout(round, intervalSeconds * 1000);
      });
  };
  timer = setTimeout(round, intervalSeconds * 1000);
  console.log(
    "  (the server runs without autovacuum: the bench does autovacuum's work on the fleet's tables, by its thresholds)",
  );
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
      await client.end().catch(() => undefined);
    },
  };
}

/** Removes a stopped fleet's Redis keys (its queues, schedulers and job data), which every run used to leave behind. */
async function removeRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 1000 }) as AsyncIterable<string[]>)
      if (keys.length > 0) await redis.unlink(...keys);
  } finally {
    redis.disconnect();
  }
}
