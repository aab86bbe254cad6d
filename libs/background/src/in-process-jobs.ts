import { Injectable, OnModuleInit } from '@nestjs/common';
import { FeedPollService } from '@app/ingestion';
import { PartnerSyncService } from '@app/partners';
import { HOUSEKEEPING, InProcessRecurringSchedules, JOBS } from '@app/queue';
import { HousekeepingService } from './housekeeping.service';

/**
 * Standalone mode's processors: what runs each scheduled job in this process — the same service
 * calls the worker's BullMQ processors make.
 */
@Injectable()
export class InProcessJobs implements OnModuleInit {
  constructor(
    private readonly schedules: InProcessRecurringSchedules,
    private readonly poller: FeedPollService,
    private readonly syncer: PartnerSyncService,
    private readonly housekeeping: HousekeepingService,
  ) {}

  onModuleInit(): void {
    this.schedules.handle(JOBS.pollFeed, (job) => this.poller.poll(job.feedId, job.trigger));
    this.schedules.handle(JOBS.syncPartner, (job) => this.syncer.sync(job.exchangerId));
    for (const { job } of Object.values(HOUSEKEEPING)) this.schedules.handle(job, () => this.housekeeping.run(job));
  }
}
