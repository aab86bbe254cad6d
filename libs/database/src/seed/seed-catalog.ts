import { DataSource } from 'typeorm';
import { cityKey, DEFAULT_CURRENCY_ALIASES } from '@app/domain';
import { CurrencyNames, readBundledCities, readBundledCurrencyNames, SeedCity } from './catalog-for-people';
import { displayPrecisionOf, displayUnitOf } from './currency-display';
import { CatalogCurrency, readBundledCatalog } from './currency-catalog';

export interface SeedResult {
  currenciesAdded: number;
  aliasesAdded: number;
  citiesAdded: number;
}

/**
 * Adds the standard currencies, the default global aliases and the cash cities that are missing, and
 * fills the display fields (names, url name, unit, precision) a currency does not have yet. Idempotent,
 * and it never overwrites what an admin changed (a renamed or disabled currency stays as the admin left
 * it; a city's aliases are added with the city only, so an alias an admin deleted stays deleted).
 */
export async function seedCatalog(
  dataSource: DataSource,
  catalog: CatalogCurrency[] = readBundledCatalog(),
  names: CurrencyNames[] = readBundledCurrencyNames(),
  cities: SeedCity[] = readBundledCities(),
): Promise<SeedResult> {
  const currencies: unknown[] = await dataSource.query(
    `INSERT INTO currencies (bestchange_id, code, name, ticker, iso, kind)
     SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
     ON CONFLICT DO NOTHING
     RETURNING code`,
    [
      catalog.map((c) => c.bestchangeId),
      catalog.map((c) => c.code),
      catalog.map((c) => c.name),
      catalog.map((c) => c.ticker),
      catalog.map((c) => c.iso),
      catalog.map((c) => c.kind),
    ],
  );
  await fillDisplayFields(dataSource, catalog, names);
  const aliases = Object.entries(DEFAULT_CURRENCY_ALIASES);
  const aliasRows: unknown[] = await dataSource.query(
    `INSERT INTO currency_aliases (alias, exchanger_id, code)
     SELECT a.alias, NULL, a.code FROM unnest($1::text[], $2::text[]) AS a(alias, code)
     JOIN currencies c ON c.code = a.code
     ON CONFLICT ON CONSTRAINT currency_aliases_scope_alias DO NOTHING
     RETURNING id`,
    [aliases.map(([alias]) => alias), aliases.map(([, code]) => code)],
  );
  const citiesAdded = await seedCities(dataSource, cities);
  return { currenciesAdded: currencies.length, aliasesAdded: aliasRows.length, citiesAdded };
}

/**
 * Names, url name, unit and precision of the catalog currencies, where still empty. A url name another
 * currency already took (an admin's choice) is left empty rather than failing the start-up.
 */
async function fillDisplayFields(
  dataSource: DataSource,
  catalog: CatalogCurrency[],
  names: CurrencyNames[],
): Promise<void> {
  const byCode = new Map(names.map((n) => [n.code, n]));
  const rows = catalog.filter((c) => byCode.has(c.code));
  await dataSource.query(
    `UPDATE currencies c SET
       name_en = COALESCE(c.name_en, d.en),
       name_ru = COALESCE(c.name_ru, d.ru),
       url_name = COALESCE(c.url_name, CASE WHEN NOT EXISTS (
         SELECT 1 FROM currencies o WHERE o.url_name = d.url_name AND o.code <> c.code) THEN d.url_name END),
       unit = COALESCE(c.unit, d.unit),
       precision = COALESCE(c.precision, d.precision)
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::smallint[])
       AS d(code, en, ru, url_name, unit, precision)
     WHERE c.code = d.code
       AND (c.name_en IS NULL OR c.name_ru IS NULL OR c.url_name IS NULL OR c.unit IS NULL OR c.precision IS NULL)`,
    [
      rows.map((c) => c.code),
      rows.map((c) => byCode.get(c.code)!.en),
      rows.map((c) => byCode.get(c.code)!.ru),
      rows.map((c) => byCode.get(c.code)!.urlName),
      rows.map((c) => displayUnitOf(c)),
      rows.map((c) => displayPrecisionOf(c)),
    ],
  );
}

/** The seeded cities that are missing, each with its aliases (in one transaction). */
async function seedCities(dataSource: DataSource, cities: SeedCity[]): Promise<number> {
  return dataSource.transaction(async (tx) => {
    const added: Array<{ code: string }> = await tx.query(
      `INSERT INTO cities (code, name_en, name_ru, country)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
       ON CONFLICT DO NOTHING
       RETURNING code`,
      [cities.map((c) => c.code), cities.map((c) => c.en), cities.map((c) => c.ru), cities.map((c) => c.country)],
    );
    const codes = new Set(added.map((row) => row.code));
    const aliases = cities
      .filter((c) => codes.has(c.code))
      .flatMap((c) => c.aliases.map((alias) => ({ alias, code: c.code })));
    if (aliases.length > 0) {
      await tx.query(
        `INSERT INTO city_aliases (alias, alias_key, code)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
         ON CONFLICT (alias_key) DO NOTHING`,
        [aliases.map((a) => a.alias), aliases.map((a) => cityKey(a.alias)), aliases.map((a) => a.code)],
      );
    }
    return added.length;
  });
}
