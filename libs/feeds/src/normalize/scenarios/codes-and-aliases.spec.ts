import { describe, expect, it } from 'vitest';
import { normalizeItems } from '../normalizer';
import { context, item } from './catalog.fixture';

describe('scenario: currency codes through aliases into the catalog', () => {
  it('trims, upper-cases and maps global aliases', () => {
    const { offers } = normalizeItems([item({ from: ' usdttrc ', to: 'tinkoff' })], context());
    expect(offers.map((o) => [o.from, o.to])).toEqual([['USDTTRC20', 'TCSBRUB']]);
  });

  it('lets an exchanger alias win over a global one', () => {
    const ctx = context([['USDT', 'USDTERC20']], [['USDT', 'USDTTRC20']]);
    expect(normalizeItems([item({ from: 'USDT' })], ctx).offers[0]?.from).toBe('USDTTRC20');
  });

  it('retries an unknown code with separators removed', () => {
    const { offers } = normalizeItems(
      [
        item({ from: 'USDT_TRC20' }),
        item({ from: 'usdt-trc20', to: 'ETH' }),
        item({ from: 'USDT(TRC20)', to: 'PMUSD' }),
      ],
      context(),
    );
    expect(offers.map((o) => o.from)).toEqual(['USDTTRC20', 'USDTTRC20', 'USDTTRC20']);
  });

  it('rejects bare USDT as ambiguous unless an alias places it', () => {
    expect(normalizeItems([item({ from: 'USDT' })], context()).rejected).toEqual([
      { index: 0, reason: 'ambiguous currency code USDT (no network suffix): add an alias' },
    ]);
  });

  it('rejects unknown and disabled codes, and Cyrillic look-alikes, with the code in the reason', () => {
    const result = normalizeItems(
      [item({ from: 'ZZZUNKNOWN' }), item({ to: 'QWRUB' }), item({ from: 'ВТС' })],
      context(),
    );
    expect(result.rejected.map((r) => r.reason)).toEqual([
      'unknown currency code ZZZUNKNOWN',
      'currency QWRUB is disabled',
      'unknown currency code ВТС',
    ]);
    expect(result.offers).toEqual([]);
  });

  it('rejects a direction from a currency to itself and an item without codes', () => {
    const result = normalizeItems(
      [item({ from: 'BTC', to: 'btc' }), item({ from: undefined }), item({ to: '  ' })],
      context(),
    );
    expect(result.rejected.map((r) => r.reason)).toEqual([
      'from and to are the same currency (BTC)',
      'missing from currency code',
      'missing to currency code',
    ]);
  });

  it('drops zero-width characters inside codes', () => {
    expect(normalizeItems([item({ from: 'B\u200bTC' })], context()).offers[0]?.from).toBe('BTC');
  });
});
