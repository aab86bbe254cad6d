import { describe, expect, it } from 'vitest';
import { PairMap } from './pair-map';

describe('PairMap (values by from, then to)', () => {
  it('counts each pair once, whatever it was set to and however often, and forgets what it deletes', () => {
    const pairs = new PairMap<number>();
    pairs.set('BTC', 'ETH', 1);
    pairs.set('BTC', 'LTC', 2);
    pairs.set('BTC', 'ETH', 3);
    pairs.set('ETH', 'BTC', 4);
    expect(pairs.size).toBe(3);
    expect([pairs.get('BTC', 'ETH'), pairs.get('ETH', 'BTC'), pairs.get('ETH', 'LTC')]).toEqual([3, 4, undefined]);
    // A pair is its two codes in order, not their concatenation.
    pairs.set('BT', 'CETH', 5);
    expect(pairs.get('BTC', 'ETH')).toBe(3);
    expect(pairs.has('BT', 'CETH')).toBe(true);
    expect(pairs.delete('BTC', 'ETH')).toBe(true);
    expect(pairs.delete('BTC', 'ETH')).toBe(false);
    expect(pairs.delete('XMR', 'ETH')).toBe(false);
    expect(pairs.has('BTC', 'ETH')).toBe(false);
    expect(pairs.size).toBe(3);
    expect([...pairs.values()].sort()).toEqual([2, 4, 5]);
  });
});
