import { randomBytes } from 'node:crypto';
import { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@app/config';
import { bullConnection, FeedPollJob, feedPollShardQueue, JOBS } from '@app/queue';
import { waitFor } from '../../../test/support/processes';
import { TEST_POSTGRES_URL, TEST_REDIS_URL } from '../../../test/support/services';
import { FeedPollShardWorkers } from './feed-poll-shard-workers';

const SHARDS = 4;

describe('FeedPollShardWorkers (real Redis and BullMQ)', () => {
  const prefix = `rwtest-${randomBytes(4).toString('hex')}`;
  const config = loadConfig({
    REDIS_URL: TEST_REDIS_URL,
    // Never connected to here: fleet mode needs one in its configuration.
    DATABASE_URL: TEST_POSTGRES_URL,
    REDIS_PREFIX: prefix,
    FEED_POLL_SHARDS: String(SHARDS),
    WORKER_CONCURRENCY: '8',
    LOG_LEVEL: 'silent',
  });
  const redis = new Redis(TEST_REDIS_URL);
  const connection = bullConnection(TEST_REDIS_URL, 'test');
  const queues = Array.from(
    { length: SHARDS },
    (_, shard) => new Queue(feedPollShardQueue(shard, SHARDS), { connection, prefix }),
  );
  /** Which worker ran each feed's poll, in order. */
  const ran: Array<{ by: string; feedId: number }> = [];
  const workers: FeedPollShardWorkers[] = [];
  const worker = (id: string, client: Redis = redis) => {
    const made = new FeedPollShardWorkers(
      config,
      client,
      (job: Job) => Promise.resolve(ran.push({ by: id, feedId: (job.data as FeedPollJob).feedId })),
      { id },
    );
    workers.push(made);
    return made;
  };
  const poll = (feedId: number) =>
    queues[feedId % SHARDS]!.add(JOBS.pollFeed, { feedId, trigger: 'schedule' } satisfies FeedPollJob);
  /** Polls feeds `ids` and waits until each ran; who ran them. */
  const pollAll = async (ids: number[]) => {
    const from = ran.length;
    for (const feedId of ids) await poll(feedId);
    await waitFor(`${ids.length} polls run`, () => ran.length - from >= ids.length);
    return ran.slice(from).sort((x, y) => x.feedId - y.feedId);
  };

  afterAll(async () => {
    for (const made of workers) await made.beforeApplicationShutdown();
    for (const queue of queues) await queue.obliterate({ force: true });
    await Promise.all(queues.map((queue) => queue.close()));
    await redis.del(`${prefix}:feed-poll:workers`);
    redis.disconnect();
  });

  it("runs each feed's polls on its shard's one owner, and deals a leaving worker's shards to the rest", async () => {
    const a = worker('a');
    const b = worker('b');
    await a.deal();
    expect(a.owned()).toEqual([0, 1, 2, 3]);
    // WORKER_CONCURRENCY (8) is the process's, shared by its shards.
    expect(a.owned().map((shard) => a.concurrencyOf(shard))).toEqual([2, 2, 2, 2]);
    await b.deal();
    await a.deal();
    expect(a.owned()).toEqual([0, 2]);
    expect(b.owned()).toEqual([1, 3]);
    expect([0, 2].map((shard) => a.concurrencyOf(shard))).toEqual([4, 4]);
    await a.closed();

    const feeds = [1, 2, 3, 4, 5, 6, 7, 8];
    const shared = await pollAll(feeds);
    expect(shared).toEqual(feeds.map((feedId) => ({ feedId, by: feedId % 2 === 0 ? 'a' : 'b' })));
    // The same feeds again: the same workers (what the worker's caches of a feed rely on).
    expect(await pollAll(feeds)).toEqual(shared);

    await b.beforeApplicationShutdown();
    expect(b.owned()).toEqual([]);
    await a.deal();
    expect(a.owned()).toEqual([0, 1, 2, 3]);
    expect(await pollAll([1, 3, 5, 7])).toEqual([1, 3, 5, 7].map((feedId) => ({ feedId, by: 'a' })));
  });

  it('keeps the shards it has while Redis does not answer its beat', async () => {
    const flaky = new Redis(TEST_REDIS_URL);
    const c = worker('c', flaky);
    await c.deal();
    const owned = c.owned();
    expect(owned.length).toBeGreaterThan(0);
    flaky.disconnect();
    await c.deal();
    expect(c.owned()).toEqual(owned);
    await c.beforeApplicationShutdown();
  });
});
