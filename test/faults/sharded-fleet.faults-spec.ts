import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateAndSeed } from '@app/database';
import { FeedSimulator } from '../../tools/feed-simulator/simulator';
import { AppProcess, waitFor } from '../support/processes';
import { createTestDatabase, TEST_REDIS_URL, TestDatabase } from '../support/services';

const INTERVAL_S = 5;
const FEEDS = 6;

/**
 * A fleet whose feed polls are spread over shards (FEED_POLL_SHARDS=2), each taken by one of two worker
 * processes started from dist/: when one is SIGKILLed (no goodbye), the other must take its shard over
 * and poll its feeds again, or those feeds would go stale for good.
 */
describe('a sharded fleet loses a worker', () => {
  let db: TestDatabase;
  let client: Client;
  const workers: AppProcess[] = [];
  const feedIds: number[] = [];
  const simulator = new FeedSimulator({
    exchangers: FEEDS,
    changeShare: 0.2,
    tickSeconds: 1,
    minItems: 50,
    maxItems: 100,
  });

  const log = () => workers.map((p) => `--- ${p.name} ---\n${p.log}`).join('\n');

  /** Whether every feed had a successful poll that started after `since`. */
  const everyFeedPolledAfter = async (since: number) => {
    const { rows } = await client.query<{ polled: string }>(
      `SELECT count(DISTINCT feed_id) AS polled FROM feed_runs
       WHERE feed_id = ANY($1) AND started_at > $2 AND status IN ('ok', 'unchanged', 'not_modified')`,
      [feedIds, new Date(since)],
    );
    return Number(rows[0]!.polled) === FEEDS;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    await migrateAndSeed(db.url);
    await simulator.start();
    client = new Client({ connectionString: db.url });
    await client.connect();
    for (const exchanger of simulator.exchangers) {
      const { rows } = await client.query<{ id: number }>(
        `WITH e AS (INSERT INTO exchangers (slug, name, site_url, referral_url) VALUES ($1::text, $1::text, 'https://x.example', 'https://x.example/?r=1') RETURNING id)
         INSERT INTO feeds (exchanger_id, url, interval_s, timeout_ms) SELECT id, $2, $3, 3000 FROM e RETURNING id`,
        [exchanger.slug, simulator.feedUrl(exchanger), INTERVAL_S],
      );
      feedIds.push(rows[0]!.id);
    }
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: `rwfaults-${randomBytes(4).toString('hex')}`,
      FETCH_ALLOW_PRIVATE: 'true',
      LOG_LEVEL: 'warn',
      WORKER_LOCK_SECONDS: '4',
      FEED_POLL_SHARDS: '2',
    };
    workers.push(await AppProcess.start('worker-1', 'worker', env), await AppProcess.start('worker-2', 'worker', env));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(workers.map((p) => p.stop('SIGKILL')));
    await client?.end().catch(() => undefined);
    await simulator.stop();
    await db?.drop();
  }, 60_000);

  it('polls every feed with two workers, and every feed again once one of them is SIGKILLed', async () => {
    const started = Date.now();
    await waitFor('a poll of every feed', () => everyFeedPolledAfter(started - 60_000), 30_000).catch((e: unknown) => {
      throw new Error(`${String(e)}\n${log()}`);
    });
    // Both workers had shards: each polled feeds.
    for (const worker of workers) {
      const metrics = await (await fetch(`${worker.url}/metrics`)).text();
      expect(metrics).toMatch(/ratewatch_feed_polls_total\{status="ok",error_code="",app="worker"\} [1-9]/);
    }

    const killed = Date.now();
    await workers[1]!.stop('SIGKILL');
    // The survivor's next beats still count the dead worker as alive for up to 10 s; past that, every feed —
    // its shard's and the dead one's — must be polled again, by the survivor alone.
    const takeover = killed + 10_000;
    await waitFor('every feed polled again after the takeover', () => everyFeedPolledAfter(takeover), 45_000).catch(
      (e: unknown) => {
        throw new Error(`${String(e)}\n${log()}`);
      },
    );
    expect(workers[0]!.alive).toBe(true);
  }, 120_000);
});
