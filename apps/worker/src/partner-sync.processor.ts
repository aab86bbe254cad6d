import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Job, UnrecoverableError } from 'bullmq';
import { PartnerSyncService, SyncOutcome } from '@app/partners';
import { JOBS, PARTNER_SYNC_CONCURRENCY, PartnerSyncJob, QUEUES } from '@app/queue';

/** Consumes the partner-sync queue: read job.data, call PartnerSyncService (which never throws for the partner's failures). */
@Processor(QUEUES.partnerSync, { concurrency: PARTNER_SYNC_CONCURRENCY })
export class PartnerSyncProcessor extends WorkerHost {
  constructor(private readonly syncer: PartnerSyncService) {
    super();
  }

  async process(job: Job<PartnerSyncJob>): Promise<SyncOutcome> {
    if (job.name !== JOBS.syncPartner) throw new UnrecoverableError(`unknown job name ${job.name}`);
    if (!Number.isInteger(job.data.exchangerId)) throw new UnrecoverableError(`job ${job.id} has no exchanger id`);
    return this.syncer.sync(job.data.exchangerId);
  }
}
