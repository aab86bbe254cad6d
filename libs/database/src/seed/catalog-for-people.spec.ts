import { describe, expect, it } from 'vitest';
import { CityDirectory } from '@app/domain';
import {
  parseCitiesCsv,
  parseCurrencyNamesCsv,
  readBundledCities,
  readBundledCurrencyNames,
} from './catalog-for-people';
import { displayPrecisionOf, displayUnitOf } from './currency-display';
import { readBundledCatalog } from './currency-catalog';

describe('the bundled currency names', () => {
  const names = readBundledCurrencyNames();
  const catalog = readBundledCatalog();

  it('name every catalog code once, in English without Cyrillic', () => {
    expect(names.map((n) => n.code).sort()).toEqual(catalog.map((c) => c.code).sort());
    for (const n of names) expect(n.en, n.code).not.toMatch(/[\u0400-\u04ff]/);
  });

  it('keep the seed’s Russian names and give English ones people read', () => {
    const of = (code: string) => names.find((n) => n.code === code);
    expect(of('SBERRUB')).toEqual({ code: 'SBERRUB', en: 'Sberbank RUB', ru: 'Сбербанк RUB', urlName: 'sberbank-rub' });
    expect(of('CARDAMD')).toMatchObject({ en: 'Bank card AMD', ru: 'Банковская карта AMD' });
    expect(of('CASHBYN')).toMatchObject({ en: 'Cash BYN', ru: 'Наличные BYN', urlName: 'cash-byn' });
    expect(of('BTC')).toMatchObject({ en: 'Bitcoin (BTC)', ru: 'Bitcoin (BTC)', urlName: 'bitcoin' });
    expect(of('USDTTRC20')).toMatchObject({ urlName: 'tether-trc20' });
  });

  it('give each code its own url name', () => {
    expect(new Set(names.map((n) => n.urlName)).size).toBe(names.length);
  });

  it('refuse a file with a url name twice or of the wrong shape', () => {
    const header = 'code,en,ru,url_name\n';
    expect(() => parseCurrencyNamesCsv(header + 'BTC,Bitcoin,Биткоин,bitcoin\nWBTC,W,W,bitcoin\n')).toThrow(
      /line 3: url name "bitcoin" is already BTC's/,
    );
    expect(() => parseCurrencyNamesCsv(header + 'BTC,Bitcoin,Биткоин,Bit Coin\n')).toThrow(/url name/);
    expect(() => parseCurrencyNamesCsv('code,en\nBTC,Bitcoin\n')).toThrow(/header/);
  });
});

describe('display unit and precision', () => {
  const of = (code: string) => readBundledCatalog().find((c) => c.code === code)!;

  it('counts fiat kinds in their ISO unit and crypto in its ticker', () => {
    expect(displayUnitOf(of('SBERRUB'))).toBe('RUB');
    expect(displayUnitOf(of('CASHUSD'))).toBe('USD');
    expect(displayUnitOf(of('WMZ'))).toBe('USD');
    expect(displayUnitOf(of('USDTTRC20'))).toBe('USDT');
    expect(displayUnitOf(of('BTCBEP20'))).toBe('BTCB');
    expect(displayUnitOf(of('EXMUSDT'))).toBe('USDT');
  });

  it('shows 2 decimals for fiat (0 for JPY), 6 for stablecoins, 8 for other coins', () => {
    expect(displayPrecisionOf(of('SBERRUB'))).toBe(2);
    expect(displayPrecisionOf(of('CASHJPY'))).toBe(0);
    expect(displayPrecisionOf(of('USDTTRC20'))).toBe(6);
    expect(displayPrecisionOf(of('XAUTERC20'))).toBe(6);
    expect(displayPrecisionOf(of('BTC'))).toBe(8);
    expect(displayPrecisionOf(of('PMBTC'))).toBe(8);
  });
});

describe('the bundled cities', () => {
  const cities = readBundledCities();
  const directory = new CityDirectory(
    cities.map((c) => c.code),
    cities.flatMap((c) => c.aliases.map((alias) => ({ alias, code: c.code }))),
  );

  it('hold the codes feeds use, with English and Russian names', () => {
    for (const code of ['MSK', 'SPB', 'EKB', 'KZN', 'NSK', 'KIEV', 'MINSK', 'ALMATY', 'DUBAI', 'NEWYORK'])
      expect(
        cities.find((c) => c.code === code),
        code,
      ).toBeDefined();
    expect(cities.find((c) => c.code === 'MSK')).toMatchObject({ en: 'Moscow', ru: 'Москва', country: 'RU' });
    expect(cities.length).toBeGreaterThanOrEqual(40);
  });

  it('resolve the spellings people and feeds write', () => {
    for (const spelling of ['spb', 'SPB', 'ST.PETERSBURG', 'Санкт-Петербург', 'Saint Petersburg'])
      expect(directory.resolve(spelling), spelling).toMatchObject({ code: 'SPB' });
    expect(directory.resolve('Moscow')).toEqual({ kind: 'alias', code: 'MSK' });
    expect(directory.resolve('Москва')).toEqual({ kind: 'alias', code: 'MSK' });
    expect(directory.resolve('KRD')).toEqual({ kind: 'alias', code: 'KRASNODAR' });
  });

  it('refuse an alias that is another city’s code, or that two cities share', () => {
    const header = 'code,en,ru,country,aliases\n';
    expect(() => parseCitiesCsv(header + 'MSK,Moscow,Москва,RU,SPB\nSPB,St P,СПб,RU,\n')).toThrow(
      /alias "SPB" is another city's code/,
    );
    expect(() => parseCitiesCsv(header + 'MSK,Moscow,Москва,RU,Capital\nSPB,St P,СПб,RU,capital\n')).toThrow(
      /already MSK's/,
    );
    expect(() => parseCitiesCsv(header + 'Moscow City,Moscow,Москва,RU,\n')).toThrow(/bad city code/);
  });
});
