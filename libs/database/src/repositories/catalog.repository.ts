import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { CatalogEntry, CurrencyAlias, CurrencyKind } from '@app/domain';
import { shownOffersSql } from '../freshness';
import { Actor, auditedTransaction } from './audit.repository';
import { assignments, rowsOf, unique } from './sql';

export interface CurrencyWithOffers {
  code: string;
  name: string;
  ticker: string;
  iso: string;
  kind: CurrencyKind;
  offers: number;
}

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
    const rows: Array<Omit<CurrencyWithOffers, 'offers'> & { offers: string }> = await this.dataSource.query(
      `WITH fresh AS (${shownOffersSql()}), counts AS (
         SELECT code, count(*) AS offers
         FROM (SELECT from_code AS code FROM fresh UNION ALL SELECT to_code FROM fresh) sides
         GROUP BY code
       )
       SELECT c.code, c.name, c.ticker, c.iso, c.kind, COALESCE(counts.offers, 0) AS offers
       FROM currencies c
       LEFT JOIN counts ON counts.code = c.code
       WHERE c.enabled AND ($1::boolean IS FALSE OR counts.offers > 0)
       ORDER BY c.code`,
      [options.withOffersOnly],
    );
    return rows.map((row) => ({ ...row, offers: Number(row.offers) }));
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
