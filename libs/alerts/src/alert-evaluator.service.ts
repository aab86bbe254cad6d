import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { AlertEvaluation, AlertsRepository } from '@app/database';
import { SnapshotChanges, SnapshotChangeEvent } from '@app/messaging';
import { AlertDeliveryQueue } from './alert-delivery-queue';
import { AlertsMetrics } from './alerts.metrics';

/**
 * Evaluates alerts where a change is made (DESIGN.md §12): it hears only this process's own snapshot changes
 * (`SnapshotChanges.onOwnChange`), so each change is evaluated once in the fleet — by the worker (or the
 * standalone process) that wrote it. Changes that arrive while an evaluation runs are merged into the next
 * one. Notices that fired are handed to the AlertDeliveryQueue.
 */
@Injectable()
export class AlertEvaluator implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(AlertEvaluator.name);
  private unsubscribe: (() => void) | null = null;
  private pending = new Map<string, [string, string]>();
  private pendingAll = false;
  private running: Promise<void> | null = null;

  constructor(
    private readonly changes: SnapshotChanges,
    private readonly alerts: AlertsRepository,
    private readonly queue: AlertDeliveryQueue,
    private readonly metrics: AlertsMetrics,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.changes.onOwnChange((event) => this.hear(event));
  }

  async onModuleDestroy(): Promise<void> {
    this.unsubscribe?.();
    await this.idle();
  }

  /** Resolves once every change heard so far is evaluated (tests and the bench wait on it). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Evaluates these directions now (or every direction with alerts) and queues what fired. */
  async evaluate(event: SnapshotChangeEvent): Promise<AlertEvaluation> {
    const started = process.hrtime.bigint();
    try {
      const result = 'all' in event ? await this.alerts.evaluateAll() : await this.alerts.evaluate(event.directions);
      this.metrics.evaluations.inc({ outcome: result.deliveryIds.length > 0 ? 'fired' : 'quiet' });
      if (result.deliveryIds.length > 0) {
        this.metrics.notices.inc({ source: 'visitor' }, result.deliveryIds.length);
        await this.queue.enqueue(result.deliveryIds);
      }
      return result;
    } catch (error) {
      this.metrics.evaluations.inc({ outcome: 'failed' });
      throw error;
    } finally {
      this.metrics.evaluationDuration.observe(Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  private hear(event: SnapshotChangeEvent): void {
    if ('all' in event) this.pendingAll = true;
    else for (const direction of event.directions) this.pending.set(`${direction[0]}>${direction[1]}`, direction);
    this.running ??= this.drain().finally(() => {
      this.running = null;
    });
  }

  private async drain(): Promise<void> {
    while (this.pendingAll || this.pending.size > 0) {
      const event: SnapshotChangeEvent = this.pendingAll ? { all: true } : { directions: [...this.pending.values()] };
      this.pendingAll = false;
      this.pending = new Map();
      try {
        await this.evaluate(event);
      } catch (error) {
        // The next change of these directions evaluates them again; a crossing is not lost, only late.
        this.logger.warn(`alert evaluation failed: ${String(error)}`);
      }
    }
  }
}
