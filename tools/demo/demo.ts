import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { loadConfig } from '@app/config';
import { createLogger } from '@app/observability';
import { RunningApi, startApi } from '../../apps/api/src/bootstrap';
import { FeedFault, FeedSimulator, SimExchanger, TypoOptions } from '../feed-simulator/simulator';

/** How many exchangers `npm run demo` simulates. */
export const DEMO_EXCHANGERS = 40;
/** A few exchangers misbehave, so the admin side has something to show (delta, harbor, lumen, polar). */
export const DEMO_FAULTS: Readonly<Record<number, FeedFault>> = {
  3: 'maintenance',
  7: 'html',
  11: 'truncated',
  15: 'unknown-codes',
};
/** And one (fathom) publishes a typo'd rate now and then, which the rate guard holds back. */
export const DEMO_TYPO: TypoOptions = { exchanger: 5, everySeconds: 30, forSeconds: 15, factor: 1000 };
/**
 * The examples the banner (and the README) show: directions the demo's market always has (market.ts:
 * every exchanger trades BTC, USDTTRC20 and SBERRUB; aurora also pays cash USD in MSK and SPB).
 */
export const DEMO_EXAMPLES = {
  direction: { from: 'BTC', to: 'SBERRUB' },
  cash: { from: 'USDTTRC20', to: 'CASHUSD', city: 'MSK' },
  exchanger: 'aurora',
} as const;

/** What the demo keeps in its data folder besides ratewatch's own files, so a re-run is the same demo. */
export const DEMO_FILES = {
  adminKey: 'demo-admin-key',
  /** SECRET_KEY, which encrypts partner API keys at rest: the same one each run, or stored keys would not decrypt. */
  secretKey: 'demo-secret-key',
  simulatorPort: 'demo-simulator-port',
} as const;
/** How many admin requests registration runs at once (40 exchangers register in about a second). */
const PARALLEL = 8;
/** A feed URL the demo's simulator serves (any port), so a re-run can tell its own feeds from an operator's. */
const DEMO_FEED_URL = /^http:\/\/127\.0\.0\.1:\d+\/feeds\/[a-z0-9-]+\.(?:xml|json|txt)$/;

export interface Demo {
  api: RunningApi;
  simulator: FeedSimulator;
  adminKey: string;
  /** Where the admin key is kept (mode 0600): `ADMIN_KEY=$(cat <file>)`. */
  adminKeyFile: string;
  registration: Registration;
  stop(): Promise<void>;
}

/** What registering the simulated exchangers did: new, re-pointed at the simulator, and old demo feeds switched off. */
export interface Registration {
  created: number;
  repointed: number;
  disabled: string[];
}

/**
 * Standalone ratewatch plus the feed simulator's market model, with the simulated exchangers registered
 * through the admin API (as an operator would). Idempotent on one data folder: the admin key and the
 * simulator's port are kept there, and a re-run whose simulator had to take another port points the
 * registered feeds at it.
 */
export async function runDemo(options: {
  exchangers?: number;
  port: number;
  dataDir: string;
  logger?: Logger;
  /** The typo exchanger's schedule over DEMO_TYPO, or false for none. */
  typo?: Partial<TypoOptions> | false;
}): Promise<Demo> {
  mkdirSync(options.dataDir, { recursive: true });
  const adminKeyFile = join(options.dataDir, DEMO_FILES.adminKey);
  const adminKey = readOrCreateSecret(adminKeyFile, 'demo_');
  const secretKey = readOrCreateSecret(join(options.dataDir, DEMO_FILES.secretKey), '');
  const simulator = new FeedSimulator({
    exchangers: options.exchangers ?? DEMO_EXCHANGERS,
    changeShare: 0.3,
    tickSeconds: 10,
    faults: DEMO_FAULTS,
    market: true,
    ...(options.typo === false ? {} : { typo: { ...DEMO_TYPO, ...options.typo } }),
  });
  await startOnKeptPort(simulator, join(options.dataDir, DEMO_FILES.simulatorPort));
  const config = loadConfig({
    PORT: String(options.port),
    HOST: '127.0.0.1',
    DATA_DIR: options.dataDir,
    ADMIN_API_KEY: adminKey,
    SECRET_KEY: secretKey,
    FETCH_ALLOW_PRIVATE: 'true',
    // The demo's market is small: its history costs nothing to speak of, and the chart draws it.
    HISTORY_RECORDING: 'true',
    LOG_LEVEL: 'warn',
  });
  let api: RunningApi;
  try {
    api = await startApi(config, options.logger ?? createLogger(config, 'ratewatch-demo'));
  } catch (error) {
    await simulator.stop();
    throw error;
  }
  const stop = async () => {
    await api.close();
    await simulator.stop();
  };
  try {
    const registration = await register(new AdminClient(api.url, adminKey), simulator);
    return { api, simulator, adminKey, adminKeyFile, registration, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The secret of an earlier run, or a new random one written owner-only. */
function readOrCreateSecret(file: string, prefix: string): string {
  if (existsSync(file)) {
    const kept = readFileSync(file, 'utf8').trim();
    if (kept.length >= 32) {
      chmodSync(file, 0o600);
      return kept;
    }
  }
  const key = `${prefix}${randomBytes(32).toString('base64url')}`;
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  chmodSync(file, 0o600); // an existing file keeps its mode through writeFileSync
  return key;
}

/** The port of the last run if it is free (its feed URLs stay right), else any; the port used is kept. */
async function startOnKeptPort(simulator: FeedSimulator, file: string): Promise<void> {
  const kept = existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : 0;
  const valid = Number.isInteger(kept) && kept > 0 && kept < 65536;
  try {
    await simulator.start(valid ? kept : 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    await simulator.start(0);
  }
  writeFileSync(file, `${new URL(simulator.base).port}\n`);
}

/** The admin API as an operator's script uses it. */
class AdminClient {
  constructor(
    private readonly url: string,
    private readonly key: string,
  ) {}

  async call<T>(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
    return (text === '' ? null : JSON.parse(text)) as T;
  }
}

interface FeedHealth {
  id: number;
  exchangerSlug: string;
  url: string;
  enabled: boolean;
}

/**
 * Registers every simulated exchanger that is not yet there, points every demo feed whose URL is not the
 * simulator's current one at it (the simulator took another port), polls each at once, and switches off
 * demo feeds of exchangers this demo no longer simulates (an older demo's). The operator's own exchangers
 * are left alone.
 */
async function register(admin: AdminClient, simulator: FeedSimulator): Promise<Registration> {
  const [{ items: exchangers }, { items: feeds }] = await Promise.all([
    admin.call<{ items: Array<{ id: number; slug: string }> }>('GET', '/v1/admin/exchangers'),
    admin.call<{ items: FeedHealth[] }>('GET', '/v1/admin/feeds/health'),
  ]);
  const idOf = new Map(exchangers.map((e) => [e.slug, e.id]));
  const registration: Registration = { created: 0, repointed: 0, disabled: [] };
  const one = async (exchanger: SimExchanger) => {
    const url = simulator.feedUrl(exchanger);
    let id = idOf.get(exchanger.slug);
    if (id === undefined) {
      id = (
        await admin.call<{ id: number }>('POST', '/v1/admin/exchangers', {
          slug: exchanger.slug,
          name: exchanger.name,
          siteUrl: `https://${exchanger.slug}.example`,
          referralUrl: `https://${exchanger.slug}.example/?rid=demo`,
        })
      ).id;
      registration.created++;
    }
    // One feed per simulated exchanger (a second one on the same URL would be a 409).
    const feed = feeds.find((f) => f.exchangerSlug === exchanger.slug && DEMO_FEED_URL.test(f.url));
    if (feed && (feed.url !== url || !feed.enabled)) {
      await admin.call('PATCH', `/v1/admin/feeds/${feed.id}`, { url, enabled: true });
      registration.repointed++;
    }
    const feedId =
      feed?.id ??
      (
        await admin.call<{ id: number }>('POST', `/v1/admin/exchangers/${id}/feeds`, {
          url,
          intervalSeconds: 15,
          timeoutMs: 5000,
          format: 'auto',
        })
      ).id;
    await admin.call('POST', `/v1/admin/feeds/${feedId}/refresh`);
  };
  await inParallel(simulator.exchangers, PARALLEL, one);
  const simulated = new Set(simulator.exchangers.map((e) => e.slug));
  for (const feed of feeds)
    if (feed.enabled && DEMO_FEED_URL.test(feed.url) && !simulated.has(feed.exchangerSlug)) {
      await admin.call('PATCH', `/v1/admin/feeds/${feed.id}`, { enabled: false });
      registration.disabled.push(feed.exchangerSlug);
    }
  return registration;
}

/** Runs `task` over `items`, at most `limit` at a time. */
async function inParallel<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
