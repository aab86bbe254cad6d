import { describe, expect, it } from 'vitest';
import { Dec } from '../../decimal';
import { calculate } from '../calculator';
import { BTC, offer, SBERRUB } from './scenario.fixture';

describe('scenario: no fees', () => {
  it('gives amount × rate, rounded down to 2 decimals for fiat', () => {
    const result = calculate(offer({ rate: '6850000.555' }), new Dec('0.5'), 'give', BTC, SBERRUB);
    expect(result).toMatchObject({ ok: true });
    expect(result.ok && result.get.toFixed()).toBe('3425000.27');
  });

  it('asks amount / rate for side=get, rounded up to 8 decimals for crypto', () => {
    const result = calculate(offer({ rate: '6850000' }), new Dec('1000000'), 'get', BTC, SBERRUB);
    expect(result.ok && result.give.toFixed()).toBe('0.14598541'); // 0.145985401… rounded up
    const odd = calculate(offer({ rate: '3' }), new Dec('1'), 'get', BTC, SBERRUB);
    expect(odd.ok && odd.give.toFixed()).toBe('0.33333334');
  });
});
