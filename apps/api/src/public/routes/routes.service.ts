import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { DirectionOffer } from '@app/database';
import {
  CurrencyUnit,
  Dec,
  LegQuote,
  LegRanker,
  rateOf,
  Route,
  routeIntermediates,
  searchRoutes,
  toPlain,
  UsdValuation,
} from '@app/domain';
import { CatalogSnapshot, CatalogSnapshots } from '@app/ingestion';
import { SnapshotChanges } from '@app/messaging';
import { CachedAnswer } from '../public-cache.service';
import { MarketValues } from '../rankrate/market-values.service';
import { DirectionBooks } from '../rates/direction-books.service';
import { DependentAnswers } from './route-answers';
import { RouteGate } from './route-gate';
import { canonicalRoutesQuery, DEFAULT_ROUTES, RouteDto, RouteLegDto, RoutesDto, RoutesQuery } from './routes.dto';

/**
 * Intermediate currencies tried per request at most (the most promising by the market's best rates). Each
 * adds two directions to read (their rows, when not kept) and 1 + LEG_WIDTH tables to rank on them: five
 * keep a request to 11 directions and 21 tables.
 */
export const MAX_INTERMEDIATES = 5;
/** Offers tried per leg: the best first legs, and for each the best second legs. */
export const LEG_WIDTH = 3;
/** Route searches at once per process, and how many may wait for their turn before 429 (RouteGate). */
export const ROUTE_SEARCH_CONCURRENCY = 2;
export const MAX_WAITING_ROUTE_SEARCHES = 100;
/** Directions whose intermediates are kept (with and without a city); beyond it the oldest go first. */
export const MAX_KEPT_INTERMEDIATES = 20_000;

/**
 * `GET /v1/routes`: the best single offers and the best two-hop routes of a direction at an amount.
 *
 * Intermediates are the currencies with shown offers both from → C and C → to in the aggregated market
 * (MarketValues, kept current from the snapshot changes), the MAX_INTERMEDIATES with the best
 * best(from → C) × best(C → to) — what a route through C could give at most — tried all at once. The
 * 1 + 2 × MAX_INTERMEDIATES directions are taken from DirectionBooks together — the kept rows and calculator
 * of /v1/rates, with one question for which of all their feeds are shown now (one query per search, not
 * one per direction) — and every leg is then ranked in memory: 1 + MAX_INTERMEDIATES × (1 + LEG_WIDTH)
 * rankings on those books, no query between them.
 *
 * A cash currency is an intermediate only when a city is asked for, and a leg touching a cash currency
 * is ranked in that city; other legs are not narrowed by it (an online exchange has no city).
 * Answers are kept per canonical query for PUBLIC_CACHE_SECONDS and dropped when any direction they
 * used changes; at most ROUTE_SEARCH_CONCURRENCY searches run at once (RouteGate), so a burst of them
 * cannot hold every connection of the pool.
 */
@Injectable()
export class RoutesService implements OnApplicationShutdown {
  private readonly answers: DependentAnswers;
  private readonly gate = new RouteGate(ROUTE_SEARCH_CONCURRENCY, MAX_WAITING_ROUTE_SEARCHES);
  /** Per direction (and whether a city is asked), its intermediates and what they were chosen from. */
  private readonly chosen = new Map<
    string,
    { valuation: UsdValuation; version: number; catalog: string; via: string[] }
  >();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly books: DirectionBooks,
    private readonly catalogs: CatalogSnapshots,
    private readonly market: MarketValues,
    changes: SnapshotChanges,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.answers = new DependentAnswers(config.public.cacheSeconds * 1000);
    this.unsubscribe = changes.subscribe((event) =>
      this.answers.changed('all' in event ? null : event.directions.map(([from, to]) => `${from}|${to}`)),
    );
  }

  onApplicationShutdown(): void {
    this.unsubscribe();
  }

  /** The answer to `query`, kept or made now. */
  cachedRoutes(query: RoutesQuery): Promise<CachedAnswer> {
    return this.answers.get(canonicalRoutesQuery(query), async () => {
      // The market's first read (seconds at 1,000,000 offers) is waited for outside the search slots.
      await this.market.valuation();
      const { answer, directions } = await this.gate.run(() => this.routes(query));
      return { value: answer, directions };
    });
  }

  /** The answer to `query` and the directions it rests on. */
  async routes(query: RoutesQuery): Promise<{ answer: RoutesDto; directions: string[] }> {
    const catalog = await this.catalogs.current();
    const [from, to] = [catalog.require(query.from), catalog.require(query.to)];
    const city = query.city === undefined ? null : catalog.requireCity(query.city);
    const amount = new Dec(query.amount);
    const side = query.side ?? 'give';
    const limit = query.limit ?? DEFAULT_ROUTES;
    const intermediates = await this.intermediates(catalog, from.code, to.code, city);

    // Every direction the search may rank, read at once: rows kept or read, one question of their shown feeds.
    const legs: Array<[string, string]> = [
      [from.code, to.code],
      ...intermediates.flatMap((via): Array<[string, string]> => [
        [from.code, via],
        [via, to.code],
      ]),
    ];
    const books = await this.books.books(
      legs.map(([a, b]) => [catalog.require(a), catalog.require(b)] as const),
      catalog.version,
    );
    const bookOf = new Map(legs.map(([a, b], i) => [`${a}|${b}`, books[i]!]));
    const rank: LegRanker<DirectionOffer> = async (legFrom, legTo, legAmount, legSide, legLimit) => {
      const [a, b] = [catalog.require(legFrom), catalog.require(legTo)];
      const book = bookOf.get(`${legFrom}|${legTo}`) ?? (await this.books.books([[a, b]], catalog.version))[0]!;
      const rows = await book.rank({
        city: a.kind === 'cash' || b.kind === 'cash' ? city : null,
        exclude: new Set(),
        amount: legAmount,
        side: legSide,
        limit: legLimit,
      });
      return rows.map((row) => ({ offer: row.offer, give: row.give!, get: row.get! }));
    };
    const [direct, routes] = await Promise.all([
      rank(from.code, to.code, amount, side, limit),
      searchRoutes(rank, { from: from.code, to: to.code, amount, side, via: intermediates, width: LEG_WIDTH, limit }),
    ]);
    // Any direction from `from` or into `to` may bring a better intermediate: `from|*` and `*|to` name them.
    const directions = [`${from.code}|*`, `*|${to.code}`, ...legs.map(([a, b]) => `${a}|${b}`)];
    return {
      answer: {
        from: from.code,
        to: to.code,
        city,
        amount: toPlain(amount),
        side,
        generatedAt: new Date().toISOString(),
        direct: direct.map((quote) => ({
          via: null,
          give: toPlain(quote.give),
          get: toPlain(quote.get),
          rate: toPlain(rateOf(quote.give, quote.get)),
          legs: [leg(quote, from, to)],
        })),
        routes: routes.map((route) => routeDto(route, catalog, from, to)),
        intermediates,
      },
      directions,
    };
  }

  /**
   * The intermediates of from → to (routeIntermediates over the market's direction stats), kept while the
   * market's valuation and the catalog stay as they were: choosing them weighs every currency with
   * offers on both legs (a few hundred exact products at BestChange scale), the largest cost of a search.
   */
  private async intermediates(
    catalog: CatalogSnapshot,
    from: string,
    to: string,
    city: string | null,
  ): Promise<string[]> {
    const valuation = await this.market.valuation();
    // A cash intermediate is usable in any city and in none without one: the city itself is not part of it.
    const key = `${from}|${to}|${city === null ? '' : 'city'}`;
    const kept = this.chosen.get(key);
    const version = this.market.version;
    if (kept && kept.valuation === valuation && kept.version === version && kept.catalog === catalog.version)
      return kept.via;
    const via = routeIntermediates(
      from,
      to,
      valuation.directionsOf(from),
      valuation.directionsOf(to),
      MAX_INTERMEDIATES,
      (code) => usableIntermediate(catalog, code, city),
    ).map((c) => c.via);
    this.chosen.delete(key);
    if (this.chosen.size >= MAX_KEPT_INTERMEDIATES) this.chosen.delete(this.chosen.keys().next().value!);
    this.chosen.set(key, { valuation, version, catalog: catalog.version, via });
    return via;
  }
}

/** An intermediate must be an enabled currency; a cash one only in a city (cash changes hands there). */
function usableIntermediate(catalog: CatalogSnapshot, code: string, city: string | null): boolean {
  if (!catalog.has(code)) return false;
  return city !== null || catalog.require(code).kind !== 'cash';
}

function routeDto(
  route: Route<DirectionOffer>,
  catalog: CatalogSnapshot,
  from: CurrencyUnit,
  to: CurrencyUnit,
): RouteDto {
  const via = catalog.require(route.via);
  return {
    via: route.via,
    give: toPlain(route.give),
    get: toPlain(route.get),
    rate: toPlain(rateOf(route.give, route.get)),
    legs: [leg(route.legs[0], from, via), leg(route.legs[1], via, to)],
  };
}

function leg(quote: LegQuote<DirectionOffer>, from: CurrencyUnit, to: CurrencyUnit): RouteLegDto {
  const o = quote.offer;
  const go = new URLSearchParams({ from: from.code, to: to.code, ...(o.city ? { city: o.city } : {}) });
  return {
    from: from.code,
    to: to.code,
    exchanger: {
      slug: o.slug,
      name: o.name,
      status: o.exchanger.status,
      listedSince: new Date(o.exchanger.listedSince).toISOString(),
      reviews: o.exchanger.reviews,
    },
    rate: o.rate,
    give: toPlain(quote.give),
    get: toPlain(quote.get),
    reserve: o.reserve,
    fromMin: o.fromMin,
    fromMax: o.fromMax,
    toMin: o.toMin,
    toMax: o.toMax,
    fromFee: o.fromFee,
    toFee: o.toFee,
    minFee: o.minFee,
    flags: o.flags,
    city: o.city,
    updatedAt: new Date(o.updatedAt).toISOString(),
    goUrl: `/go/${o.slug}?${go.toString()}`,
  };
}
