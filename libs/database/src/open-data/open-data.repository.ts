import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { CurrencyKind, FloatingTerms, OfferTerms } from '@app/domain';
import { FRESH_FEED_SQL, shownOffersSql, STALE_AFTER_SQL } from '../freshness';
import { Standing, StandingColumns, standingColumnsSql, standingOf } from '../reputation/reputation-sql';

/** An enabled currency as the export needs it (names for people, BestChange's id when it has one). */
export interface OpenCurrency {
  code: string;
  bestchangeId: number | null;
  name: string;
  nameEn: string;
  nameRu: string;
  ticker: string;
  iso: string;
  kind: CurrencyKind;
}

/** An active exchanger with its standing (the counts `/v1/rates` shows beside its offers). */
export interface OpenExchanger {
  id: number;
  slug: string;
  name: string;
  reviews: Standing;
}

export interface OpenCity {
  code: string;
  nameEn: string;
  nameRu: string;
}

/** One shown offer (decimals as strings, `city` null when it is not cash in a city). */
export interface OpenOffer extends OfferTerms {
  exchangerId: number;
  from: string;
  to: string;
  city: string | null;
  in: string;
  out: string;
  flags: string[];
  floating: FloatingTerms | null;
  delayMinutes: number | null;
}

/** What the export is made of, read at one moment. */
export interface OpenDataRead {
  /** That moment (the transaction's start on the database's clock, which every replica shares). */
  at: Date;
  currencies: OpenCurrency[];
  exchangers: OpenExchanger[];
  cities: OpenCity[];
  offers: OpenOffer[];
  /** Clicks per direction over the last 24 hours (people, not bots), most first, at most 100. */
  topDirections: Array<{ from: string; to: string; clicks: number }>;
  /** When the first of the shown feeds goes stale (its offers leave the shown set without any write), or null. */
  nextExpiry: Date | null;
}

export type OpenIdKind = 'city' | 'bcode' | 'currency';

/** Where the ids `ensureIds` gives start for each kind (far from BestChange's own ids). */
const ID_OFFSET: Record<OpenIdKind, number> = { city: 10_000, bcode: 100_000, currency: 1_000_000 };

/** Offer rows per round trip. */
const PAGE_ROWS = 5000;

/**
 * The reads of the BestChange-compatible export and the keyed JSON API (DESIGN.md §13): the catalog, the
 * active exchangers with their standing, and every shown offer — `shownOffersSql`'s set, with the terms of
 * the very row it picked (found by its key).
 */
@Injectable()
export class OpenDataRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Everything the export shows, read in one repeatable-read transaction so the files agree with each other. */
  async read(): Promise<OpenDataRead> {
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.connect();
      await runner.startTransaction('REPEATABLE READ');
      await runner.query(`SET LOCAL work_mem = '64MB'`);
      // The database's clock, the same for every replica: the time the files are stamped with.
      const [{ at }] = await (runner.query(`SELECT now() AS at`) as Promise<[{ at: Date }]>);
      const currencies = await (runner.query(
        `SELECT code, bestchange_id AS "bestchangeId", name, COALESCE(name_en, name) AS "nameEn",
                COALESCE(name_ru, name) AS "nameRu", ticker, iso, kind
         FROM currencies WHERE enabled ORDER BY bestchange_id NULLS LAST, code`,
      ) as Promise<OpenCurrency[]>);
      const exchangers = (
        await (runner.query(
          `SELECT e.id, e.slug, e.name, ${standingColumnsSql('s')}
           FROM exchangers e LEFT JOIN exchanger_standing s ON s.exchanger_id = e.id
           WHERE e.status = 'active' ORDER BY e.id`,
        ) as Promise<Array<Omit<OpenExchanger, 'reviews'> & StandingColumns>>)
      ).map((r) => ({ id: r.id, slug: r.slug, name: r.name, reviews: standingOf(r) }));
      const cities = await (runner.query(
        `SELECT code, name_en AS "nameEn", name_ru AS "nameRu" FROM cities ORDER BY code`,
      ) as Promise<OpenCity[]>);
      const offers: OpenOffer[] = [];
      // shownOffersSql picks one row per exchanger, direction and city; its key (feed, direction, city) finds
      // that row's terms. Ordered so every replica numbers the same data in the same order (the same bytes).
      await runner.query(
        `DECLARE open_offers NO SCROLL CURSOR FOR
         WITH s AS MATERIALIZED (${shownOffersSql()})
         SELECT o.exchanger_id AS "exchangerId", o.from_code AS "from", o.to_code AS "to", NULLIF(o.city, '') AS city,
                o.amount_in::text AS "in", o.amount_out::text AS "out", o.rate::text AS rate, o.reserve::text AS reserve,
                o.from_min::text AS "fromMin", o.from_max::text AS "fromMax", o.to_min::text AS "toMin", o.to_max::text AS "toMax",
                o.from_fee AS "fromFee", o.to_fee AS "toFee", o.min_fee AS "minFee", o.flags,
                o.floating, o.delay_minutes AS "delayMinutes"
         FROM s
         JOIN offers o ON o.feed_id = s.feed_id AND o.from_code = s.from_code AND o.to_code = s.to_code AND o.city = s.city
         ORDER BY s.exchanger_id, s.from_code, s.to_code, s.city`,
      );
      for (;;) {
        const page = await (runner.query(`FETCH ${PAGE_ROWS} FROM open_offers`) as Promise<OpenOffer[]>);
        for (const row of page) offers.push(row);
        if (page.length < PAGE_ROWS) break;
      }
      await runner.query(`CLOSE open_offers`);
      const top = await (runner.query(
        `SELECT from_code AS "from", to_code AS "to", count(*)::int AS clicks
         FROM clicks WHERE at > now() - interval '24 hours' AND NOT is_bot
         GROUP BY from_code, to_code ORDER BY clicks DESC, from_code, to_code LIMIT 100`,
      ) as Promise<Array<{ from: string; to: string; clicks: number }>>);
      const [expiry] = await (runner.query(
        `SELECT min(f.last_success_at + make_interval(secs => ${STALE_AFTER_SQL})) AS at
         FROM feeds f JOIN exchangers e ON e.id = f.exchanger_id WHERE ${FRESH_FEED_SQL}`,
      ) as Promise<Array<{ at: Date | null }>>);
      await runner.commitTransaction();
      return { at, currencies, exchangers, cities, offers, topDirections: top, nextExpiry: expiry?.at ?? null };
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }

  /**
   * The export's numeric id of each code of `kind`, giving the codes that have none the next free one
   * (above the kind's offset): ids are given once and kept, so a client's stored ids stay valid.
   */
  async ensureIds(kind: OpenIdKind, codes: readonly string[]): Promise<Map<string, number>> {
    const read = async () =>
      new Map(
        (
          await this.dataSource.query<Array<{ code: string; id: number }>>(
            `SELECT code, id FROM open_data_ids WHERE kind = $1`,
            [kind],
          )
        ).map((r) => [r.code, r.id]),
      );
    let ids = await read();
    const missing = [...new Set(codes)].filter((code) => !ids.has(code)).sort();
    if (missing.length > 0) {
      // Another replica may give the same codes at once: the loser's rows are skipped, and both read the winner's.
      await this.dataSource.query(
        `INSERT INTO open_data_ids (kind, code, id)
         SELECT $1, code, $3 + nextval('open_data_ids_next') FROM unnest($2::text[]) WITH ORDINALITY AS m(code, n) ORDER BY n
         ON CONFLICT DO NOTHING`,
        [kind, missing, ID_OFFSET[kind]],
      );
      ids = await read();
    }
    return ids;
  }
}
