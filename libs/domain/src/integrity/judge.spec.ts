import { describe, expect, it } from 'vitest';
import { bandOf, DEFAULT_INTEGRITY_BANDS, judgeRate, RateReference } from './judge';

const market = (rate: string): RateReference => ({ rate, source: 'market', exchangers: 5, via: null });

describe('judgeRate', () => {
  it('holds back a rate 1,000× the market (a typo in out) and says by how much', () => {
    expect(judgeRate('6850000000', market('6850000'), '10')).toEqual({
      reason: 'too_good',
      reference: '6850000',
      referenceSource: 'market',
      deviationPercent: '99900.00',
    });
  });

  it('keeps a rate within the band, at its edge, and any rate worse than the market', () => {
    expect(judgeRate('7000000', market('6850000'), '10')).toBeNull();
    expect(judgeRate('7535000', market('6850000'), '10')).toBeNull(); // exactly +10 %
    expect(judgeRate('6850', market('6850000'), '10')).toBeNull(); // 1,000× worse: hurts only its exchanger
    expect(judgeRate('0.000000001', market('6850000'), '10')).toBeNull();
  });

  it('holds back a bait rate just past the band', () => {
    expect(judgeRate('7535001', market('6850000'), '10')).toMatchObject({
      reason: 'too_good',
      deviationPercent: '10.00',
    });
  });

  it('names swapped sides: RUB → BTC published at the BTC → RUB rate', () => {
    const verdict = judgeRate('6850000', market('0.000000146'), '10');
    expect(verdict).toMatchObject({ reason: 'inverted', referenceSource: 'market' });
  });

  it('is exact with 40-digit rates (no float rounding at the edge)', () => {
    const reference = market('0.0000000000000000000123456789012345678901');
    const edge = '0.00000000000000000001358024679135802467911'; // reference × 1.1, exactly
    expect(judgeRate(edge, reference, '10')).toBeNull();
    expect(judgeRate('0.00000000000000000001358024679135802467912', reference, '10')).not.toBeNull();
  });
});

describe('bandOf', () => {
  it('takes the wider band of the two sides, and the fallback for an unknown kind', () => {
    expect(bandOf('crypto', 'bank', DEFAULT_INTEGRITY_BANDS, '10')).toBe('10');
    expect(bandOf('bank', 'online_banking', DEFAULT_INTEGRITY_BANDS, '10')).toBe('6');
    expect(bandOf('bank', 'martian', DEFAULT_INTEGRITY_BANDS, '12')).toBe('12');
  });
});
