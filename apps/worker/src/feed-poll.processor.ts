import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, OnApplicationBootstrap } from '@nestjs/common';
import { Job, UnrecoverableError } from 'bullmq';
import { APP_CONFIG, AppConfig } from '@app/config';
import { HousekeepingService } from '@app/background';
import { FeedPollService, IngestionMetrics, PollOutcome } from '@app/ingestion';
import { FeedPollJob, HOUSEKEEPING, HousekeepingJobName, JOBS, QUEUES } from '@app/queue';

/**
 * BullMQ worker options from the configuration. A poll's lock is renewed every half `WORKER_LOCK_SECONDS`;
 * a worker that died (SIGKILL, lost host) stops renewing, and after the lock expires the stalled-job
 * check (every half lock) hands the job to another worker. A job found stalled a third time fails.
 */
export function feedPollWorkerOptions(config: AppConfig): {
  lockDuration: number;
  stalledInterval: number;
  maxStalledCount: number;
} {
  const lockMs = config.worker.lockSeconds * 1000;
  return { lockDuration: lockMs, stalledInterval: Math.max(1000, Math.floor(lockMs / 2)), maxStalledCount: 2 };
}

const HOUSEKEEPING_JOBS = new Set<string>(Object.values(HOUSEKEEPING).map((h) => h.job));

/**
 * Consumes the feed-poll queue: polls (FeedPollService) and the housekeeping jobs (HousekeepingService).
 * Any worker takes any job; BullMQ re-runs a job whose worker died (stalled jobs). A job that cannot
 * be run (no feed id, unknown name) fails without retries; anything else thrown is retried.
 */
@Processor(QUEUES.feedPoll)
export class FeedPollProcessor extends WorkerHost implements OnApplicationBootstrap {
  constructor(
    private readonly poller: FeedPollService,
    private readonly housekeeping: HousekeepingService,
    private readonly metrics: IngestionMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.worker.concurrency;
  }

  async process(job: Job): Promise<unknown> {
    if (HOUSEKEEPING_JOBS.has(job.name)) return this.housekeeping.run(job.name as HousekeepingJobName);
    if (job.name !== JOBS.pollFeed) throw new UnrecoverableError(`unknown job name ${job.name}`);
    const { feedId, trigger } = job.data as FeedPollJob;
    if (!Number.isInteger(feedId)) throw new UnrecoverableError(`job ${job.id} has no feed id`);
    // How long the poll waited in the queue once due (its delay, for a scheduled one, is when it was due).
    const dueAt = job.timestamp + (job.opts.delay ?? 0);
    this.metrics.stage('queued', performance.now() - Math.max(0, (job.processedOn ?? Date.now()) - dueAt));
    return pollJobResult(await this.poller.poll(feedId, trigger));
  }
}

/** What a finished poll job keeps as its return value. */
function pollJobResult(outcome: PollOutcome): unknown {
  if (outcome.status === 'skipped') return { status: 'skipped', reason: outcome.reason };
  const { run } = outcome;
  return {
    status: run.status,
    error: run.error,
    offers: run.accepted,
    inserted: run.inserted,
    updated: run.updated,
    deleted: run.deleted,
    durationMs: run.durationMs,
  };
}
