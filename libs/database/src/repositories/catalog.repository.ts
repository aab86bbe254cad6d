import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { CatalogEntry, CurrencyAlias } from '@app/domain';

/** The currency catalog and aliases as the normalizer needs them. */
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
}
