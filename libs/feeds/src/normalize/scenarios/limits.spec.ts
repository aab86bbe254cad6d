import { describe, expect, it } from 'vitest';
import { normalizeItems } from '../normalizer';
import { context, item } from './catalog.fixture';

const limitsOf = (fields: Parameters<typeof item>[0]) => {
  const [offer] = normalizeItems([item(fields)], context()).offers;
  return { fromMin: offer?.fromMin, fromMax: offer?.fromMax, toMin: offer?.toMin, toMax: offer?.toMax };
};

describe('scenario: limits matched to the right side', () => {
  it('puts bare limits on the from side', () => {
    expect(limitsOf({ minamount: ['0.002'], maxamount: ['1.5'] })).toEqual({
      fromMin: '0.002',
      fromMax: '1.5',
      toMin: null,
      toMax: null,
    });
  });

  it('matches the unit against tickers first: 25 USDT on PMUSD→USDTTRC20 limits the to side', () => {
    expect(limitsOf({ from: 'PMUSD', to: 'USDTTRC20', minamount: ['25 USDT'], maxamount: ['20000 USDT'] })).toEqual({
      fromMin: null,
      fromMax: null,
      toMin: '25',
      toMax: '20000',
    });
  });

  it('then against ISO units: 20 USD on PMUSD→USDTTRC20 limits the from side', () => {
    expect(limitsOf({ from: 'PMUSD', to: 'USDTTRC20', minamount: ['20 USD'] }).fromMin).toBe('20');
  });

  it('accepts the code itself as a unit', () => {
    expect(limitsOf({ minamount: ['5000 SBERRUB'] })).toMatchObject({ toMin: '5000', fromMin: null });
  });

  it('takes the largest minimum and the smallest maximum of repeated limits', () => {
    expect(limitsOf({ minamount: ['0.001 BTC', '0.005 BTC', '0.002'], maxamount: ['3 BTC', '1.5 BTC'] })).toMatchObject(
      { fromMin: '0.005', fromMax: '1.5' },
    );
  });

  it('maps EREF 1.1 limits directly', () => {
    expect(limitsOf({ frommin: '1085', frommax: '54250', tomin: '1000', tomax: '50000' })).toEqual({
      fromMin: '1085',
      fromMax: '54250',
      toMin: '1000',
      toMax: '50000',
    });
  });

  it('treats empty and zero limits as no limit, and warns about unreadable ones', () => {
    const result = normalizeItems([item({ minamount: [''], maxamount: ['0', 'many'] })], context());
    expect(result.offers[0]).toMatchObject({ fromMin: null, fromMax: null });
    expect(result.warnings).toEqual(['item 0: unreadable max amount "many"']);
  });

  it('warns when a unit names neither side and keeps it on the from side', () => {
    const result = normalizeItems([item({ minamount: ['10 EUR'] })], context());
    expect(result.offers[0]?.fromMin).toBe('10');
    expect(result.warnings[0]).toMatch(/unit EUR names neither BTC nor SBERRUB/);
  });
});
