import { InjectQueue } from '@nestjs/bullmq';
import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationShutdown, Optional } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Queue } from 'bullmq';
import { APP_CONFIG, AppConfig } from '@app/config';
import { FeedPollService } from '@app/ingestion';
import { FEED_POLL_JOB_OPTIONS, FeedPollJob, feedRefreshDeduplicationId, JobRequests, JOBS, QUEUES } from '@app/queue';

/**
 * Polls a feed now. Fleet mode: a BullMQ job any worker takes (deduplicated per feed while one is
 * pending); standalone mode: the in-process poll service. `wait` resolves when the poll has finished.
 * At shutdown, standalone polls still in hand finish before the database closes (they used to die
 * with "Connection terminated" when the demo stopped right after registering its feeds).
 */
@Injectable()
export class FeedRefresher implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly jobs: JobRequests<FeedPollJob, unknown> | null;
  private localJobs = 0;
  private readonly localPolls = new Set<Promise<unknown>>();

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
    const tracked = poll.catch(() => undefined).finally(() => this.localPolls.delete(tracked));
    this.localPolls.add(tracked);
    if (wait) await poll;
    return { jobId };
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.localPolls);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.jobs?.close();
  }
}
