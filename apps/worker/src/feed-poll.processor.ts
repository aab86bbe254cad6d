import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Job, Queue, UnrecoverableError } from 'bullmq';
import { InjectQueue } from '@nestjs/bullmq';
import { APP_CONFIG, AppConfig } from '@app/config';
import { FeedsRepository } from '@app/database';
import { FeedPollService, FeedScheduler } from '@app/ingestion';
import { PartnerScheduler } from '@app/partners';
import { FeedPollJob, HOUSEKEEPING, JOBS, QUEUES } from '@app/queue';

/**
 * Consumes the feed-poll queue: polls (thin: read job.data, call FeedPollService) and the two
 * housekeeping jobs. Any worker takes any job; BullMQ re-runs a job whose worker died (stalled jobs).
 */
@Processor(QUEUES.feedPoll, { lockDuration: 60_000, maxStalledCount: 2 })
export class FeedPollProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly logger = new Logger(FeedPollProcessor.name);

  constructor(
    private readonly poller: FeedPollService,
    private readonly scheduler: FeedScheduler,
    private readonly partnerScheduler: PartnerScheduler,
    private readonly feeds: FeedsRepository,
    @InjectQueue(QUEUES.feedPoll) private readonly queue: Queue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super();
  }

  /** Sets the concurrency, reconciles the schedulers with the feeds table and plans the housekeeping. */
  async onApplicationBootstrap(): Promise<void> {
    this.worker.concurrency = this.config.worker.concurrency;
    const result = await this.scheduler.reconcile();
    await this.partnerScheduler.reconcile();
    this.logger.log(`feed schedulers reconciled at start: ${result.upserted.length} upserted, ${result.removed.length} removed`);
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
