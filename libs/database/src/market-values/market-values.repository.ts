import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { shownOffersSql } from '../freshness';

/** A direction of the shown market, all cities together (decimals as strings). */
export interface MarketDirectionRow {
  from: string;
  to: string;
  /** The lower median of the shown offers' rates (one offer per exchanger and city). */
  median: string;
  /** The best (highest) shown rate. */
  best: string;
  /** Distinct exchangers showing the direction. */
  exchangers: number;
}

/** Memory for the one sort of every shown offer a full read makes (its transaction only). */
const MARKET_WORK_MEM = '64MB';

/**
 * The aggregated market (DESIGN.md §13): per direction, the median and best of the offers visitors see —
 * quarantined offers left out (unlike the rate guard's references, which count them to follow a moving
 * market: a value shown to the public is made only of what the public is shown). The api values every
 * currency in US dollars from it and picks route intermediates by it.
 */
@Injectable()
export class MarketValuesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Every direction with shown offers (`directions` absent), or only the listed ones (read through the
   * direction index; a listed direction without shown offers is simply not in the answer).
   */
  async directionStats(directions?: ReadonlyArray<readonly [string, string]>): Promise<MarketDirectionRow[]> {
    if (directions !== undefined && directions.length === 0) return [];
    const where =
      directions === undefined
        ? 'TRUE'
        : `(o.from_code, o.to_code) IN (SELECT f, t FROM unnest($1::text[], $2::text[]) AS d(f, t))`;
    const sql = `SELECT s.from_code AS "from", s.to_code AS "to",
              (percentile_disc(0.5) WITHIN GROUP (ORDER BY s.rate))::text AS median,
              max(s.rate)::text AS best, count(DISTINCT s.exchanger_id)::int AS exchangers
       FROM (${shownOffersSql(where)}) s
       GROUP BY s.from_code, s.to_code`;
    if (directions !== undefined)
      return this.dataSource.query<MarketDirectionRow[]>(sql, [
        directions.map((d) => d[0]),
        directions.map((d) => d[1]),
      ]);
    return this.dataSource.transaction(async (tx) => {
      await tx.query(`SET LOCAL work_mem = '${MARKET_WORK_MEM}'`);
      return tx.query<MarketDirectionRow[]>(sql);
    });
  }

  /** Every enabled currency's code and ISO unit (what valuation needs of the catalog). */
  currencyUnits(): Promise<Array<{ code: string; iso: string }>> {
    return this.dataSource.query(`SELECT code, iso FROM currencies WHERE enabled ORDER BY code`);
  }
}
