import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_HISTORY_DRAIN_GAP_MS, loadConfig } from '@app/config';
import type { DrainResult, HistoryRepository } from '@app/database';
import { SnapshotChanges } from '@app/messaging';
import type { IngestionMetrics } from '../metrics/ingestion.metrics';
import { HistoryRecorder, RECORDER_PACE, RECORDER_TICK_MS } from './history-recorder';

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

  const start = (env: Record<string, string> = {}) => {
    changes = new SnapshotChanges(loadConfig({}));
    recorder = new HistoryRecorder(
      history,
      changes,
      { historyChanges: { inc: () => undefined } } as unknown as IngestionMetrics,
      loadConfig(env),
    );
    recorder.onModuleInit();
  };

  beforeEach(() => {
    vi.useFakeTimers();
    starts = [];
    start();
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
    await vi.advanceTimersByTimeAsync(DEFAULT_HISTORY_DRAIN_GAP_MS);
    expect(starts).toHaveLength(2);
    expect(starts[1]! - starts[0]!).toBe(DEFAULT_HISTORY_DRAIN_GAP_MS);
  });

  it('drains at most once per HISTORY_DRAIN_GAP_MS however often its writes nudge it', async () => {
    await recorder.onApplicationShutdown();
    start({ HISTORY_DRAIN_GAP_MS: '2500' });
    drainMs = 5;
    for (let t = 0; t < 10_000; t += 50) {
      write();
      await vi.advanceTimersByTimeAsync(50);
    }
    // At 0, 2.5, 5, 7.5 and 10 s: every write within a gap waits for the one drain after it.
    expect(starts.map((at) => at - starts[0]!)).toEqual([0, 2500, 5000, 7500, 10_000]);
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
