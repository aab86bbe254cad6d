import { describe, expect, it } from 'vitest';
import { normalizeItems } from '../normalizer';
import { context, item } from './catalog.fixture';

describe('scenario: flags and cities', () => {
  it('splits, trims, lower-cases and de-duplicates flags, keeping unknown ones', () => {
    expect(normalizeItems([item({ param: 'Manual, juridical,manual,, only on weekends' })], context()).offers[0]?.flags).toEqual(['manual', 'juridical', 'only on weekends']);
  });

  it('makes one offer per city, upper-cased, empties dropped', () => {
    const { offers } = normalizeItems([item({ from: 'USDTTRC20', to: 'CASHRUB', city: 'MSK, spb,EKB , ' })], context());
    expect(offers.map((o) => o.city)).toEqual(['MSK', 'SPB', 'EKB']);
    expect(new Set(offers.map((o) => o.rate)).size).toBe(1);
  });

  it('keeps a cash direction without a city, with a warning', () => {
    const result = normalizeItems([item({ from: 'BTC', to: 'CASHUSD' })], context());
    expect(result.offers[0]?.city).toBeNull();
    expect(result.warnings).toEqual(['item 0: BTC→CASHUSD is a cash direction without a city']);
  });

  it('ignores a city that is not a code', () => {
    const result = normalizeItems([item({ to: 'CASHUSD', city: "MSK, <script>, '; DROP TABLE offers; --" })], context());
    expect(result.offers.map((o) => o.city)).toEqual(['MSK']);
    expect(result.warnings).toHaveLength(2);
  });
});
