import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { FloatingTerms, OfferTerms } from '@app/domain';
import { FRESH_FEED_SQL, shownOffersSql } from '../freshness';

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
}

export interface DirectionSummary {
  from: string;
  to: string;
  offers: number;
  bestRate: string;
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
   */
  async findDirectionOffers(from: string, to: string): Promise<DirectionOffer[]> {
    const offers = await this.dataSource.query<
      Array<Omit<DirectionOffer, 'slug' | 'name' | 'updatedAt'> & { feedId: number }>
    >(
      `SELECT o.feed_id AS "feedId", o.exchanger_id AS "exchangerId", NULLIF(o.city, '') AS city,
              o.amount_in::text AS "in", o.amount_out::text AS "out", o.rate::text AS rate, o.reserve::text AS reserve,
              o.from_min::text AS "fromMin", o.from_max::text AS "fromMax", o.to_min::text AS "toMin", o.to_max::text AS "toMax",
              o.from_fee AS "fromFee", o.to_fee AS "toFee", o.min_fee AS "minFee", o.flags,
              o.floating, o.delay_minutes AS "delayMinutes"
       FROM offers o WHERE o.from_code = $1 AND o.to_code = $2`,
      [from, to],
    );
    if (offers.length === 0) return [];
    const feeds = await this.dataSource.query<Array<{ id: number; slug: string; name: string; updatedAt: Date }>>(
      `SELECT f.id, e.slug, e.name, f.last_success_at AS "updatedAt"
       FROM feeds f JOIN exchangers e ON e.id = f.exchanger_id
       WHERE f.id = ANY($1::int[]) AND ${FRESH_FEED_SQL}`,
      [[...new Set(offers.map((o) => o.feedId))]],
    );
    const feedById = new Map(feeds.map((f) => [f.id, f]));
    const best = new Map<string, DirectionOffer>();
    for (const { feedId, ...offer } of offers) {
      const feed = feedById.get(feedId);
      if (!feed) continue;
      const key = `${offer.exchangerId}|${offer.city ?? ''}`;
      const current = best.get(key);
      if (!current || new Date(feed.updatedAt) > new Date(current.updatedAt))
        best.set(key, { ...offer, slug: feed.slug, name: feed.name, updatedAt: feed.updatedAt });
    }
    return [...best.values()];
  }

  /** Directions with shown offers, optionally from one currency, with their count and best rate. */
  async listDirections(from: string | null): Promise<DirectionSummary[]> {
    const rows = await this.dataSource.query<Array<DirectionSummary & { offers: string }>>(
      `SELECT s.from_code AS "from", s.to_code AS "to", count(*) AS offers, max(s.rate)::text AS "bestRate"
       FROM (${shownOffersSql('$1::text IS NULL OR o.from_code = $1')}) s
       GROUP BY s.from_code, s.to_code
       ORDER BY s.from_code, s.to_code`,
      [from],
    );
    return rows.map((r) => ({ ...r, offers: Number(r.offers) }));
  }
}
