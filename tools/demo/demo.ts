import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { loadConfig } from '@app/config';
import { createLogger } from '@app/observability';
import { RunningApi, startApi } from '../../apps/api/src/bootstrap';
import { FeedFault, FeedSimulator, TypoOptions } from '../feed-simulator/simulator';

export interface Demo {
  api: RunningApi;
  simulator: FeedSimulator;
  adminKey: string;
  stop(): Promise<void>;
}

/** A few exchangers misbehave, so the admin side has something to show. */
const DEMO_FAULTS: Record<number, FeedFault> = { 3: 'maintenance', 7: 'html', 11: 'truncated', 15: 'unknown-codes' };
/** And one (sim-6) publishes a typo'd rate now and then, which the rate guard holds back. */
export const DEMO_TYPO: TypoOptions = { exchanger: 5, everySeconds: 30, forSeconds: 15, factor: 1000 };

/**
 * Standalone ratewatch plus the feed simulator, with the simulated exchangers registered through the
 * admin API (as an operator would).
 */
export async function runDemo(options: {
  exchangers: number;
  port: number;
  dataDir: string;
  logger?: Logger;
  maxItems?: number;
  /** The typo exchanger's schedule over DEMO_TYPO, or false for none. */
  typo?: Partial<TypoOptions> | false;
}): Promise<Demo> {
  const simulator = await new FeedSimulator({
    exchangers: options.exchangers,
    changeShare: 0.1,
    tickSeconds: 10,
    faults: DEMO_FAULTS,
    maxItems: options.maxItems ?? 3000,
    ...(options.typo === false ? {} : { typo: { ...DEMO_TYPO, ...options.typo } }),
  }).start();
  const adminKey = `demo_${randomBytes(24).toString('base64url')}`;
  const config = loadConfig({
    PORT: String(options.port),
    HOST: '127.0.0.1',
    DATA_DIR: options.dataDir,
    ADMIN_API_KEY: adminKey,
    FETCH_ALLOW_PRIVATE: 'true',
    LOG_LEVEL: 'warn',
  });
  const api = await startApi(config, options.logger ?? createLogger(config, 'ratewatch-demo'));
  const admin = async (path: string, body: unknown): Promise<{ id: number }> => {
    const response = await fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const answer = (await response.json()) as { id: number; message?: unknown };
    if (response.status === 409) return answer; // already registered in an earlier demo run
    if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(answer.message)}`);
    return answer;
  };
  const existing = (await (
    await fetch(`${api.url}/v1/admin/exchangers`, { headers: { authorization: `Bearer ${adminKey}` } })
  ).json()) as { items: Array<{ slug: string }> };
  for (const exchanger of simulator.exchangers) {
    if (existing.items.some((e) => e.slug === exchanger.slug)) continue;
    const created = await admin('/v1/admin/exchangers', {
      slug: exchanger.slug,
      name: exchanger.name,
      siteUrl: `https://${exchanger.slug}.example`,
      referralUrl: `https://${exchanger.slug}.example/?rid=demo`,
    });
    const feed = await admin(`/v1/admin/exchangers/${created.id}/feeds`, {
      url: simulator.feedUrl(exchanger),
      intervalSeconds: 15,
      timeoutMs: 5000,
      format: 'auto',
    });
    await fetch(`${api.url}/v1/admin/feeds/${feed.id}/refresh`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}` },
    });
  }
  return {
    api,
    simulator,
    adminKey,
    stop: async () => {
      await api.close();
      await simulator.stop();
    },
  };
}
