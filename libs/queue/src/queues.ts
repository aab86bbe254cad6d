import type { DefaultJobOptions } from 'bullmq';
import { ALERT_DELIVERY_BACKOFF_MS } from '@app/domain';

/**
 * Every queue, job name, payload, job option, scheduler id and deduplication id of ratewatch, defined
 * once (STYLE.md rule 4). Producers (api, schedules) and consumers (worker, in-process runs) import
 * them from here.
 */
export const QUEUES = {
  feedPoll: 'feed-poll',
  partnerSync: 'partner-sync',
  /** Alerts' notices (DESIGN.md §12): one job per notice, retried with exponential back-off. */
  alertDelivery: 'alert-delivery',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const JOBS = {
  pollFeed: 'poll-feed',
  /** Housekeeping on the feed-poll queue: make every schedule equal the database. */
  reconcileFeeds: 'reconcile-feeds',
  /** Housekeeping on the feed-poll queue: bounded retention of feed runs. */
  pruneRuns: 'prune-runs',
  /** Housekeeping on the feed-poll queue: every direction's reference rate for the rate guard. */
  refreshReferences: 'refresh-references',
  /** Housekeeping on the feed-poll queue: rate history's bests moved without a write, roll-ups and retention. */
  rollUpHistory: 'roll-up-history',
  /** Housekeeping on the feed-poll queue: operators' alerts checked, expired alerts retired, lost notices re-queued. */
  checkAlerts: 'check-alerts',
  syncPartner: 'sync-partner',
  deliverAlert: 'deliver-alert',
} as const;
export type JobName = (typeof JOBS)[keyof typeof JOBS];
export type HousekeepingJobName =
  | typeof JOBS.reconcileFeeds
  | typeof JOBS.pruneRuns
  | typeof JOBS.refreshReferences
  | typeof JOBS.rollUpHistory
  | typeof JOBS.checkAlerts;

/** Why a poll happens; stored on the feed run. */
export type PollTrigger = 'schedule' | 'manual';

export interface FeedPollJob {
  readonly feedId: number;
  readonly trigger: PollTrigger;
}

export interface PartnerSyncJob {
  readonly exchangerId: number;
}

/**
 * Notices of alerts to send (rows of alert_deliveries, which hold their bodies, attempts and outcomes): a
 * crossing of a thousand alerts is a few jobs of ALERT_DELIVERY_BATCH, not a thousand. Each try of the job
 * sends the notices still pending; it fails (and BullMQ tries it again, backing off) while one is to be retried.
 */
export interface AlertDeliveryJob {
  readonly deliveryIds: readonly string[];
}

/** Notices a delivery job carries at most. */
export const ALERT_DELIVERY_BATCH = 50;

/** Housekeeping jobs carry nothing: the database says what to do. */
export type HousekeepingJob = Readonly<Record<string, never>>;

/** A job a schedule produces: its queue, its name and its payload, checked together. */
export type ScheduledJob =
  | { readonly queue: typeof QUEUES.feedPoll; readonly name: typeof JOBS.pollFeed; readonly data: FeedPollJob }
  | { readonly queue: typeof QUEUES.partnerSync; readonly name: typeof JOBS.syncPartner; readonly data: PartnerSyncJob }
  | { readonly queue: typeof QUEUES.feedPoll; readonly name: HousekeepingJobName; readonly data: HousekeepingJob };

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

/** A partner sync stores its own failures on the account; the next tick is the retry. */
export const PARTNER_SYNC_JOB_OPTIONS: DefaultJobOptions = {
  attempts: 1,
  removeOnComplete: { count: 200 },
  removeOnFail: { count: 500 },
};

/** Housekeeping runs again on its next tick; a failed run is not retried. */
export const HOUSEKEEPING_JOB_OPTIONS: DefaultJobOptions = {
  attempts: 1,
  removeOnComplete: { count: 100 },
  removeOnFail: { count: 100 },
};

/**
 * A notice is tried `attempts` times (ALERT_DELIVERY_ATTEMPTS), waiting 2 s, 4 s, 8 s… between tries; the
 * in-process deliverer of standalone mode follows the same policy. The job id is its first notice's and count
 * (the same batch queued twice is sent once; a notice already sent is never sent again: only pending ones are).
 */
export function alertDeliveryJobOptions(attempts: number): DefaultJobOptions {
  return {
    attempts,
    backoff: { type: 'exponential', delay: ALERT_DELIVERY_BACKOFF_MS },
    removeOnComplete: { count: 1000 },
    removeOnFail: { count: 5000 },
  };
}

/** The job id of a batch of notices. */
export const alertDeliveryJobId = (deliveryIds: readonly string[]): string =>
  `alert-delivery-${deliveryIds[0]}-${deliveryIds.length}`;

/** The options every job is added with, by job name. */
export const JOB_OPTIONS: Readonly<Record<JobName, DefaultJobOptions>> = {
  [JOBS.pollFeed]: FEED_POLL_JOB_OPTIONS,
  [JOBS.syncPartner]: PARTNER_SYNC_JOB_OPTIONS,
  [JOBS.reconcileFeeds]: HOUSEKEEPING_JOB_OPTIONS,
  [JOBS.pruneRuns]: HOUSEKEEPING_JOB_OPTIONS,
  [JOBS.refreshReferences]: HOUSEKEEPING_JOB_OPTIONS,
  [JOBS.rollUpHistory]: HOUSEKEEPING_JOB_OPTIONS,
  [JOBS.checkAlerts]: HOUSEKEEPING_JOB_OPTIONS,
  // Added with the configured attempts (alertDeliveryJobOptions); this is the default's.
  [JOBS.deliverAlert]: alertDeliveryJobOptions(6),
};

/** Partner syncs one process runs at once (a BullMQ worker, or the in-process schedules). */
export const PARTNER_SYNC_CONCURRENCY = 4;

/**
 * Schedule families: every recurring schedule's id starts with its family's prefix, and the family
 * says which queue its jobs go to. Reconciling a family leaves the others alone.
 */
export const SCHEDULE_FAMILIES = {
  feed: { prefix: 'feed:', queue: QUEUES.feedPoll },
  partner: { prefix: 'partner:', queue: QUEUES.partnerSync },
  housekeeping: { prefix: 'housekeeping:', queue: QUEUES.feedPoll },
} as const;
export type ScheduleFamily = keyof typeof SCHEDULE_FAMILIES;

/** Housekeeping schedules (one each, whatever the number of workers), their jobs and how often they run. */
export const HOUSEKEEPING = {
  reconcileFeeds: { schedulerId: 'housekeeping:reconcile-feeds', job: JOBS.reconcileFeeds, every: 60_000 },
  pruneRuns: { schedulerId: 'housekeeping:prune-runs', job: JOBS.pruneRuns, every: 10 * 60_000 },
  refreshReferences: {
    schedulerId: 'housekeeping:refresh-references',
    job: JOBS.refreshReferences,
    every: 20_000,
  },
  rollUpHistory: { schedulerId: 'housekeeping:roll-up-history', job: JOBS.rollUpHistory, every: 60_000 },
  checkAlerts: { schedulerId: 'housekeeping:check-alerts', job: JOBS.checkAlerts, every: 60_000 },
} as const;

/** One deterministic job-scheduler id per feed, so upserts replace instead of duplicating. */
export function feedSchedulerId(feedId: number): string {
  return `${SCHEDULE_FAMILIES.feed.prefix}${feedId}`;
}

/** The feed id of a scheduler id made by `feedSchedulerId`, or null for any other id. */
export function feedIdOfScheduler(schedulerId: string): number | null {
  return numberAfter(SCHEDULE_FAMILIES.feed.prefix, schedulerId);
}

/** One deterministic job-scheduler id per partner account (by exchanger). */
export function partnerSchedulerId(exchangerId: number): string {
  return `${SCHEDULE_FAMILIES.partner.prefix}${exchangerId}`;
}

/** The exchanger id of a scheduler id made by `partnerSchedulerId`, or null for any other id. */
export function exchangerIdOfScheduler(schedulerId: string): number | null {
  return numberAfter(SCHEDULE_FAMILIES.partner.prefix, schedulerId);
}

/** While a manual refresh of a feed is pending, another one joins it. */
export function feedRefreshDeduplicationId(feedId: number): string {
  return `refresh:${feedId}`;
}

/** While a manual sync of a partner account is pending, another one joins it. */
export function partnerSyncDeduplicationId(exchangerId: number): string {
  return `partner-sync:${exchangerId}`;
}

/**
 * Where in its interval a schedule fires, deterministically per key (feed id, exchanger id): without
 * an offset every 30-second feed created at start-up would fire in the same instant. In 1..everyMs.
 */
export function scheduleOffsetMs(key: number, everyMs: number): number {
  return ((key * 2_654_435_761) % everyMs) + 1;
}

function numberAfter(prefix: string, id: string): number | null {
  if (!id.startsWith(prefix)) return null;
  const rest = id.slice(prefix.length);
  return /^\d+$/.test(rest) ? Number(rest) : null;
}
