import { randomBytes } from 'node:crypto';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { loadConfig } from '@app/config';
import { FeedsRepository } from '@app/database';
import {
  BullRecurringSchedules,
  bullConnection,
  FeedPollQueues,
  FeedPollJob,
  feedSchedulerId,
  InProcessRecurringSchedules,
  JOBS,
  QUEUES,
  scheduleOffsetMs,
} from '@app/queue';
import { createExchangerWithFeed, pollServiceFor } from '../../../../test/support/ingestion';
import { migratedDatabase, TEST_REDIS_URL, TestDatabase } from '../../../../test/support/services';
import { FeedScheduler } from './feed-scheduler';

/**
 * The schedule follows the feeds table through create / change / disable / delete and survives a
 * restart — through RecurringSchedules' BullMQ driver on the real Redis (fleet) and its in-process
 * driver (standalone).
 */
describe('feed schedulers follow the feeds table', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let feeds: FeedsRepository;
  const prefix = `rwtest-${randomBytes(4).toString('hex')}`;
  const queues: Queue[] = [];
  const newQueue = (name: string = QUEUES.feedPoll) => {
    const queue = new Queue<FeedPollJob>(name, { connection: bullConnection(TEST_REDIS_URL, 'test'), prefix });
    queues.push(queue);
    return queue;
  };
  const bullScheduler = () => {
    const feedPoll = newQueue();
    const feedPolls = new FeedPollQueues({ worker: { feedPollShards: 1 } }, feedPoll);
    return new FeedScheduler(new BullRecurringSchedules(feedPoll, newQueue(QUEUES.partnerSync), feedPolls), feeds);
  };

  beforeAll(async () => {
    ({ db, dataSource } = await migratedDatabase(4));
    feeds = new FeedsRepository(dataSource);
  });

  afterAll(async () => {
    for (const name of [QUEUES.feedPoll, QUEUES.partnerSync])
      await queues.find((q) => q.name === name)?.obliterate({ force: true });
    await Promise.all(queues.map((q) => q.close()));
    await dataSource.destroy();
    await db.drop();
  });

  async function exerciseScheduler(makeScheduler: () => FeedScheduler, label: string): Promise<void> {
    const scheduler = makeScheduler();
    const a = await createExchangerWithFeed(dataSource, `${label}-a`, `https://a.example/${label}.xml`, {
      intervalSeconds: 30,
    });
    const b = await createExchangerWithFeed(dataSource, `${label}-b`, `https://b.example/${label}.xml`, {
      intervalSeconds: 15,
    });
    const off = await createExchangerWithFeed(dataSource, `${label}-off`, `https://c.example/${label}.xml`, {
      enabled: false,
    });
    const paused = await createExchangerWithFeed(dataSource, `${label}-paused`, `https://d.example/${label}.xml`, {
      status: 'paused',
    });
    const expected = async () => (await feeds.listSchedulable()).map((f) => f.id);

    await scheduler.reconcile();
    expect(await scheduler.scheduledFeedIds()).toEqual(await expected());
    expect(await scheduler.scheduledFeedIds()).toEqual(expect.arrayContaining([a.feedId, b.feedId]));
    expect(await scheduler.scheduledFeedIds()).not.toContain(off.feedId);
    expect(await scheduler.scheduledFeedIds()).not.toContain(paused.feedId);

    // create
    const c = await createExchangerWithFeed(dataSource, `${label}-c`, `https://e.example/${label}.xml`);
    expect(await scheduler.sync(c.feedId)).toBe('scheduled');
    expect(await scheduler.scheduledFeedIds()).toEqual(await expected());

    // change the interval
    await dataSource.query(`UPDATE feeds SET interval_s = 60 WHERE id = $1`, [a.feedId]);
    await scheduler.sync(a.feedId);

    // disable, pause the exchanger, enable
    await dataSource.query(`UPDATE feeds SET enabled = false WHERE id = $1`, [b.feedId]);
    expect(await scheduler.sync(b.feedId)).toBe('unscheduled');
    await dataSource.query(`UPDATE exchangers SET status = 'active' WHERE id = $1`, [paused.exchangerId]);
    expect(await scheduler.sync(paused.feedId)).toBe('scheduled');
    expect(await scheduler.scheduledFeedIds()).toEqual(await expected());

    // delete behind its back: reconcile removes it
    await dataSource.query(`DELETE FROM feeds WHERE id = $1`, [c.feedId]);
    expect((await scheduler.reconcile()).removed).toEqual([c.feedId]);
    expect(await scheduler.scheduledFeedIds()).toEqual(await expected());

    // a restart: a fresh scheduler finds everything in place
    const restarted = makeScheduler();
    await restarted.reconcile();
    expect(await restarted.scheduledFeedIds()).toEqual(await expected());
  }

  it('fleet: one BullMQ job scheduler per feed on the real Redis', async () => {
    const queue = newQueue();
    await exerciseScheduler(bullScheduler, 'fleet');

    const schedulers = await queue.getJobSchedulers(0, -1);
    const wanted = await feeds.listSchedulable();
    expect(schedulers.map((s) => s.key).sort()).toEqual(wanted.map((f) => feedSchedulerId(f.id)).sort());
    for (const feed of wanted) {
      const scheduler = schedulers.find((s) => s.key === feedSchedulerId(feed.id))!;
      expect(Number(scheduler.every)).toBe(feed.intervalSeconds * 1000);
      expect(Number(scheduler.offset)).toBe(scheduleOffsetMs(feed.id, feed.intervalSeconds * 1000));
      expect(scheduler.template?.data).toEqual({ feedId: feed.id, trigger: 'schedule' });
    }
    // Reconciling an up-to-date schedule touches nothing.
    expect(await bullScheduler().reconcile()).toEqual({ upserted: [], removed: [] });
  });

  it('standalone: in-process timers through @nestjs/schedule', async () => {
    const config = loadConfig({ LOG_LEVEL: 'silent' });
    const { poller, fetcher } = pollServiceFor(dataSource);
    const registry = new SchedulerRegistry();
    const drivers: InProcessRecurringSchedules[] = [];
    const inProcess = (reg: SchedulerRegistry) => {
      const driver = new InProcessRecurringSchedules(reg, { [JOBS.pollFeed]: config.worker.concurrency });
      driver.handle(JOBS.pollFeed, (job) => poller.poll(job.feedId, job.trigger));
      drivers.push(driver);
      return new FeedScheduler(driver, feeds);
    };
    try {
      await exerciseScheduler(() => inProcess(new SchedulerRegistry()), 'standalone');
      const scheduler = inProcess(registry);
      await scheduler.reconcile();
      expect((await scheduler.scheduledFeedIds()).length).toBe((await feeds.listSchedulable()).length);
      expect(registry.getTimeouts().length + registry.getIntervals().length).toBe(
        (await feeds.listSchedulable()).length,
      );
    } finally {
      await Promise.all(drivers.map((d) => d.stop()));
      await fetcher.close();
    }
    expect(registry.getTimeouts()).toEqual([]);
    expect(registry.getIntervals()).toEqual([]);
  });
});
