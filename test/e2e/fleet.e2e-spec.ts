import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@app/config';
import { FeedScheduler } from '@app/ingestion';
import { HousekeepingService } from '@app/background';
import { bullConnection, feedPollShardQueue, feedSchedulerId, HOUSEKEEPING, JOBS, QUEUES } from '@app/queue';
import { RunningApi, startApi } from '../../apps/api/src/bootstrap';
import { runCli } from '../../apps/cli/src/cli';
import { RunningWorker, startWorker, WorkerModeError } from '../../apps/worker/src/bootstrap';
import { FeedPollShardWorkers } from '../../apps/worker/src/feed-poll-shard-workers';
import { http } from '../support/http';
import { waitFor } from '../support/processes';
import { sealSecret } from '@app/partners';
import { FakePartnerApi } from '../support/fake-partner-api';
import { FeedServer } from '../support/feed-server';
import { createTestDatabase, TEST_REDIS_URL, TestDatabase } from '../support/services';

const SECRET = 'f'.repeat(40);
const ADMIN_KEY = 'fleet-bootstrap-key-0123456789abcdefghijklmnop';

/** The settings of a fleet on the machine's PostgreSQL (database `db`) and Redis (keys under `prefix`). */
const fleetEnv = (db: TestDatabase, prefix: string, extra: Record<string, string>): Record<string, string> => ({
  DATABASE_URL: db.url,
  REDIS_URL: TEST_REDIS_URL,
  REDIS_PREFIX: prefix,
  FETCH_ALLOW_PRIVATE: 'true',
  ADMIN_API_KEY: ADMIN_KEY,
  PORT: '0',
  WORKER_PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'silent',
  ...extra,
});

/** Fleet mode: api and worker against the machine's PostgreSQL and Redis, migrations by the CLI. */
describe('fleet mode', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let worker: RunningWorker;
  let client: Client;
  let queue: Queue;
  const feedServer = new FeedServer();
  const prefix = `rwtest-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    db = await createTestDatabase();
    await feedServer.start();
    const env = fleetEnv(db, prefix, { SECRET_KEY: SECRET, PUBLIC_CACHE_SECONDS: '60' });
    const out: string[] = [];
    const status = await runCli(['db:migrate'], env, { out: (t) => out.push(t), err: () => undefined });
    expect(status).toBe(0);
    expect(JSON.parse(out.join(''))).toMatchObject({ currenciesAdded: 322 });
    const config = loadConfig(env);
    api = await startApi(config);
    worker = await startWorker(config);
    client = new Client({ connectionString: db.url });
    await client.connect();
    queue = new Queue(QUEUES.feedPoll, { connection: bullConnection(TEST_REDIS_URL, 'test'), prefix });
  });

  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    await client?.end();
    await feedServer.stop();
    await db?.drop();
  });

  it('a worker polls a feed through BullMQ and writes its snapshot', async () => {
    feedServer.serve('/rates.xml', { body: readFileSync(join(__dirname, '../fixtures/feeds/standard.xml')) });
    const { rows } = await client.query<{ id: number }>(
      `WITH e AS (INSERT INTO exchangers (slug, name, site_url, referral_url) VALUES ('aura', 'Aura', 'https://aura.example', 'https://aura.example/?rid=1') RETURNING id)
       INSERT INTO feeds (exchanger_id, url, interval_s) SELECT id, $1, 30 FROM e RETURNING id`,
      [feedServer.url('/rates.xml')],
    );
    const feedId = rows[0]!.id;
    // The api changes schedules (the admin API will call this after its commit); the worker polls.
    expect(await api.app.get(FeedScheduler).sync(feedId)).toBe('scheduled');
    expect((await queue.getJobSchedulers(0, -1)).map((s) => s.key)).toContain(feedSchedulerId(feedId));
    await queue.add(JOBS.pollFeed, { feedId, trigger: 'manual' });
    const run = await waitFor(
      'the feed run',
      async () =>
        (await client.query(`SELECT status, inserted FROM feed_runs WHERE feed_id = $1`, [feedId])).rows[0] as
          { status: string; inserted: number } | undefined,
    );
    expect(run).toEqual({ status: 'ok', inserted: 8 });
    const currencies = await http<{ items: Array<{ code: string; offers: number }> }>(
      `${api.url}/v1/currencies?withOffers=true`,
    );
    expect(currencies.body.items.find((c) => c.code === 'BTC')?.offers).toBe(3);
    const metrics = await http(`${worker.url}/metrics`);
    expect(metrics.text).toMatch(/ratewatch_feed_polls_total\{status="ok",error_code="",app="worker"\} 1/);
    expect(metrics.text).toMatch(/ratewatch_offers_written_total\{change="inserted",app="worker"\} 8/);
    expect(metrics.text).toMatch(/ratewatch_feeds\{state="fresh",app="worker"\} 1/);
    expect(metrics.text).toMatch(/ratewatch_history_pending\{measure="writes",app="worker"\} \d+/);
    expect(metrics.text).toMatch(/ratewatch_history_pending\{measure="oldest_seconds",app="worker"\} [\d.e+-]+/);
    expect(metrics.text).toMatch(/ratewatch_queue_jobs\{queue="feed-poll",state="waiting",app="worker"\} \d+/);
    expect(metrics.text).toMatch(/ratewatch_queue_jobs\{queue="alert-delivery",state="waiting",app="worker"\} \d+/);
    // Where the poll's time went, stage by stage: the queue (the job was due at once), then the poll itself
    // (the write is counted just after its commit, which the feed run above may have been seen before).
    const stages = ['queued', 'fetch', 'wait_read', 'read', 'wait_write', 'write'];
    const counted = (text: string) =>
      stages.filter((stage) =>
        new RegExp(`ratewatch_feed_poll_stage_seconds_count\\{[^}]*stage="${stage}"[^}]*\\} 1\\n`).test(text),
      );
    await waitFor('every stage counted once', async () =>
      counted((await http(`${worker.url}/metrics`)).text).length === stages.length ? true : undefined,
    ).catch(async () => expect(counted((await http(`${worker.url}/metrics`)).text)).toEqual(stages));

    // The api caches the answer for 60 s, yet a worker's snapshot change reaches it through Redis.
    const before = await http<{ items: Array<{ rate: string }> }>(`${api.url}/v1/rates?from=BTC&to=SBERRUB`);
    expect(before.body.items[0]?.rate).toBe('6850000.5');
    feedServer.serve('/rates.xml', {
      body: '<rates><item><from>BTC</from><to>SBERRUB</to><in>1</in><out>7100000</out></item></rates>',
    });
    await queue.add(JOBS.pollFeed, { feedId, trigger: 'manual' });
    await waitFor(
      'the new rate on the api',
      async () => {
        const answer = await http<{ items: Array<{ rate: string }> }>(`${api.url}/v1/rates?from=BTC&to=SBERRUB`);
        return answer.body.items[0]?.rate === '7100000';
      },
      10_000,
    );
  });

  it('a worker syncs a partner account through the partner-sync queue', async () => {
    const partnerApi = await new FakePartnerApi().start();
    const partnerQueue = new Queue(QUEUES.partnerSync, { connection: bullConnection(TEST_REDIS_URL, 'test'), prefix });
    try {
      const { rows } = await client.query<{ id: number }>(
        `INSERT INTO exchangers (slug, name, site_url, referral_url) VALUES ('partnered', 'P', 'https://p.example', 'https://p.example/?r=1') RETURNING id`,
      );
      const exchangerId = rows[0]!.id;
      await client.query(
        `INSERT INTO partner_accounts (exchanger_id, api_url, api_key_encrypted) VALUES ($1, $2, $3)`,
        [exchangerId, partnerApi.url, sealSecret(partnerApi.apiKey, SECRET)],
      );
      await partnerQueue.add(JOBS.syncPartner, { exchangerId });
      const balance = await waitFor(
        'the partner balance',
        async () =>
          (await client.query(`SELECT balance::text FROM partner_balances WHERE exchanger_id = $1`, [exchangerId]))
            .rows[0] as { balance: string } | undefined,
      );
      expect(balance).toEqual({ balance: '15.37' });
    } finally {
      await partnerQueue.obliterate({ force: true });
      await partnerQueue.close();
      await partnerApi.stop();
    }
  });

  it("the api's manual partner sync is a job a worker runs, answered with its outcome", async () => {
    const partnerApi = await new FakePartnerApi().start();
    const partnerQueue = new Queue(QUEUES.partnerSync, { connection: bullConnection(TEST_REDIS_URL, 'test'), prefix });
    const sync = (exchangerId: number) =>
      http(`${api.url}/v1/admin/exchangers/${exchangerId}/partner/sync`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      });
    try {
      const { rows } = await client.query<{ id: number }>(
        `INSERT INTO exchangers (slug, name, site_url, referral_url) VALUES ('partnered-now', 'P', 'https://p.example', 'https://p.example/?r=2') RETURNING id`,
      );
      const exchangerId = rows[0]!.id;
      await client.query(
        `INSERT INTO partner_accounts (exchanger_id, api_url, api_key_encrypted) VALUES ($1, $2, $3)`,
        [exchangerId, partnerApi.url, sealSecret(partnerApi.apiKey, SECRET)],
      );
      const synced = await sync(exchangerId);
      expect(synced.status).toBe(200);
      expect(synced.body).toEqual({ status: 'ok', balanceChanged: true, exchanges: 2, visits: 1 });
      const done = await partnerQueue.getJobs(['completed']);
      expect(
        done.filter(
          (j) => j.name === JOBS.syncPartner && (j.data as { exchangerId: number }).exchangerId === exchangerId,
        ),
      ).toHaveLength(1);
      const missing = await sync(exchangerId + 1000);
      expect(missing.status).toBe(404);
    } finally {
      await partnerQueue.obliterate({ force: true });
      await partnerQueue.close();
      await partnerApi.stop();
    }
  });

  it('housekeeping is planned and run by the workers, never by the api', async () => {
    expect(() => api.app.get(HousekeepingService, { strict: false })).toThrow();
    expect(worker.app.get(HousekeepingService, { strict: false })).toBeInstanceOf(HousekeepingService);
    const ids = (await queue.getJobSchedulers(0, -1)).map((s) => s.key);
    for (const { schedulerId } of Object.values(HOUSEKEEPING))
      expect(ids.filter((id) => id === schedulerId)).toHaveLength(1);
  });

  it('the api is ready when the database and Redis answer', async () => {
    const ready = await http<{ details: Record<string, { status: string }> }>(`${api.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(ready.body.details).toEqual({ database: { status: 'up' }, redis: { status: 'up' } });
  });

  it('the worker has its own health and metrics port', async () => {
    const ready = await http<{ details: Record<string, { status: string }> }>(`${worker.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(ready.body.details).toEqual({ database: { status: 'up' }, redis: { status: 'up' } });
    const metrics = await http(`${worker.url}/metrics`);
    expect(metrics.text).toMatch(/ratewatch_process_resident_memory_bytes\{app="worker"\}/);
  });

  it('the api serves the catalog the CLI seeded', async () => {
    const answer = await http<{ items: unknown[] }>(`${api.url}/v1/currencies`);
    expect(answer.body.items).toHaveLength(322);
  });

  it('the api answers 503 when Redis is unreachable', async () => {
    const config = loadConfig({
      DATABASE_URL: db.url,
      REDIS_URL: 'redis://127.0.0.1:1',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
    });
    const broken = await startApi(config);
    try {
      const ready = await http<{ details: Record<string, { status: string }> }>(`${broken.url}/health/ready`);
      expect(ready.status).toBe(503);
      expect(ready.body.details.redis?.status).toBe('down');
      expect(ready.body.details.database?.status).toBe('up');
    } finally {
      await broken.close();
    }
  });
});

/** Fleet mode with FEED_POLL_SHARDS: each feed's polls go to its shard's queue, taken by one worker. */
describe('fleet mode with feed-poll shards', () => {
  let db: TestDatabase;
  let api: RunningApi;
  const workers: RunningWorker[] = [];
  let client: Client;
  const shardQueues: Queue[] = [];
  const feedServer = new FeedServer();
  const prefix = `rwtest-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    db = await createTestDatabase();
    await feedServer.start();
    const env = fleetEnv(db, prefix, { FEED_POLL_SHARDS: '2' });
    expect(await runCli(['db:migrate'], env, { out: () => undefined, err: () => undefined })).toBe(0);
    const config = loadConfig(env);
    api = await startApi(config);
    workers.push(await startWorker(config), await startWorker(config));
    client = new Client({ connectionString: db.url });
    await client.connect();
    for (const shard of [0, 1])
      shardQueues.push(
        new Queue(feedPollShardQueue(shard, 2), { connection: bullConnection(TEST_REDIS_URL, 'test'), prefix }),
      );
  });

  afterAll(async () => {
    for (const worker of workers) await worker.close();
    await api?.close();
    for (const queue of shardQueues) await queue.obliterate({ force: true }).catch(() => undefined);
    await Promise.all(shardQueues.map((queue) => queue.close()));
    await client?.end();
    await feedServer.stop();
    await db?.drop();
  });

  it("polls each feed on its shard's worker, the two workers one shard each", async () => {
    feedServer.serve('/rates.xml', { body: readFileSync(join(__dirname, '../fixtures/feeds/standard.xml')) });
    const { rows } = await client.query<{ id: number }>(
      `WITH e AS (INSERT INTO exchangers (slug, name, site_url, referral_url)
                  VALUES ('aura', 'Aura', 'https://aura.example', 'https://aura.example/?rid=1'),
                         ('bora', 'Bora', 'https://bora.example', 'https://bora.example/?rid=1') RETURNING id)
       INSERT INTO feeds (exchanger_id, url, interval_s) SELECT id, $1 || '?e=' || id, 600 FROM e RETURNING id`,
      [feedServer.url('/rates.xml')],
    );
    const feedIds = rows.map((row) => row.id).sort((a, b) => a - b);
    expect(feedIds.map((id) => id % 2).sort()).toEqual([0, 1]);
    // The api plans each feed's schedule in its shard's queue.
    for (const feedId of feedIds) expect(await api.app.get(FeedScheduler).sync(feedId)).toBe('scheduled');
    for (const feedId of feedIds)
      expect((await shardQueues[feedId % 2]!.getJobSchedulers(0, -1)).map((s) => s.key)).toEqual([
        feedSchedulerId(feedId),
      ]);

    // Once both workers have said they are alive, each takes one shard.
    const owned = () => workers.map((worker) => worker.app.get(FeedPollShardWorkers).owned());
    await waitFor('one shard a worker', () => {
      const now = owned();
      return now.every((shards) => shards.length === 1) && now.flat().sort().join() === '0,1';
    });
    for (const feedId of feedIds) await shardQueues[feedId % 2]!.add(JOBS.pollFeed, { feedId, trigger: 'manual' });
    await waitFor(
      'both feeds polled',
      async () => Number((await client.query(`SELECT count(*) FROM feed_runs WHERE status = 'ok'`)).rows[0].count) >= 2,
    );
    // Each worker polled the one feed of its shard.
    for (const worker of workers) {
      const metrics = await http(`${worker.url}/metrics`);
      expect(metrics.text).toMatch(/ratewatch_feed_polls_total\{status="ok",error_code="",app="worker"\} 1\n/);
      expect(metrics.text).toMatch(/ratewatch_feed_poll_shards_owned\{app="worker"\} 1\n/);
    }
    const queues = await http<{ items: Array<{ name: string; schedulers: number }> }>(`${api.url}/v1/admin/queues`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(queues.body.items.map((q) => [q.name, q.schedulers])).toEqual([
      ['feed-poll', Object.keys(HOUSEKEEPING).length],
      ['feed-poll-0', 1],
      ['feed-poll-1', 1],
    ]);
  });
});

describe('the worker outside fleet mode', () => {
  it('refuses to start and says what to set', async () => {
    await expect(startWorker(loadConfig({ LOG_LEVEL: 'silent' }))).rejects.toThrow(WorkerModeError);
    await expect(startWorker(loadConfig({ LOG_LEVEL: 'silent' }))).rejects.toThrow(/set DATABASE_URL and REDIS_URL/);
  });
});

describe('the CLI', () => {
  const io = () => {
    const lines = { out: [] as string[], err: [] as string[] };
    return { lines, io: { out: (t: string) => lines.out.push(t), err: (t: string) => lines.err.push(t) } };
  };

  it('exits 2 with the command list for an unknown command', async () => {
    const { lines, io: cliIo } = io();
    expect(await runCli(['db:explode'], {}, cliIo)).toBe(2);
    expect(lines.err.join('\n')).toMatch(/unknown command "db:explode"[\s\S]*db:migrate/);
  });

  it('exits 2 for unexpected arguments', async () => {
    const { lines, io: cliIo } = io();
    expect(await runCli(['db:migrate', '--force'], {}, cliIo)).toBe(2);
    expect(lines.err.join('\n')).toMatch(/usage: npm run -s cli -- db:migrate/);
  });

  it('exits 1 naming the bad variable', async () => {
    const { lines, io: cliIo } = io();
    expect(await runCli(['db:migrate'], { DATABASE_URL: 'mysql://nope' }, cliIo)).toBe(1);
    expect(lines.err.join('\n')).toMatch(/DATABASE_URL must be a postgres/);
  });
});
