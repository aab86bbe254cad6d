import { Logger } from '@nestjs/common';
import type { Counter } from 'prom-client';
import type { DropReason } from '@app/observability';

export interface BatchWriterOptions<T> {
  /** What is written (its log lines and the `writer` label of the dropped-items counter say so). */
  name: string;
  /** Writes one batch; a rejection is a failed write. */
  write: (batch: T[]) => Promise<unknown>;
  /** Write at the latest this long after the first buffered item. */
  everyMs: number;
  /** Write at once when this many are buffered. */
  atCount?: number;
  /** Never buffer more: past it new items are dropped (the database is unreachable for long). */
  maxBuffered: number;
  /** After a failed write: `retry` puts the batch back (clicks: nothing may be lost), `drop` gives it up. */
  onFailure: 'retry' | 'drop';
  /**
   * With `retry`: whether a failure can pass by itself (the database away). Any other failure means an
   * item the database will never take (its exchanger was deleted meanwhile): the batch is then written
   * item by item and only what fails for good is dropped — one bad item must not hold back all the others.
   * Default: every failure is transient.
   */
  isTransient?: (error: unknown) => boolean;
  /** Counts every item given up (`batchItemsDroppedCounter` of @app/observability), by writer and reason. */
  dropped?: Counter<'writer' | 'reason'>;
  /** What the warning about a dropped item shows of it: enough to find it again, nothing personal or secret. */
  describe?: (item: T) => Record<string, unknown>;
}

/**
 * Buffers what requests produce and writes it in batches, off the request path — the one implementation
 * behind the click recorder and the best-rate recorder: a write every `everyMs` or at `atCount` items,
 * one write at a time, a bounded buffer, retry or drop on failure, and `close()` for shutdown. Every item
 * given up is counted (`dropped`) and logged as a warning with the reason.
 */
export class BatchWriter<T> {
  private readonly logger: Logger;
  private buffer: T[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  /** The buffer overflowed and has not been written since (one warning per episode, not per item). */
  private overflowing = false;

  constructor(private readonly options: BatchWriterOptions<T>) {
    this.logger = new Logger(`BatchWriter:${options.name}`);
  }

  /** Buffers one item (dropped when the buffer is full); false when it was dropped. */
  add(item: T): boolean {
    if (this.buffer.length >= this.options.maxBuffered) {
      this.count('buffer_full', 1);
      if (!this.overflowing)
        this.logger.warn(
          `buffer full (${this.options.maxBuffered} ${this.options.name} not written yet): new ones are dropped until a write succeeds`,
        );
      this.overflowing = true;
      return false;
    }
    this.buffer.push(item);
    if (this.options.atCount !== undefined && this.buffer.length >= this.options.atCount) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.options.everyMs);
    return true;
  }

  /** Writes what is buffered; resolves when it is written (or given up, or put back for a retry). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.buffer;
    this.buffer = [];
    this.writing = this.writing.then(async () => {
      if (batch.length === 0) return;
      try {
        await this.options.write(batch);
        this.overflowing = false;
      } catch (error) {
        if (this.options.onFailure === 'drop') {
          this.count('write_failed', batch.length);
          this.logger.warn(`could not write ${batch.length} ${this.options.name}; dropped: ${String(error)}`);
          return;
        }
        const transient = this.options.isTransient?.(error) ?? true;
        const unwritten = transient ? batch : await this.writeOneByOne(batch);
        if (unwritten.length === 0) return;
        this.logger.error(`could not write ${unwritten.length} ${this.options.name}, will retry: ${String(error)}`);
        this.buffer = [...unwritten, ...this.buffer].slice(0, this.options.maxBuffered);
        this.timer ??= setTimeout(() => void this.flush(), this.options.everyMs * 5);
      }
    });
    return this.writing;
  }

  /**
   * For shutdown, once nothing adds any more: writes what is buffered; what still cannot be written (the
   * database away) is counted and logged as lost, and no retry is left behind.
   */
  async close(): Promise<void> {
    await this.flush();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.buffer.length === 0) return;
    this.count('unwritten_at_shutdown', this.buffer.length);
    this.logger.error(`${this.buffer.length} ${this.options.name} could not be written before shutdown: lost`);
    this.buffer = [];
  }

  /** Writes each item alone; drops those that fail for good; returns the rest once a failure is transient. */
  private async writeOneByOne(batch: T[]): Promise<T[]> {
    for (const [i, item] of batch.entries()) {
      try {
        await this.options.write([item]);
      } catch (error) {
        if (this.options.isTransient?.(error) ?? true) return batch.slice(i);
        this.count('refused', 1);
        const described = this.options.describe ? ` ${JSON.stringify(this.options.describe(item))}` : '';
        this.logger.warn(`dropped one of the ${this.options.name}${described}: refused for good: ${String(error)}`);
      }
    }
    return [];
  }

  private count(reason: DropReason, items: number): void {
    this.options.dropped?.inc({ writer: this.options.name, reason }, items);
  }
}
