import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, OnApplicationShutdown, Optional } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Queue } from 'bullmq';
import { APP_CONFIG, AppConfig } from '@app/config';
import { FeedPollService } from '@app/ingestion';
import { FEED_POLL_JOB_OPTIONS, FeedPollJob, feedRefreshDeduplicationId, JobRequests, JOBS, QUEUES } from '@app/queue';

/**
 * Polls a feed now. Fleet mode: a BullMQ job any worker takes (deduplicated per feed while one is
 * pending); standalone mode: the in-process poll service. `wait` resolves when the poll has finished.
 */
@Injectable()
export class FeedRefresher implements OnApplicationShutdown {
  private readonly jobs: JobRequests<FeedPollJob, unknown> | null;
  private localJobs = 0;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly moduleRef: ModuleRef,
    @Optional() @InjectQueue(QUEUES.feedPoll) queue?: Queue<FeedPollJob>,
  ) {
    this.jobs = queue ? new JobRequests(queue as Queue<FeedPollJob, unknown>, config) : null;
  }

  async refresh(feedId: number, wait: boolean): Promise<{ jobId: string }> {
    if (this.jobs) {
      const job = await this.jobs.add(
        JOBS.pollFeed,
        { feedId, trigger: 'manual' },
        { ...FEED_POLL_JOB_OPTIONS, deduplication: { id: feedRefreshDeduplicationId(feedId) } },
        'the job queue (Redis) is not answering; the feed will be polled on schedule, or retry shortly',
      );
      if (wait) await this.jobs.finished(job);
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
    await this.jobs?.close();
  }
}
