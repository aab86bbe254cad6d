import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import {
  FeedRunRecord,
  FeedsRepository,
  FeedToPoll,
  integrityPolicy,
  IntegrityPolicy,
  isDatabaseUnavailable,
  newFeedRun,
  SnapshotChange,
} from '@app/database';
import {
  checkFeed,
  DEFAULT_MEMO_LIMITS,
  FeedReport,
  maintenanceInErrorAnswer,
  maintenanceReport,
  NormalizationMemo,
} from '@app/feeds';
import type { PollTrigger } from '@app/queue';
import { SnapshotChanges } from '@app/messaging';
import { SafeHttpClient, FetchError } from '@app/http-client';
import { IngestionMetrics } from '../metrics/ingestion.metrics';
import { backoffUntil } from './backoff';
import { CatalogSnapshots } from '../catalog/catalog-snapshots';
import { ProcessingGate } from './processing-gate';

/** A poll that ran: its run record and, for a written snapshot, what changed. */
export interface CompletedPoll {
  status: FeedRunRecord['status'];
  run: FeedRunRecord;
  change: SnapshotChange | null;
}

export type PollOutcome = { status: 'skipped'; reason: string } | CompletedPoll;

/**
 * The unit of ingestion work (DESIGN.md §4): fetch one feed, read and normalize it, write its snapshot
 * and record the run. The BullMQ processor and the standalone scheduler are thin callers of `poll`.
 * Bad input never throws: every failure becomes a stored `error` run and the previous snapshot stays.
 */
@Injectable()
export class FeedPollService {
  private readonly logger = new Logger(FeedPollService.name);
  /** Polls wait for the network in parallel; only this many read and normalize at once (CPU). */
  private readonly gate: ProcessingGate;
  /** And only this many write at once (mostly waiting on PostgreSQL; see `writeSlots`). */
  private readonly writes: ProcessingGate;
  private readonly integrity: IntegrityPolicy;
  private readonly recordHistory: boolean;
  /** Each feed's items as the last poll read them, so a poll normalizes only what changed (none when FEED_MEMO_MAX_MB=0). */
  private readonly memo: NormalizationMemo | null;

  constructor(
    private readonly feeds: FeedsRepository,
    private readonly catalogs: CatalogSnapshots,
    private readonly fetcher: SafeHttpClient,
    private readonly metrics: IngestionMetrics,
    private readonly changes: SnapshotChanges,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.gate = new ProcessingGate(config.worker.processingConcurrency);
    this.writes = new ProcessingGate(writeSlots(config));
    this.integrity = integrityPolicy(config.rateGuard);
    this.recordHistory = config.history.recording;
    const { memoMaxBytes } = config.worker;
    this.memo =
      memoMaxBytes > 0
        ? new NormalizationMemo({
            ...DEFAULT_MEMO_LIMITS,
            maxBytesTotal: memoMaxBytes,
            maxBytesPerFeed: Math.min(DEFAULT_MEMO_LIMITS.maxBytesPerFeed, memoMaxBytes),
          })
        : null;
    if (this.memo) metrics.watchMemo(this.memo);
  }

  async poll(feedId: number, trigger: PollTrigger): Promise<PollOutcome> {
    const feed = await this.feeds.findForPoll(feedId);
    if (!feed) return { status: 'skipped', reason: `feed ${feedId} does not exist` };
    if (!feed.enabled) return { status: 'skipped', reason: `feed ${feedId} is disabled` };
    if (feed.exchangerStatus !== 'active')
      return { status: 'skipped', reason: `the exchanger of feed ${feedId} is ${feed.exchangerStatus}` };
    if (trigger === 'schedule') {
      const until = backoffUntil(feed.lastAttemptAt, feed.consecutiveFailures, feed.intervalSeconds);
      if (until !== null && until.getTime() > Date.now())
        return { status: 'skipped', reason: `backing off until ${until.toISOString()}` };
    }

    const started = new Date();
    const timer = this.metrics.pollDuration.startTimer();
    const outcome = await this.pollFeed(feed, trigger, started).catch(
      async (error: unknown): Promise<CompletedPoll> => {
        if (isDatabaseUnavailable(error)) {
          // The database gave no connection in time (every one busy: a fleet behind its schedule) or is down.
          // Nothing of the poll was written, and it is not the feed's failure: no run, no backoff, its last
          // good offers stay. The job fails: the queue tries it once more (FEED_POLL_JOB_OPTIONS), the next poll
          // comes as scheduled, and an operator's "poll now" answers 503.
          timer({ status: 'error' });
          this.metrics.polls.inc({ status: 'error', error_code: 'database_unavailable' });
          this.logger.warn(`poll of feed ${feed.id} not written, the database is unavailable: ${String(error)}`);
          throw error;
        }
        // Not the feed's fault (a bug): record what we can, then let the caller decide.
        this.logger.error(
          `poll of feed ${feed.id} failed unexpectedly: ${error instanceof Error ? error.stack : String(error)}`,
        );
        const run = this.run(trigger, started, 'error', {
          error: { code: 'internal_error', message: 'ratewatch failed while processing this feed; see the worker log' },
        });
        await this.feeds.recordFailure(feed.id, run);
        return { status: 'error', run, change: null };
      },
    );
    timer({ status: outcome.status });
    this.metrics.polls.inc({ status: outcome.status, error_code: outcome.run.error?.code ?? '' });
    if (outcome.change) {
      this.metrics.offersWritten.inc({ change: 'inserted' }, outcome.change.inserted);
      this.metrics.offersWritten.inc({ change: 'updated' }, outcome.change.updated);
      this.metrics.offersWritten.inc({ change: 'deleted' }, outcome.change.deleted);
    }
    this.metrics.itemsRejected.inc(outcome.run.rejected);
    return outcome;
  }

  private async pollFeed(feed: FeedToPoll, trigger: PollTrigger, started: Date): Promise<CompletedPoll> {
    let answer;
    let at = performance.now();
    try {
      answer = await this.fetcher.fetch({
        url: feed.url,
        timeoutMs: feed.timeoutMs,
        etag: feed.etag,
        lastModified: feed.lastModified,
      });
      this.metrics.stage('fetch', at);
    } catch (error) {
      this.metrics.stage('fetch', at);
      if (!(error instanceof FetchError)) throw error;
      const notice = error.errorBody && maintenanceInErrorAnswer(error.errorBody.body, error.errorBody.contentType);
      if (error.errorBody !== null && notice) {
        // A 503 page that says "maintenance": the exchanger is offline, its offers are hidden at once.
        const run = this.run(trigger, started, 'maintenance', {
          httpStatus: error.httpStatus,
          bytes: error.errorBody.body.length,
          ...fromReport(maintenanceReport(`HTTP ${error.httpStatus}: ${notice}`)),
        });
        const change = await this.feeds.applyAnswer(
          feed,
          run,
          { etag: null, lastModified: null, contentHash: null },
          null,
        );
        this.changes.publish({ all: true });
        return { status: 'maintenance', run, change };
      }
      const run = this.run(trigger, started, 'error', {
        error: { code: error.code, message: error.message },
        httpStatus: error.httpStatus,
      });
      await this.feeds.recordFailure(feed.id, run);
      return { status: 'error', run, change: null };
    }

    if (answer.kind === 'not_modified') {
      const run = this.run(trigger, started, 'not_modified', { httpStatus: 304, bytes: 0 });
      await this.feeds.recordUnchanged(feed.id, run, {
        etag: answer.etag,
        lastModified: answer.lastModified,
        contentHash: null,
      });
      return { status: 'not_modified', run, change: null };
    }

    this.metrics.bytesFetched.inc(answer.wireBytes);
    const state = {
      etag: answer.etag,
      lastModified: answer.lastModified,
      contentHash: `${createHash('sha256').update(answer.body).digest('hex')}:${feed.catalogVersion}:${feed.format}`,
    };
    const seen = { httpStatus: answer.status, bytes: answer.wireBytes };
    if (state.contentHash === feed.contentHash) {
      const run = this.run(trigger, started, 'unchanged', seen);
      await this.feeds.recordUnchanged(feed.id, run, state);
      return { status: 'unchanged', run, change: null };
    }

    // The body is here; reading and normalizing it waits for one of the few processing slots (CPU on this
    // event loop), writing it for one of the write slots: a write mostly waits on PostgreSQL, and holding a
    // processing slot meanwhile left the worker's core idle while polls queued (bench:scale: workers at 19 %
    // of a core each, the polls behind).
    const { body, contentType } = answer;
    this.reportGate();
    at = performance.now();
    const { report, run } = await this.gate
      .run(async () => {
        at = this.metrics.stage('wait_read', at);
        this.reportGate();
        const context = (await this.catalogs.at(feed.catalogVersion)).contextFor(feed.exchangerId);
        const memo = this.memo?.forFeed(feed.id);
        const report = checkFeed(body, { format: feed.format, contentType, memo }, context);
        at = this.metrics.stage('read', at);
        return { report, run: this.run(trigger, started, report.status, { ...seen, ...fromReport(report) }) };
      })
      .finally(() => this.reportGate());
    if (report.status === 'error') {
      await this.feeds.recordFailure(feed.id, run);
      return { status: 'error', run, change: null };
    }
    return this.writes.run(async (): Promise<CompletedPoll> => {
      at = this.metrics.stage('wait_write', at);
      const change = await this.feeds.applyAnswer(
        feed,
        run,
        state,
        report.status === 'maintenance' ? null : report.offers,
        this.integrity,
        // History of every direction (DESIGN.md §12): a change point where this write moved a best.
        this.recordHistory,
      );
      this.metrics.stage('write', at);
      for (const [reason, count] of Object.entries(change.guard.held)) this.metrics.quarantined.inc({ reason }, count);
      for (const [reason, count] of Object.entries(change.guard.freed)) this.metrics.released.inc({ reason }, count);
      // Maintenance hides every direction of the exchanger at once, and its end shows them again (even where
      // no offer changed meanwhile); otherwise only the touched ones changed: in those the write touched, only
      // this feed's rows; in those where the guard's verdicts changed, maybe other feeds' offers too.
      if (report.status === 'maintenance' || change.leftMaintenance) this.changes.publish({ all: true });
      else {
        const guarded = new Set(change.guard.touched.map(([from, to]) => `${from}\u001f${to}`));
        this.changes.publish({
          directions:
            guarded.size === 0
              ? change.touched
              : change.touched.filter(([from, to]) => !guarded.has(`${from}\u001f${to}`)),
          feed: feed.id,
        });
        this.changes.publish({ directions: change.guard.touched });
      }
      return {
        status: report.status,
        run: { ...run, ...pick(change), quarantined: change.guard.quarantined, released: change.guard.released },
        change,
      };
    });
  }

  /** The processing gate's load on /metrics: how many polls process now, how many wait for a slot. */
  private reportGate(): void {
    const { active, waiting } = this.gate.load;
    this.metrics.processing.set({ state: 'active' }, active);
    this.metrics.processing.set({ state: 'waiting' }, waiting);
  }

  private run(
    trigger: PollTrigger,
    started: Date,
    status: FeedRunRecord['status'],
    fields: Partial<FeedRunRecord>,
  ): FeedRunRecord {
    return newFeedRun(trigger, status, { startedAt: started, durationMs: Date.now() - started.getTime(), ...fields });
  }
}

function fromReport(report: FeedReport): Partial<FeedRunRecord> {
  return {
    format: report.format,
    dialect: report.dialect,
    items: report.stats.items,
    accepted: report.stats.offers,
    rejected: report.stats.rejected,
    duplicates: report.stats.duplicates,
    error: report.error,
    rejects: report.rejected,
    warnings: report.warnings,
  };
}

function pick(change: SnapshotChange): Pick<FeedRunRecord, 'inserted' | 'updated' | 'deleted'> {
  return { inserted: change.inserted, updated: change.updated, deleted: change.deleted };
}

/**
 * Polls of one process writing at once: as many as its connection pool holds beside two for the rest of the
 * process (the history recorder, housekeeping), and never fewer than it reads at once.
 */
export function writeSlots(config: AppConfig): number {
  return Math.max(config.worker.processingConcurrency, config.database.poolSize - 2);
}
