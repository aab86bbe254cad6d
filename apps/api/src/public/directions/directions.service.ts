import { Injectable } from '@nestjs/common';
import { OffersRepository } from '@app/database';
import { CatalogSnapshots } from '@app/ingestion';
import { CachedAnswer, PublicCache } from '../public-cache.service';
import { decodeDirectionCursor, DirectionsPageDto, DirectionsQuery, encodeDirectionCursor } from './directions.dto';

/** Directions answered when `limit` is not given. */
export const DEFAULT_DIRECTIONS_LIMIT = 100;

/** The directions with fresh offers, a page at a time, cached like every public answer. */
@Injectable()
export class DirectionsService {
  constructor(
    private readonly offers: OffersRepository,
    private readonly catalogs: CatalogSnapshots,
    private readonly cache: PublicCache,
  ) {}

  /**
   * `{ items: [{ from, to, offers, bestRate }], nextCursor }`: the page of directions (optionally from or
   * to one currency) after the query's cursor, in (from, to) order. Pages are keyed, not counted: each
   * starts right after the last direction of the one before, so a walk sees no direction twice and skips
   * none that stays shown, even while snapshots change between pages.
   */
  async page(query: DirectionsQuery): Promise<CachedAnswer> {
    const catalog = await this.catalogs.current();
    if (query.from) catalog.require(query.from);
    if (query.to) catalog.require(query.to);
    const limit = query.limit ?? DEFAULT_DIRECTIONS_LIMIT;
    const after = query.cursor === undefined ? null : decodeDirectionCursor(query.cursor);
    const key = JSON.stringify([query.from ?? null, query.to ?? null, after, limit]);
    return this.cache.get('*', `directions:${key}`, async (): Promise<DirectionsPageDto> => {
      const rows = await this.offers.listDirections({ from: query.from, to: query.to, after, limit: limit + 1 });
      const items = rows.slice(0, limit);
      const last = items.at(-1);
      return { items, nextCursor: rows.length > limit && last ? encodeDirectionCursor(last) : null };
    });
  }
}
