import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { CurrencyKind } from '@app/domain';
import { FRESH_FEED_SQL } from '../freshness';

export interface CurrencyWithOffers {
  code: string;
  name: string;
  ticker: string;
  iso: string;
  kind: CurrencyKind;
  offers: number;
}

@Injectable()
export class CurrenciesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Enabled catalog currencies, each with how many fresh offers give or take it. */
  async listWithOfferCounts(options: { withOffersOnly: boolean }): Promise<CurrencyWithOffers[]> {
    const rows: Array<Omit<CurrencyWithOffers, 'offers'> & { offers: string }> = await this.dataSource.query(
      `WITH fresh AS (
         SELECT o.from_code, o.to_code
         FROM offers o
         JOIN feeds f ON f.id = o.feed_id
         JOIN exchangers e ON e.id = o.exchanger_id
         WHERE ${FRESH_FEED_SQL}
       ), counts AS (
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
}
