import { Dec } from '../decimal';

/** One offer at an amount: what the visitor gives to it and gets from it (the calculator's answer). */
export interface LegQuote<T> {
  offer: T;
  give: Dec;
  get: Dec;
}

/**
 * The best offers of a direction at an amount, best first, at most `limit` — what `/v1/rates?amount=`
 * answers (fees, limits, reserve and rounding applied; offers that cannot serve the amount left out).
 */
export type LegRanker<T> = (
  from: string,
  to: string,
  amount: Dec,
  side: 'give' | 'get',
  limit: number,
) => Promise<Array<LegQuote<T>>>;

/** A two-hop route: from → via at one exchanger, via → to at another (or the same). */
export interface Route<T> {
  via: string;
  /** What the visitor gives to the first leg. */
  give: Dec;
  /** What the visitor gets from the second leg. */
  get: Dec;
  legs: [LegQuote<T>, LegQuote<T>];
}

export interface RouteSearch {
  from: string;
  to: string;
  amount: Dec;
  side: 'give' | 'get';
  /** The intermediate currencies to try, in the order of preference (ties keep it). */
  via: readonly string[];
  /** Offers tried per leg: the best `width` first legs, and for each the best `width` second legs. */
  width: number;
  /** Routes answered at most. */
  limit: number;
}

/**
 * The best routes from → via → to for `amount`, best first (side=give: the most got; side=get: the least
 * given). The second leg receives exactly what the first yields:
 * - side=give: the first leg's best offers for giving `amount`, then for each, the second leg's best
 *   offers for giving exactly what it got (rounded as that exchanger pays it);
 * - side=get: backwards — the second leg's best offers for getting `amount`, then for each, the first
 *   leg's best offers for getting exactly what that one takes.
 * Each leg is the calculator's (fees, limits, reserve and rounding of both legs respected). Work is
 * bounded: per intermediate 1 + `width` rankings, all intermediates at once. A first leg that is not the
 * best may lead to the best route (the best one's amount may break the second leg's limits), which is
 * why `width` first legs are tried.
 */
export async function searchRoutes<T>(rank: LegRanker<T>, search: RouteSearch): Promise<Array<Route<T>>> {
  const { from, to, amount, side, width } = search;
  const perVia = await Promise.all(
    search.via.map(async (via): Promise<Array<Route<T>>> => {
      if (side === 'give') {
        const firsts = await rank(from, via, amount, 'give', width);
        const nested = await Promise.all(
          firsts.map(async (first) =>
            (await rank(via, to, first.get, 'give', width)).map((second): Route<T> => ({
              via,
              give: first.give,
              get: second.get,
              legs: [first, second],
            })),
          ),
        );
        return nested.flat();
      }
      const seconds = await rank(via, to, amount, 'get', width);
      const nested = await Promise.all(
        seconds.map(async (second) =>
          (await rank(from, via, second.give, 'get', width)).map((first): Route<T> => ({
            via,
            give: first.give,
            get: second.get,
            legs: [first, second],
          })),
        ),
      );
      return nested.flat();
    }),
  );
  // A stable sort: ties keep the order of `via`, then of each leg's own ranking.
  return perVia
    .flat()
    .sort((a, b) => (side === 'give' ? b.get.comparedTo(a.get) : a.give.comparedTo(b.give)))
    .slice(0, search.limit);
}

/** What the market holds of one direction, for choosing intermediates. */
export interface HopDirection {
  from: string;
  to: string;
  /** Its best shown rate. */
  best: Dec;
  exchangers: number;
}

/**
 * The intermediates worth trying for from → to, at most `max`: currencies C with shown offers both
 * from → C and C → to, ordered by the best the route could give per 1 from — best(from → C) × best(C → to),
 * an upper bound when fees are not negative (every fee and rounding only takes away) — then by the
 * thinner leg's exchangers, then by code. `allowed` filters C (disabled or cash currencies, say).
 */
export function routeIntermediates(
  from: string,
  to: string,
  outOfFrom: Iterable<HopDirection>,
  intoTo: Iterable<HopDirection>,
  max: number,
  allowed: (code: string) => boolean = () => true,
): Intermediate[] {
  const firsts = new Map<string, HopDirection>();
  for (const d of outOfFrom) if (d.from === from && d.to !== to) firsts.set(d.to, d);
  // The best `max` kept in order as they come (a few hundred candidates, five kept): no sort of them all.
  const kept: Intermediate[] = [];
  if (max <= 0) return kept;
  for (const d of intoTo) {
    if (d.to !== to || d.from === from) continue;
    const first = firsts.get(d.from);
    if (!first || !allowed(d.from)) continue;
    const candidate = {
      via: d.from,
      bound: first.best.times(d.best),
      exchangers: Math.min(first.exchangers, d.exchangers),
    };
    if (kept.length === max && rankIntermediates(candidate, kept[max - 1]!) >= 0) continue;
    let at = kept.length;
    while (at > 0 && rankIntermediates(candidate, kept[at - 1]!) < 0) at--;
    kept.splice(at, 0, candidate);
    if (kept.length > max) kept.pop();
  }
  return kept;
}

/** An intermediate worth trying, and what a route through it could give at most per 1 from. */
export interface Intermediate {
  via: string;
  bound: Dec;
  exchangers: number;
}

/** Negative when `a` is tried before `b`: the higher bound, then the more exchangers, then the code. */
function rankIntermediates(a: Intermediate, b: Intermediate): number {
  return b.bound.comparedTo(a.bound) || b.exchangers - a.exchangers || (a.via < b.via ? -1 : a.via > b.via ? 1 : 0);
}
