import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { FRESH_FEED_SQL, shownOffersSql, WHOLE_MARKET_READ_SETTINGS } from '../freshness';

/** A direction of the shown market, all cities together (decimals as strings). */
export interface MarketDirectionRow {
  from: string;
  to: string;
  /** The lower median of the exchangers' rates (each the lower median of its shown offers' cities). */
  median: string;
  /** The best (highest) shown rate. */
  best: string;
  /** Distinct exchangers showing the direction. */
  exchangers: number;
  /** Their ids (a currency's value gives each exchanger one vote, however many directions it lists). */
  exchangerIds: number[];
}

/**
 * Rows `s` (exchanger_id, from_code, to_code, rate: one per exchanger, direction and city) as one row per
 * exchanger and direction: its rate the lower median of its cities' (a cash exchanger listing a direction in
 * twelve cities is one voice in the direction's median, not twelve), `best` the best of them.
 */
const perExchanger = (rows: string) =>
  `SELECT s.exchanger_id, s.from_code, s.to_code, percentile_disc(0.5) WITHIN GROUP (ORDER BY s.rate) AS rate, max(s.rate) AS best
   FROM (${rows}) s GROUP BY s.exchanger_id, s.from_code, s.to_code`;

/** A direction's median (the lower one, over its exchangers' rates), best rate and exchangers, over rows `x` of `perExchanger`. */
const AGGREGATES = `(percentile_disc(0.5) WITHIN GROUP (ORDER BY x.rate))::text AS median, max(x.best)::text AS best,
              count(*)::int AS exchangers, array_agg(x.exchanger_id ORDER BY x.exchanger_id) AS "exchangerIds"`;

/**
 * The whole-market read's settings: WHOLE_MARKET_READ_SETTINGS, and no nested loops. Every join of it is
 * market-wide, so a nested loop is never the right plan — but one was chosen on statistics from before the
 * market came (a fleet's first minute: `shown` estimated at a row), and its anti join rescanned `with_cities`
 * for every offer: 49 s in bench:scale at 350 exchangers, one connection busy the whole measured window.
 */
export const WHOLE_MARKET_SETTINGS = `${WHOLE_MARKET_READ_SETTINGS}; SET LOCAL enable_nestloop = off`;

/** directionStats' read of every direction ($1: the exchangers with several fresh feeds); see wholeMarket. */
export const WHOLE_MARKET_SQL = `WITH shown AS (
    SELECT o.exchanger_id, o.from_code, o.to_code, o.city, o.rate
    FROM offers o JOIN feeds f ON f.id = o.feed_id JOIN exchangers e ON e.id = o.exchanger_id
    WHERE ${FRESH_FEED_SQL} AND o.quarantine IS NULL AND o.exchanger_id <> ALL($1::int[])
    UNION ALL
    SELECT m.exchanger_id, m.from_code, m.to_code, m.city, m.rate FROM (${shownOffersSql('o.exchanger_id = ANY($1::int[])')}) m
  ),
  with_cities AS (SELECT DISTINCT exchanger_id, from_code, to_code FROM shown WHERE city <> '')
  SELECT x.from_code COLLATE "C" AS "from", x.to_code COLLATE "C" AS "to", ${AGGREGATES}
  FROM (
    SELECT s.exchanger_id, s.from_code, s.to_code, s.rate, s.rate AS best FROM shown s
    WHERE s.city = '' AND NOT EXISTS (
      SELECT FROM with_cities c WHERE c.exchanger_id = s.exchanger_id AND c.from_code = s.from_code AND c.to_code = s.to_code)
    UNION ALL
    ${perExchanger(`SELECT * FROM shown WHERE (exchanger_id, from_code, to_code) IN (SELECT * FROM with_cities)`)}
  ) x
  GROUP BY 1, 2`;

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
    if (directions === undefined) return this.wholeMarket();
    if (directions.length === 0) return [];
    return this.dataSource.query<MarketDirectionRow[]>(
      `SELECT x.from_code AS "from", x.to_code AS "to", ${AGGREGATES}
       FROM (${perExchanger(shownOffersSql(`(o.from_code, o.to_code) IN (SELECT f, t FROM unnest($1::text[], $2::text[]) AS d(f, t))`))}) x
       GROUP BY x.from_code, x.to_code`,
      [directions.map((d) => d[0]), directions.map((d) => d[1])],
    );
  }

  /**
   * Every direction, in one pass over the fresh offers (as the rate guard's reference refresh reads them):
   * only exchangers with more than one fresh feed need the one-offer-per-exchanger pick of `shownOffersSql`
   * (a feed has one offer per direction and city), so the rest skip its sort; grouped byte-wise ("C"), in
   * memory. A fifth of the plain form's time at 1,000,000 offers.
   *
   * An exchanger's rate in a direction is the lower median of its cities' (perExchanger) only where it has
   * cities there: elsewhere it has one offer in the direction (city ''), which is its rate and its best as it
   * is. So only the exchanger-directions with a city row are grouped and sorted per exchanger; the rest — all
   * of an online market — go straight to the directions' medians: one sort of the market instead of two (at
   * 600,000 offers 1.4 s against 2.5 s, EXPLAIN ANALYZE).
   */
  private wholeMarket(): Promise<MarketDirectionRow[]> {
    return this.dataSource.transaction(async (tx) => {
      await tx.query(WHOLE_MARKET_SETTINGS);
      const [multi] = await tx.query<Array<{ ids: number[] }>>(
        `SELECT COALESCE(array_agg(exchanger_id), '{}') AS ids FROM (
           SELECT f.exchanger_id FROM feeds f JOIN exchangers e ON e.id = f.exchanger_id
           WHERE ${FRESH_FEED_SQL} GROUP BY f.exchanger_id HAVING count(*) > 1) m`,
      );
      return tx.query<MarketDirectionRow[]>(WHOLE_MARKET_SQL, [multi!.ids]);
    });
  }

  /** Every enabled currency's code and ISO unit (what valuation needs of the catalog). */
  currencyUnits(): Promise<Array<{ code: string; iso: string }>> {
    return this.dataSource.query(`SELECT code, iso FROM currencies WHERE enabled ORDER BY code`);
  }
}
