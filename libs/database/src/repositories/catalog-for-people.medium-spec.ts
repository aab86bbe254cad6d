import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { CityDirectory, ConflictError } from '@app/domain';
import { adminActor, migratedDatabase, TestDatabase } from '../../../../test/support/services';
import { seedCatalog } from '../seed/seed-catalog';
import { CatalogRepository } from './catalog.repository';

describe('the catalog for people on a real PostgreSQL', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let repository: CatalogRepository;
  let actor: { keyId: number };

  /** An active exchanger with a fresh feed publishing `offers` ([from, to, city]). */
  async function exchangerOffering(slug: string, offers: Array<[string, string, string | null]>): Promise<void> {
    const [exchanger] = await dataSource.query<Array<{ id: number }>>(
      `INSERT INTO exchangers (slug, name, site_url, referral_url) VALUES ($1::text, $1::text, 'https://x.example', 'https://x.example/?rid=1') RETURNING id`,
      [slug],
    );
    const [feed] = await dataSource.query<Array<{ id: number }>>(
      `INSERT INTO feeds (exchanger_id, url, last_success_at) VALUES ($1, 'https://x.example/' || $2::text || '.xml', now()) RETURNING id`,
      [exchanger!.id, slug],
    );
    for (const [from, to, city] of offers)
      await dataSource.query(
        `INSERT INTO offers (feed_id, exchanger_id, from_code, to_code, city, amount_in, amount_out, rate) VALUES ($1, $2, $3, $4, $5, 1, 95.5, 95.5)`,
        [feed!.id, exchanger!.id, from, to, city ?? ''],
      );
  }

  async function directory(): Promise<CityDirectory> {
    const { codes, aliases } = await repository.loadCities();
    return new CityDirectory(codes, aliases);
  }

  beforeAll(async () => {
    ({ db, dataSource } = await migratedDatabase());
    repository = new CatalogRepository(dataSource);
    actor = await adminActor(dataSource);
    await exchangerOffering('one', [
      ['USDTTRC20', 'CASHRUB', 'MSK'],
      ['USDTTRC20', 'CASHRUB', 'SPB'],
      ['BTC', 'SBERRUB', null],
      ['SBERRUB', 'BTC', null],
    ]);
    await exchangerOffering('two', [
      ['USDTTRC20', 'CASHRUB', 'MSK'],
      ['BTC', 'SBERRUB', null],
    ]);
  });

  afterAll(async () => {
    await dataSource.destroy();
    await db.drop();
  });

  it('names all 322 currencies in English, with a unique url name, a unit and a precision', async () => {
    const all = await repository.listWithOfferCounts({ withOffersOnly: false });
    expect(all).toHaveLength(322);
    for (const c of all) {
      expect(c.nameEn, c.code).not.toMatch(/[\u0400-\u04ff]/);
      expect(c.urlName, c.code).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(c.unit, c.code).toMatch(/^[A-Za-z0-9]+$/);
      expect(c.precision, c.code).toBeGreaterThanOrEqual(0);
    }
    expect(new Set(all.map((c) => c.urlName)).size).toBe(322);
    expect(all.find((c) => c.code === 'SBERRUB')).toMatchObject({
      nameEn: 'Sberbank RUB',
      nameRu: 'Сбербанк RUB',
      urlName: 'sberbank-rub',
      unit: 'RUB',
      precision: 2,
    });
    expect(all.find((c) => c.code === 'CASHUSD')).toMatchObject({ nameEn: 'Cash USD', unit: 'USD' });
  });

  it('finds a currency by code in any case or by url name, and only an enabled one', async () => {
    expect(await repository.findCurrency('sberrub')).toMatchObject({ code: 'SBERRUB', offers: 3 });
    expect(await repository.findCurrency('sberbank-rub')).toMatchObject({ code: 'SBERRUB' });
    expect(await repository.findCurrency('SBERBANK-RUB')).toMatchObject({ code: 'SBERRUB' });
    expect(await repository.findCurrency('no-such-thing')).toBeNull();
    await dataSource.query(`UPDATE currencies SET enabled = false WHERE code = 'PMUSD'`);
    expect(await repository.findCurrency('PMUSD')).toBeNull();
  });

  it('lists the currencies reachable from and to a currency among shown offers', async () => {
    const usdt = await repository.counterpartsOf('USDTTRC20');
    expect(usdt.from.map((c) => [c.code, c.offers])).toEqual([['CASHRUB', 3]]);
    expect(usdt.to).toEqual([]);
    const sber = await repository.counterpartsOf('SBERRUB');
    expect(sber.from.map((c) => [c.code, c.offers])).toEqual([['BTC', 1]]);
    expect(sber.to.map((c) => [c.code, c.offers])).toEqual([['BTC', 2]]);
  });

  it('reads a currency written outside the seed (no display fields) by the kind’s rules', async () => {
    await dataSource.query(
      `INSERT INTO currencies (code, name, ticker, iso, kind) VALUES ('ZZCOIN', 'Zz Coin (ZZ)', 'ZZ', 'ZZ', 'crypto')`,
    );
    expect(await repository.findCurrency('zzcoin')).toMatchObject({
      nameEn: 'Zz Coin (ZZ)',
      nameRu: 'Zz Coin (ZZ)',
      urlName: 'zzcoin',
      unit: 'ZZ',
      precision: 8,
    });
  });

  it('seeds the cities with their shown offers, and aliases that resolve to codes', async () => {
    const cities = await repository.listCitiesWithOfferCounts();
    expect(cities.length).toBeGreaterThanOrEqual(40);
    expect(cities.find((c) => c.code === 'MSK')).toEqual({
      code: 'MSK',
      nameEn: 'Moscow',
      nameRu: 'Москва',
      country: 'RU',
      offers: 2,
    });
    expect(cities.find((c) => c.code === 'SPB')?.offers).toBe(1);
    const lookup = await directory();
    expect(lookup.resolve('Moscow')).toEqual({ kind: 'alias', code: 'MSK' });
    expect(lookup.resolve('ST.PETERSBURG')).toEqual({ kind: 'alias', code: 'SPB' });
    expect(lookup.resolve('Санкт-Петербург')).toEqual({ kind: 'alias', code: 'SPB' });
    expect(lookup.resolve('spb')).toEqual({ kind: 'code', code: 'SPB' });
  });

  it('lets an admin add a city and its aliases (audited), refusing spellings that would name two cities', async () => {
    const city = await repository.createCity(actor, {
      code: 'GOTHAM',
      nameEn: 'Gotham',
      nameRu: 'Готэм',
      country: null,
    });
    expect(city).toEqual({ code: 'GOTHAM', nameEn: 'Gotham', nameRu: 'Готэм', country: null, aliases: [] });
    const alias = await repository.createCityAlias(actor, { alias: 'Gotham City', code: 'GOTHAM' });
    expect(alias).toMatchObject({ alias: 'Gotham City', code: 'GOTHAM' });
    await expect(repository.createCityAlias(actor, { alias: 'gotham-city', code: 'MSK' })).rejects.toThrow(
      ConflictError,
    );
    await expect(repository.createCityAlias(actor, { alias: 'msk', code: 'GOTHAM' })).rejects.toThrow(
      /spelled like the city code MSK/,
    );
    await expect(repository.createCityAlias(actor, { alias: 'Metropolis', code: 'NOPE' })).rejects.toThrow(
      /city NOPE does not exist/,
    );
    await expect(
      repository.createCity(actor, { code: 'MOSCOW', nameEn: 'Moscow', nameRu: 'Москва', country: 'RU' }),
    ).rejects.toThrow(/MOSCOW is an alias of MSK/);
    await expect(
      repository.createCity(actor, { code: 'MSK', nameEn: 'Moscow', nameRu: 'Москва', country: 'RU' }),
    ).rejects.toThrow(/city MSK exists/);
    expect((await directory()).resolve('GOTHAM CITY')).toEqual({ kind: 'alias', code: 'GOTHAM' });

    const renamed = await repository.updateCity(actor, 'GOTHAM', { nameRu: 'Готэм-Сити', country: 'US' });
    expect(renamed).toMatchObject({ nameRu: 'Готэм-Сити', country: 'US', aliases: [{ alias: 'Gotham City' }] });
    expect(await repository.updateCity(actor, 'NOPE', { nameEn: 'x' })).toBeNull();

    expect(await repository.deleteCityAlias(actor, alias.id)).toBe(true);
    expect(await repository.deleteCityAlias(actor, alias.id)).toBe(false);
    const audit = await dataSource.query<Array<{ action: string; entity: string; entity_id: string }>>(
      `SELECT action, entity, entity_id FROM admin_audit WHERE entity IN ('city', 'city-alias') ORDER BY id`,
    );
    expect(audit).toEqual([
      { action: 'create', entity: 'city', entity_id: 'GOTHAM' },
      { action: 'create', entity: 'city-alias', entity_id: String(alias.id) },
      { action: 'update', entity: 'city', entity_id: 'GOTHAM' },
      { action: 'delete', entity: 'city-alias', entity_id: String(alias.id) },
    ]);
  });

  it('seeds again without undoing an admin’s changes: names, url names, deleted aliases', async () => {
    await dataSource.query(`UPDATE currencies SET name_en = 'Sber', url_name = 'sber' WHERE code = 'SBERRUB'`);
    await dataSource.query(`UPDATE cities SET name_en = 'Moskva' WHERE code = 'MSK'`);
    await dataSource.query(`DELETE FROM city_aliases WHERE alias = 'Moscow'`);
    await dataSource.query(`UPDATE currencies SET url_name = 'bitcoin-classic' WHERE code = 'BTC'`);
    await dataSource.query(`UPDATE currencies SET url_name = NULL WHERE code = 'ETH'`);
    await dataSource.query(`UPDATE currencies SET url_name = 'ethereum' WHERE code = 'LTC'`);
    expect(await seedCatalog(dataSource)).toEqual({ currenciesAdded: 0, aliasesAdded: 0, citiesAdded: 0 });
    expect(await repository.findCurrency('SBERRUB')).toMatchObject({ nameEn: 'Sber', urlName: 'sber' });
    expect(await repository.findCurrency('BTC')).toMatchObject({ urlName: 'bitcoin-classic' });
    // ETH's url name is taken by an admin's choice for LTC: left empty (read as the code) instead of failing the start.
    expect(await repository.findCurrency('ETH')).toMatchObject({ urlName: 'eth' });
    expect((await repository.listCitiesWithOfferCounts()).find((c) => c.code === 'MSK')?.nameEn).toBe('Moskva');
    expect((await directory()).resolve('Moscow')).toEqual({ kind: 'unknown' });
  });
});
