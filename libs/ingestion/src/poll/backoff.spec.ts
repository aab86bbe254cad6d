import { describe, expect, it } from 'vitest';
import { backoffUntil, MAX_BACKOFF_SECONDS } from './backoff';

const at = new Date('2026-11-25T10:00:00Z');
const seconds = (until: Date | null) => (until === null ? null : (until.getTime() - at.getTime()) / 1000);

describe('backoffUntil', () => {
  it('does not back off below three failures in a row', () => {
    expect(backoffUntil(at, 0, 30)).toBeNull();
    expect(backoffUntil(at, 2, 30)).toBeNull();
  });

  it('doubles the wait with each further failure', () => {
    expect(seconds(backoffUntil(at, 3, 30))).toBe(60);
    expect(seconds(backoffUntil(at, 4, 30))).toBe(120);
    expect(seconds(backoffUntil(at, 5, 30))).toBe(240);
  });

  it('caps the wait', () => {
    expect(seconds(backoffUntil(at, 50, 30))).toBe(MAX_BACKOFF_SECONDS);
    expect(seconds(backoffUntil(at, 3, 86_400))).toBe(MAX_BACKOFF_SECONDS);
  });

  it('does not back off a feed never attempted', () => {
    expect(backoffUntil(null, 10, 30)).toBeNull();
  });
});
