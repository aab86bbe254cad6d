import { DataSource } from 'typeorm';
import { DEFAULT_CURRENCY_ALIASES } from '@app/domain';
import { CatalogCurrency, readBundledCatalog } from './currency-catalog';

export interface SeedResult {
  currenciesAdded: number;
  aliasesAdded: number;
}

/**
 * Adds the standard currencies and the default global aliases that are missing. Idempotent, and it
 * never overwrites what an admin changed (a renamed or disabled currency stays as the admin left it).
 */
export async function seedCatalog(
  dataSource: DataSource,
  catalog: CatalogCurrency[] = readBundledCatalog(),
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
  const aliases = Object.entries(DEFAULT_CURRENCY_ALIASES);
  const aliasRows: unknown[] = await dataSource.query(
    `INSERT INTO currency_aliases (alias, exchanger_id, code)
     SELECT a.alias, NULL, a.code FROM unnest($1::text[], $2::text[]) AS a(alias, code)
     JOIN currencies c ON c.code = a.code
     ON CONFLICT ON CONSTRAINT currency_aliases_scope_alias DO NOTHING
     RETURNING id`,
    [aliases.map(([alias]) => alias), aliases.map(([, code]) => code)],
  );
  return { currenciesAdded: currencies.length, aliasesAdded: aliasRows.length };
}
