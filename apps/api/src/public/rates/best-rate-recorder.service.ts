import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { BestRatePoint, RateHistoryRepository } from '@app/database';
import { BatchWriter } from '../../common/batch-writer';

const FLUSH_EVERY_MS = 10_000;
/** Directions remembered for the once-a-minute check; beyond it the memory is simply reset. */
const MAX_DIRECTIONS = 100_000;

/**
 * Notes the best rate of a direction when the api makes a fresh rate table, at most once a minute per
 * direction, and writes the points in batches (every 10 s) to `best_rate_history`. So the history
 * exists for the directions visitors look at, at no cost for the rest; it is pruned after 48 hours (by the
 * housekeeping schedule, in the workers — never by api replicas).
 * Losing a batch (database down) only leaves a gap in a chart.
 */
@Injectable()
export class BestRateRecorder implements OnApplicationShutdown {
  private readonly lastMinute = new Map<string, number>();
  private readonly points: BatchWriter<BestRatePoint>;

  constructor(history: RateHistoryRepository) {
    this.points = new BatchWriter({
      name: 'best-rate points',
      write: (batch) => history.record(batch),
      everyMs: FLUSH_EVERY_MS,
      maxBuffered: MAX_DIRECTIONS,
      onFailure: 'drop',
    });
  }

  note(from: string, to: string, city: string | null, rate: string, at = new Date()): void {
    const minute = Math.floor(at.getTime() / 60_000) * 60_000;
    const key = `${from}|${to}|${city ?? ''}`;
    if (this.lastMinute.get(key) === minute) return;
    if (this.lastMinute.size >= MAX_DIRECTIONS) this.lastMinute.clear();
    this.lastMinute.set(key, minute);
    this.points.add({ from, to, city: city ?? '', minute: new Date(minute), rate });
  }

  /** Writes what is buffered. */
  flush(): Promise<void> {
    return this.points.flush();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.flush();
  }
}
