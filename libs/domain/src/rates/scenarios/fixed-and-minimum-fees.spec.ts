import { describe, expect, it } from 'vitest';
import { Dec } from '../../decimal';
import { calculate } from '../calculator';
import { BTC, offer, PMUSD } from './scenario.fixture';

describe('scenario: fixed fees, percent fees and a minimum fee on what is given', () => {
  // PMUSD → BTC at 68950.12 USD per BTC: rate = 1 / 68950.12
  const rate = new Dec(1).div('68950.12').toFixed();

  it('charges 0.5 USD + 1 % of the amount given', () => {
    const result = calculate(
      offer({
        rate,
        fromFee: [
          { kind: 'fixed', value: '0.5', unit: 'USD' },
          { kind: 'percent', value: '1' },
        ],
      }),
      new Dec('1000'),
      'give',
      PMUSD,
      BTC,
    );
    // (1000 - 0.5 - 10) / 68950.12 = 0.01435095…
    expect(result.ok && result.get.toFixed()).toBe('0.01435095');
  });

  it('applies the minimum when the fee would be smaller', () => {
    const result = calculate(
      offer({
        rate,
        fromFee: [{ kind: 'percent', value: '0.1' }],
        minFee: [{ kind: 'fixed', value: '5', unit: 'USD' }],
      }),
      new Dec('100'),
      'give',
      PMUSD,
      BTC,
    );
    // 0.1 % of 100 = 0.1 < 5: (100 - 5) / 68950.12
    expect(result.ok && result.get.toFixed()).toBe('0.0013778'); // 0.0013778076… rounded down
  });

  it('leaves the offer out when the fees eat the whole amount', () => {
    expect(
      calculate(
        offer({ rate, fromFee: [{ kind: 'fixed', value: '10', unit: 'USD' }] }),
        new Dec('10'),
        'give',
        PMUSD,
        BTC,
      ),
    ).toEqual({ ok: false, reason: 'the fees exceed the amount' });
  });

  it('inverts a minimum fee for side=get', () => {
    const fees = offer({
      rate: '2',
      fromFee: [{ kind: 'percent', value: '1' }],
      minFee: [{ kind: 'fixed', value: '5', unit: 'USD' }],
    });
    const result = calculate(fees, new Dec('10'), 'get', PMUSD, {
      code: 'EUR',
      ticker: 'EUR',
      iso: 'EUR',
      kind: 'bank',
    });
    // net 5 → 1 % of it is below 5 → give 5 + 5
    expect(result.ok && result.give.toFixed()).toBe('10');
  });
});
