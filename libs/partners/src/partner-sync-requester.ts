import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, OnApplicationShutdown, Optional } from '@nestjs/common';
import { Queue } from 'bullmq';
import { APP_CONFIG, AppConfig } from '@app/config';
import {
  JobRequests,
  JOBS,
  PARTNER_SYNC_JOB_OPTIONS,
  PartnerSyncJob,
  partnerSyncDeduplicationId,
  QUEUES,
} from '@app/queue';
import { PartnerSyncService, SyncOutcome } from './partner-sync.service';

/**
 * Syncs a partner account now, for the admin API, and answers with the outcome. Fleet mode: a job on
 * the partner-sync queue that a worker takes (the api never syncs itself; a sync already pending for
 * the account is joined), waited for. Standalone mode: PartnerSyncService in this process.
 */
@Injectable()
export class PartnerSyncRequester implements OnApplicationShutdown {
  private readonly jobs: JobRequests<PartnerSyncJob, SyncOutcome> | null;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly syncer: PartnerSyncService,
    @Optional() @InjectQueue(QUEUES.partnerSync) queue?: Queue<PartnerSyncJob, SyncOutcome>,
  ) {
    this.jobs = queue ? new JobRequests(queue, config) : null;
  }

  async syncNow(exchangerId: number): Promise<SyncOutcome> {
    if (!this.jobs) return this.syncer.sync(exchangerId);
    const job = await this.jobs.add(
      JOBS.syncPartner,
      { exchangerId },
      { ...PARTNER_SYNC_JOB_OPTIONS, deduplication: { id: partnerSyncDeduplicationId(exchangerId) } },
      'the job queue (Redis) is not answering; the account will be synced on schedule, or retry shortly',
    );
    return this.jobs.finished(job);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.jobs?.close();
  }
}
