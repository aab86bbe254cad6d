import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { type CatalogEntry, cityKey, ConflictError, type CurrencyAlias, type CurrencyKind } from '@app/domain';
import { shownOffersSql } from '../freshness';
import { displayPrecisionOf, displayUnitOf } from '../seed/currency-display';
import { Actor, auditedTransaction } from './audit.repository';
import { assignments, rowsOf, unique } from './sql';

/** A currency as people see it: names in English and Russian, its url name, display unit and decimals. */
export interface CurrencyForPeople {
  code: string;
  name: string;
  nameEn: string;
  nameRu: string;
  urlName: string;
  ticker: string;
  iso: string;
  kind: CurrencyKind;
  unit: string;
  precision: number;
}

export interface CurrencyWithOffers extends CurrencyForPeople {
  offers: number;
}

/** A currency one can exchange a given one to (or from), with its shown offers in that direction. */
export interface DirectionCounterpart extends CurrencyForPeople {
  offers: number;
}

export interface CityWithOffers {
  code: string;
  nameEn: string;
  nameRu: string;
  country: string | null;
  offers: number;
}

export interface CityAliasRow {
  id: number;
  alias: string;
  code: string;
}

export interface AdminCity {
  code: string;
  nameEn: string;
  nameRu: string;
  country: string | null;
  aliases: Array<{ id: number; alias: string }>;
}

/** The currency columns people read; display fields not filled yet read as the kind's rule (see `forPeople`). */
const PEOPLE_COLUMNS = `c.code, c.name, c.name_en AS "nameEn", c.name_ru AS "nameRu", c.url_name AS "urlName",
  c.ticker, c.iso, c.kind, c.unit, c.precision`;

type PeopleRow = Omit<CurrencyForPeople, 'nameEn' | 'nameRu' | 'urlName' | 'unit' | 'precision'> & {
  nameEn: string | null;
  nameRu: string | null;
  urlName: string | null;
  unit: string | null;
  precision: number | null;
};

/** A row of PEOPLE_COLUMNS with its empty display fields filled by the rules the seed uses. */
function forPeople(row: PeopleRow): CurrencyForPeople {
  return {
    code: row.code,
    name: row.name,
    nameEn: row.nameEn ?? row.name,
    nameRu: row.nameRu ?? row.name,
    urlName: row.urlName ?? row.code.toLowerCase(),
    ticker: row.ticker,
    iso: row.iso,
    kind: row.kind,
    unit: row.unit ?? displayUnitOf(row),
    precision: row.precision ?? displayPrecisionOf(row),
  };
}

const CITY_COLUMNS = `code, name_en AS "nameEn", name_ru AS "nameRu", country`;

/** The currency catalog and its aliases: what the normalizer needs, the public list, the admin's changes (audited). */
@Injectable()
export class CatalogRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The whole catalog (disabled codes included, so they are rejected as disabled, not unknown). */
  async loadCurrencies(): Promise<CatalogEntry[]> {
    return this.dataSource.query<CatalogEntry[]>(`SELECT code, ticker, iso, kind, enabled FROM currencies`);
  }

  /** Every alias: global ones have a null exchanger. */
  async loadAliases(): Promise<CurrencyAlias[]> {
    return this.dataSource.query(`SELECT alias, code, exchanger_id AS "exchangerId" FROM currency_aliases`);
  }
  /** Bumped by triggers on every change to currencies or aliases: caches compare it instead of reloading. */
  async version(): Promise<string> {
    const [row] = await this.dataSource.query<Array<{ version: string }>>(
      `SELECT version::text AS version FROM catalog_version`,
    );
    return row?.version ?? '0';
  }

  /** Enabled catalog currencies, each with how many fresh offers give or take it. */
  async listWithOfferCounts(options: { withOffersOnly: boolean }): Promise<CurrencyWithOffers[]> {
    const rows: Array<PeopleRow & { offers: string }> = await this.dataSource.query(
      `WITH fresh AS (${shownOffersSql()}), counts AS (
         SELECT code, count(*) AS offers
         FROM (SELECT from_code AS code FROM fresh UNION ALL SELECT to_code FROM fresh) sides
         GROUP BY code
       )
       SELECT ${PEOPLE_COLUMNS}, COALESCE(counts.offers, 0) AS offers
       FROM currencies c
       LEFT JOIN counts ON counts.code = c.code
       WHERE c.enabled AND ($1::boolean IS FALSE OR counts.offers > 0)
       ORDER BY c.code`,
      [options.withOffersOnly],
    );
    return rows.map((row) => ({ ...forPeople(row), offers: Number(row.offers) }));
  }

  /** The enabled currency with this code (any case) or url name; null when there is none. */
  async findCurrency(codeOrUrlName: string): Promise<CurrencyWithOffers | null> {
    const [row] = await this.dataSource.query<Array<PeopleRow & { offers: string }>>(
      `SELECT ${PEOPLE_COLUMNS},
              (SELECT count(*) FROM (${shownOffersSql('o.from_code = c.code OR o.to_code = c.code')}) fresh) AS offers
       FROM currencies c
       WHERE c.enabled AND (c.code = upper($1) OR COALESCE(c.url_name, lower(c.code)) = lower($1))
       ORDER BY c.code = upper($1) DESC
       LIMIT 1`,
      [codeOrUrlName.slice(0, 64)],
    );
    return row ? { ...forPeople(row), offers: Number(row.offers) } : null;
  }

  /**
   * The enabled currencies reachable from `code` (`from`: directions that give it) and those that reach
   * it (`to`), among the shown offers, each with its count of offers, by code.
   */
  async counterpartsOf(code: string): Promise<{ from: DirectionCounterpart[]; to: DirectionCounterpart[] }> {
    const rows: Array<PeopleRow & { side: 'from' | 'to'; offers: string }> = await this.dataSource.query(
      `WITH fresh AS (${shownOffersSql('o.from_code = $1 OR o.to_code = $1')}), sides AS (
         SELECT 'from' AS side, to_code AS code, count(*) AS offers FROM fresh WHERE from_code = $1 GROUP BY to_code
         UNION ALL
         SELECT 'to', from_code, count(*) FROM fresh WHERE to_code = $1 GROUP BY from_code
       )
       SELECT sides.side, sides.offers, ${PEOPLE_COLUMNS}
       FROM sides JOIN currencies c ON c.code = sides.code
       WHERE c.enabled
       ORDER BY c.code`,
      [code],
    );
    const of = (side: 'from' | 'to') =>
      rows.filter((row) => row.side === side).map((row) => ({ ...forPeople(row), offers: Number(row.offers) }));
    return { from: of('from'), to: of('to') };
  }

  /** Every city code and alias: what the `city` parameters and the normalizer look cities up in. */
  async loadCities(): Promise<{ codes: string[]; aliases: CityAliasRow[] }> {
    const [codes, aliases] = await Promise.all([
      this.dataSource.query<Array<{ code: string }>>(`SELECT code FROM cities`),
      this.dataSource.query<CityAliasRow[]>(`SELECT id, alias, code FROM city_aliases`),
    ]);
    return { codes: codes.map((row) => row.code), aliases };
  }

  /** The city catalog, each city with its count of shown offers, by code. */
  async listCitiesWithOfferCounts(): Promise<CityWithOffers[]> {
    const rows: Array<Omit<CityWithOffers, 'offers'> & { offers: string }> = await this.dataSource.query(
      `WITH counts AS (SELECT city, count(*) AS offers FROM (${shownOffersSql("o.city <> ''")}) fresh GROUP BY city)
       SELECT ${CITY_COLUMNS}, COALESCE(counts.offers, 0) AS offers
       FROM cities LEFT JOIN counts ON counts.city = cities.code
       ORDER BY code`,
    );
    return rows.map((row) => ({ ...row, offers: Number(row.offers) }));
  }

  /** Every city with its aliases (the admin's list). */
  async listCities(): Promise<AdminCity[]> {
    return this.dataSource.query(
      `SELECT ${CITY_COLUMNS},
              COALESCE((SELECT json_agg(json_build_object('id', a.id, 'alias', a.alias) ORDER BY a.alias)
                        FROM city_aliases a WHERE a.code = cities.code), '[]') AS aliases
       FROM cities ORDER BY code`,
    );
  }

  createCity(
    actor: Actor,
    c: { code: string; nameEn: string; nameRu: string; country: string | null },
  ): Promise<AdminCity> {
    return auditedTransaction(this.dataSource, actor, 'create', 'city', async (tx) => {
      // A code spelled like an existing alias would leave that alias naming two cities.
      const [alias] = await tx.query<CityAliasRow[]>(`SELECT id, alias, code FROM city_aliases WHERE alias_key = $1`, [
        cityKey(c.code),
      ]);
      if (alias)
        throw new ConflictError(
          `${c.code} is an alias of ${alias.code} (alias id ${alias.id}): delete the alias first`,
        );
      const [row] = await unique(
        tx.query<AdminCity[]>(
          `INSERT INTO cities (code, name_en, name_ru, country) VALUES ($1, $2, $3, $4) RETURNING ${CITY_COLUMNS}`,
          [c.code, c.nameEn, c.nameRu, c.country],
        ),
        `city ${c.code} exists`,
      );
      return { before: null, after: { ...row!, aliases: [] }, entityId: c.code };
    });
  }

  updateCity(
    actor: Actor,
    code: string,
    fields: { nameEn?: string; nameRu?: string; country?: string | null },
  ): Promise<AdminCity | null> {
    return auditedTransaction(this.dataSource, actor, 'update', 'city', async (tx) => {
      const [before] = await tx.query<AdminCity[]>(`SELECT ${CITY_COLUMNS} FROM cities WHERE code = $1 FOR UPDATE`, [
        code,
      ]);
      if (!before) return { before: null, after: null, result: null, entityId: code };
      const { sets, values } = assignments(fields, { nameEn: 'name_en', nameRu: 'name_ru', country: 'country' }, 2);
      const [after] =
        sets.length === 0
          ? [before]
          : rowsOf<AdminCity>(
              await tx.query(
                `UPDATE cities SET ${sets.join(', ')}, updated_at = now() WHERE code = $1 RETURNING ${CITY_COLUMNS}`,
                [code, ...values],
              ),
            );
      const aliases = await tx.query<Array<{ id: number; alias: string }>>(
        `SELECT id, alias FROM city_aliases WHERE code = $1 ORDER BY alias`,
        [code],
      );
      return { before, after: { ...after!, aliases }, entityId: code };
    });
  }

  /** A new spelling of a city; refused (409) when it is spelled like another alias or like a city's code. */
  createCityAlias(actor: Actor, a: { alias: string; code: string }): Promise<CityAliasRow> {
    return auditedTransaction(this.dataSource, actor, 'create', 'city-alias', async (tx) => {
      const key = cityKey(a.alias);
      const [code] = await tx.query<Array<{ code: string }>>(
        `SELECT code FROM cities WHERE lower(regexp_replace(code, '[^A-Za-z0-9]', '', 'g')) = $1`,
        [key],
      );
      if (code) throw new ConflictError(`alias ${a.alias} is spelled like the city code ${code.code}`);
      const [row] = await unique(
        tx.query<CityAliasRow[]>(
          `INSERT INTO city_aliases (alias, alias_key, code) VALUES ($1, $2, $3) RETURNING id, alias, code`,
          [a.alias, key, a.code],
        ),
        `an alias spelled like ${a.alias} exists`,
        `city ${a.code} does not exist`,
      );
      return { before: null, after: row!, entityId: String(row!.id) };
    });
  }

  deleteCityAlias(actor: Actor, id: number): Promise<boolean> {
    return auditedTransaction(this.dataSource, actor, 'delete', 'city-alias', async (tx) => {
      const [before] = rowsOf<CityAliasRow>(
        await tx.query(`DELETE FROM city_aliases WHERE id = $1 RETURNING id, alias, code`, [id]),
      );
      return { before: before ?? null, after: null, result: before !== undefined, entityId: String(id) };
    });
  }

  listCurrencies(): Promise<unknown[]> {
    return this.dataSource.query(`SELECT code, name, ticker, iso, kind, enabled FROM currencies ORDER BY code`);
  }

  createCurrency(
    actor: Actor,
    c: { code: string; name: string; ticker: string; iso: string; kind: string; enabled: boolean },
  ): Promise<unknown> {
    return auditedTransaction(this.dataSource, actor, 'create', 'currency', async (tx) => {
      const [row] = await unique(
        tx.query<unknown[]>(
          `INSERT INTO currencies (code, name, ticker, iso, kind, enabled) VALUES ($1, $2, $3, $4, $5, $6) RETURNING code, name, ticker, iso, kind, enabled`,
          [c.code, c.name, c.ticker, c.iso, c.kind, c.enabled],
        ),
        `currency ${c.code} exists`,
      );
      return { before: null, after: row, entityId: c.code };
    });
  }

  updateCurrency(
    actor: Actor,
    code: string,
    fields: { name?: string; enabled?: boolean; ticker?: string; iso?: string; kind?: string },
  ): Promise<unknown> {
    return auditedTransaction(this.dataSource, actor, 'update', 'currency', async (tx) => {
      const [before] = await tx.query<unknown[]>(
        `SELECT code, name, ticker, iso, kind, enabled FROM currencies WHERE code = $1 FOR UPDATE`,
        [code],
      );
      if (!before) return { before: null, after: null, entityId: code };
      const { sets, values } = assignments(
        fields,
        { name: 'name', enabled: 'enabled', ticker: 'ticker', iso: 'iso', kind: 'kind' },
        2,
      );
      if (sets.length === 0) return { before, after: before, entityId: code };
      const [after] = rowsOf<unknown>(
        await tx.query(
          `UPDATE currencies SET ${sets.join(', ')}, updated_at = now() WHERE code = $1 RETURNING code, name, ticker, iso, kind, enabled`,
          [code, ...values],
        ),
      );
      return { before, after, entityId: code };
    });
  }

  listAliases(): Promise<unknown[]> {
    return this.dataSource.query(
      `SELECT id, alias, code, exchanger_id AS "exchangerId", created_at AS "createdAt" FROM currency_aliases ORDER BY exchanger_id NULLS FIRST, alias`,
    );
  }

  createAlias(actor: Actor, a: { alias: string; code: string; exchangerId: number | null }): Promise<unknown> {
    return auditedTransaction(this.dataSource, actor, 'create', 'alias', async (tx) => {
      const [row] = await unique(
        tx.query<Array<{ id: number }>>(
          `INSERT INTO currency_aliases (alias, code, exchanger_id) VALUES ($1, $2, $3) RETURNING id, alias, code, exchanger_id AS "exchangerId"`,
          [a.alias, a.code, a.exchangerId],
        ),
        `alias ${a.alias} exists ${a.exchangerId === null ? 'globally' : `for exchanger ${a.exchangerId}`}`,
      );
      return { before: null, after: row!, entityId: String(row!.id) };
    });
  }

  deleteAlias(actor: Actor, id: number): Promise<boolean> {
    return auditedTransaction(this.dataSource, actor, 'delete', 'alias', async (tx) => {
      const [before] = rowsOf<unknown>(
        await tx.query(
          `DELETE FROM currency_aliases WHERE id = $1 RETURNING id, alias, code, exchanger_id AS "exchangerId"`,
          [id],
        ),
      );
      return { before: before ?? null, after: null, result: before !== undefined, entityId: String(id) };
    });
  }
}
