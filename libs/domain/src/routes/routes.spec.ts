import { describe, expect, it } from 'vitest';
import { Dec } from '../decimal';
import { CurrencyUnit, OfferTerms } from '../model/offer';
import { BookOffer, RateBook } from '../rates/rate-book';
import { BTC, SBERRUB, USDTTRC20 } from '../rates/scenarios/scenario.fixture';
import { LegRanker, routeIntermediates, searchRoutes } from './routes';

const ETH: CurrencyUnit = { code: 'ETH', ticker: 'ETH', iso: 'ETH', kind: 'crypto' };
const UNITS = new Map([BTC, SBERRUB, USDTTRC20, ETH].map((u) => [u.code, u]));

interface Named extends BookOffer {
  name: string;
}

const at = new Date('2026-12-01T00:00:00Z');
function offer(name: string, rate: string, fields: Partial<OfferTerms> = {}): Named {
  return {
    name,
    rate,
    reserve: null,
    fromMin: null,
    fromMax: null,
    toMin: null,
    toMax: null,
    fromFee: [],
    toFee: [],
    minFee: [],
    city: null,
    flags: [],
    updatedAt: at,
    ...fields,
  };
}

/** A ranker over RateBooks of the given offers per direction: the calculator and ranking of /v1/rates. */
function market(directions: Record<string, Named[]>): { rank: LegRanker<Named>; calls: string[] } {
  const calls: string[] = [];
  const rank: LegRanker<Named> = async (from, to, amount, side, limit) => {
    calls.push(`${from}>${to} ${side} ${amount.toFixed()}`);
    const offers = directions[`${from}>${to}`] ?? [];
    const book = await RateBook.build(offers, UNITS.get(from)!, UNITS.get(to)!);
    const rows = await book.rank({ city: null, exclude: new Set(), amount, side, limit });
    return rows.map((r) => ({ offer: r.offer, give: r.give!, get: r.get! }));
  };
  return { rank, calls };
}

const summary = (routes: Awaited<ReturnType<typeof searchRoutes<Named>>>) =>
  routes.map((r) => ({
    via: r.via,
    give: r.give.toFixed(),
    get: r.get.toFixed(),
    legs: r.legs.map((l) => `${l.offer.name} ${l.give.toFixed()}→${l.get.toFixed()}`),
  }));

/**
 * Scenario: SBERRUB → BTC through USDTTRC20.
 * First leg "rubles": 100 RUB per USDT (rate 0.01), 1 % + 50 RUB on what is given, 1 USDT on what is paid.
 * Second leg "coins": 50,000 USDT per BTC (rate 0.00002), 0.5 % on what is given, 0.0001 BTC on what is paid.
 */
describe('scenario: two-hop routes with fees on both legs', () => {
  const rubles = offer('rubles', '0.01', {
    fromFee: [
      { kind: 'percent', value: '1' },
      { kind: 'fixed', value: '50', unit: 'RUB' },
    ],
    toFee: [{ kind: 'fixed', value: '1', unit: 'USDT' }],
  });
  const coins = offer('coins', '0.00002', {
    fromFee: [{ kind: 'percent', value: '0.5' }],
    toFee: [{ kind: 'fixed', value: '0.0001', unit: 'BTC' }],
  });
  const search = { from: 'SBERRUB', to: 'BTC', side: 'give', via: ['USDTTRC20'], width: 3, limit: 5 } as const;

  it('passes what the first leg pays, exactly, to the second (side=give)', async () => {
    const { rank, calls } = market({ 'SBERRUB>USDTTRC20': [rubles], 'USDTTRC20>BTC': [coins] });
    // 100,000 RUB: fee 50 + 1,000 = 1,050; 98,950 × 0.01 = 989.5 − 1 = 988.5 USDT.
    // 988.5 USDT: fee 4.9425; 983.5575 × 0.00002 = 0.01967115 − 0.0001 = 0.01957115 BTC.
    const routes = await searchRoutes(rank, { ...search, amount: new Dec(100000) });
    expect(summary(routes)).toEqual([
      {
        via: 'USDTTRC20',
        give: '100000',
        get: '0.01957115',
        legs: ['rubles 100000→988.5', 'coins 988.5→0.01957115'],
      },
    ]);
    expect(calls).toEqual(['SBERRUB>USDTTRC20 give 100000', 'USDTTRC20>BTC give 988.5']);
  });

  it('works backwards for side=get: the second leg first, then the first leg to pay exactly what it takes', async () => {
    const { rank } = market({ 'SBERRUB>USDTTRC20': [rubles], 'USDTTRC20>BTC': [coins] });
    // Get 0.01 BTC: 0.0101 gross ÷ 0.00002 = 505 USDT net, ÷ 0.995 = 507.5376884… → up to 8 decimals: 507.53768845 USDT.
    // Get 507.53768845 USDT: 508.53768845 gross ÷ 0.01 = 50,853.768845 RUB net; (+ 50) ÷ 0.99 = 51,417.948328… → up: 51,417.95 RUB.
    const routes = await searchRoutes(rank, { ...search, side: 'get', amount: new Dec('0.01') });
    expect(summary(routes)).toEqual([
      {
        via: 'USDTTRC20',
        give: '51417.95',
        get: '0.01',
        legs: ['rubles 51417.95→507.53768845', 'coins 507.53768845→0.01'],
      },
    ]);
  });

  it('takes the better second leg until its reserve cannot pay, then the other', async () => {
    // "deep" pays 0.000021 BTC per USDT, no fees, but holds only 0.015 BTC.
    const deep = offer('deep', '0.000021', { reserve: '0.015' });
    const { rank } = market({ 'SBERRUB>USDTTRC20': [rubles], 'USDTTRC20>BTC': [coins, deep] });
    // 100,000 RUB → 988.5 USDT → deep would pay 0.0207585 BTC > its reserve: only "coins" serves it.
    const big = await searchRoutes(rank, { ...search, amount: new Dec(100000) });
    expect(summary(big).map((r) => r.legs[1])).toEqual(['coins 988.5→0.01957115']);
    // 10,000 RUB: fee 150; 9,850 × 0.01 = 98.5 − 1 = 97.5 USDT. deep: 97.5 × 0.000021 = 0.0020475 BTC;
    // coins: 97.5 − 0.4875 = 97.0125 × 0.00002 = 0.00194025 − 0.0001 = 0.00184025 BTC.
    const small = await searchRoutes(rank, { ...search, amount: new Dec(10000) });
    expect(summary(small).map((r) => [r.get, r.legs[1]])).toEqual([
      ['0.0020475', 'deep 97.5→0.0020475'],
      ['0.00184025', 'coins 97.5→0.00184025'],
    ]);
  });

  it('tries the runner-up first legs: the best one pays more than the second leg takes', async () => {
    const high = offer('high', '0.01');
    const lower = offer('lower', '0.0099');
    const capped = offer('capped', '0.00002', { fromMax: '995' });
    const { rank } = market({ 'SBERRUB>USDTTRC20': [high, lower], 'USDTTRC20>BTC': [capped] });
    // high: 100,000 × 0.01 = 1,000 USDT > 995; lower: 990 USDT × 0.00002 = 0.0198 BTC.
    const routes = await searchRoutes(rank, { ...search, amount: new Dec(100000) });
    expect(summary(routes)).toEqual([
      { via: 'USDTTRC20', give: '100000', get: '0.0198', legs: ['lower 100000→990', 'capped 990→0.0198'] },
    ]);
    // With one first leg tried (width 1) the route is missed: width is what finds it.
    expect(await searchRoutes(rank, { ...search, width: 1, amount: new Dec(100000) })).toEqual([]);
  });

  it('rounds each leg as its exchanger pays: 8 decimals of crypto, 2 of rubles', async () => {
    const { rank } = market({
      'BTC>USDTTRC20': [offer('to-usdt', '50000.123')],
      'USDTTRC20>SBERRUB': [offer('to-rub', '95.5')],
    });
    // 0.00123457 × 50,000.123 = 61.72865185211 → down to 8 decimals: 61.72865185 USDT;
    // × 95.5 = 5,895.086251675 → down to 2 decimals: 5,895.08 RUB.
    const routes = await searchRoutes(rank, {
      from: 'BTC',
      to: 'SBERRUB',
      side: 'give',
      via: ['USDTTRC20'],
      width: 3,
      limit: 5,
      amount: new Dec('0.00123457'),
    });
    expect(summary(routes)).toEqual([
      {
        via: 'USDTTRC20',
        give: '0.00123457',
        get: '5895.08',
        legs: ['to-usdt 0.00123457→61.72865185', 'to-rub 61.72865185→5895.08'],
      },
    ]);
  });

  it('ranks routes through several intermediates best first and keeps `limit`', async () => {
    const { rank } = market({
      'SBERRUB>USDTTRC20': [offer('r-u', '0.01')],
      'USDTTRC20>BTC': [offer('u-b', '0.00002')],
      'SBERRUB>ETH': [offer('r-e', '0.0004')],
      'ETH>BTC': [offer('e-b', '0.051'), offer('e-b2', '0.05')],
    });
    // Via USDT: 100,000 × 0.01 × 0.00002 = 0.02; via ETH: 40 ETH × 0.051 = 2.04 and × 0.05 = 2.
    const routes = await searchRoutes(rank, { ...search, via: ['USDTTRC20', 'ETH'], amount: new Dec(100000) });
    expect(summary(routes).map((r) => [r.via, r.get])).toEqual([
      ['ETH', '2.04'],
      ['ETH', '2'],
      ['USDTTRC20', '0.02'],
    ]);
    const two = await searchRoutes(rank, { ...search, via: ['USDTTRC20', 'ETH'], limit: 2, amount: new Dec(100000) });
    expect(two.map((r) => r.get.toFixed())).toEqual(['2.04', '2']);
    // No offers on a leg: no route through it.
    expect(await searchRoutes(rank, { ...search, via: ['PMUSD'], amount: new Dec(100000) })).toEqual([]);
  });
});

describe('route intermediates', () => {
  const d = (from: string, to: string, best: string, exchangers = 3) => ({ from, to, best: new Dec(best), exchangers });

  it('keeps currencies with offers on both legs, by the best the route could give, at most `max`', () => {
    const out = [d('RUB', 'USDT', '0.0101'), d('RUB', 'ETH', '0.0004'), d('RUB', 'XMR', '1'), d('RUB', 'BTC', '1')];
    const into = [
      d('USDT', 'BTC', '0.00002'),
      d('ETH', 'BTC', '0.051'),
      d('LTC', 'BTC', '0.001'),
      d('RUB', 'BTC', '1'),
    ];
    // USDT: 0.0101 × 0.00002 = 0.000000202; ETH: 0.0004 × 0.051 = 0.0000204. XMR has no second leg, LTC no first,
    // and the direct direction is not an intermediate.
    expect(routeIntermediates('RUB', 'BTC', out, into, 5).map((c) => [c.via, c.bound.toFixed()])).toEqual([
      ['ETH', '0.0000204'],
      ['USDT', '0.000000202'],
    ]);
    expect(routeIntermediates('RUB', 'BTC', out, into, 1).map((c) => c.via)).toEqual(['ETH']);
    expect(routeIntermediates('RUB', 'BTC', out, into, 5, (code) => code !== 'ETH').map((c) => c.via)).toEqual([
      'USDT',
    ]);
  });

  it('breaks equal bounds by the thinner leg exchangers, then by code', () => {
    const out = [d('A', 'X', '2', 1), d('A', 'Y', '2', 9), d('A', 'Z', '2', 9)];
    const into = [d('X', 'B', '3', 9), d('Y', 'B', '3', 5), d('Z', 'B', '3', 5)];
    expect(routeIntermediates('A', 'B', out, into, 5).map((c) => [c.via, c.exchangers])).toEqual([
      ['Y', 5],
      ['Z', 5],
      ['X', 1],
    ]);
  });

  it('keeps the same best `max` as ranking every candidate, over many candidates with equal bounds and exchangers', () => {
    // A seeded walk: bounds from few distinct rates (many ties), exchangers from few counts, codes in any order.
    let state = 42;
    const next = (n: number) => (state = (state * 1103515245 + 12345) % 2147483648) % n;
    const codes = Array.from({ length: 300 }, (_, i) => `C${(i * 7919) % 1000}`);
    const out = codes.map((c) => d('A', c, ['0.5', '1', '2', '1.25'][next(4)]!, 1 + next(4)));
    const into = codes.map((c) => d(c, 'B', ['4', '2', '1', '0.8'][next(4)]!, 1 + next(4))).reverse();
    const everyOne = codes
      .map((via) => {
        const [first, second] = [out.find((x) => x.to === via)!, into.find((x) => x.from === via)!];
        return { via, bound: first.best.times(second.best), exchangers: Math.min(first.exchangers, second.exchangers) };
      })
      .sort(
        (a, b) =>
          b.bound.comparedTo(a.bound) || b.exchangers - a.exchangers || (a.via < b.via ? -1 : a.via > b.via ? 1 : 0),
      );
    for (const max of [0, 1, 5, 40, 300, 301])
      expect(routeIntermediates('A', 'B', out, into, max).map((c) => [c.via, c.bound.toFixed(), c.exchangers])).toEqual(
        everyOne.slice(0, max).map((c) => [c.via, c.bound.toFixed(), c.exchangers]),
      );
  });
});
