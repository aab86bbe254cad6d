import { describe, expect, it } from 'vitest';
import { canonicalQuery, type RatesQuery } from './rates.dto';

const query = (extra: Partial<RatesQuery>): RatesQuery => ({ from: 'BTC', to: 'SBERRUB', ...extra });

describe('canonicalQuery (one cache entry and one live-stream channel per table)', () => {
  it('writes an amount as its canonical decimal, never through a float', () => {
    for (const amount of ['1', '1.0', '01', '0001.000', '1.000000000000000000'])
      expect(canonicalQuery(query({ amount })).amount, amount).toBe('1');
    expect(canonicalQuery(query({ amount: '0.50' })).amount).toBe('0.5');
    // Past a float's 17 significant digits, two amounts stay two.
    const big = canonicalQuery(query({ amount: '12345678901234567890.123456789012345678' })).amount;
    expect(big).toBe('12345678901234567890.123456789012345678');
    expect(canonicalQuery(query({ amount: '12345678901234567890.123456789012345679' })).amount).not.toBe(big);
    expect(canonicalQuery(query({})).amount).toBeUndefined();
  });

  it('lower-cases, de-duplicates and sorts exclude, and drops an empty one', () => {
    expect(canonicalQuery(query({ exclude: 'VERIFYING,manual, Manual ' })).exclude).toBe('manual,verifying');
    expect(canonicalQuery(query({ exclude: 'manual,verifying' })).exclude).toBe('manual,verifying');
    expect(canonicalQuery(query({ exclude: ' , ' })).exclude).toBeUndefined();
  });

  it('keeps the rest of the query', () => {
    const canonical = canonicalQuery(query({ city: 'MSK', side: 'get', limit: 5, amount: '2.0' }));
    expect(canonical).toEqual({ from: 'BTC', to: 'SBERRUB', city: 'MSK', side: 'get', limit: 5, amount: '2' });
  });
});
