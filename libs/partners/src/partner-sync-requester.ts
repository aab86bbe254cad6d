import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, OnApplicationShutdown, Optional } from '@nestjs/common';
import { Queue, QueueEvents } from 'bullmq';
import { APP_CONFIG, AppConfig } from '@app/config';
import { UnavailableError } from '@app/domain';
import { withinDeadline } from '@app/messaging';
import {
  bullConnection,
  JOBS,
  PARTNER_SYNC_JOB_OPTIONS,
  PartnerSyncJob,
  partnerSyncDeduplicationId,
  QUEUES,
} from '@app/queue';
import { PartnerSyncService, SyncOutcome } from './partner-sync.service';

/** How long a manual sync may take before the answer gives up (the sync itself goes on). */
const WAIT_MS = 120_000;
/** How long adding the job may take before the answer is 503 (Redis away). */
const QUEUE_WAIT_MS = 3000;

/**
 * Syncs a partner account now, for the admin API, and answers with the outcome. Fleet mode: a job on
 * the partner-sync queue that a worker takes (the api never syncs itself; a sync already pending for
 * the account is joined), waited for. Standalone mode: PartnerSyncService in this process.
 */
@Injectable()
export class PartnerSyncRequester implements OnApplicationShutdown {
  private events: QueueEvents | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly syncer: PartnerSyncService,
    @Optional() @InjectQueue(QUEUES.partnerSync) private readonly queue?: Queue<PartnerSyncJob, SyncOutcome>,
  ) {}

  async syncNow(exchangerId: number): Promise<SyncOutcome> {
    if (!this.queue) return this.syncer.sync(exchangerId);
    const added = await withinDeadline(
      this.queue.add(
        JOBS.syncPartner,
        { exchangerId },
        { ...PARTNER_SYNC_JOB_OPTIONS, deduplication: { id: partnerSyncDeduplicationId(exchangerId) } },
      ),
      QUEUE_WAIT_MS,
    );
    if (!added.done)
      throw new UnavailableError(
        'the job queue (Redis) is not answering; the account will be synced on schedule, or retry shortly',
      );
    return added.value.waitUntilFinished(this.queueEvents(), WAIT_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.events?.close();
  }

  private queueEvents(): QueueEvents {
    this.events ??= new QueueEvents(QUEUES.partnerSync, {
      connection: bullConnection(this.config.redis.url!, 'ratewatch-api-events'),
      prefix: this.config.redis.prefix,
    });
    return this.events;
  }
}
