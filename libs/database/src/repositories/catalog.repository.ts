import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { buildContext, CatalogEntry, NormalizationContext } from '@app/feeds';

/** The currency catalog and aliases as the normalizer needs them. */
@Injectable()
export class CatalogRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The whole catalog (disabled codes included, so they are rejected as disabled, not unknown). */
  async loadCurrencies(): Promise<CatalogEntry[]> {
    return this.dataSource.query<CatalogEntry[]>(`SELECT code, ticker, iso, kind, enabled FROM currencies`);
  }

  /** Every alias: global ones have a null exchanger. */
  async loadAliases(): Promise<Array<{ alias: string; code: string; exchangerId: number | null }>> {
    return this.dataSource.query(`SELECT alias, code, exchanger_id AS "exchangerId" FROM currency_aliases`);
  }

  /** Bumped by triggers on every change to currencies or aliases: caches compare it instead of reloading. */
  async version(): Promise<string> {
    const [row] = await this.dataSource.query<Array<{ version: string }>>(`SELECT version::text AS version FROM catalog_version`);
    return row?.version ?? '0';
  }

  async loadContext(exchangerId: number | null): Promise<NormalizationContext> {
    const [currencies, aliases] = await Promise.all([this.loadCurrencies(), this.loadAliases()]);
    return buildContext(
      currencies,
      aliases.filter((a) => a.exchangerId === null).map((a) => [a.alias, a.code]),
      aliases.filter((a) => exchangerId !== null && a.exchangerId === exchangerId).map((a) => [a.alias, a.code]),
    );
  }
}
