import { describe, expect, it } from 'vitest';
import { normalizeItems } from '../normalizer';
import { context, item } from './catalog.fixture';

describe('scenario: numbers and validity', () => {
  it('computes rate = out / in exactly and keeps both sides', () => {
    const [offer] = normalizeItems([item({ from: 'PMUSD', to: 'BTC', in: '68950.12', out: '1' })], context()).offers;
    expect(offer).toMatchObject({ in: '68950.12', out: '1', rate: '0.00001450323799291429804618179054655742441057' });
  });

  it('reads comma decimals, thousands separators and exponents', () => {
    const [offer] = normalizeItems([item({ in: '1,0', out: '6 850 000,50', amount: '1.2E+3' })], context()).offers;
    expect(offer).toMatchObject({ in: '1', out: '6850000.5', reserve: '1200' });
  });

  it.each([
    ['0', 'out must be a positive number, got "0"'],
    ['-5', 'out must be a positive number, got "-5"'],
    ['NaN', 'out must be a positive number, got "NaN"'],
    ['1e400', 'out must be a positive number, got "1e400"'],
    ['', 'out must be a positive number, got ""'],
  ])('rejects out = %j', (out, reason) => {
    expect(normalizeItems([item({ out })], context()).rejected).toEqual([{ index: 0, reason }]);
  });

  it('rejects a missing in', () => {
    expect(normalizeItems([item({ in: undefined })], context()).rejected[0]?.reason).toBe(
      'in must be a positive number, got nothing',
    );
  });

  it('turns a negative reserve into 0 and an unreadable or missing one into unknown', () => {
    const result = normalizeItems(
      [
        item({ amount: '-1' }),
        item({ to: 'ETH', amount: 'lots' }),
        item({ to: 'PMUSD', amount: undefined }),
        item({ to: 'TCSBRUB', amount: '1e400' }),
      ],
      context(),
    );
    expect(result.offers.map((o) => o.reserve)).toEqual(['0', null, null, null]);
    expect(result.warnings).toEqual(['item 1: unreadable reserve "lots"', 'item 3: unreadable reserve "1e400"']);
  });

  it('keeps only the first 100 rejects but counts them all', () => {
    const bad = Array.from({ length: 150 }, () => item({ out: '0' }));
    const result = normalizeItems(bad, context());
    expect(result.rejected).toHaveLength(100);
    expect(result.rejected[99]?.index).toBe(99);
    expect(result.rejectedCount).toBe(150);
  });
});
