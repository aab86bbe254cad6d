import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Job, Queue, UnrecoverableError } from 'bullmq';
import type { Redis } from 'ioredis';
import { InjectQueue } from '@nestjs/bullmq';
import { APP_CONFIG, AppConfig } from '@app/config';
import { FeedsRepository } from '@app/database';
import { FeedPollService, FeedScheduler } from '@app/ingestion';
import { PartnerScheduler } from '@app/partners';
import { FeedPollJob, HOUSEKEEPING, JOBS, QUEUES, REDIS_CLIENT } from '@app/queue';

/** How soon a failed re-planning after a Redis reconnect is tried again. */
const REPLAN_RETRY_MS = 3000;

/**
 * BullMQ worker options from the configuration. A poll's lock is renewed every half `WORKER_LOCK_SECONDS`;
 * a worker that died (SIGKILL, lost host) stops renewing, and after the lock expires the stalled-job
 * check (every half lock) hands the job to another worker. A job found stalled a third time fails.
 */
export function feedPollWorkerOptions(config: AppConfig): { lockDuration: number; stalledInterval: number; maxStalledCount: number } {
  const lockMs = config.worker.lockSeconds * 1000;
  return { lockDuration: lockMs, stalledInterval: Math.max(1000, Math.floor(lockMs / 2)), maxStalledCount: 2 };
}

/**
 * Consumes the feed-poll queue: polls (thin: read job.data, call FeedPollService) and the two
 * housekeeping jobs. Any worker takes any job; BullMQ re-runs a job whose worker died (stalled jobs).
 * The schedules live in Redis: after every reconnect the worker plans them again, because a Redis
 * that restarted without persistence has forgotten them (and with persistence this changes nothing).
 */
@Processor(QUEUES.feedPoll)
export class FeedPollProcessor extends WorkerHost implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(FeedPollProcessor.name);
  private replanTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly poller: FeedPollService,
    private readonly scheduler: FeedScheduler,
    private readonly partnerScheduler: PartnerScheduler,
    private readonly feeds: FeedsRepository,
    @InjectQueue(QUEUES.feedPoll) private readonly queue: Queue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
  ) {
    super();
  }

  /** Sets the concurrency and plans the schedules, now and after every Redis reconnect. */
  async onApplicationBootstrap(): Promise<void> {
    this.worker.concurrency = this.config.worker.concurrency;
    await this.planSchedules('at start');
    this.redis.on('ready', () => this.replan());
  }

  /**
   * Plans the schedules after a Redis reconnect, retrying every few seconds until it works: if the
   * database is down at that moment too, nothing else would (the housekeeping reconcile job lived in
   * the Redis that forgot it).
   */
  private replan(attempt = 1): void {
    if (this.replanTimer) clearTimeout(this.replanTimer);
    this.replanTimer = null;
    this.planSchedules('after a Redis reconnect').catch((error: unknown) => {
      this.logger.error(`planning schedules after a Redis reconnect failed (attempt ${attempt}, retrying in ${REPLAN_RETRY_MS / 1000} s): ${String(error)}`);
      this.replanTimer = setTimeout(() => this.replan(attempt + 1), REPLAN_RETRY_MS);
      this.replanTimer.unref();
    });
  }

  onApplicationShutdown(): void {
    if (this.replanTimer) clearTimeout(this.replanTimer);
  }

  /** Reconciles the feed and partner schedulers with the database and plans the housekeeping jobs. */
  private async planSchedules(when: string): Promise<void> {
    const result = await this.scheduler.reconcile();
    await this.partnerScheduler.reconcile();
    this.logger.log(`feed schedulers reconciled ${when}: ${result.upserted.length} upserted, ${result.removed.length} removed`);
    await this.queue.upsertJobScheduler(HOUSEKEEPING.reconcileFeeds.schedulerId, { every: HOUSEKEEPING.reconcileFeeds.every }, { name: JOBS.reconcileFeeds });
    await this.queue.upsertJobScheduler(HOUSEKEEPING.pruneRuns.schedulerId, { every: HOUSEKEEPING.pruneRuns.every }, { name: JOBS.pruneRuns });
  }

  async process(job: Job): Promise<unknown> {
    switch (job.name) {
      case JOBS.pollFeed: {
        const { feedId, trigger } = job.data as FeedPollJob;
        if (!Number.isInteger(feedId)) throw new UnrecoverableError(`job ${job.id} has no feed id`);
        const outcome = await this.poller.poll(feedId, trigger);
        if (outcome.status === 'skipped') return { status: 'skipped', reason: outcome.reason };
        const { run } = outcome;
        return { status: run.status, error: run.error, offers: run.accepted, inserted: run.inserted, updated: run.updated, deleted: run.deleted, durationMs: run.durationMs };
      }
      case JOBS.reconcileFeeds: {
        const feeds = await this.scheduler.reconcile();
        await this.partnerScheduler.reconcile();
        return feeds;
      }
      case JOBS.pruneRuns:
        return { pruned: await this.feeds.pruneRuns() };
      default:
        throw new UnrecoverableError(`unknown job name ${job.name}`);
    }
  }
}
