import { describe, expect, it } from 'vitest';
import { cleanCode, stripCodeSeparators } from './currency-code';
import { CURRENCY_CODE_PATTERN } from './patterns';

describe('cleanCode', () => {
  it('trims, upper-cases and drops whitespace inside', () => {
    expect(cleanCode('  btc \n')).toBe('BTC');
    expect(cleanCode('usdt trc20')).toBe('USDTTRC20');
  });

  it('drops zero-width characters', () => {
    expect(cleanCode('B\u200bTC')).toBe('BTC');
    expect(cleanCode('\ufeffETH')).toBe('ETH');
  });

  it('drops bidi controls and soft hyphens, which display nothing', () => {
    expect(cleanCode('\u202eETH')).toBe('ETH');
    expect(cleanCode('US\u00adDT\u2066TRC20\u2069')).toBe('USDTTRC20');
  });
});

describe('stripCodeSeparators', () => {
  it.each(['USDT_TRC20', 'usdt-trc20', 'USDT(TRC20)', 'USDT.TRC20', 'usdt/trc20'])('turns %s into USDTTRC20', (raw) => {
    expect(stripCodeSeparators(raw)).toBe('USDTTRC20');
  });
});

describe('CURRENCY_CODE_PATTERN', () => {
  it('accepts catalog-shaped codes', () => {
    expect(CURRENCY_CODE_PATTERN.test('BTC')).toBe(true);
    expect(CURRENCY_CODE_PATTERN.test('USDTTRC20')).toBe(true);
  });

  it('refuses Cyrillic look-alikes, punctuation and lower case', () => {
    expect(CURRENCY_CODE_PATTERN.test('ВТС')).toBe(false); // Cyrillic В, Т, С
    expect(CURRENCY_CODE_PATTERN.test('BTC;DROP')).toBe(false);
    expect(CURRENCY_CODE_PATTERN.test('btc')).toBe(false);
    expect(CURRENCY_CODE_PATTERN.test('')).toBe(false);
  });
});
