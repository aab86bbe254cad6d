import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { migrateAndSeed } from '@app/database';
import { waitForJson } from './bench-kit';
import { createScratchDatabase } from './scratch-database';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const ROOT = join(__dirname, '../../..');

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
  db: Client;
  feeds: Array<{ slug: string; url: string }>;
  processes: Array<{ name: string; child: ChildProcess }>;
  stop(): Promise<void>;
}

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
  const stop = async () => {
    await Promise.all([...processes].reverse().map(({ child }) => stopProcess(child)));
    await db.end().catch(() => undefined);
    await scratch.drop();
  };
  const start = (label: string, script: string, args: string[], env: Record<string, string>) => {
    const child = spawn(process.execPath, [...(options.nodeArgs?.(label) ?? []), join(ROOT, script), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
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
    for (const feed of feeds) {
      await db.query(
        `WITH e AS (INSERT INTO exchangers (slug, name, site_url, referral_url) VALUES ($1::text, $1::text, 'https://x.example', 'https://x.example/?r=1') RETURNING id)
         INSERT INTO feeds (exchanger_id, url, interval_s, timeout_ms, stale_after_s) SELECT id, $2, $3, $4, $5 FROM e`,
        [feed.slug, feed.url, interval, Math.min(10_000, interval * 1000 - 500), interval * 4],
      );
    }
    const env = {
      DATABASE_URL: dbUrl.toString(),
      REDIS_URL,
      REDIS_PREFIX: `rwbench-${randomBytes(3).toString('hex')}`,
      FETCH_ALLOW_PRIVATE: 'true',
      LOG_LEVEL: 'warn',
      ...options.env,
    };
    const apiPort = simPort + 100;
    start('api', 'dist/apps/api/src/main.js', [], { ...env, PORT: String(apiPort), HOST: '127.0.0.1' });
    for (let w = 0; w < options.workers; w++)
      start(`worker-${w + 1}`, 'dist/apps/worker/src/main.js', [], {
        ...env,
        WORKER_PORT: String(apiPort + 1 + w),
        HOST: '127.0.0.1',
      });
    const api = `http://127.0.0.1:${apiPort}`;
    await waitForJson(`${api}/health/ready`);
    return { sim, api, db, feeds, processes, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** SIGTERM, then waits for the exit (a CPU profile is written on exit); SIGKILL after 15 s. */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}
