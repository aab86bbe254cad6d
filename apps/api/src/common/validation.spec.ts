import { describe, expect, it } from 'vitest';
import { MAX_BODY_DEPTH, nestedDeeperThan } from './validation';

const nested = (levels: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = { slug: value };
  return value;
};

describe('nestedDeeperThan', () => {
  it('measures objects and arrays without recursion, even thousands of levels deep', () => {
    expect(nestedDeeperThan(nested(MAX_BODY_DEPTH), MAX_BODY_DEPTH)).toBe(false);
    expect(nestedDeeperThan(nested(MAX_BODY_DEPTH + 1), MAX_BODY_DEPTH)).toBe(true);
    expect(nestedDeeperThan([[[[1]]]], 3)).toBe(true);
    expect(nestedDeeperThan(nested(100_000), MAX_BODY_DEPTH)).toBe(true);
  });

  it('does not walk the bytes of a raw body', () => {
    expect(nestedDeeperThan(Buffer.alloc(4 * 1024 * 1024), 0)).toBe(false);
    expect(nestedDeeperThan('<rates/>', 0)).toBe(false);
    expect(nestedDeeperThan(null, 0)).toBe(false);
  });
});
