import { randomBytes } from 'node:crypto';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Queue } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../../test/support/processes';
import { TEST_REDIS_URL } from '../../../../test/support/services';
import { bullConnection } from '../queue.module';
import {
  feedIdOfScheduler,
  feedSchedulerId,
  HOUSEKEEPING,
  JOB_OPTIONS,
  JOBS,
  partnerSchedulerId,
  QUEUES,
  scheduleOffsetMs,
} from '../queues';
import { FeedPollQueues } from '../shards/feed-poll-queues';
import { BullRecurringSchedules } from './bull-recurring-schedules';
import { InProcessRecurringSchedules } from './in-process-recurring-schedules';
import {
  feedPollSchedule,
  housekeepingSchedules,
  partnerSyncSchedule,
  RecurringSchedule,
  RecurringSchedules,
} from './recurring-schedules';

const ONE_SHARD = { worker: { feedPollShards: 1 } };

/** A driver under test and how to count the timers / job schedulers it really holds for an id. */
interface DriverUnderTest {
  readonly driver: RecurringSchedules;
  /** How many schedulers (BullMQ) or timers (in-process) exist for the id. */
  readonly schedulersOf: (id: string) => Promise<number>;
  readonly close: () => Promise<void>;
}

function bullDriver(): DriverUnderTest {
  const prefix = `rwtest-${randomBytes(4).toString('hex')}`;
  const connection = bullConnection(TEST_REDIS_URL, 'test');
  const feedPoll = new Queue(QUEUES.feedPoll, { connection, prefix });
  const partnerSync = new Queue(QUEUES.partnerSync, { connection, prefix });
  return {
    driver: new BullRecurringSchedules(feedPoll, partnerSync, new FeedPollQueues(ONE_SHARD, feedPoll)),
    schedulersOf: async (id) => {
      const all = [...(await feedPoll.getJobSchedulers(0, -1)), ...(await partnerSync.getJobSchedulers(0, -1))];
      return all.filter((s) => s.key === id).length;
    },
    close: async () => {
      await Promise.all([feedPoll.obliterate({ force: true }), partnerSync.obliterate({ force: true })]);
      await Promise.all([feedPoll.close(), partnerSync.close()]);
    },
  };
}

function inProcessDriver(): DriverUnderTest {
  const registry = new SchedulerRegistry();
  const driver = new InProcessRecurringSchedules(registry);
  return {
    driver,
    schedulersOf: (id) =>
      Promise.resolve([...registry.getTimeouts(), ...registry.getIntervals()].filter((name) => name === id).length),
    close: () => driver.stop(),
  };
}

/** The contract both drivers keep: one schedule per id whatever the upserts, removal, family-scoped reconcile. */
describe.each([
  ['BullMQ (real Redis)', bullDriver],
  ['in-process (@nestjs/schedule registry)', inProcessDriver],
])('RecurringSchedules, %s driver', (_label, make) => {
  const opened: DriverUnderTest[] = [];
  const open = () => {
    const d = make();
    opened.push(d);
    return d;
  };
  afterAll(async () => {
    await Promise.all(opened.map((d) => d.close()));
  });

  it('keeps one schedule per id through repeated upserts, and changes it in place', async () => {
    const { driver, schedulersOf } = open();
    for (let i = 0; i < 3; i++)
      await Promise.all([driver.upsert(feedPollSchedule(7, 30)), driver.upsert(partnerSyncSchedule(7, 900))]);
    await driver.upsert(feedPollSchedule(7, 60));
    expect(await schedulersOf(feedSchedulerId(7))).toBe(1);
    expect(await schedulersOf(partnerSchedulerId(7))).toBe(1);
    expect(await driver.list('feed')).toEqual([
      {
        id: feedSchedulerId(7),
        everyMs: 60_000,
        offsetMs: scheduleOffsetMs(7, 60_000),
        job: { name: JOBS.pollFeed, data: { feedId: 7, trigger: 'schedule' } },
      },
    ]);
    // Partners are spread over their interval exactly like feeds.
    expect(await driver.list('partner')).toEqual([
      {
        id: partnerSchedulerId(7),
        everyMs: 900_000,
        offsetMs: scheduleOffsetMs(7, 900_000),
        job: { name: JOBS.syncPartner, data: { exchangerId: 7 } },
      },
    ]);
  });

  it('removes a schedule (and removing an unknown id is harmless)', async () => {
    const { driver, schedulersOf } = open();
    await driver.upsert(feedPollSchedule(1, 30));
    await driver.upsert(feedPollSchedule(2, 30));
    await driver.remove(feedSchedulerId(1));
    await driver.remove(feedSchedulerId(99));
    expect(await driver.ids('feed')).toEqual([feedSchedulerId(2)]);
    expect(await schedulersOf(feedSchedulerId(1))).toBe(0);
  });

  it('reconciles one family with the desired set, touching only what differs and leaving other families alone', async () => {
    const { driver, schedulersOf } = open();
    await driver.upsert(feedPollSchedule(1, 30));
    await driver.upsert(feedPollSchedule(2, 30));
    await driver.upsert(feedPollSchedule(3, 30));
    await driver.upsert(partnerSyncSchedule(1, 600));
    await driver.reconcile('housekeeping', housekeepingSchedules());

    const desired = [feedPollSchedule(1, 30), feedPollSchedule(2, 45), feedPollSchedule(4, 15)];
    expect(await driver.reconcile('feed', desired)).toEqual({
      upserted: [feedSchedulerId(2), feedSchedulerId(4)],
      removed: [feedSchedulerId(3)],
    });
    expect(await driver.ids('feed')).toEqual([feedSchedulerId(1), feedSchedulerId(2), feedSchedulerId(4)]);
    expect(await driver.ids('partner')).toEqual([partnerSchedulerId(1)]);
    expect(await driver.ids('housekeeping')).toEqual(
      Object.values(HOUSEKEEPING)
        .map((h) => h.schedulerId)
        .sort(),
    );
    // Up to date: nothing to do, and still one scheduler each.
    expect(await driver.reconcile('feed', desired)).toEqual({ upserted: [], removed: [] });
    for (const schedule of desired) expect(await schedulersOf(schedule.id)).toBe(1);
    // An empty desired set empties the family only.
    expect(await driver.reconcile('partner', [])).toEqual({ upserted: [], removed: [partnerSchedulerId(1)] });
    expect(await driver.ids('feed')).toHaveLength(3);
  });

  it('refuses a schedule of another family in a reconcile', async () => {
    const { driver } = open();
    await expect(driver.reconcile('feed', [partnerSyncSchedule(1, 600)])).rejects.toThrow(/not of the feed family/);
  });
});

describe('RecurringSchedules, BullMQ driver specifics', () => {
  it('plans one job per scheduler with the job options of libs/queue', async () => {
    const prefix = `rwtest-${randomBytes(4).toString('hex')}`;
    const connection = bullConnection(TEST_REDIS_URL, 'test');
    const feedPoll = new Queue(QUEUES.feedPoll, { connection, prefix });
    const partnerSync = new Queue(QUEUES.partnerSync, { connection, prefix });
    try {
      const driver = new BullRecurringSchedules(feedPoll, partnerSync, new FeedPollQueues(ONE_SHARD, feedPoll));
      for (let i = 0; i < 3; i++) await driver.upsert(partnerSyncSchedule(5, 600));
      const [scheduler] = await partnerSync.getJobSchedulers(0, -1);
      expect(scheduler?.template?.opts).toMatchObject({ attempts: JOB_OPTIONS[JOBS.syncPartner].attempts });
      const planned = (await partnerSync.getJobs(['delayed', 'waiting', 'prioritized'])).filter(
        (j) => j.repeatJobKey === partnerSchedulerId(5),
      );
      expect(planned).toHaveLength(1);
      expect(planned[0]?.name).toBe(JOBS.syncPartner);
      expect(await feedPoll.getJobSchedulersCount()).toBe(0);
    } finally {
      await Promise.all([feedPoll.obliterate({ force: true }), partnerSync.obliterate({ force: true })]);
      await Promise.all([feedPoll.close(), partnerSync.close()]);
    }
  });

  it("puts a feed's scheduler in its shard's queue, and moves every scheduler when the number of shards changes", async () => {
    const prefix = `rwtest-${randomBytes(4).toString('hex')}`;
    const connection = bullConnection(TEST_REDIS_URL, 'test');
    const feedPoll = new Queue(QUEUES.feedPoll, { connection, prefix });
    const partnerSync = new Queue(QUEUES.partnerSync, { connection, prefix });
    // Every queue a scheduler could be in, looked at from outside the driver.
    const looked = [
      feedPoll,
      ...[0, 1, 2].map((shard) => new Queue(`${QUEUES.feedPoll}-${shard}`, { connection, prefix })),
    ];
    const layout = (feedPollShards: number) => {
      const queues = new FeedPollQueues({ worker: { feedPollShards } }, feedPoll);
      return { queues, driver: new BullRecurringSchedules(feedPoll, partnerSync, queues) };
    };
    /** Per queue, the feeds whose schedulers it holds, and the feeds whose next poll it has planned. */
    const where = async () => {
      const found: Record<string, { schedulers: number[]; planned: number[] }> = {};
      for (const queue of looked) {
        const schedulers = (await queue.getJobSchedulers(0, -1)).map((s) => feedIdOfScheduler(s.key)!);
        const planned = (await queue.getJobs(['delayed', 'waiting', 'prioritized'])).map(
          (job) => (job.data as { feedId: number }).feedId,
        );
        if (schedulers.length + planned.length > 0)
          found[queue.name] = { schedulers: schedulers.sort(), planned: planned.sort() };
      }
      return found;
    };
    const desired = [1, 2, 3, 4, 5, 6].map((feedId) => feedPollSchedule(feedId, 60));
    const opened: FeedPollQueues[] = [];
    try {
      const three = layout(3);
      opened.push(three.queues);
      await three.driver.reconcile('feed', desired);
      expect(await where()).toEqual({
        'feed-poll-0': { schedulers: [3, 6], planned: [3, 6] },
        'feed-poll-1': { schedulers: [1, 4], planned: [1, 4] },
        'feed-poll-2': { schedulers: [2, 5], planned: [2, 5] },
      });
      expect(await three.driver.ids('feed')).toEqual(desired.map((s) => s.id).sort());
      expect(await three.driver.reconcile('feed', desired)).toEqual({ upserted: [], removed: [] });

      // Two shards: the schedulers in the wrong queue (and the third shard's) are moved, the others stay.
      const two = layout(2);
      opened.push(two.queues);
      const moved = await two.driver.reconcile('feed', desired);
      expect(moved.upserted).toEqual(['feed:2', 'feed:3', 'feed:4', 'feed:5']);
      expect(await where()).toEqual({
        'feed-poll-0': { schedulers: [2, 4, 6], planned: [2, 4, 6] },
        'feed-poll-1': { schedulers: [1, 3, 5], planned: [1, 3, 5] },
      });
      // A feed removed is removed wherever it is.
      await two.driver.remove(feedSchedulerId(6));

      // Back to one queue: the shards' queues are left empty.
      const one = layout(1);
      opened.push(one.queues);
      await one.driver.reconcile('feed', desired.slice(0, 5));
      expect(await where()).toEqual({ 'feed-poll': { schedulers: [1, 2, 3, 4, 5], planned: [1, 2, 3, 4, 5] } });
    } finally {
      for (const queue of looked) await queue.obliterate({ force: true });
      await partnerSync.obliterate({ force: true });
      for (const queues of opened) await queues.onApplicationShutdown();
      await Promise.all([...looked, partnerSync].map((queue) => queue.close()));
    }
  });
});

describe('RecurringSchedules, in-process driver runs', () => {
  /** A schedule firing every `everyMs` from now on. */
  const every = (id: number, everyMs: number): RecurringSchedule => ({
    ...feedPollSchedule(id, 1),
    everyMs,
    offsetMs: 1,
  });

  it('runs the registered handler, never twice at once for one id, and shutdown waits for the run in hand', async () => {
    const registry = new SchedulerRegistry();
    const driver = new InProcessRecurringSchedules(registry);
    const started: number[] = [];
    const ticks = new Map<number, number>();
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    let finished = false;
    driver.handle(JOBS.pollFeed, async ({ feedId }) => {
      ticks.set(feedId, (ticks.get(feedId) ?? 0) + 1);
      if (feedId !== 1) return;
      started.push(Date.now());
      await blocked;
      finished = true;
    });
    await driver.upsert(every(1, 40));
    await driver.upsert(every(2, 40));

    await waitFor('the slow run to start', () => started.length === 1, 5000, 10);
    // Feed 2's runs are the clock: several intervals pass while feed 1's run is still in hand.
    const clock = ticks.get(2) ?? 0;
    await waitFor('three more intervals', () => (ticks.get(2) ?? 0) >= clock + 3, 5000, 10);
    expect(started).toHaveLength(1);
    expect(driver.activeRuns).toBe(1);

    let stopped = false;
    const stopping = driver.stop().then(() => (stopped = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);
    expect(registry.getIntervals()).toEqual([]);
    expect(registry.getTimeouts()).toEqual([]);
    release();
    await stopping;
    expect(finished).toBe(true);
    expect(driver.activeRuns).toBe(0);
    // Stopped: no new runs, no new timers.
    await driver.upsert(every(3, 40));
    expect(registry.getIntervals()).toEqual([]);
    expect(ticks.get(3)).toBeUndefined();
  });

  it('bounds the concurrent runs of a job name', async () => {
    const driver = new InProcessRecurringSchedules(new SchedulerRegistry(), { [JOBS.pollFeed]: 2 });
    let running = 0;
    let most = 0;
    const started = new Set<number>();
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    driver.handle(JOBS.pollFeed, async ({ feedId }) => {
      started.add(feedId);
      most = Math.max(most, ++running);
      await blocked;
      running--;
    });
    driver.handle(HOUSEKEEPING.pruneRuns.job, () => Promise.resolve(started.add(-1)));
    for (const id of [1, 2, 3, 4]) await driver.upsert(every(id, 30));
    await driver.upsert({
      ...housekeepingSchedules().find((s) => s.job.name === JOBS.pruneRuns)!,
      everyMs: 30,
      offsetMs: 1,
    });
    // Housekeeping is not held back by the polls' limit.
    await waitFor('two polls and a housekeeping run', () => started.size >= 3 && started.has(-1), 5000, 10);
    expect(most).toBe(2);
    expect(driver.activeRuns).toBe(2);
    release();
    await driver.stop();
  });
});
