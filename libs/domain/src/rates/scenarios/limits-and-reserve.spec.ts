import { describe, expect, it } from 'vitest';
import { Dec } from '../../decimal';
import { calculate } from '../calculator';
import { BTC, offer, SBERRUB } from './scenario.fixture';

describe('scenario: limits on each side and the reserve', () => {
  const limited = offer({
    rate: '1000000',
    fromMin: '0.01',
    fromMax: '2',
    toMin: '50000',
    toMax: '1500000',
    reserve: '1200000',
  });
  const give = (amount: string) => calculate(limited, new Dec(amount), 'give', BTC, SBERRUB);

  it('serves an amount inside every limit', () => {
    expect(give('1')).toMatchObject({ ok: true });
  });

  it.each([
    ['0.001', 'below the minimum of 0.01 BTC'],
    ['0.04', 'below the minimum of 50000 SBERRUB'],
    ['1.3', 'more than the reserve of 1200000 SBERRUB'],
  ])('leaves out %s BTC: %s', (amount, reason) => {
    expect(give(amount)).toEqual({ ok: false, reason });
  });

  it('checks the from maximum and the to maximum', () => {
    const noReserve = offer({ rate: '1000000', fromMax: '2', toMax: '1500000' });
    expect(calculate(noReserve, new Dec('1.6'), 'give', BTC, SBERRUB)).toEqual({
      ok: false,
      reason: 'above the maximum of 1500000 SBERRUB',
    });
    expect(calculate(offer({ rate: '1', fromMax: '2' }), new Dec('3'), 'give', BTC, SBERRUB)).toEqual({
      ok: false,
      reason: 'above the maximum of 2 BTC',
    });
  });

  it('checks limits for side=get too', () => {
    expect(calculate(limited, new Dec('1250000'), 'get', BTC, SBERRUB)).toEqual({
      ok: false,
      reason: 'more than the reserve of 1200000 SBERRUB',
    });
  });
});
