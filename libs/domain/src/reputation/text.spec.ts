import { describe, expect, it } from 'vitest';
import { InvalidFieldError } from '../errors';
import { cleanClaimAmount, cleanOrderRef, cleanReason, cleanReplyText, cleanReviewText, plainText } from './text';

describe('review and claim text', () => {
  it('keeps HTML and script exactly as typed: nothing is escaped, stripped or interpreted', () => {
    const hostile = `<script>alert("x")</script><img src=x onerror=alert(1)> <a href="javascript:alert(1)">bonus</a> &amp;`;
    expect(cleanReviewText(hostile)).toBe(hostile);
  });

  it('removes control, zero-width and bidirectional-override characters and broken surrogates', () => {
    expect(plainText('Good\u0000 ex\u200Bchanger\u202E, \u0007fast\u009B\uFEFF and \uD800fair')).toBe(
      'Good exchanger, fast and fair',
    );
  });

  it('keeps tabs, line feeds and every alphabet; unifies line ends and shrinks runs of blank lines', () => {
    expect(plainText('  Обмен прошёл\r\n\r\n\r\n\r\nбыстро\t👍\rспасибо  ')).toBe(
      'Обмен прошёл\n\nбыстро\t👍\nспасибо',
    );
  });

  it('counts characters (code points) after cleaning: 20 to 2,000', () => {
    expect(cleanReviewText(`  ${'a'.repeat(20)}  `)).toBe('a'.repeat(20));
    expect(() => cleanReviewText('a'.repeat(19))).toThrow(InvalidFieldError);
    expect(() => cleanReviewText(`${'a'.repeat(15)}\u200B\u200B\u200B\u200B\u200B`)).toThrow(/it has 15/);
    expect(cleanReviewText('😀'.repeat(2000))).toHaveLength(4000); // 2,000 characters, 4,000 UTF-16 units
    expect(() => cleanReviewText('a'.repeat(2001))).toThrow(/20–2000 characters/);
  });

  it('lets replies be short and requires a reason of a few characters', () => {
    expect(cleanReplyText(' ok ')).toBe('ok');
    expect(() => cleanReplyText(' ')).toThrow(InvalidFieldError);
    expect(cleanReason('spam')).toBe('spam');
    expect(() => cleanReason('  ')).toThrow(/reason/);
  });

  it('takes an order reference of one short line, empty meaning none', () => {
    expect(cleanOrderRef(undefined)).toBeNull();
    expect(cleanOrderRef('  ')).toBeNull();
    expect(cleanOrderRef(' #A-1024 ')).toBe('#A-1024');
    expect(() => cleanOrderRef('a\nb')).toThrow(/one line/);
    expect(() => cleanOrderRef('x'.repeat(65))).toThrow(/64/);
  });

  it('takes a claim amount as a positive decimal string with its currency, or neither', () => {
    expect(cleanClaimAmount(null, undefined)).toEqual({ amount: null, currency: null });
    expect(cleanClaimAmount('0150.50', 'USDT')).toEqual({ amount: '150.5', currency: 'USDT' });
    expect(cleanClaimAmount('12345678901234567890.123456789012345678', 'BTC').amount).toBe(
      '12345678901234567890.123456789012345678',
    );
    for (const [amount, currency] of [
      ['10', null],
      [null, 'USDT'],
      ['0', 'USDT'],
      ['-5', 'USDT'],
      ['1e3', 'USDT'],
      ['NaN', 'USDT'],
      ['10', 'usdt'],
      ['10', 'US DT'],
    ] as const)
      expect(() => cleanClaimAmount(amount, currency), `${amount} ${currency}`).toThrow(InvalidFieldError);
  });
});
