import { describe, expect, it } from 'vitest';
import type { OpenDataRead, OpenOffer } from '@app/database';
import {
  buildModel,
  compareDecimalText,
  datFiles,
  giveRateOf,
  limitsOf,
  OpenDataModel,
  reserveOf,
  sidesOf,
} from './model';

const offer = (over: Partial<OpenOffer> = {}): OpenOffer => ({
  exchangerId: 1,
  from: 'BTC',
  to: 'SBERRUB',
  city: null,
  in: '1',
  out: '6900000',
  rate: '6900000',
  reserve: null,
  fromMin: null,
  fromMax: null,
  toMin: null,
  toMax: null,
  fromFee: [],
  toFee: [],
  minFee: [],
  flags: [],
  floating: null,
  delayMinutes: null,
  ...over,
});

describe('BestChange terms of an offer', () => {
  it('writes one side as 1 and the other at least 1, whichever way the rate goes', () => {
    expect(sidesOf('1', '6900000.5')).toEqual({ give: '1', get: '6900000.5' });
    expect(sidesOf('7000000', '1')).toEqual({ give: '7000000', get: '1' });
    expect(sidesOf('3', '1.5')).toEqual({ give: '2', get: '1' });
    expect(sidesOf('1', '1')).toEqual({ give: '1', get: '1' });
    expect(sidesOf('1', '3')).toEqual({ give: '1', get: '3' });
    expect(sidesOf('3', '1')).toEqual({ give: '3', get: '1' });
    expect(sidesOf('0.3', '0.1')).toEqual({ give: '3', get: '1' });
    expect(sidesOf('1', '1.000000001')).toEqual({ give: '1', get: '1' });
    expect(sidesOf('1.000', '6900000.50000000')).toEqual({ give: '1', get: '6900000.5' });
    expect(sidesOf('1', '0.5')).toEqual({ give: '2', get: '1' });
    expect(sidesOf('2', '1')).toEqual({ give: '2', get: '1' });
    expect(sidesOf('1', '6900000.123456789')).toEqual({ give: '1', get: '6900000.12345679' });
  });

  it('compares decimal texts exactly, as decimals and not as strings or floats', () => {
    const sorted = ['10', '9.99', '0.1', '0.10000000000000000001', '1', '01.0', '100000000000000000000.5', '0'];
    expect([...sorted].sort(compareDecimalText)).toEqual([
      '0',
      '0.1',
      '0.10000000000000000001',
      '1',
      '01.0',
      '9.99',
      '10',
      '100000000000000000000.5',
    ]);
    expect(compareDecimalText('1.10', '1.1')).toBe(0);
    expect(compareDecimalText('0.30000000000000000001', '0.3')).toBe(1);
  });

  it('gives the API rate as in ÷ out with 16 significant digits', () => {
    expect(giveRateOf('1', '6900000')).toBe('0.0000001449275362318841');
    expect(giveRateOf('7000000', '1')).toBe('7000000');
  });

  it('writes limits on the give side: from limits, else to limits or the reserve at the rate, else 0', () => {
    expect(limitsOf(offer({ fromMin: '0.001', fromMax: '2' }))).toEqual({ min: '0.001', max: '2' });
    expect(limitsOf(offer({ toMin: '10000', toMax: '900000', out: '6800000' }))).toEqual({
      min: '0.00147059',
      max: '0.13235294',
    });
    expect(limitsOf(offer({ reserve: '13800000' }))).toEqual({ min: '0', max: '2' });
    expect(limitsOf(offer())).toEqual({ min: '0', max: '0' });
  });

  it('writes a reserve rounded down to 8 places, 0 when unknown', () => {
    expect(reserveOf(offer({ reserve: '12.123456789' }))).toBe('12.12345678');
    expect(reserveOf(offer())).toBe('0');
  });
});

describe('buildModel', () => {
  const at = new Date('2026-12-03T09:00:00Z');
  const read = (offers: OpenOffer[]): OpenDataRead => ({
    at,
    currencies: [
      {
        code: 'BTC',
        bestchangeId: 93,
        name: 'Bitcoin',
        nameEn: 'Bitcoin (BTC)',
        nameRu: 'Bitcoin (BTC)',
        ticker: 'BTC',
        iso: 'BTC',
        kind: 'crypto',
      },
      {
        code: 'SBERRUB',
        bestchangeId: 42,
        name: 'Sber',
        nameEn: 'Sberbank RUB',
        nameRu: 'Сбербанк RUB',
        ticker: 'RUB',
        iso: 'RUB',
        kind: 'online_banking',
      },
      {
        code: 'NEWCOIN',
        bestchangeId: null,
        name: 'New; coin',
        nameEn: 'New; coin',
        nameRu: 'New; coin',
        ticker: 'NEW',
        iso: 'NEW',
        kind: 'crypto',
      },
    ],
    exchangers: [
      { id: 1, slug: 'aura', name: 'Aura', reviews: { positive: 70, neutral: 1, negative: 2, claimsOpen: 0 } },
    ],
    cities: [{ code: 'MSK', nameEn: 'Moscow', nameRu: 'Москва' }],
    offers,
    topDirections: [],
    nextExpiry: null,
  });
  const ids = {
    currency: new Map([['NEWCOIN', 1_000_001]]),
    city: new Map([['MSK', 1]]),
    bcode: new Map([['NEW', 100_001]]),
  };
  /** Each file's text, its pieces joined. */
  const textOf = (model: OpenDataModel, usd: ReadonlyMap<string, string> = new Map()) =>
    new Map(datFiles(model, { topDirections: [] }, usd, at).map(([name, pieces]) => [name, [...pieces].join('')]));

  it('numbers currencies by the catalog, places them 1..N and marks their directions in the mask', async () => {
    const model = await buildModel(
      read([offer(), offer({ from: 'SBERRUB', to: 'BTC', in: '7000000', out: '1', rate: '0.0000001428' })]),
      ids,
      new Map(),
    );
    const files = textOf(model);
    expect(files.get('bm_cy.dat')).toBe(
      [
        '93;1;Bitcoin (BTC);BTC;1050;0;010',
        '42;2;Сбербанк RUB;RUB;643;3;100',
        '1000001;3;New, coin;NEW;100001;0;000',
      ].join('\n'),
    );
    expect(files.get('bm_rates.dat')).toBe(
      ['93;42;1;1;6900000;0;0.70;1;0;0;0', '42;93;1;7000000;1;0;0.70;1;0;0;0'].join('\n'),
    );
    expect(files.get('bm_cycodes.dat')).toBe('93;BTC\n42;SBERRUB\n1000001;NEWCOIN');
    expect(files.get('bm_exch.dat')).toBe('1;Aura;;0;0');
    expect(files.get('bm_cities.dat')).toBe('1;Москва');
    expect(files.get('bm_bcodes.dat')).toBe(
      '643;RUB;RUB;ratewatch\n840;USD;USD;ratewatch\n1050;BTC;BTC;ratewatch\n100001;NEW;NEW;ratewatch',
    );
    expect(files.get('bm_top.dat')).toBe('93;42;0');
    expect(files.get('bm_info.dat')).toBe(
      'last_update=12:00:00, 3 декабря\ncurrent_version=2.03\ncompatible_version=2.02\n',
    );
  });

  it("values exchangers' reserves and money codes in USD when the market does", async () => {
    const usd = new Map([
      ['BTC', '100000'],
      ['SBERRUB', '0.0125'],
    ]);
    const model = await buildModel(
      read([
        offer({ reserve: '1000000' }),
        offer({ city: 'MSK', reserve: '800000' }),
        offer({ from: 'SBERRUB', to: 'BTC', in: '7000000', out: '1', reserve: '1.5' }),
      ]),
      ids,
      usd,
    );
    // SBERRUB counted once (its larger reserve): 1000000 × 0.0125 + 1.5 × 100000.
    expect(model.exchangers[0]!.reserveUsd).toBe('162500');
    expect(textOf(model, usd).get('bm_brates.dat')).toBe(
      '840;840;1\n840;643;0.0125\n643;840;80\n840;1050;100000\n1050;840;0.00001',
    );
    expect(model.rates.get('93-42')!.map((r) => r.cityId)).toEqual([0, 1]);
  });
});
