import { describe, expect, it } from 'vitest';
import { normalizeItems } from '../normalizer';
import { context, item } from './catalog.fixture';

/** DESIGN.md §2 "also seen": units on the reserve and on in/out, naming that side. */
describe('scenario: units written on the reserve, in and out', () => {
  const one = (fields: Parameters<typeof item>[0]) => normalizeItems([item(fields)], context());

  it('reads a reserve whose unit names the to currency by code, ticker, ISO unit or alias', () => {
    expect(one({ amount: '12 500 000 SBERRUB' }).offers[0]?.reserve).toBe('12500000');
    expect(one({ amount: '12500000 RUB' }).offers[0]?.reserve).toBe('12500000');
    expect(one({ from: 'BTC', to: 'USDTTRC20', amount: '1 500 USDT' }).offers[0]?.reserve).toBe('1500');
    expect(one({ from: 'BTC', to: 'USDTTRC20', amount: '1500 usdttrc' }).offers[0]?.reserve).toBe('1500');
  });

  it('rejects a reserve in the from currency or in a third one: which amount is meant cannot be known', () => {
    expect(one({ amount: '1.5 BTC' }).rejected[0]?.reason).toBe(
      'the reserve "1.5 BTC" is in BTC, which is not the to currency SBERRUB',
    );
    expect(one({ amount: '5 EUR' }).rejected[0]?.reason).toBe(
      'the reserve "5 EUR" is in EUR, which is not the to currency SBERRUB',
    );
  });

  it('reads in and out with the unit of their own side, an alias included', () => {
    expect(one({ from: 'USDTTRC20', to: 'BTC', in: '1 USDTTRC', out: '0.0000148 BTC' }).offers[0]).toMatchObject({
      in: '1',
      out: '0.0000148',
    });
  });

  it('rejects in or out whose unit names the other side', () => {
    expect(one({ in: '1 SBERRUB' }).rejected[0]?.reason).toBe(
      'in "1 SBERRUB" is in SBERRUB, which is not the from currency BTC',
    );
    expect(one({ out: '6850000 BTC' }).rejected[0]?.reason).toBe(
      'out "6850000 BTC" is in BTC, which is not the to currency SBERRUB',
    );
  });

  it('does not take an exponent for a unit', () => {
    expect(one({ out: '6.85e6' }).offers[0]?.out).toBe('6850000');
    expect(one({ out: '1e400' }).rejected[0]?.reason).toBe('out must be a positive number, got "1e400"');
  });
});

describe('scenario: codes in reasons as the feed wrote them', () => {
  it('shows the written text next to the forms that were tried', () => {
    expect(normalizeItems([item({ from: 'tether-tron' })], context()).rejected[0]?.reason).toBe(
      'unknown currency code "tether-tron" (tried TETHER-TRON, TETHERTRON)',
    );
    expect(normalizeItems([item({ from: ' zzz ' })], context()).rejected[0]?.reason).toBe(
      'unknown currency code " zzz " (tried ZZZ)',
    );
    expect(normalizeItems([item({ from: 'ZZZ' })], context()).rejected[0]?.reason).toBe('unknown currency code ZZZ');
  });
});
