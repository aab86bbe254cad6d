import { Counter, Registry } from 'prom-client';

const BATCH_ITEMS_DROPPED = 'ratewatch_batch_items_dropped_total';

/** Why a batch writer gave an item up. */
export type DropReason = 'refused' | 'buffer_full' | 'write_failed' | 'unwritten_at_shutdown';

/**
 * `ratewatch_batch_items_dropped_total{writer, reason}`: items a batch writer gave up (clicks the database
 * refuses for good, a full buffer, …). One counter per registry, shared by every writer: the first caller
 * registers it, the others get the same one.
 */
export function batchItemsDroppedCounter(registry: Registry): Counter<'writer' | 'reason'> {
  const registered = registry.getSingleMetric(BATCH_ITEMS_DROPPED);
  if (registered) return registered as Counter<'writer' | 'reason'>;
  return new Counter({
    name: BATCH_ITEMS_DROPPED,
    help: 'Items a batch writer gave up, by writer and reason (each one is logged as a warning)',
    labelNames: ['writer', 'reason'],
    registers: [registry],
  });
}
