import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { Queue } from 'bullmq';
import { FeedsRepository, SchedulableFeed } from '@app/database';
import { FEED_POLL_JOB_OPTIONS, FeedPollJob, feedIdOfScheduler, feedSchedulerId, JOBS, QUEUES } from '@app/queue';
import { FeedScheduler, ReconcileResult, scheduleOffsetMs } from './feed-scheduler';

/** Fleet mode: one BullMQ job scheduler per feed, with a deterministic id, updated in place by upsert. */
@Injectable()
export class BullFeedScheduler extends FeedScheduler {
  private readonly logger = new Logger(BullFeedScheduler.name);

  constructor(
    @InjectQueue(QUEUES.feedPoll) private readonly queue: Queue<FeedPollJob>,
    feeds: FeedsRepository,
  ) {
    super(feeds);
  }

  async upsert(feed: SchedulableFeed): Promise<void> {
    const every = feed.intervalSeconds * 1000;
    await this.queue.upsertJobScheduler(
      feedSchedulerId(feed.id),
      { every, offset: scheduleOffsetMs(feed.id, feed.intervalSeconds) },
      { name: JOBS.pollFeed, data: { feedId: feed.id, trigger: 'schedule' }, opts: FEED_POLL_JOB_OPTIONS },
    );
  }

  async remove(feedId: number): Promise<void> {
    await this.queue.removeJobScheduler(feedSchedulerId(feedId));
  }

  async scheduledFeedIds(): Promise<number[]> {
    return (await this.current()).map((s) => s.feedId).sort((a, b) => a - b);
  }

  async reconcile(): Promise<ReconcileResult> {
    const [wanted, current] = await Promise.all([this.feeds.listSchedulable(), this.current()]);
    const currentById = new Map(current.map((s) => [s.feedId, s]));
    const wantedIds = new Set(wanted.map((f) => f.id));
    const upserted: number[] = [];
    const removed: number[] = [];
    for (const feed of wanted) {
      const existing = currentById.get(feed.id);
      // Only touch schedulers that differ: an upsert re-plans the next run.
      if (existing && existing.every === feed.intervalSeconds * 1000 && existing.offset === scheduleOffsetMs(feed.id, feed.intervalSeconds)) continue;
      await this.upsert(feed);
      upserted.push(feed.id);
    }
    for (const scheduler of current) {
      if (wantedIds.has(scheduler.feedId)) continue;
      await this.remove(scheduler.feedId);
      removed.push(scheduler.feedId);
    }
    if (upserted.length + removed.length > 0) this.logger.log(`reconciled feed schedulers: ${upserted.length} upserted, ${removed.length} removed`);
    return { upserted, removed };
  }

  private async current(): Promise<Array<{ feedId: number; every: number | undefined; offset: number | undefined }>> {
    const schedulers = await this.queue.getJobSchedulers(0, -1);
    return schedulers.flatMap((s) => {
      const feedId = feedIdOfScheduler(s.key);
      return feedId === null ? [] : [{ feedId, every: s.every === undefined ? undefined : Number(s.every), offset: s.offset === undefined ? undefined : Number(s.offset) }];
    });
  }
}
