import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import {
  FeedsRepository,
  integrityPolicy,
  IntegrityPolicy,
  QuarantineRepository,
  RateHistoryRepository,
} from '@app/database';
import { SnapshotChanges } from '@app/messaging';
import { FeedScheduler, ReconcileResult } from '@app/ingestion';
import { PartnerScheduler } from '@app/partners';
import {
  HousekeepingJobName,
  housekeepingSchedules,
  JOBS,
  RecurringSchedules,
  ScheduleReconcileResult,
} from '@app/queue';

export interface SchedulesReconciled {
  readonly feeds: ReconcileResult;
  readonly partners: ReconcileResult;
  readonly housekeeping: ScheduleReconcileResult;
}

/**
 * The periodic upkeep of a ratewatch database, run by the workers in fleet mode (one run per tick
 * whatever their number) and in-process in standalone mode — never by api replicas.
 */
@Injectable()
export class HousekeepingService {
  private readonly integrity: IntegrityPolicy;

  constructor(
    private readonly schedules: RecurringSchedules,
    private readonly feedScheduler: FeedScheduler,
    private readonly partnerScheduler: PartnerScheduler,
    private readonly feeds: FeedsRepository,
    private readonly history: RateHistoryRepository,
    private readonly quarantine: QuarantineRepository,
    private readonly changes: SnapshotChanges,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.integrity = integrityPolicy(config.rateGuard);
  }

  /** Runs one housekeeping job by its name. */
  async run(name: HousekeepingJobName): Promise<unknown> {
    switch (name) {
      case JOBS.reconcileFeeds:
        return this.reconcileSchedules();
      case JOBS.pruneRuns:
        return { pruned: await this.feeds.pruneRuns() };
      case JOBS.pruneRateHistory:
        return { pruned: await this.history.prune() };
      case JOBS.refreshReferences:
        return this.refreshReferences();
    }
  }

  /**
   * The rate guard's upkeep (DESIGN.md §10): every direction's reference from the offers shown now, then
   * the stored offers judged against them (held, or freed), and the changed directions announced.
   */
  async refreshReferences() {
    const references = await this.quarantine.refreshReferences();
    const swept = await this.quarantine.sweep(this.integrity);
    if (swept.touched.length > 0) this.changes.publish({ directions: swept.touched });
    return { references, held: swept.held, released: swept.released };
  }

  /** Makes every schedule equal the database (feeds, partner accounts) and plans the housekeeping ones. */
  async reconcileSchedules(): Promise<SchedulesReconciled> {
    const feeds = await this.feedScheduler.reconcile();
    const partners = await this.partnerScheduler.reconcile();
    const housekeeping = await this.schedules.reconcile('housekeeping', housekeepingSchedules());
    return { feeds, partners, housekeeping };
  }
}
