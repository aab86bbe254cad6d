import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';
import { MAX_FEED_POLL_SHARDS } from '@app/config';
import { feedIdOfScheduler, JOB_OPTIONS, QUEUES, SCHEDULE_FAMILIES, ScheduleFamily } from '../queues';
import { FeedPollQueues } from '../shards/feed-poll-queues';
import { familyOf, RecurringSchedule, RecurringSchedules, ScheduleState } from './recurring-schedules';

/** The queues schedules produce jobs in. */
type ScheduledQueueName = (typeof SCHEDULE_FAMILIES)[ScheduleFamily]['queue'];

/**
 * Fleet mode: one BullMQ job scheduler per schedule id (`upsertJobScheduler`, STYLE.md rule 6), in
 * the queue of the schedule's family — a feed's in its shard's queue (FeedPollQueues). Redis holds them;
 * the workers take the jobs they produce.
 */
@Injectable()
export class BullRecurringSchedules extends RecurringSchedules {
  private readonly queues: Readonly<Record<ScheduledQueueName, Queue>>;

  constructor(
    @InjectQueue(QUEUES.feedPoll) feedPoll: Queue,
    @InjectQueue(QUEUES.partnerSync) partnerSync: Queue,
    private readonly feedPolls: FeedPollQueues,
  ) {
    super();
    this.queues = { [QUEUES.feedPoll]: feedPoll, [QUEUES.partnerSync]: partnerSync };
  }

  async upsert(schedule: RecurringSchedule): Promise<void> {
    const { id, everyMs, offsetMs, job } = schedule;
    await this.queueOf(id).upsertJobScheduler(
      id,
      { every: everyMs, ...(offsetMs > 0 ? { offset: offsetMs } : {}) },
      { name: job.name, data: job.data, opts: JOB_OPTIONS[job.name] },
    );
  }

  async remove(id: string): Promise<void> {
    if (familyOf(id) === 'feed') {
      // Wherever it is: a scheduler may be in another layout's queue until the next reconcile moves it.
      for (const queue of this.feedPolls.all()) await queue.removeJobScheduler(id);
      return;
    }
    await this.queueOf(id).removeJobScheduler(id);
  }

  async list(family: ScheduleFamily): Promise<ScheduleState[]> {
    const { prefix, queue } = SCHEDULE_FAMILIES[family];
    const found =
      family === 'feed'
        ? await this.feedSchedulers()
        : (await this.queues[queue].getJobSchedulers(0, -1)).filter((s) => s.key.startsWith(prefix));
    return found
      .map((s) => ({
        id: s.key,
        everyMs: Number(s.every ?? 0),
        offsetMs: Number(s.offset ?? 0),
        ...(s.template ? { job: { name: s.name, data: s.template.data as unknown } } : {}),
      }))
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  /**
   * The feeds' schedulers in their shards' queues. One found in another queue — left there by another
   * FEED_POLL_SHARDS — is removed, so the reconcile that lists it upserts it where it belongs; the queues of
   * the layout last reconciled are looked in too, then this layout is recorded as the last.
   */
  private async feedSchedulers() {
    const client = await this.feedPolls.main.getBackend().client;
    const layoutKey = this.feedPolls.layoutKey();
    const lastLayout = Number((await client.get(layoutKey)) ?? 1);
    const current = this.feedPolls.all();
    const others =
      Number.isInteger(lastLayout) && lastLayout >= 1 && lastLayout <= MAX_FEED_POLL_SHARDS
        ? this.feedPolls.openLayout(lastLayout)
        : [];
    try {
      const found = [];
      for (const queue of [...current, ...others]) {
        for (const scheduler of await queue.getJobSchedulers(0, -1)) {
          const feedId = feedIdOfScheduler(scheduler.key);
          if (feedId === null) continue;
          if (this.feedPolls.of(feedId).name === queue.name) found.push(scheduler);
          else await queue.removeJobScheduler(scheduler.key);
        }
      }
      await client.set(layoutKey, String(this.feedPolls.shards.length));
      return found;
    } finally {
      await Promise.all(others.map((queue) => queue.close()));
    }
  }

  private queueOf(id: string): Queue {
    const family = familyOf(id);
    if (!family) throw new Error(`${id} is not a ratewatch schedule id`);
    if (family === 'feed') {
      const feedId = feedIdOfScheduler(id);
      if (feedId === null) throw new Error(`${id} is not a feed's schedule id`);
      return this.feedPolls.of(feedId);
    }
    return this.queues[SCHEDULE_FAMILIES[family].queue];
  }
}
