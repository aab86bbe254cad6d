import { describe, expect, it } from 'vitest';
import { AppConfig, loadConfig } from '@app/config';
import type { FeedsRepository } from '@app/database';
import type { SafeHttpClient } from '@app/http-client';
import type { SnapshotChanges } from '@app/messaging';
import type { CatalogSnapshots } from '../catalog/catalog-snapshots';
import type { IngestionMetrics } from '../metrics/ingestion.metrics';
import { FeedPollService, writeSlots } from './feed-poll.service';
import type { ProcessingGate } from './processing-gate';

const configWith = (poolSize: number, processingConcurrency: number): AppConfig =>
  loadConfig({
    DATABASE_POOL_SIZE: String(poolSize),
    POLL_PROCESSING_CONCURRENCY: String(processingConcurrency),
    FEED_MEMO_MAX_MB: '0',
  });

describe('writeSlots', () => {
  it('gives writes the connection pool less two for the rest of the process', () => {
    expect(writeSlots(configWith(10, 2))).toBe(8);
    expect(writeSlots(configWith(40, 1))).toBe(38);
  });

  it('does not follow the CPU gate: the same slots whatever reads at once, while it is the smaller', () => {
    for (const concurrency of [1, 2, 4, 8]) expect(writeSlots(configWith(12, concurrency))).toBe(10);
  });

  it('never gives fewer than the polls that read at once, however small the pool', () => {
    expect(writeSlots(configWith(4, 2))).toBe(2);
    expect(writeSlots(configWith(2, 4))).toBe(4);
    expect(writeSlots(configWith(1, 1))).toBe(1);
  });

  it("is the size of the poll service's write gate, beside its CPU gate of POLL_PROCESSING_CONCURRENCY", () => {
    const service = new FeedPollService(
      {} as FeedsRepository,
      {} as CatalogSnapshots,
      {} as SafeHttpClient,
      {} as IngestionMetrics,
      {} as SnapshotChanges,
      configWith(10, 2),
    );
    const gates = service as unknown as { gate: ProcessingGate; writes: ProcessingGate };
    expect(gates.gate.limit).toBe(2);
    expect(gates.writes.limit).toBe(8);
  });
});
