import { describe, expect, it } from 'vitest';
import {
  exchangerIdOfScheduler,
  feedIdOfScheduler,
  feedSchedulerId,
  partnerSchedulerId,
  scheduleOffsetMs,
} from './queues';

describe('feed scheduler ids', () => {
  it('round-trips a feed id', () => {
    expect(feedIdOfScheduler(feedSchedulerId(42))).toBe(42);
  });

  it('ignores ids that are not feed schedulers', () => {
    expect(feedIdOfScheduler('partner:3')).toBeNull();
    expect(feedIdOfScheduler('feed:')).toBeNull();
    expect(feedIdOfScheduler('feed:1x')).toBeNull();
  });
});

describe('partner scheduler ids', () => {
  it('round-trips an exchanger id and ignores other families', () => {
    expect(exchangerIdOfScheduler(partnerSchedulerId(7))).toBe(7);
    expect(exchangerIdOfScheduler(feedSchedulerId(7))).toBeNull();
    expect(feedIdOfScheduler(partnerSchedulerId(7))).toBeNull();
  });
});

describe('schedule offsets', () => {
  it('fall inside the interval, deterministically per key', () => {
    for (const key of [1, 2, 17, 123_456]) {
      const offset = scheduleOffsetMs(key, 30_000);
      expect(offset).toBeGreaterThanOrEqual(1);
      expect(offset).toBeLessThanOrEqual(30_000);
      expect(scheduleOffsetMs(key, 30_000)).toBe(offset);
    }
  });
});
