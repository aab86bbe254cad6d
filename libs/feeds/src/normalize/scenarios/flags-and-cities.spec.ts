import { describe, expect, it } from 'vitest';
import { normalizeItems } from '../normalizer';
import { context, item } from './catalog.fixture';

describe('scenario: flags and cities', () => {
  it('splits, trims, lower-cases and de-duplicates flags, keeping unknown ones', () => {
    expect(
      normalizeItems([item({ param: 'Manual, juridical,manual,, only on weekends' })], context()).offers[0]?.flags,
    ).toEqual(['manual', 'juridical', 'only on weekends']);
  });

  it('makes one offer per city, upper-cased, empties dropped', () => {
    const { offers } = normalizeItems([item({ from: 'USDTTRC20', to: 'CASHRUB', city: 'MSK, spb,EKB , ' })], context());
    expect(offers.map((o) => o.city)).toEqual(['MSK', 'SPB', 'EKB']);
    expect(new Set(offers.map((o) => o.rate)).size).toBe(1);
  });

  it('keeps a cash direction without a city, with a warning', () => {
    const result = normalizeItems([item({ from: 'BTC', to: 'CASHUSD' })], context());
    expect(result.offers[0]?.city).toBeNull();
    expect(result.warnings).toEqual(['item 0: BTC→CASHUSD is a cash direction without a city']);
  });

  it('ignores a city that is not a code', () => {
    const result = normalizeItems(
      [item({ to: 'CASHUSD', city: "MSK, <script>, '; DROP TABLE offers; --" })],
      context(),
    );
    expect(result.offers.map((o) => o.city)).toEqual(['MSK']);
    expect(result.warnings).toHaveLength(2);
  });

  it('does not take numeric-only param tokens for flags (`<param>0</param>` means none)', () => {
    expect(normalizeItems([item({ param: '0' })], context()).offers[0]?.flags).toEqual([]);
    expect(normalizeItems([item({ param: 'manual, 1, 0.5' })], context()).offers[0]?.flags).toEqual(['manual']);
  });

  it('merges flag elements with param flags, without duplicates', () => {
    expect(
      normalizeItems([item({ flags: ['manual', 'verifying'], param: 'manual, weekends' })], context()).offers[0]?.flags,
    ).toEqual(['manual', 'verifying', 'weekends']);
  });
});

describe('scenario: floating terms and delay', () => {
  const one = (fields: Parameters<typeof item>[0]) => normalizeItems([item(fields)], context());

  it('reads attribute terms and the older `1%,30` text, and adds the floating flag', () => {
    expect(one({ floating: { percent: '1', minutes: '30' } }).offers[0]).toMatchObject({
      floating: { percent: '1', minutes: 30 },
      flags: ['floating'],
    });
    expect(one({ floating: { text: '0,5%, 20' } }).offers[0]?.floating).toEqual({ percent: '0.5', minutes: 20 });
  });

  it('reads a bare true as floating with unknown terms, and false or 0 as not floating', () => {
    expect(one({ floating: { text: 'true' } }).offers[0]?.floating).toEqual({ percent: null, minutes: null });
    expect(one({ floating: { text: 'false' } }).offers[0]).toMatchObject({ floating: null, flags: [] });
    expect(one({ floating: { text: '0' } }).offers[0]?.floating).toBeNull();
  });

  it('warns about unreadable terms and keeps what it can', () => {
    const result = one({ floating: { percent: 'lots', minutes: '-5' }, delay: 'soon' });
    expect(result.offers[0]).toMatchObject({ floating: { percent: null, minutes: null }, delayMinutes: null });
    expect(result.warnings).toEqual([
      'item 0: unreadable floating percent "lots"',
      'item 0: unreadable floating minutes "-5"',
      'item 0: unreadable delay "soon"',
    ]);
  });

  it('reads the delay in whole minutes', () => {
    expect(one({ delay: ' 15 ' }).offers[0]?.delayMinutes).toBe(15);
    expect(one({ delay: '99999999' }).offers[0]?.delayMinutes).toBeNull();
  });
});
