import { describe, expect, it } from 'vitest';
import { canonicalDecimal } from '@app/domain';
import { fastCanonical, isCanonicalDecimal } from './decimal-scan';

describe('isCanonicalDecimal: the scanner agrees with canonicalDecimal', () => {
  it('says yes exactly for the texts canonicalDecimal gives back unchanged by its plain-digits path', () => {
    const yes = ['0', '1', '10', '1.5', '0.5', '0.000001', '100000', '9'.repeat(30), `1.${'1'.repeat(40)}`];
    const no = [
      '',
      '01',
      '1.0',
      '1.',
      '.5',
      '-1',
      '+1',
      '1e5',
      ' 1',
      '1 ',
      '1,5',
      '0.50',
      '00',
      '9'.repeat(31),
      `1.${'1'.repeat(41)}`,
      '١',
    ];
    for (const text of yes)
      expect([text, isCanonicalDecimal(text), canonicalDecimal(text)]).toEqual([text, true, text]);
    for (const text of no) expect([text, isCanonicalDecimal(text)]).toEqual([text, false]);
  });

  it('never answers differently from canonicalDecimal on random texts', () => {
    let seed = 42;
    const next = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const alphabet = '0000111234567899..,- e+';
    for (let n = 0; n < 50_000; n++) {
      const length = Math.floor(next() * 12);
      let text = '';
      for (let i = 0; i < length; i++) text += alphabet[Math.floor(next() * alphabet.length)];
      expect(fastCanonical(text)).toBe(canonicalDecimal(text));
      if (isCanonicalDecimal(text)) expect(canonicalDecimal(text)).toBe(text);
    }
    // 50,000 texts: 5 s and more on a machine shared with benchmarks.
  }, 30_000);
});
