import { Inject, Injectable } from '@nestjs/common';
import { OperatorAlerts } from '@app/alerts';
import { APP_CONFIG, AppConfig } from '@app/config';
import {
  FeedsRepository,
  HistoryRepository,
  integrityPolicy,
  IntegrityPolicy,
  QuarantineRepository,
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

/**
 * The guard's upkeep waits this many times as long as it last took before it runs again: at 20 s a run
 * (≈ 2,000,000 offers) its schedule (every 20 s) is then kept to one run in two minutes, and the database
 * gives it at most a sixth of one connection; a small market's upkeep (well under 4 s) keeps the schedule.
 */
export const REFERENCE_REFRESH_PACE = 5;

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
  private readonly historyRetention: AppConfig['history']['retention'];

  constructor(
    private readonly schedules: RecurringSchedules,
    private readonly feedScheduler: FeedScheduler,
    private readonly partnerScheduler: PartnerScheduler,
    private readonly feeds: FeedsRepository,
    private readonly quarantine: QuarantineRepository,
    private readonly changes: SnapshotChanges,
    private readonly rateHistory: HistoryRepository,
    private readonly alerts: OperatorAlerts,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.integrity = integrityPolicy(config.rateGuard);
    this.historyRetention = config.history.retention;
  }

  /** Runs one housekeeping job by its name. */
  async run(name: HousekeepingJobName): Promise<unknown> {
    switch (name) {
      case JOBS.reconcileFeeds:
        return this.reconcileSchedules();
      case JOBS.pruneRuns:
        return { pruned: await this.feeds.pruneRuns() };
      case JOBS.refreshReferences:
        // The schedule's runs are paced by their cost; a direct call (tests, tools) always runs.
        return (await this.quarantine.refreshDue(REFERENCE_REFRESH_PACE))
          ? this.refreshReferences()
          : { skipped: 'paced' };
      case JOBS.rollUpHistory:
        return this.rollUpHistory();
      case JOBS.checkAlerts:
        return this.alerts.run();
    }
  }

  /**
   * The rate history's upkeep (DESIGN.md §12): bests moved by feeds shown or hidden since the last run
   * (stale, maintenance, back), then change points folded into minute, hour and day buckets and each
   * resolution pruned past its retention.
   */
  async rollUpHistory() {
    const reevaluated = await this.rateHistory.reevaluateFeeds();
    const rolledUp = await this.rateHistory.rollUp(this.historyRetention);
    return { reevaluated, rolledUp };
  }

  /**
   * The rate guard's upkeep (DESIGN.md §10): every direction's reference from the offers shown now, then
   * the stored offers judged against them (held, or freed), and the changed directions announced. Its
   * scheduled runs wait REFERENCE_REFRESH_PACE times its last duration after it (`run`).
   */
  async refreshReferences() {
    const references = await this.quarantine.refreshReferences();
    // Held or freed offers move bests without a write of their feeds: the sweep marks their directions for
    // history in its own transaction, and history records them now.
    const swept = await this.quarantine.sweep(this.integrity, true);
    if (swept.touched.length > 0) this.changes.publish({ directions: swept.touched });
    const historyChanges = await this.rateHistory.reevaluate([]);
    return { references, held: swept.held, released: swept.released, historyChanges };
  }

  /** Makes every schedule equal the database (feeds, partner accounts) and plans the housekeeping ones. */
  async reconcileSchedules(): Promise<SchedulesReconciled> {
    const feeds = await this.feedScheduler.reconcile();
    const partners = await this.partnerScheduler.reconcile();
    const housekeeping = await this.schedules.reconcile('housekeeping', housekeepingSchedules());
    return { feeds, partners, housekeeping };
  }
}
