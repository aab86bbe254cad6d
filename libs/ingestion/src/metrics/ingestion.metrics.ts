import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { NormalizationMemo } from '@app/feeds';
import { FeedsRepository, HistoryRepository, QuarantineRepository, referenceCache } from '@app/database';
import { METRICS_REGISTRY } from '@app/observability';

/**
 * Where a poll's time goes, one stage after the other: `queued` (a due poll job waiting for a worker),
 * `fetch` (the exchanger's answer), `wait_read` (the body waiting for a processing slot), `read` (parse and
 * normalize), `wait_write` (waiting for a write slot), `write` (the snapshot write, guard and history mark).
 */
export type PollStage = 'queued' | 'fetch' | 'wait_read' | 'read' | 'wait_write' | 'write';

/** Ingestion metrics on the process's `/metrics` (the worker's, or the api's in standalone mode). */
@Injectable()
export class IngestionMetrics {
  readonly pollDuration: Histogram<'status'>;
  readonly polls: Counter<'status' | 'error_code'>;
  readonly bytesFetched: Counter;
  readonly offersWritten: Counter<'change'>;
  readonly itemsRejected: Counter;
  /** Polls reading/normalizing/writing now (`active`) and polls whose body waits for a slot (`waiting`). */
  readonly processing: Gauge<'state'>;
  /** The rate guard (DESIGN.md §10): offers it held back and freed, by reason. */
  readonly quarantined: Counter<'reason'>;
  readonly released: Counter<'reason'>;
  /** Change points the polls recorded in the rate history (DESIGN.md §12). */
  readonly historyChanges: Counter;
  private readonly stageSeconds: Histogram<'stage'>;
  private readonly stages = new Map<PollStage, { observe(seconds: number): void }>();

  constructor(
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
    feeds: FeedsRepository,
    quarantine: QuarantineRepository,
    history: HistoryRepository,
  ) {
    this.pollDuration = new Histogram({
      name: 'ratewatch_feed_poll_duration_seconds',
      help: 'Duration of one feed poll (fetch, parse, normalize, write) by outcome',
      labelNames: ['status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
    this.stageSeconds = new Histogram({
      name: 'ratewatch_feed_poll_stage_seconds',
      help: 'Time a poll spent in each stage: queued (a due job waiting for a worker), fetch, wait_read (for a processing slot), read (parse and normalize), wait_write (for a write slot), write',
      labelNames: ['stage'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
    this.polls = new Counter({
      name: 'ratewatch_feed_polls_total',
      help: 'Feed polls by outcome and error code',
      labelNames: ['status', 'error_code'],
      registers: [registry],
    });
    this.bytesFetched = new Counter({
      name: 'ratewatch_feed_fetched_bytes_total',
      help: 'Bytes fetched from feeds (on the wire)',
      registers: [registry],
    });
    this.offersWritten = new Counter({
      name: 'ratewatch_offers_written_total',
      help: 'Offers inserted, updated and deleted by snapshot writes',
      labelNames: ['change'],
      registers: [registry],
    });
    this.itemsRejected = new Counter({
      name: 'ratewatch_feed_items_rejected_total',
      help: 'Feed items rejected by the normalizer',
      registers: [registry],
    });
    this.processing = new Gauge({
      name: 'ratewatch_poll_processing',
      help: 'Polls processing now (active) and fetched polls waiting for one of the POLL_PROCESSING_CONCURRENCY slots (waiting)',
      labelNames: ['state'],
      registers: [registry],
    });
    this.quarantined = new Counter({
      name: 'ratewatch_offers_quarantined_total',
      help: 'Offers the rate guard held back (better than the reference by more than the band), by reason',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.released = new Counter({
      name: 'ratewatch_offers_released_total',
      help: 'Held offers freed (back in the band, accepted, or no reference any more), by the reason they were held',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.historyChanges = new Counter({
      name: 'ratewatch_history_change_points_total',
      help: "Change points the history recorder wrote (a direction's best shown rate moved)",
      registers: [registry],
    });
    new Gauge({
      name: 'ratewatch_history_pending',
      help: 'Writes waiting for the history recorder (writes, counted up to 100,000) and the age of the oldest (oldest_seconds)',
      labelNames: ['measure'],
      registers: [registry],
      async collect() {
        const { writes, oldestSeconds } = await history.backlog();
        this.set({ measure: 'writes' }, writes);
        this.set({ measure: 'oldest_seconds' }, oldestSeconds);
      },
    });
    new Gauge({
      name: 'ratewatch_rate_reference_age_seconds',
      help: 'Seconds since the direction references of the rate guard were last refreshed',
      registers: [registry],
      async collect() {
        const age = await quarantine.referenceAgeSeconds();
        if (age !== null) this.set(age);
      },
    });
    new Gauge({
      name: 'ratewatch_rate_guard_reference_copy',
      help: "The process's copy of the rate guard's references (the writes judge only what it finds suspect): references held, and reads of them so far",
      labelNames: ['measure'],
      registers: [registry],
      collect() {
        const { references, reads } = referenceCache.stats;
        this.set({ measure: 'references' }, references);
        this.set({ measure: 'reads' }, reads);
      },
    });
    new Gauge({
      name: 'ratewatch_feeds',
      help: 'Enabled feeds of active exchangers by state (fresh, stale, failing, maintenance, rejecting)',
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        const counts = await feeds.countByState();
        for (const [state, count] of Object.entries(counts)) this.set({ state }, count);
      },
    });
  }

  /** Counts `ms` (from a start in ms) as time spent in `stage`; the labelled child is made once per stage. */
  stage(stage: PollStage, sinceMs: number, now = performance.now()): number {
    let child = this.stages.get(stage);
    if (!child) this.stages.set(stage, (child = this.stageSeconds.labels(stage)));
    child.observe(Math.max(0, now - sinceMs) / 1000);
    return now;
  }

  /** The per-feed memo of last polls' items on /metrics: feeds, items and the bytes it counts for them. */
  watchMemo(memo: NormalizationMemo): void {
    new Gauge({
      name: 'ratewatch_feed_memo',
      help: "The memo of the last polls' items (FEED_MEMO_MAX_MB): feeds, items and estimated bytes held",
      labelNames: ['measure'],
      registers: [this.registry],
      collect() {
        const { feeds, entries, bytes } = memo.size;
        this.set({ measure: 'feeds' }, feeds);
        this.set({ measure: 'items' }, entries);
        this.set({ measure: 'bytes' }, bytes);
      },
    });
  }
}
