import type { FeedsRepository, SchedulableFeed } from '@app/database';

export interface ReconcileResult {
  upserted: number[];
  removed: number[];
}

/**
 * Keeps one recurring poll per enabled feed of an active exchanger — BullMQ job schedulers in fleet
 * mode, in-process timers in standalone mode. Postgres is the truth: `reconcile` makes the schedule
 * equal the `feeds` table; `sync` follows one feed after an admin change (call it after the commit).
 */
export abstract class FeedScheduler {
  constructor(protected readonly feeds: FeedsRepository) {}

  abstract upsert(feed: SchedulableFeed): Promise<void>;
  abstract remove(feedId: number): Promise<void>;
  /** The feed ids that have a schedule now. */
  abstract scheduledFeedIds(): Promise<number[]>;
  abstract reconcile(): Promise<ReconcileResult>;
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

/**
 * Spreads feeds of the same interval over it, deterministically per feed: without an offset every
 * 30-second feed created at start-up would fire in the same instant.
 */
export function scheduleOffsetMs(feedId: number, intervalSeconds: number): number {
  const everyMs = intervalSeconds * 1000;
  return ((feedId * 2_654_435_761) % everyMs) + 1;
}
