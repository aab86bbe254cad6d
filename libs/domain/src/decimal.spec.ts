import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../test/support/random';
import {
  canonicalDecimal,
  Dec,
  compareDecimalStrings,
  DECIMAL_BOUNDS,
  decimalBoundsProblem,
  parseDecimal,
  RATE_BOUNDS,
  rateOf,
  rateOfCanonical,
  toPlain,
} from './decimal';

const read = (raw: string | number): string | null => {
  const value = parseDecimal(raw);
  return value === null ? null : toPlain(value);
};

describe('parseDecimal', () => {
  it.each([
    ['91,37', '91.37'],
    ['8 400 000', '8400000'],
    ['8\u00a0400\u00a0000', '8400000'],
    ['1\u202f234\u202f567,89', '1234567.89'],
    ['1.234.567,89', '1234567.89'],
    ['1,234,567.89', '1234567.89'],
    ['1,000,000', '1000000'],
    ['1.2E-5', '0.000012'],
    ['5e+9', '5000000000'],
    ['+1', '1'],
    ['.1543', '0.1543'],
    ['0.028314000000', '0.028314'],
    ['  42\n', '42'],
    ['-1', '-1'],
  ])('reads %j as %s', (raw, expected) => {
    expect(read(raw)).toBe(expected);
  });

  it.each(['', ' ', 'NaN', 'Infinity', '-Infinity', '1e400', '1e30', 'abc', '1.2.3x', '0x10', '12 BTC', '--1'])(
    'refuses %j',
    (raw) => {
      expect(parseDecimal(raw)).toBeNull();
    },
  );

  it('keeps digits a float would lose', () => {
    expect(read('0.1000000000000000055511151231257827')).toBe('0.1000000000000000055511151231257827');
    expect(read('12345678901234567890.12345678')).toBe('12345678901234567890.12345678');
  });

  it('refuses null and undefined', () => {
    expect(parseDecimal(null)).toBeNull();
    expect(parseDecimal(undefined)).toBeNull();
  });
});

describe('rateOf', () => {
  it('divides out by in to 40 significant digits (checked against Python decimal)', () => {
    expect(toPlain(rateOf(new Dec('68950.12'), new Dec('1')))).toBe('0.00001450323799291429804618179054655742441057');
    expect(toPlain(rateOf(new Dec('1'), new Dec('6850000.5')))).toBe('6850000.5');
  });

  it('refuses a non-positive in', () => {
    expect(() => rateOf(new Dec(0), new Dec(1))).toThrow(RangeError);
  });
});

describe('compareDecimalStrings', () => {
  it('orders by value, not by text or float', () => {
    const values = ['10', '9.99999999999999999999', '100', '0.000012', '9.99999999999999999998'];
    expect([...values].sort(compareDecimalStrings)).toEqual([
      '0.000012',
      '9.99999999999999999998',
      '9.99999999999999999999',
      '10',
      '100',
    ]);
  });

  it.each([
    ['0', '-0', 0],
    ['-0.000', '0', 0],
    ['007.50', '7.5', 0],
    ['0.1', '0.09999', 1],
    ['-0.1', '-0.09999', -1],
    ['-2', '1', -1],
    ['1', '-2', 1],
    ['-0', '0.0000001', -1],
    ['100', '99.999', 1],
    ['1.2E-5', '0.000012', 0],
    ['1e3', '999.9', 1],
  ])('compares %s with %s as %i, leading and trailing zeros, signs and exponents included', (a, b, expected) => {
    expect(compareDecimalStrings(a, b)).toBe(expected);
    expect(compareDecimalStrings(b, a)).toBe(0 - expected);
  });

  it('agrees with the decimal library on random plain decimals (seeded)', () => {
    const random = seededRandom(21);
    const digits = (n: number) => Array.from({ length: n }, () => String(Math.floor(random() * 10))).join('');
    const value = () => {
      const sign = random() < 0.3 ? '-' : '';
      const whole = random() < 0.2 ? '0'.repeat(1 + Math.floor(random() * 3)) : digits(1 + Math.floor(random() * 4));
      const fraction = random() < 0.3 ? '' : `.${digits(1 + Math.floor(random() * 6))}`;
      return sign + whole + fraction;
    };
    for (let n = 0; n < 5000; n++) {
      const a = value();
      // Near values too: the same number with a trailing zero, or one digit changed.
      const b =
        random() < 0.3 ? (a.includes('.') ? `${a}0` : `${a}.0`) : random() < 0.5 ? a.replace(/\d$/, '7') : value();
      expect([a, b, compareDecimalStrings(a, b)]).toEqual([a, b, new Dec(a).comparedTo(new Dec(b))]);
    }
  });
});

describe('canonicalDecimal', () => {
  it.each([
    ['084.20', '84.2'],
    ['0.028314000000', '0.028314'],
    ['000', '0'],
    ['1.000', '1'],
    ['91,37', '91.37'],
    ['1.2E-5', '0.000012'],
    ['-1', '-1'],
    ['  7 125 000 ', '7125000'],
  ])('turns %j into %s, like parseDecimal', (raw, expected) => {
    expect(canonicalDecimal(raw)).toBe(expected);
    expect(toPlain(parseDecimal(raw)!)).toBe(expected);
  });

  it.each(['', 'NaN', '1e400', '1' + '0'.repeat(30), 'x'])('refuses %j', (raw) => {
    expect(canonicalDecimal(raw)).toBeNull();
  });
});

describe('rateOfCanonical', () => {
  it('passes out through when in is 1 and divides otherwise', () => {
    expect(rateOfCanonical('1', '6850000.5')).toBe('6850000.5');
    expect(rateOfCanonical('4', '1')).toBe('0.25');
  });
});

describe('decimalBoundsProblem', () => {
  const zeros = (n: number) => '0'.repeat(n);

  it.each([
    ['0', null],
    ['1', null],
    [`1${zeros(29)}`, null],
    [`1${zeros(30)}`, 'larger than 1e30'],
    [`0.${zeros(29)}1`, null],
    [`0.${zeros(30)}1`, 'smaller than 1e-30'],
    [`-0.${zeros(30)}1`, 'smaller than 1e-30'],
    [`1.${'2'.repeat(39)}`, null],
    [`1.${'2'.repeat(40)}`, 'more than 40 significant digits'],
    [`0.${zeros(20)}${'3'.repeat(40)}`, null],
    [`${'9'.repeat(20)}.${'9'.repeat(21)}`, 'more than 40 significant digits'],
  ])('bounds %s: %s', (value, problem) => {
    expect(decimalBoundsProblem(value)).toBe(problem);
  });

  it('narrows the magnitude for rates', () => {
    expect(decimalBoundsProblem(`1${zeros(17)}`, RATE_BOUNDS)).toBeNull();
    expect(decimalBoundsProblem(`1${zeros(18)}`, RATE_BOUNDS)).toBe('larger than 1e18');
    expect(decimalBoundsProblem(`0.${zeros(17)}1`, RATE_BOUNDS)).toBeNull();
    expect(decimalBoundsProblem(`0.${zeros(18)}1`, RATE_BOUNDS)).toBe('smaller than 1e-18');
  });

  it('gives the same answer on its short-string fast path as digit by digit', () => {
    // Every canonical shape up to the fast path's length: integers, fractions with leading zeros, signs.
    for (let length = 1; length <= 32; length++) {
      for (const value of [
        `1${zeros(length - 1)}`,
        `0.${zeros(Math.max(0, length - 3))}7`,
        `-${'9'.repeat(Math.max(1, length - 1))}`,
      ]) {
        const exponent = value.replace('-', '').startsWith('0.')
          ? -(value.split('.')[1]!.search(/[1-9]/) + 1)
          : value.replace('-', '').split('.')[0]!.length - 1;
        for (const bounds of [DECIMAL_BOUNDS, RATE_BOUNDS]) {
          const expected = exponent > bounds.maxExponent ? 'larger' : exponent < bounds.minExponent ? 'smaller' : null;
          expect(
            decimalBoundsProblem(value, bounds)?.split(' ')[0] ?? null,
            `${value} in ${JSON.stringify(bounds)}`,
          ).toBe(expected);
        }
      }
    }
  });
});
