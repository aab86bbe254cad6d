import { escapeLiteral } from 'pg';
import { describe, expect, it } from 'vitest';
import { arrayElement, quoteLiteral, textArray } from './sql-literals';

describe('quoteLiteral', () => {
  it('gives what pg’s escapeLiteral gives, with and without quotes and backslashes', () => {
    const pieces = ["'", '\\', 'a', 'Б', ' ', '{', '"', '\n', '0.5', 'E', "''", '\\\\', '\u001f'];
    // A seeded walk over the pieces: every mix of plain text, quotes and backslashes, at every position.
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let n = 0; n < 3000; n++) {
      let value = '';
      for (let k = next() % 9; k > 0; k--) value += pieces[next() % pieces.length];
      expect(quoteLiteral(value), JSON.stringify(value)).toBe(escapeLiteral(value));
    }
  });

  it('quotes a long list without walking it (the same text)', () => {
    const list = `{${Array.from({ length: 10_000 }, (_, i) => `C${i}`).join(',')}}`;
    expect(quoteLiteral(list)).toBe(`'${list}'`);
    expect(quoteLiteral(`${list}'`)).toBe(escapeLiteral(`${list}'`));
  });
});

describe('arrayElement and textArray', () => {
  it('writes plain values as they are: codes, decimals, signs and exponents', () => {
    expect(['BTC', 'USDT_TRC20', '0.000010', '-1.5e+3', 'a.b-c'].map(arrayElement)).toEqual([
      'BTC',
      'USDT_TRC20',
      '0.000010',
      '-1.5e+3',
      'a.b-c',
    ]);
  });

  it('quotes what an array literal would misread, and writes null as NULL', () => {
    expect(arrayElement(null)).toBe('NULL');
    expect(arrayElement('')).toBe('""');
    expect(arrayElement('null')).toBe('"null"');
    expect(arrayElement('NuLl')).toBe('"NuLl"');
    expect(arrayElement('nulls')).toBe('nulls');
    expect(arrayElement('a b')).toBe('"a b"');
    expect(arrayElement('{x}')).toBe('"{x}"');
    expect(arrayElement('q"q')).toBe('"q\\"q"');
    expect(arrayElement('b\\s')).toBe('"b\\\\s"');
    expect(arrayElement('Москва')).toBe('"Москва"');
    expect(textArray(['A', null, 'x,y'])).toBe('{A,NULL,"x,y"}');
    expect(textArray([])).toBe('{}');
  });
});
