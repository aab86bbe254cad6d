import { describe, expect, it } from 'vitest';
import { feedIdOfScheduler, feedSchedulerId } from './queues';

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
