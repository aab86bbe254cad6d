import { describe, expect, it } from 'vitest';
import { Dec } from '@app/domain';
import { bandFactor, timesFactor } from './reference-cache';

/** Decimals wide enough for every product below, unrounded. */
const Exact = Dec.clone({ precision: 200 });

describe('the reference copy’s ceilings', () => {
  it('reads a band as an exact factor, and refuses bands it cannot keep exact', () => {
    expect(bandFactor('10')).toEqual({ digits: 110, scale: 2 });
    expect(bandFactor('7.5')).toEqual({ digits: 1075, scale: 3 });
    expect(bandFactor('0.125')).toEqual({ digits: 100125, scale: 5 });
    for (const band of ['1e1', '-5', '10.1234567', '12345', '', ' 10']) expect(bandFactor(band)).toBeNull();
  });

  it('multiplies a stored rate by the factor exactly, as a decimal would', () => {
    expect(timesFactor('123.456789', bandFactor('10')!)).toBe('135.80246790');
    expect(timesFactor('0', bandFactor('10')!)).toBe('0.00');
    expect(timesFactor('0.00000000000000000000000000000001', bandFactor('6')!)).toBe(
      '0.0000000000000000000000000000000106',
    );
    expect(timesFactor('99999999999999999999999999999.9999', bandFactor('9999.999999')!)).not.toBeNull();
    let seed = 7;
    const digits = (n: number) =>
      Array.from({ length: n }, () => ((seed = (seed * 48271) % 2147483647), seed % 10)).join('');
    for (let i = 0; i < 500; i++) {
      const value = `${digits(1 + (i % 25))}${i % 3 === 0 ? '' : `.${digits(1 + (i % 31))}`}`;
      for (const band of ['10', '6', '7.5', '0.000001', '9999.999999']) {
        const product = timesFactor(value, bandFactor(band)!)!;
        const exact = new Exact(value).times(new Exact(band).div(100).plus(1));
        expect(new Exact(product).eq(exact), `${value} × (1 + ${band} %)`).toBe(true);
      }
    }
  });

  it('answers null for anything but a plain non-negative decimal', () => {
    for (const value of ['-1', '1e5', '1.', '.5', 'NaN', '', '1,5'])
      expect(timesFactor(value, bandFactor('10')!)).toBeNull();
  });
});
