import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, OnApplicationShutdown, Optional } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Queue, QueueEvents } from 'bullmq';
import { APP_CONFIG, AppConfig } from '@app/config';
import { UnavailableError } from '@app/domain';
import { FeedPollService } from '@app/ingestion';
import { withinDeadline } from '@app/messaging';
import {
  bullConnection,
  FEED_POLL_JOB_OPTIONS,
  FeedPollJob,
  feedRefreshDeduplicationId,
  JOBS,
  QUEUES,
} from '@app/queue';

const WAIT_MS = 120_000;
/** How long adding the job may take before the refresh answers 503 (Redis away). */
const QUEUE_WAIT_MS = 3000;

/** `work`, or the error `late()` makes if it takes longer than `ms` (the work itself goes on). */
async function withinMs<T>(work: Promise<T>, ms: number, late: () => Error): Promise<T> {
  const outcome = await withinDeadline(work, ms);
  if (!outcome.done) throw late();
  return outcome.value;
}

/**
 * Polls a feed now. Fleet mode: a BullMQ job any worker takes (deduplicated per feed while one is
 * pending); standalone mode: the in-process poll service. `wait` resolves when the poll has finished.
 */
@Injectable()
export class FeedRefresher implements OnApplicationShutdown {
  private events: QueueEvents | null = null;
  private localJobs = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly moduleRef: ModuleRef,
    @Optional() @InjectQueue(QUEUES.feedPoll) private readonly queue?: Queue<FeedPollJob>,
  ) {}

  async refresh(feedId: number, wait: boolean): Promise<{ jobId: string }> {
    if (this.queue) {
      const job = await withinMs(
        this.queue.add(
          JOBS.pollFeed,
          { feedId, trigger: 'manual' },
          { ...FEED_POLL_JOB_OPTIONS, deduplication: { id: feedRefreshDeduplicationId(feedId) } },
        ),
        QUEUE_WAIT_MS,
        () =>
          new UnavailableError(
            'the job queue (Redis) is not answering; the feed will be polled on schedule, or retry shortly',
          ),
      );
      if (wait) await job.waitUntilFinished(this.queueEvents(), WAIT_MS);
      return { jobId: String(job.id) };
    }
    const poller = this.moduleRef.get(FeedPollService, { strict: false });
    const jobId = `local-${++this.localJobs}`;
    const poll = poller.poll(feedId, 'manual');
    if (wait) await poll;
    else void poll.catch(() => undefined);
    return { jobId };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.events?.close();
  }

  private queueEvents(): QueueEvents {
    this.events ??= new QueueEvents(QUEUES.feedPoll, {
      connection: bullConnection(this.config.redis.url!, 'ratewatch-api-events'),
      prefix: this.config.redis.prefix,
    });
    return this.events;
  }
}
