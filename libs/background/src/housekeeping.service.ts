import { Injectable } from '@nestjs/common';
import { FeedsRepository, QuarantineRepository, RateHistoryRepository } from '@app/database';
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
  constructor(
    private readonly schedules: RecurringSchedules,
    private readonly feedScheduler: FeedScheduler,
    private readonly partnerScheduler: PartnerScheduler,
    private readonly feeds: FeedsRepository,
    private readonly history: RateHistoryRepository,
    private readonly quarantine: QuarantineRepository,
  ) {}

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
        return this.quarantine.refreshReferences();
    }
  }

  /** Makes every schedule equal the database (feeds, partner accounts) and plans the housekeeping ones. */
  async reconcileSchedules(): Promise<SchedulesReconciled> {
    const feeds = await this.feedScheduler.reconcile();
    const partners = await this.partnerScheduler.reconcile();
    const housekeeping = await this.schedules.reconcile('housekeeping', housekeepingSchedules());
    return { feeds, partners, housekeeping };
  }
}
