import { describe, expect, it } from 'vitest';
import { CityDirectory, cityKey } from './city';

describe('cityKey', () => {
  it('reads spellings of one name as one key', () => {
    expect(cityKey('ST.PETERSBURG')).toBe('stpetersburg');
    expect(cityKey('Saint Petersburg')).toBe(cityKey('saint-petersburg'));
    expect(cityKey('Санкт-Петербург')).toBe('санктпетербург');
    expect(cityKey('Кишинёв')).toBe(cityKey('Кишинев'));
  });
});

describe('CityDirectory', () => {
  const cities = new CityDirectory(
    ['MSK', 'SPB'],
    [
      { alias: 'Moscow', code: 'MSK' },
      { alias: 'ST.PETERSBURG', code: 'SPB' },
      { alias: 'Санкт-Петербург', code: 'SPB' },
      { alias: 'Gotham', code: 'GOTHAM' },
    ],
  );

  it('knows codes in any case', () => {
    expect(cities.resolve('spb')).toEqual({ kind: 'code', code: 'SPB' });
    expect(cities.resolve(' MSK ')).toEqual({ kind: 'code', code: 'MSK' });
  });

  it('names the code an alias stands for', () => {
    expect(cities.resolve('MOSCOW')).toEqual({ kind: 'alias', code: 'MSK' });
    expect(cities.resolve('st petersburg')).toEqual({ kind: 'alias', code: 'SPB' });
    expect(cities.resolve('санкт-петербург')).toEqual({ kind: 'alias', code: 'SPB' });
  });

  it('knows nothing of other text, nor of aliases of codes it does not have', () => {
    expect(cities.resolve('Atlantis')).toEqual({ kind: 'unknown' });
    expect(cities.resolve('Gotham')).toEqual({ kind: 'unknown' });
    expect(cities.resolve('')).toEqual({ kind: 'unknown' });
  });

  it('turns a feed city into its code, leaving unknown ones as written', () => {
    expect(cities.canonical('MOSCOW')).toBe('MSK');
    expect(cities.canonical('SPB')).toBe('SPB');
    expect(cities.canonical('UFA')).toBe('UFA');
  });
});
