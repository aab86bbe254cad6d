import { Injectable } from '@nestjs/common';
import { DirectionOffer, HistoryRepository, HistoryResolution } from '@app/database';
import { Dec, InvalidFieldError, toPlain } from '@app/domain';
import { CatalogSnapshots } from '@app/ingestion';
import { timeWindow } from '../../common/validation';
import { CachedAnswer, PublicCache } from '../public-cache.service';
import { RankRates } from '../rankrate/rank-rates.service';
import { DirectionBooks } from './direction-books.service';
import { canonicalQuery, HISTORY_DEFAULT_MS } from './rates.dto';
import type { RateHistoryDto, RateHistoryQuery, RateItemDto, RatesQuery, RatesTableDto } from './rates.dto';

/** The best-rate table of a direction (API.md `GET /v1/rates`) and its best rate over time (the workers' history). */
@Injectable()
export class RatesService {
  constructor(
    private readonly books: DirectionBooks,
    private readonly catalogs: CatalogSnapshots,
    private readonly history: HistoryRepository,
    private readonly cache: PublicCache,
    private readonly rankRates: RankRates,
  ) {}

  /**
   * The table of `query`, from the answer cache (shared per direction, also named by the raw URL for
   * the fast path, rates-fast-path.ts) or made now.
   */
  cachedTable(query: RatesQuery, rawUrl: string): Promise<CachedAnswer> {
    // One entry per table, whatever its spelling (amount=1 or 1.0, exclude=MANUAL,manual): the same body.
    const canonical = canonicalQuery(query);
    const key = JSON.stringify([
      canonical.city ?? null,
      canonical.amount ?? null,
      canonical.side ?? 'give',
      canonical.exclude ?? '',
      canonical.limit ?? 100,
      canonical.sort ?? 'rate',
    ]);
    return this.cache.get(`${query.from}|${query.to}`, key, () => this.table(query), rawUrl);
  }

  /**
   * The history of `query` from the answer cache, in the direction's group: a change of the direction drops
   * it with its tables (the relative default range moves on by at most PUBLIC_CACHE_SECONDS meanwhile).
   */
  cachedHistory(query: RateHistoryQuery): Promise<CachedAnswer> {
    const { city, resolution, since, until, hours } = query;
    const key = JSON.stringify([
      'history',
      city ?? null,
      resolution ?? 'minute',
      since ?? null,
      until ?? null,
      hours ?? null,
    ]);
    return this.cache.get(`${query.from}|${query.to}`, key, () => this.historyOf(query));
  }

  async historyOf(query: RateHistoryQuery): Promise<RateHistoryDto> {
    const catalog = await this.catalogs.current();
    catalog.require(query.from);
    catalog.require(query.to);
    const city = query.city === undefined ? null : catalog.requireCity(query.city);
    const { resolution, since, until } = historyRange(query);
    const points = await this.history.series({ from: query.from, to: query.to, city, resolution, since, until });
    const range = { since: since.toISOString(), until: until.toISOString() };
    return { from: query.from, to: query.to, city, resolution, ...range, points };
  }

  async table(query: RatesQuery): Promise<RatesTableDto> {
    const catalog = await this.catalogs.current();
    const [from, to] = [catalog.require(query.from), catalog.require(query.to)];
    const side = query.side ?? 'give';
    const amount = query.amount === undefined ? null : new Dec(query.amount);
    const exclude = new Set(
      (query.exclude ?? '')
        .split(',')
        .map((f) => f.trim().toLowerCase())
        .filter(Boolean),
    );
    // A city is a code of the city catalog: `Moscow` is a 400 naming MSK, not an empty table.
    const city = query.city === undefined ? null : catalog.requireCity(query.city);
    const limit = query.limit ?? 100;
    const byRankrate = query.sort === 'rankrate';
    // By rankrate the whole shown table is ranked (its best by rate may not be its best at the reference amount).
    const rows = await this.books.rank(from, to, catalog.version, {
      city,
      exclude,
      amount,
      side,
      limit: byRankrate ? RANKRATE_SORT_ROWS : limit,
    });
    let items = rows.map((row) => item(row.offer, from.code, to.code, row.give, row.get));
    if (byRankrate) {
      const rankrates = await this.rankRates.rankrates(
        from.code,
        to.code,
        rows.map((row) => row.offer),
      );
      items = items
        .map((it, i) => ({ ...it, rankrate: rankrates[i] ?? null, order: i }))
        .sort((a, b) => compareRankrates(a.rankrate, b.rankrate) || a.order - b.order)
        .slice(0, limit)
        .map(({ order: _order, ...it }) => it);
    }
    return {
      from: from.code,
      to: to.code,
      city,
      amount: amount === null ? null : toPlain(amount),
      side,
      generatedAt: new Date().toISOString(),
      items,
    };
  }
}

/** Offers ranked for sort=rankrate before the limit applies (the most a table shows). */
const RANKRATE_SORT_ROWS = 500;

/** Higher rankrate first (exact decimals); an offer without one after every offer with one. */
function compareRankrates(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return new Dec(b).comparedTo(new Dec(a));
}

/**
 * The resolution and range a history query asks for: since defaults by resolution (HISTORY_DEFAULT_MS)
 * before until (default now); `hours` is the older clients' shorthand for resolution=minute&since=now − hours.
 */
function historyRange(query: RateHistoryQuery): { resolution: HistoryResolution; since: Date; until: Date } {
  if (query.hours === undefined) {
    const resolution = query.resolution ?? 'minute';
    return { resolution, ...timeWindow(query, HISTORY_DEFAULT_MS[resolution]) };
  }
  if (query.since !== undefined || (query.resolution ?? 'minute') !== 'minute')
    throw new InvalidFieldError(
      'hours is a shorthand for resolution=minute&since=now − hours: give hours, or resolution and since, not both',
    );
  return { resolution: 'minute', ...timeWindow(query, query.hours * 3_600_000) };
}

function item(o: DirectionOffer, from: string, to: string, give: Dec | null, get: Dec | null): RateItemDto {
  const go = new URLSearchParams({ from, to, ...(o.city ? { city: o.city } : {}) });
  return {
    exchanger: {
      slug: o.slug,
      name: o.name,
      status: o.exchanger.status,
      listedSince: new Date(o.exchanger.listedSince).toISOString(),
      reviews: o.exchanger.reviews,
    },
    in: o.in,
    out: o.out,
    rate: o.rate,
    reserve: o.reserve,
    fromMin: o.fromMin,
    fromMax: o.fromMax,
    toMin: o.toMin,
    toMax: o.toMax,
    fromFee: o.fromFee,
    toFee: o.toFee,
    minFee: o.minFee,
    flags: o.flags,
    floating: o.floating,
    delayMinutes: o.delayMinutes,
    city: o.city,
    give: give === null ? null : toPlain(give),
    get: get === null ? null : toPlain(get),
    updatedAt: new Date(o.updatedAt).toISOString(),
    goUrl: `/go/${o.slug}?${go.toString()}`,
  };
}
