import type { DefaultJobOptions } from 'bullmq';

/**
 * Every queue, job name, payload and job option of ratewatch, defined once (STYLE.md rule 4).
 * Producers (api, standalone scheduler) and consumers (worker) import them from here.
 */
export const QUEUES = {
  feedPoll: 'feed-poll',
  partnerSync: 'partner-sync',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const JOBS = {
  pollFeed: 'poll-feed',
  /** Housekeeping on the feed-poll queue: make the schedulers equal the feeds table. */
  reconcileFeeds: 'reconcile-feeds',
  /** Housekeeping on the feed-poll queue: bounded retention of feed runs. */
  pruneRuns: 'prune-runs',
  syncPartner: 'sync-partner',
} as const;

/** Housekeeping schedulers (one each, whatever the number of workers) and how often they run. */
export const HOUSEKEEPING = {
  reconcileFeeds: { schedulerId: 'housekeeping:reconcile-feeds', every: 60_000 },
  pruneRuns: { schedulerId: 'housekeeping:prune-runs', every: 10 * 60_000 },
} as const;

/** Why a poll happens; stored on the feed run. */
export type PollTrigger = 'schedule' | 'manual';

export interface FeedPollJob {
  readonly feedId: number;
  readonly trigger: PollTrigger;
}

export interface PartnerSyncJob {
  readonly exchangerId: number;
}

/** One deterministic job-scheduler id per feed, so upserts replace instead of duplicating. */
export function feedSchedulerId(feedId: number): string {
  return `feed:${feedId}`;
}

/** The feed id of a scheduler id made by `feedSchedulerId`, or null for any other id. */
export function feedIdOfScheduler(schedulerId: string): number | null {
  const match = /^feed:(\d+)$/.exec(schedulerId);
  return match ? Number(match[1]) : null;
}

/**
 * A feed that fails is not a failed job: the poll records an `error` run and the next tick tries again
 * (backing off). A job fails only when ratewatch itself cannot work (the database is down, say): it is
 * retried once, 5 s later. Finished jobs are kept in bounded numbers.
 */
export const FEED_POLL_JOB_OPTIONS: DefaultJobOptions = {
  attempts: 2,
  backoff: { type: 'fixed', delay: 5000 },
  removeOnComplete: { count: 1000 },
  removeOnFail: { count: 5000 },
};
