import { describe, expect, it } from 'vitest';
import { Dec } from '../../decimal';
import { calculate } from '../calculator';
import { BTC, offer, SBERRUB } from './scenario.fixture';

describe('scenario: a percent fee on what is received (toFee 0.5 %)', () => {
  const withFee = offer({ rate: '1000000', toFee: [{ kind: 'percent', value: '0.5' }] });

  it('takes 0.5 % of the converted amount', () => {
    const result = calculate(withFee, new Dec('1'), 'give', BTC, SBERRUB);
    expect(result.ok && result.get.toFixed()).toBe('995000');
  });

  it('inverts exactly for side=get', () => {
    const result = calculate(withFee, new Dec('995000'), 'get', BTC, SBERRUB);
    expect(result.ok && result.give.toFixed()).toBe('1');
  });
});
