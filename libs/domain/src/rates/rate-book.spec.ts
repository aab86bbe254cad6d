import { describe, expect, it } from 'vitest';
import { Dec, toPlain } from '../decimal';
import { CurrencyUnit, Fee } from '../model/offer';
import { calculate } from './calculator';
import { BookOffer, BookQuery, decimalSortKey, RateBook } from './rate-book';
import { compareOffers } from './ranking';
import { TimeSlicer } from './time-slicer';
import { BTC, SBERRUB, USDTTRC20 } from './scenarios/scenario.fixture';

const CASHUSD: CurrencyUnit = { code: 'CASHUSD', ticker: 'USD', iso: 'USD', kind: 'cash' };

interface TestOffer extends BookOffer {
  name: string;
}

/** What RatesService did before the book: calculate every offer, sort all, keep the first `limit`. */
function reference(offers: TestOffer[], query: BookQuery, from: CurrencyUnit, to: CurrencyUnit) {
  const entries = [];
  for (const offer of offers) {
    if (query.city !== null && offer.city !== query.city) continue;
    if (offer.flags.some((flag) => query.exclude.has(flag))) continue;
    if (query.amount === null) {
      entries.push({
        offer,
        rate: offer.rate,
        reserve: offer.reserve,
        updatedAt: offer.updatedAt,
        give: null,
        get: null,
      });
      continue;
    }
    const result = calculate(offer, query.amount, query.side, from, to);
    if (result.ok)
      entries.push({
        offer,
        rate: offer.rate,
        reserve: offer.reserve,
        updatedAt: offer.updatedAt,
        give: result.give,
        get: result.get,
      });
  }
  entries.sort(compareOffers(query.side, query.amount !== null));
  return entries.slice(0, query.limit);
}

const shape = (rows: Array<{ offer: TestOffer; give: Dec | null; get: Dec | null }>) =>
  rows.map(
    (r) => `${r.offer.name} ${r.give === null ? '-' : toPlain(r.give)} ${r.get === null ? '-' : toPlain(r.get)}`,
  );

/** A small deterministic PRNG (mulberry32), so a failure names its seed and can be replayed. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <X>(xs: readonly X[]): X => xs[int(xs.length)]!;
  return { next, int, pick, chance: (p: number) => next() < p };
}

type Random = ReturnType<typeof random>;

/** Decimals that tie often and are written in several ways (trailing zeros, leading zeros). */
function decimal(r: Random, scale: number): string {
  const digits = String(1 + r.int(scale * 1000));
  const places = r.int(5);
  const padded = digits.padStart(places + 1, '0');
  let text = places === 0 ? padded : `${padded.slice(0, -places)}.${padded.slice(-places)}`;
  if (r.chance(0.2)) text += '0';
  if (r.chance(0.1) && !text.includes('.')) text += '.00';
  if (r.chance(0.05)) text = `0${text}`;
  return text;
}

function fees(r: Random, units: string[]): Fee[] {
  const list: Fee[] = [];
  for (let n = r.int(3); n > 0; n--) {
    const value = r.chance(0.08) ? `-${decimal(r, 1)}` : r.chance(0.1) ? '0' : decimal(r, r.chance(0.5) ? 1 : 0.01);
    if (r.chance(0.5)) list.push({ kind: 'percent', value });
    else list.push({ kind: 'fixed', value, ...(r.chance(0.6) ? { unit: r.pick(units) } : {}) });
  }
  return list;
}

function randomOffers(r: Random, count: number, rates: string[]): TestOffer[] {
  const units = ['BTC', 'USD', 'USDT', 'RUB', 'CASHUSD', 'EUR'];
  const times = [0, 1, 2].map((n) => new Date(Date.UTC(2026, 10, 25, 10, 0, n)));
  return Array.from({ length: count }, (_, i) => ({
    name: `o${i}`,
    rate: r.pick(rates),
    reserve: r.chance(0.3) ? null : r.chance(0.1) ? '0' : decimal(r, r.pick([0.1, 10, 1000])),
    fromMin: r.chance(0.6) ? null : decimal(r, r.pick([0.001, 1, 100])),
    fromMax: r.chance(0.7) ? null : decimal(r, r.pick([1, 100, 10000])),
    toMin: r.chance(0.8) ? null : decimal(r, r.pick([0.01, 10, 1000])),
    toMax: r.chance(0.8) ? null : decimal(r, r.pick([100, 100000])),
    fromFee: fees(r, units),
    toFee: fees(r, units),
    minFee: r.chance(0.8) ? [] : [{ kind: 'fixed', value: decimal(r, 0.1), ...(r.chance(0.5) ? { unit: 'USD' } : {}) }],
    city: r.pick([null, 'MSK', 'SPB']),
    flags: r.chance(0.7) ? [] : [r.pick(['manual', 'verifying', 'floating'])],
    updatedAt: r.pick(times),
  }));
}

function randomQuery(r: Random): BookQuery {
  const withAmount = r.chance(0.85);
  return {
    city: r.chance(0.7) ? null : r.pick(['MSK', 'SPB', 'NOWHERE']),
    exclude: new Set(r.chance(0.7) ? [] : [r.pick(['manual', 'verifying'])]),
    amount: withAmount ? new Dec(decimal(r, r.pick([0.01, 1, 100, 10000]))) : null,
    side: r.chance(0.5) ? 'give' : 'get',
    limit: r.pick([1, 2, 3, 5, 10, 100]),
  };
}

describe('RateBook', () => {
  it('ranks exactly as calculating and sorting every offer did, on random offers and queries', async () => {
    const pairs: Array<[CurrencyUnit, CurrencyUnit]> = [
      [BTC, SBERRUB],
      [USDTTRC20, CASHUSD],
      [SBERRUB, BTC],
    ];
    for (let seed = 1; seed <= 60; seed++) {
      const r = random(seed);
      const [from, to] = r.pick(pairs);
      // A few rates, so that rates, rounded amounts and reserves tie often.
      const rates = Array.from({ length: 1 + r.int(6) }, () => decimal(r, r.pick([0.00001, 1, 70000])));
      const offers = randomOffers(r, 1 + r.int(120), rates);
      const book = await RateBook.build(offers, from, to);
      for (let q = 0; q < 20; q++) {
        const query = randomQuery(r);
        const context = `seed ${seed}, query ${q}: ${JSON.stringify({ ...query, exclude: [...query.exclude] })}`;
        expect(shape(await book.rank(query)), context).toEqual(shape(reference(offers, query, from, to)));
      }
    }
  }, 30_000);

  it('calculates only the offers that can enter the table when the best rates serve the amount', async () => {
    const r = random(7);
    const offers = randomOffers(r, 5000, ['1']).map((o, i) => ({
      ...o,
      rate: `${1 + (i % 997) / 1000}`,
      fromMin: null,
      fromMax: null,
      toMin: null,
      toMax: null,
      reserve: null,
      fromFee: [],
      toFee: i % 2 ? [{ kind: 'percent' as const, value: '0.5' }] : [],
      minFee: [],
    }));
    const book = await RateBook.build(offers, BTC, SBERRUB);
    const query: BookQuery = { city: null, exclude: new Set(), amount: new Dec('0.5'), side: 'give', limit: 10 };
    const before = book.calculations;
    expect(shape(await book.rank(query))).toEqual(shape(reference(offers, query, BTC, SBERRUB)));
    expect(book.calculations - before).toBeLessThan(100);
  });

  it('calculates an offer with a negative fee wherever its rate stands', async () => {
    const plain = Array.from({ length: 50 }, (_, i) => offerAt(`p${i}`, `${100 + i}`));
    const negative = { ...offerAt('negative', '90'), fromFee: [{ kind: 'percent' as const, value: '-50' }] };
    const book = await RateBook.build([...plain, negative], BTC, SBERRUB);
    for (const side of ['give', 'get'] as const) {
      const query: BookQuery = { city: null, exclude: new Set(), amount: new Dec('1'), side, limit: 3 };
      expect(shape(await book.rank(query))).toEqual(shape(reference([...plain, negative], query, BTC, SBERRUB)));
    }
  });

  it('still calculates an offer whose bound only ties the last row: the reserve may win the tie', async () => {
    // 1 BTC at 1.002 and at 1.001 both give 1.00 CASHUSD (2 decimals, rounded down); the larger reserve wins.
    const high = { ...offerAt('high', '1.002'), reserve: '10' };
    const low = { ...offerAt('low', '1.001'), reserve: '100' };
    const book = await RateBook.build([high, low], BTC, CASHUSD);
    const rows = await book.rank({ city: null, exclude: new Set(), amount: new Dec('1'), side: 'give', limit: 1 });
    expect(rows.map((row) => [row.offer.name, toPlain(row.get!)])).toEqual([['low', '1']]);
  });

  it('walks on past top rates whose limits refuse the amount', async () => {
    const refused = Array.from({ length: 300 }, (_, i) => ({ ...offerAt(`r${i}`, `${1000 + i}`), reserve: '1' }));
    const served = [offerAt('a', '10'), offerAt('b', '9')];
    const book = await RateBook.build([...refused, ...served], BTC, SBERRUB);
    const rows = await book.rank({ city: null, exclude: new Set(), amount: new Dec('1'), side: 'give', limit: 5 });
    expect(rows.map((row) => row.offer.name)).toEqual(['a', 'b']);
  });

  it('gives the event loop a turn during a long walk', async () => {
    const offers = Array.from({ length: 20_000 }, (_, i) => ({ ...offerAt(`o${i}`, `${1 + i}`), reserve: '0' }));
    const book = await RateBook.build(offers, BTC, SBERRUB);
    let turns = 0;
    const timer = setInterval(() => turns++, 0);
    try {
      const rows = await book.rank(
        { city: null, exclude: new Set(), amount: new Dec('1'), side: 'give', limit: 10 },
        new TimeSlicer(0, 1),
      );
      expect(rows).toEqual([]);
    } finally {
      clearInterval(timer);
    }
    expect(turns).toBeGreaterThan(0);
  });

  it('ranks by rate without an amount, keeping the order of equal offers as given', async () => {
    const offers = [offerAt('a', '5'), offerAt('b', '7.0'), offerAt('c', '7'), offerAt('d', '6.99999999999999999999')];
    const book = await RateBook.build(offers, BTC, SBERRUB);
    const rows = await book.rank({ city: null, exclude: new Set(), amount: null, side: 'give', limit: 3 });
    expect(rows.map((row) => row.offer.name)).toEqual(['b', 'c', 'd']);
  });
});

describe('decimalSortKey', () => {
  it('orders decimal strings as their values, equal values alike', () => {
    const r = random(99);
    const values = Array.from({ length: 3000 }, () =>
      r.pick([
        () => decimal(r, r.pick([0.000001, 1, 1e9])),
        () => '0',
        () => '0.000',
        () => `${r.int(1000)}.${'0'.repeat(r.int(30))}${r.int(1000)}`,
        () => `${'9'.repeat(1 + r.int(40))}`,
        () => `0.${'0'.repeat(r.int(40))}${1 + r.int(9)}`,
      ])(),
    );
    for (let i = 0; i + 1 < values.length; i++) {
      const [a, b] = [values[i]!, values[i + 1]!];
      const [ka, kb] = [decimalSortKey(a), decimalSortKey(b)];
      const byKey = ka === kb ? 0 : ka < kb ? -1 : 1;
      expect(byKey, `${a} vs ${b}`).toBe(new Dec(a).comparedTo(b));
    }
  });

  it('reads exponents, and refuses negative and non-finite values', () => {
    expect(decimalSortKey('1.5e3')).toBe(decimalSortKey('1500'));
    expect(() => decimalSortKey('-1')).toThrow(RangeError);
    expect(() => decimalSortKey('Infinity')).toThrow(RangeError);
  });
});

function offerAt(name: string, rate: string): TestOffer {
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
    updatedAt: new Date(Date.UTC(2026, 10, 25, 10, 0, 0)),
  };
}
