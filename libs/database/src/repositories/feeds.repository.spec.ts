import { describe, expect, it } from 'vitest';
import { mergeDirections } from './feeds.repository';

describe('mergeDirections (a write’s directions and the guard’s)', () => {
  it('keeps the write’s in their order, then the guard’s not among them, each once', () => {
    const written: Array<[string, string]> = [
      ['BTC', 'ETH'],
      ['BTC', 'XMR'],
      ['LTC', 'BTC'],
    ];
    const guard: Array<[string, string]> = [
      ['BTC', 'XMR'],
      ['ETH', 'BTC'],
      ['BTC', 'LTC'],
      ['ETH', 'BTC'],
    ];
    expect(mergeDirections(written, guard)).toEqual([
      ['BTC', 'ETH'],
      ['BTC', 'XMR'],
      ['LTC', 'BTC'],
      ['ETH', 'BTC'],
      ['BTC', 'LTC'],
    ]);
  });

  it('answers a copy: neither list is changed', () => {
    const written: Array<[string, string]> = [['BTC', 'ETH']];
    const merged = mergeDirections(written, []);
    expect(merged).toEqual(written);
    expect(merged).not.toBe(written);
    expect(mergeDirections([], [['A', 'B']])).toEqual([['A', 'B']]);
  });
});
