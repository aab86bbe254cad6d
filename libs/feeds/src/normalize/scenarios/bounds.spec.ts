import { describe, expect, it } from 'vitest';
import { normalizeItems } from '../normalizer';
import { context, item } from './catalog.fixture';

/** DESIGN.md §3: every value is range-checked before it can reach a column or a visitor; one bad value rejects its item only. */
describe('scenario: values out of bounds reject their item, never the feed', () => {
  const reasonFor = (fields: Parameters<typeof item>[0]) => {
    const result = normalizeItems([item(fields), item({ to: 'ETH' })], context());
    expect(result.offers.map((o) => o.to)).toEqual(['ETH']);
    return result.rejected[0]?.reason;
  };

  it('rejects in = 1e-400 instead of serving a 401-digit rate', () => {
    expect(reasonFor({ in: '1e-400' })).toBe('in "1e-400" is out of range: smaller than 1e-30');
  });

  it('rejects a 20,000-digit fraction, showing the text as written (shortened)', () => {
    expect(reasonFor({ out: `0.${'7'.repeat(20_000)}` })).toBe(
      `out "0.${'7'.repeat(38)}…" is out of range: more than 40 significant digits`,
    );
  });

  it('accepts 40 significant digits and rejects 41', () => {
    expect(normalizeItems([item({ out: `1.${'2'.repeat(39)}` })], context()).offers).toHaveLength(1);
    expect(reasonFor({ out: `1.${'2'.repeat(40)}` })).toMatch(/more than 40 significant digits$/);
  });

  it('rejects rates beyond 1e18 and below 1e-18 even when both sides are sane', () => {
    expect(reasonFor({ in: '1', out: '1e19' })).toBe(
      'the rate 10000000000000000000/1 is out of range: larger than 1e18',
    );
    expect(reasonFor({ in: '1e12', out: '0.0000001' })).toMatch(
      /^the rate 0\.0000001\/1000000000000 is out of range: smaller than 1e-18$/,
    );
    expect(normalizeItems([item({ in: '1', out: '999999999999999999' })], context()).offers).toHaveLength(1);
  });

  it('rejects an out-of-range reserve or limit rather than storing it', () => {
    expect(reasonFor({ amount: `0.${'0'.repeat(35)}1` })).toMatch(
      /^the reserve ".*" is out of range: smaller than 1e-30$/,
    );
    expect(reasonFor({ maxamount: [`1.${'1'.repeat(45)}`] })).toMatch(
      /^the max amount ".*" is out of range: more than 40 significant digits$/,
    );
    expect(reasonFor({ tomin: `0.${'0'.repeat(40)}5` })).toMatch(/^the min amount/);
  });

  it('still reads an overflowing reserve as unknown, with a warning (as before)', () => {
    const result = normalizeItems([item({ amount: '1e400' })], context());
    expect(result.offers[0]?.reserve).toBeNull();
    expect(result.warnings).toEqual(['item 0: unreadable reserve "1e400"']);
  });
});

describe('scenario: control characters', () => {
  it('strips NUL and other control characters from flags', () => {
    expect(
      normalizeItems([item({ param: 'manual,\u0000verifying\u0007, \u001b' })], context()).offers[0]?.flags,
    ).toEqual(['manual', 'verifying']);
  });

  it('shows a control character in a code escaped in the reason, never raw', () => {
    const [reject] = normalizeItems([item({ from: 'B\u0000TC' })], context()).rejected;
    expect(reject?.reason).toBe('unknown currency code B\\u0000TC');
    expect(reject?.reason).not.toContain('\u0000');
  });
});

describe('scenario: the offer cap counts offers after city fan-out', () => {
  it('rejects one item naming more than 500 cities', () => {
    const cities = Array.from({ length: 150_000 }, (_, i) => `C${i}`).join(',');
    const result = normalizeItems([item({ to: 'CASHUSD', city: cities }), item({ to: 'ETH' })], context());
    expect(result.rejected).toEqual([{ index: 0, reason: 'more than 500 cities in one item' }]);
    expect(result.offers).toHaveLength(1);
  });

  it('stops and says so when the offers pass the cap', () => {
    const cities = Array.from({ length: 400 }, (_, i) => `C${i}`).join(',');
    const items = Array.from({ length: 10 }, () => item({ to: 'CASHUSD', city: cities }));
    items.forEach(
      (it, i) =>
        (it.from = ['BTC', 'ETH', 'USDTTRC20', 'PMUSD', 'SBERRUB', 'TCSBRUB', 'USDTERC20', 'CASHRUB', 'BTC', 'ETH'][i]),
    );
    const result = normalizeItems(items, context(), 1_000);
    expect(result.overflow).toBe(true);
    expect(result.offers.length).toBeLessThanOrEqual(1_400);
    expect(normalizeItems(items.slice(0, 2), context(), 1_000).overflow).toBe(false);
  });
});
