import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { DrainResult, HistoryRepository } from '@app/database';
import { pacedStart } from '@app/domain';
import { SnapshotChanges } from '@app/messaging';
import { IngestionMetrics } from '../metrics/ingestion.metrics';

/** How often the recorder looks for pending directions without a nudge (writes of other processes). */
export const RECORDER_TICK_MS = 1_000;
/**
 * A drain is followed by a pause of at least this many times its own duration: at BestChange's scale the
 * writes keep the pending table full, and drains back to back (≈ 1.3 s each at 1,000 exchangers) held a
 * database connection for themselves; paced, a direction many polls touch meanwhile is computed once for
 * them all. A change then shows in the history within about four drains' time.
 */
export const RECORDER_PACE = 3;
/** How often a failing drain is logged (it is retried every tick; the pending rows wait in the database). */
const WARN_EVERY_MS = 30_000;

/**
 * Records the rate history after the writes (DESIGN.md §12), in every process that polls (the worker, the
 * standalone process): writes mark the directions they touched (FeedsRepository.applyAnswer); this drains
 * them — HistoryRepository.drain, one drain at a time in the fleet (an advisory lock: a process that finds
 * another draining leaves the rows to it) — every RECORDER_TICK_MS, and soon after each of this process's own
 * writes (SnapshotChanges.onOwnChange), at most one drain per HISTORY_DRAIN_GAP_MS (`gapMs`) and none sooner
 * after a drain than RECORDER_PACE times its duration. Its change points are counted on
 * ratewatch_history_change_points_total.
 *
 * The gap trades the history's latency for the database's time: a direction many writers touch between two
 * drains is computed once for them all, so fewer, larger drains cost PostgreSQL less per poll at a large
 * market's cadence; a change shows in the history within about the gap plus a drain.
 */
@Injectable()
export class HistoryRecorder implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(HistoryRecorder.name);
  private timer: NodeJS.Timeout | null = null;
  private soon: NodeJS.Timeout | null = null;
  private unsubscribe: Array<() => void> = [];
  private running: Promise<void> | null = null;
  private again = false;
  /** When the next drain may start (`gapMs`, or RECORDER_PACE times the last drain). */
  private nextStart = 0;
  private lastWarning = 0;
  private stopped = false;
  private readonly gapMs: number;

  constructor(
    private readonly history: HistoryRepository,
    private readonly changes: SnapshotChanges,
    private readonly metrics: IngestionMetrics,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.gapMs = config.history.drainGapMs;
  }

  onModuleInit(): void {
    this.unsubscribe.push(
      this.history.onRecorded((result: DrainResult) => this.metrics.historyChanges.inc(result.changes)),
      this.changes.onOwnChange(() => this.nudge()),
    );
    this.timer = setInterval(() => this.nudge(), RECORDER_TICK_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.soon) clearTimeout(this.soon);
    for (const unsubscribe of this.unsubscribe) unsubscribe();
    this.unsubscribe = [];
    await this.idle();
  }

  /**
   * Records every direction pending now (waiting for a drain elsewhere to end): once it resolves, every
   * write that committed before the call is in the history. Tests and benches wait on it.
   */
  async drain(): Promise<DrainResult> {
    await this.idle();
    return this.history.drain({ wait: true });
  }

  /** Resolves when no drain of this process is under way. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /**
   * Asks for a drain: now, or once the last one is `gapMs` old and RECORDER_PACE times its
   * duration has passed since it ended, or after the one under way.
   */
  nudge(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.soon) return;
    const wait = this.nextStart - Date.now();
    if (wait > 0) {
      this.soon = setTimeout(() => {
        this.soon = null;
        this.start();
      }, wait);
      this.soon.unref();
    } else this.start();
  }

  private start(): void {
    if (this.stopped || this.running) return;
    const started = Date.now();
    this.nextStart = started + this.gapMs;
    this.again = false;
    this.running = this.history
      .drain({ stop: () => this.stopped })
      .then(
        () => undefined,
        (error: unknown) => {
          // The rows stay pending: the next tick tries again.
          if (Date.now() - this.lastWarning < WARN_EVERY_MS) return;
          this.lastWarning = Date.now();
          this.logger.warn(`recording the rate history failed (retried every tick): ${String(error)}`);
        },
      )
      .finally(() => {
        this.running = null;
        // Not before started + gapMs (set above), nor RECORDER_PACE times the drain after it ended.
        this.nextStart = pacedStart(started, Date.now(), RECORDER_PACE, this.nextStart);
        if (this.again) this.nudge();
      });
  }
}
