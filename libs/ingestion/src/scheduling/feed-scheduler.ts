import { Injectable, Logger } from '@nestjs/common';
import { FeedsRepository, SchedulableFeed } from '@app/database';
import { feedIdOfScheduler, feedPollSchedule, feedSchedulerId, RecurringSchedules } from '@app/queue';

export interface ReconcileResult {
  upserted: number[];
  removed: number[];
}

/**
 * Keeps one recurring poll per enabled feed of an active exchanger, through the one recurring-schedule
 * abstraction (BullMQ job schedulers in fleet mode, in-process timers in standalone mode). Postgres is
 * the truth: `reconcile` makes the schedule equal the `feeds` table; `sync` follows one feed after an
 * admin change (call it after the commit).
 */
@Injectable()
export class FeedScheduler {
  private readonly logger = new Logger(FeedScheduler.name);

  constructor(
    private readonly schedules: RecurringSchedules,
    private readonly feeds: FeedsRepository,
  ) {}

  async upsert(feed: SchedulableFeed): Promise<void> {
    await this.schedules.upsert(feedPollSchedule(feed.id, feed.intervalSeconds));
  }

  async remove(feedId: number): Promise<void> {
    await this.schedules.remove(feedSchedulerId(feedId));
  }

  /** The feed ids that have a schedule now. */
  async scheduledFeedIds(): Promise<number[]> {
    return feedIds(await this.schedules.ids('feed'));
  }

  async reconcile(): Promise<ReconcileResult> {
    const wanted = await this.feeds.listSchedulable();
    const result = await this.schedules.reconcile(
      'feed',
      wanted.map((f) => feedPollSchedule(f.id, f.intervalSeconds)),
    );
    const upserted = feedIds(result.upserted);
    const removed = feedIds(result.removed);
    if (upserted.length + removed.length > 0)
      this.logger.log(`reconciled feed schedules: ${upserted.length} upserted, ${removed.length} removed`);
    return { upserted, removed };
  }

  /** Upserts or removes one feed's schedule according to the database. */
  async sync(feedId: number): Promise<'scheduled' | 'unscheduled'> {
    const feed = (await this.feeds.listSchedulable()).find((f) => f.id === feedId);
    if (feed) {
      await this.upsert(feed);
      return 'scheduled';
    }
    await this.remove(feedId);
    return 'unscheduled';
  }
}

function feedIds(scheduleIds: readonly string[]): number[] {
  return scheduleIds.flatMap((id) => feedIdOfScheduler(id) ?? []).sort((a, b) => a - b);
}
