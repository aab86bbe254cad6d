import { describe, expect, it } from 'vitest';
import { normalizeItems } from '../normalizer';
import { context, item } from './catalog.fixture';

describe('scenario: duplicate directions', () => {
  it('keeps the first of (from, to, city) after aliasing and counts the rest', () => {
    const result = normalizeItems(
      [
        item({ out: '6850000' }),
        item({ out: '6790000' }),
        item({ from: 'btc', to: 'sberrub', out: '1' }),
        item({ to: 'ETH', out: '20' }),
      ],
      context(),
    );
    expect(result.offers.map((o) => [o.to, o.out])).toEqual([
      ['SBERRUB', '6850000'],
      ['ETH', '20'],
    ]);
    expect(result.duplicates).toBe(2);
  });

  it('treats the same direction in two cities as two offers, and a repeated city as a duplicate', () => {
    const result = normalizeItems(
      [
        item({ to: 'CASHRUB', city: 'MSK' }),
        item({ to: 'CASHRUB', city: 'SPB' }),
        item({ to: 'CASHRUB', city: 'msk' }),
      ],
      context(),
    );
    expect(result.offers.map((o) => o.city)).toEqual(['MSK', 'SPB']);
    expect(result.duplicates).toBe(1);
  });

  it('does not count rejected items as duplicates', () => {
    const result = normalizeItems([item({ out: '0' }), item()], context());
    expect(result).toMatchObject({ duplicates: 0, rejectedCount: 1 });
    expect(result.offers).toHaveLength(1);
  });
});
