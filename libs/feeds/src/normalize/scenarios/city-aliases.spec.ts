import { describe, expect, it } from 'vitest';
import { CityDirectory } from '@app/domain';
import { normalizeItems } from '../normalizer';
import { context, item } from './catalog.fixture';

describe('scenario: cities written by name', () => {
  const cities = new CityDirectory(
    ['MSK', 'SPB'],
    [
      { alias: 'Moscow', code: 'MSK' },
      { alias: 'Москва', code: 'MSK' },
      { alias: 'ST.PETERSBURG', code: 'SPB' },
      { alias: 'Санкт-Петербург', code: 'SPB' },
    ],
  );
  const withCities = { ...context(), cities };

  it('stores a city alias as the code it names, so visitors find it under the code', () => {
    const result = normalizeItems(
      [item({ to: 'CASHRUB', city: 'Moscow, Санкт-Петербург' }), item({ to: 'CASHUSD', city: 'st.petersburg' })],
      withCities,
    );
    expect(result.offers.map((o) => [o.to, o.city])).toEqual([
      ['CASHRUB', 'MSK'],
      ['CASHRUB', 'SPB'],
      ['CASHUSD', 'SPB'],
    ]);
    expect(result.warnings).toEqual([]);
  });

  it('counts a city written by code and by name in one item as one offer', () => {
    const result = normalizeItems([item({ to: 'CASHRUB', city: 'MSK,Москва,moscow' })], withCities);
    expect(result.offers.map((o) => o.city)).toEqual(['MSK']);
  });

  it('keeps a city code it does not know as written, and without a city catalog changes nothing', () => {
    expect(normalizeItems([item({ to: 'CASHRUB', city: 'UFA' })], withCities).offers[0]?.city).toBe('UFA');
    expect(normalizeItems([item({ to: 'CASHRUB', city: 'Moscow' })], context()).offers[0]?.city).toBe('MOSCOW');
  });
});
