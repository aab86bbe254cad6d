import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '@app/config';
import type { DrainResult, HistoryRepository } from '@app/database';
import { SnapshotChanges } from '@app/messaging';
import type { IngestionMetrics } from '../metrics/ingestion.metrics';
import { HistoryRecorder, RECORDER_MIN_GAP_MS, RECORDER_PACE, RECORDER_TICK_MS } from './history-recorder';

/**
 * When the recorder drains: the schedule alone (what a drain records is the history repository's medium
 * spec), with a repository whose drains take as long as the test says, on a fake clock.
 */
describe('HistoryRecorder pacing', () => {
  let drainMs = 0;
  let starts: number[] = [];
  const history = {
    onRecorded: () => () => undefined,
    drain: () => {
      starts.push(Date.now());
      return new Promise<DrainResult>((resolve) => setTimeout(() => resolve({} as DrainResult), drainMs));
    },
  } as unknown as HistoryRepository;
  let changes: SnapshotChanges;
  let recorder: HistoryRecorder;
  const write = () => changes.publish({ directions: [['BTC', 'USDTTRC20']] });

  beforeEach(() => {
    vi.useFakeTimers();
    starts = [];
    changes = new SnapshotChanges(loadConfig({}));
    recorder = new HistoryRecorder(history, changes, {
      historyChanges: { inc: () => undefined },
    } as unknown as IngestionMetrics);
    recorder.onModuleInit();
  });

  afterEach(async () => {
    // A drain under way ends after its time; shutting down waits for it.
    const closing = recorder.onApplicationShutdown();
    await vi.advanceTimersByTimeAsync(drainMs);
    await closing;
    vi.useRealTimers();
  });

  it('drains soon after its own writes while drains are quick', async () => {
    drainMs = 5;
    write();
    await vi.advanceTimersByTimeAsync(drainMs);
    expect(starts).toHaveLength(1);
    write();
    await vi.advanceTimersByTimeAsync(RECORDER_MIN_GAP_MS);
    expect(starts).toHaveLength(2);
    expect(starts[1]! - starts[0]!).toBe(RECORDER_MIN_GAP_MS);
  });

  it('waits RECORDER_PACE times as long as a slow drain took before the next, however many writes nudge it', async () => {
    drainMs = 1000;
    write();
    for (let t = 0; t < (1 + RECORDER_PACE) * drainMs + RECORDER_TICK_MS; t += 50) {
      write();
      await vi.advanceTimersByTimeAsync(50);
    }
    expect(starts.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < starts.length; i++)
      expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual((1 + RECORDER_PACE) * drainMs);
  });
});
