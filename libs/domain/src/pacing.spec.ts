import { describe, expect, it } from 'vitest';
import { pacedStart } from './pacing';

describe('pacedStart', () => {
  it('waits pace times the run’s duration after it ended', () => {
    expect(pacedStart(1_000, 1_200, 10)).toBe(3_200);
    expect(pacedStart(1_000, 1_200, 3)).toBe(1_800);
  });

  it('keeps the least gap when the run was short', () => {
    expect(pacedStart(1_000, 1_010, 10, 1_010 + 3_000)).toBe(4_010);
    expect(pacedStart(1_000, 1_010, 3, 1_000 + 100)).toBe(1_100);
  });

  it('takes the paced start when it is later than the least gap', () => {
    expect(pacedStart(1_000, 2_000, 3, 1_000 + 100)).toBe(5_000);
  });

  it('never moves a start already decided earlier', () => {
    expect(pacedStart(1_000, 1_200, 10, 9_000)).toBe(9_000);
  });

  it('is the end itself for an instant run without a least gap', () => {
    expect(pacedStart(1_000, 1_000, 10)).toBe(1_000);
  });
});
