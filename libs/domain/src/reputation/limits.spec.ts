import { describe, expect, it } from 'vitest';
import { BURST, isBurst, secondsToNextUtcDay } from './limits';

describe('abuse limits', () => {
  it('calls more than BURST.reviews reviews of one exchanger within the window a burst', () => {
    expect(isBurst(BURST.reviews)).toBe(false);
    expect(isBurst(BURST.reviews + 1)).toBe(true);
  });

  it('frees a daily limit at the next UTC midnight', () => {
    expect(secondsToNextUtcDay(new Date('2026-03-01T23:59:30.000Z'))).toBe(30);
    expect(secondsToNextUtcDay(new Date('2026-03-01T00:00:00.000Z'))).toBe(86_400);
    expect(secondsToNextUtcDay(new Date('2026-03-01T23:59:59.900Z'))).toBe(1);
  });
});
