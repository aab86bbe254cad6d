import { describe, expect, it } from 'vitest';
import { Dec } from '../decimal';
import { DirectionStat, UsdValuation, weightedMedian } from './usd-values';

const CURRENCIES = [
  { code: 'USDTTRC20', iso: 'USD' },
  { code: 'PMUSD', iso: 'USD' },
  { code: 'BTC', iso: 'BTC' },
  { code: 'SBERRUB', iso: 'RUB' },
  { code: 'XMR', iso: 'XMR' },
  { code: 'LONELY', iso: 'LONELY' },
];

const stat = (from: string, to: string, median: string, exchangers: number): DirectionStat => ({
  from,
  to,
  median: new Dec(median),
  best: new Dec(median),
  exchangers,
});

function valuation(...stats: DirectionStat[]): UsdValuation {
  const v = new UsdValuation(CURRENCIES);
  v.update(stats.map((s) => ({ from: s.from, to: s.to, stat: s })));
  return v;
}

const value = (v: UsdValuation, code: string) => v.get(code)?.value.toFixed() ?? null;

describe('USD values from the market', () => {
  it('values USD-unit currencies at exactly 1, with no market at all', () => {
    const v = valuation();
    expect(value(v, 'USDTTRC20')).toBe('1');
    expect(value(v, 'PMUSD')).toBe('1');
    expect(value(v, 'BTC')).toBeNull();
  });

  it('values a currency from its directions with USD units both ways, weighted by exchangers', () => {
    // BTC→USDTTRC20 median 60000 from 5 exchangers says 60000; PMUSD→BTC median 0.000016 from 2 says 1/0.000016 = 62500.
    // Weighted lower median of [60000 ×5, 62500 ×2]: 60000.
    const v = valuation(stat('BTC', 'USDTTRC20', '60000', 5), stat('PMUSD', 'BTC', '0.000016', 2));
    expect(v.get('BTC')).toMatchObject({ via: 'direct', exchangers: 7, through: null });
    expect(value(v, 'BTC')).toBe('60000');
    // USDTTRC20→SBERRUB median 100 RUB per USDT: 1 RUB = 0.01 USD.
    const rub = valuation(stat('USDTTRC20', 'SBERRUB', '100', 3));
    expect(value(rub, 'SBERRUB')).toBe('0.01');
  });

  it('is not moved by one exchanger typing a rate a thousand times off the market', () => {
    const market = [stat('BTC', 'USDTTRC20', '60000', 5), stat('PMUSD', 'BTC', '0.000016', 2)];
    // The only BTC→PMUSD offer, with three zeros too many.
    const typo = stat('BTC', 'PMUSD', '60000000', 1);
    expect(value(valuation(...market, typo), 'BTC')).toBe(value(valuation(...market), 'BTC'));
    // And a typo on the low side (1/1000 of the market) neither.
    expect(value(valuation(...market, stat('BTC', 'PMUSD', '60', 1)), 'BTC')).toBe('60000');
  });

  it('gives one exchanger one vote however many USD units it lists a currency against', () => {
    const usd = Array.from({ length: 12 }, (_, i) => ({ code: `USD${i}`, iso: 'USD' }));
    const v = new UsdValuation([...CURRENCIES, ...usd]);
    const withIds = (from: string, to: string, median: string, ids: number[]): DirectionStat => ({
      ...stat(from, to, median, ids.length),
      exchangerIds: ids,
    });
    // Eight exchangers at 150 against USDTTRC20, two at 151 against PMUSD; exchanger 99 alone on twelve more at 1500.
    const market = [
      withIds('XMR', 'USDTTRC20', '150', [1, 2, 3, 4, 5, 6, 7, 8]),
      withIds('XMR', 'PMUSD', '151', [9, 10]),
      ...usd.map((u) => withIds('XMR', u.code, '1500', [99])),
    ];
    v.update(market.map((m) => ({ from: m.from, to: m.to, stat: m })));
    // Weighed by directions' exchanger counts it would be 1500 (twelve votes of one exchanger against ten).
    expect(value(v, 'XMR')).toBe('150');
    expect(v.get('XMR')?.exchangers).toBe(11);
  });

  it('values a currency with no USD-unit counterpart through one hop', () => {
    const v = valuation(
      stat('BTC', 'USDTTRC20', '60000', 5),
      stat('USDTTRC20', 'SBERRUB', '100', 3),
      // XMR→BTC median 0.0025 (3 exchangers): 0.0025 × 60000 = 150; SBERRUB→XMR median 1/14000 (1): 14000 × 0.01 = 140.
      stat('XMR', 'BTC', '0.0025', 3),
      stat('SBERRUB', 'XMR', new Dec(1).div(14000).toFixed(), 1),
    );
    expect(v.get('XMR')).toMatchObject({ via: 'hop', through: 'BTC', exchangers: 4 });
    expect(value(v, 'XMR')).toBe('150');
  });

  it('does not chain hops: a currency only next to hop-valued ones has no value', () => {
    const v = valuation(
      stat('BTC', 'USDTTRC20', '60000', 5),
      stat('XMR', 'BTC', '0.0025', 3),
      stat('LONELY', 'XMR', '2', 4),
    );
    expect(value(v, 'XMR')).toBe('150');
    expect(v.get('LONELY')).toBeUndefined();
  });

  it('follows changes: a direction that goes away takes its estimate along, a new one brings a value', () => {
    const v = valuation(stat('BTC', 'USDTTRC20', '60000', 5), stat('XMR', 'BTC', '0.0025', 3));
    expect(value(v, 'XMR')).toBe('150');
    // BTC's only USD direction goes: BTC loses its value, and XMR (valued through BTC) with it.
    v.update([{ from: 'BTC', to: 'USDTTRC20', stat: null }]);
    expect(v.get('BTC')).toBeUndefined();
    expect(v.get('XMR')).toBeUndefined();
    // XMR gets a direct direction: valued directly, no longer through a hop.
    v.update([{ from: 'XMR', to: 'PMUSD', stat: stat('XMR', 'PMUSD', '151', 2) }]);
    expect(v.get('XMR')).toMatchObject({ via: 'direct', value: new Dec(151) });
    // A market move is followed.
    v.update([{ from: 'XMR', to: 'PMUSD', stat: stat('XMR', 'PMUSD', '160.5', 2) }]);
    expect(value(v, 'XMR')).toBe('160.5');
  });

  it('ignores directions of currencies outside the catalog and non-positive medians', () => {
    const v = valuation(stat('NOPE', 'USDTTRC20', '5', 9), stat('SBERRUB', 'USDTTRC20', '0', 3));
    expect(v.get('NOPE')).toBeUndefined();
    expect(v.get('SBERRUB')).toBeUndefined();
  });

  it('takes the lower weighted median, exactly', () => {
    const d = (value: string, weight: number) => ({ value: new Dec(value), weight });
    expect(weightedMedian([])).toBeNull();
    expect(weightedMedian([d('3', 1), d('1', 1), d('2', 1)])!.toFixed()).toBe('2');
    expect(weightedMedian([d('1', 1), d('2', 1)])!.toFixed()).toBe('1');
    expect(weightedMedian([d('1', 1), d('2', 5), d('1000', 1)])!.toFixed()).toBe('2');
    // Values closer than a double can tell apart still sort exactly.
    expect(
      weightedMedian([d('0.10000000000000000001', 2), d('0.1', 1), d('0.10000000000000000002', 1)])!.toFixed(),
    ).toBe('0.10000000000000000001');
  });
});
