import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { FloatingTerms, OfferTerms, TimeSlicer } from '@app/domain';
import { FRESH_FEED_SQL, shownOffersSql } from '../freshness';
import { Standing, StandingColumns, standingColumnsSql, standingOf } from '../reputation/reputation-sql';

/** One shown offer of a direction, with its exchanger. Decimals are strings. */
export interface DirectionOffer extends OfferTerms {
  exchangerId: number;
  slug: string;
  name: string;
  city: string | null;
  in: string;
  out: string;
  flags: string[];
  floating: FloatingTerms | null;
  delayMinutes: number | null;
  /** When the feed last confirmed it. */
  updatedAt: Date;
  /** Its exchanger's standing, as of the feeds' read (`findShownFeeds`). */
  exchanger: ExchangerStanding;
}

/** What a visitor weighs an exchanger by beside its rates: its counts, since when it is listed, its status. */
export interface ExchangerStanding {
  status: string;
  listedSince: Date;
  reviews: Standing;
}

export interface DirectionSummary {
  from: string;
  to: string;
  offers: number;
  bestRate: string;
}

/** Which directions `listDirections` lists (every field optional). */
export interface DirectionFilter {
  from?: string | null;
  to?: string | null;
  /** Only directions after this key in (from, to) order: the last one of the page before. */
  after?: { from: string; to: string } | null;
  /** At most this many (all when absent). */
  limit?: number | null;
}

/** Offers rows read per round trip: the driver parses one read at once (about 5 ms per 1,000 rows). */
const PAGE_ROWS = 1000;

/** The columns of a `DirectionOfferRow`, from `offers o` (a WHERE follows). */
const DIRECTION_ROWS_SQL = `SELECT o.feed_id AS "feedId", o.exchanger_id AS "exchangerId", NULLIF(o.city, '') AS city,
              o.amount_in::text AS "in", o.amount_out::text AS "out", o.rate::text AS rate, o.reserve::text AS reserve,
              o.from_min::text AS "fromMin", o.from_max::text AS "fromMax", o.to_min::text AS "toMin", o.to_max::text AS "toMax",
              o.from_fee AS "fromFee", o.to_fee AS "toFee", o.min_fee AS "minFee", o.flags,
              o.floating, o.delay_minutes AS "delayMinutes"
       FROM offers o`;

/** One direction's rows the rate guard does not hold back: from $1 to $2. */
const ONE_DIRECTION_SQL = `o.from_code = $1 AND o.to_code = $2 AND o.quarantine IS NULL`;

/** An offer row as stored, before the join with its feed (`joinShownOffers`). */
export type DirectionOfferRow = Omit<DirectionOffer, 'slug' | 'name' | 'updatedAt' | 'exchanger'> & { feedId: number };

/** A feed whose offers may be shown, with its exchanger's slug, name and standing. */
export interface ShownFeed {
  id: number;
  slug: string;
  name: string;
  updatedAt: Date;
  exchanger: ExchangerStanding;
}

/**
 * The shown offers of a direction from its rows and its shown feeds, in row order: rows of other feeds
 * are left out, and an exchanger with two shown feeds keeps one offer per city, the more recently
 * confirmed (in the place of the first). Pauses every few milliseconds.
 */
export async function joinShownOffers(rows: DirectionOfferRow[], feeds: ShownFeed[]): Promise<DirectionOffer[]> {
  const feedById = new Map(feeds.map((f) => [f.id, f]));
  // Only an exchanger with offers from two shown feeds can show one city twice (a feed has one offer per city).
  const feedOf = new Map<number, number>();
  const twoFeeds = new Set<number>();
  for (const row of rows) {
    if (!feedById.has(row.feedId)) continue;
    const first = feedOf.get(row.exchangerId);
    if (first === undefined) feedOf.set(row.exchangerId, row.feedId);
    else if (first !== row.feedId) twoFeeds.add(row.exchangerId);
  }
  const shown: DirectionOffer[] = [];
  const positionOf = new Map<string, number>();
  const slicer = new TimeSlicer();
  for (const row of rows) {
    if (slicer.due()) await slicer.pause();
    const feed = feedById.get(row.feedId);
    if (!feed) continue;
    const offer = shownOffer(row, feed);
    if (!twoFeeds.has(row.exchangerId)) {
      shown.push(offer);
      continue;
    }
    const key = `${row.exchangerId}|${row.city ?? ''}`;
    const position = positionOf.get(key);
    if (position === undefined) {
      positionOf.set(key, shown.length);
      shown.push(offer);
    } else if (new Date(feed.updatedAt) > new Date(shown[position]!.updatedAt)) shown[position] = offer;
  }
  return shown;
}

/** A row as shown: its fields one by one (no rest spread: ten times faster on a 100,000-offer direction). */
function shownOffer(row: DirectionOfferRow, feed: ShownFeed): DirectionOffer {
  return {
    exchangerId: row.exchangerId,
    city: row.city,
    in: row.in,
    out: row.out,
    rate: row.rate,
    reserve: row.reserve,
    fromMin: row.fromMin,
    fromMax: row.fromMax,
    toMin: row.toMin,
    toMax: row.toMax,
    fromFee: row.fromFee,
    toFee: row.toFee,
    minFee: row.minFee,
    flags: row.flags,
    floating: row.floating,
    delayMinutes: row.delayMinutes,
    slug: feed.slug,
    name: feed.name,
    updatedAt: feed.updatedAt,
    exchanger: feed.exchanger,
  };
}

/** Offers, read by direction for the public (DESIGN.md §7): only offers of active exchangers with fresh, non-maintenance feeds. The snapshot writer (snapshot-writer.ts) is their write side. */
@Injectable()
export class OffersRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Every shown offer of a direction, all cities. An exchanger appears once per city: if two of its
   * feeds publish the direction, the more recently confirmed offer stands.
   *
   * Two index-driven queries joined here rather than one SQL join: the planner underestimates how many
   * offers one direction has (one per exchanger) and picked nested loops that cost 50 ms for 500 offers.
   * A direction may have 100,000 offers (many cities or exchangers): its rows are then read a page at a
   * time and the join pauses every few milliseconds, so the event loop is never held for long. The api
   * keeps a big direction's rows (`findDirectionRows`) and asks only `findShownFeeds` per table.
   */
  async findDirectionOffers(from: string, to: string): Promise<DirectionOffer[]> {
    const rows = await this.findDirectionRows(from, to);
    if (rows.length === 0) return [];
    return joinShownOffers(rows, await this.findShownFeeds([...new Set(rows.map((o) => o.feedId))]));
  }

  /**
   * Of these feeds, the ones whose offers may be shown now (FRESH_FEED_SQL), with their exchanger and its
   * standing: read with every table, so counts beside rates are as fresh as the feeds (one primary-key
   * lookup per exchanger in `exchanger_standing`, which moderation keeps; never a count of reviews).
   */
  async findShownFeeds(feedIds: number[]): Promise<ShownFeed[]> {
    const rows = await this.dataSource.query<
      Array<Omit<ShownFeed, 'exchanger'> & Omit<ExchangerStanding, 'reviews'> & StandingColumns>
    >(
      `SELECT f.id, e.slug, e.name, f.last_success_at AS "updatedAt", e.status, e.created_at AS "listedSince",
              ${standingColumnsSql('s')}
       FROM feeds f JOIN exchangers e ON e.id = f.exchanger_id
       LEFT JOIN exchanger_standing s ON s.exchanger_id = f.exchanger_id
       WHERE f.id = ANY($1::int[]) AND ${FRESH_FEED_SQL}`,
      [feedIds],
    );
    return rows.map((r) => ({
      id: r.id,
      slug: r.slug,
      name: r.name,
      updatedAt: r.updatedAt,
      exchanger: { status: r.status, listedSince: r.listedSince, reviews: standingOf(r) },
    }));
  }

  /**
   * Every offer row of a direction the rate guard does not hold back, fresh or not (the feeds decide that
   * per table): one query for most, a cursor read a page at a time for a big one.
   */
  async findDirectionRows(from: string, to: string): Promise<DirectionOfferRow[]> {
    const first = await this.dataSource.query<DirectionOfferRow[]>(
      `${DIRECTION_ROWS_SQL} WHERE ${ONE_DIRECTION_SQL} LIMIT ${PAGE_ROWS + 1}`,
      [from, to],
    );
    return first.length <= PAGE_ROWS ? first : this.readBigDirection(from, to);
  }

  /**
   * The rows of the feeds `feedIds` in the direction from → to, by feed (a kept direction whose rows only
   * those feeds changed is read again in part: DirectionBooks).
   */
  findDirectionFeedsRows(from: string, to: string, feedIds: readonly number[]): Promise<DirectionOfferRow[]> {
    return this.dataSource.query<DirectionOfferRow[]>(
      `${DIRECTION_ROWS_SQL} WHERE ${ONE_DIRECTION_SQL} AND o.feed_id = ANY($3::int[]) ORDER BY o.feed_id`,
      [from, to, feedIds],
    );
  }

  /**
   * `findDirectionRows` of several directions (from, to), in their order: the small ones read together in
   * one query (at most PAGE_ROWS + 1 rows of each), and each big one (more than PAGE_ROWS rows) again by
   * the cursor of `findDirectionRows`, a page at a time. A route search's legs are up to 11 directions of
   * a few hundred offers: one round trip, not eleven. A direction asked twice is read once.
   */
  async findDirectionsRows(pairs: ReadonlyArray<readonly [string, string]>): Promise<DirectionOfferRow[][]> {
    if (pairs.length === 0) return [];
    if (pairs.length === 1) return [await this.findDirectionRows(pairs[0]![0], pairs[0]![1])];
    const keyOf = (from: string, to: string) => `${from}\u0000${to}`;
    const distinct = [...new Map(pairs.map(([from, to]) => [keyOf(from, to), [from, to] as const])).values()];
    // Each direction's rows by the (from_code, to_code) index, at most PAGE_ROWS + 1 of them: a big one
    // brings no more than enough to be known big.
    const read = await this.dataSource.query<Array<DirectionOfferRow & { direction: number }>>(
      `SELECT d.i::int AS direction, r.*
       FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS d(from_code, to_code, i)
       CROSS JOIN LATERAL (
         ${DIRECTION_ROWS_SQL}
         WHERE o.from_code = d.from_code AND o.to_code = d.to_code AND o.quarantine IS NULL
         LIMIT ${PAGE_ROWS + 1}
       ) r`,
      [distinct.map(([from]) => from), distinct.map(([, to]) => to)],
    );
    const rowsOf: DirectionOfferRow[][] = distinct.map(() => []);
    for (const { direction, ...row } of read) rowsOf[direction - 1]!.push(row);
    const byKey = new Map<string, DirectionOfferRow[]>();
    await Promise.all(
      distinct.map(async ([from, to], i) => {
        const rows = rowsOf[i]!;
        byKey.set(keyOf(from, to), rows.length <= PAGE_ROWS ? rows : await this.readBigDirection(from, to));
      }),
    );
    return pairs.map(([from, to]) => byKey.get(keyOf(from, to))!);
  }

  /** A big direction's rows, read consistently a page per round trip: the driver parses what one read brings in one go. */
  private async readBigDirection(from: string, to: string): Promise<DirectionOfferRow[]> {
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.connect();
      await runner.startTransaction();
      await runner.query(
        `DECLARE direction_offers NO SCROLL CURSOR FOR ${DIRECTION_ROWS_SQL} WHERE ${ONE_DIRECTION_SQL}`,
        [from, to],
      );
      const rows: DirectionOfferRow[] = [];
      for (;;) {
        const page = (await runner.query(`FETCH ${PAGE_ROWS} FROM direction_offers`)) as DirectionOfferRow[];
        for (const row of page) rows.push(row);
        if (page.length < PAGE_ROWS) break;
      }
      await runner.commitTransaction();
      return rows;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }

  /**
   * Directions with shown offers, in (from, to) order, with their count and best rate: optionally only
   * those from or to one currency, only those after the key `after` (keyset paging: a page starts right
   * after the last key of the one before, so no direction is seen twice or skipped while snapshots
   * change), at most `limit` of them.
   */
  async listDirections(filter: DirectionFilter = {}): Promise<DirectionSummary[]> {
    const rows = await this.dataSource.query<Array<DirectionSummary & { offers: string }>>(
      `SELECT s.from_code AS "from", s.to_code AS "to", count(*) AS offers, max(s.rate)::text AS "bestRate"
       FROM (${shownOffersSql(
         `($1::text IS NULL OR o.from_code = $1) AND ($2::text IS NULL OR o.to_code = $2)
          AND ($3::text IS NULL OR (o.from_code, o.to_code) > ($3::text, $4::text))`,
       )}) s
       GROUP BY s.from_code, s.to_code
       ORDER BY s.from_code, s.to_code
       LIMIT $5`,
      [
        filter.from ?? null,
        filter.to ?? null,
        filter.after?.from ?? null,
        filter.after?.to ?? null,
        filter.limit ?? null,
      ],
    );
    return rows.map((r) => ({ ...r, offers: Number(r.offers) }));
  }
}
