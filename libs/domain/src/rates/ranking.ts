import { Dec } from '../decimal';

export interface RankedEntry {
  rate: string;
  reserve: string | null;
  updatedAt: Date;
  give: Dec | null;
  get: Dec | null;
}

/**
 * The order of the best-rate table (API.md): with an amount, by what the visitor gets (descending) or
 * must give (ascending, `side=get`); without, by rate descending. Ties: the larger reserve (unknown
 * last), then the fresher. Exact decimal comparisons, never floats.
 */
export function compareOffers(side: 'give' | 'get', withAmount: boolean) {
  return (a: RankedEntry, b: RankedEntry): number => {
    let order = 0;
    if (withAmount && a.get && b.get && a.give && b.give)
      order = side === 'give' ? b.get.comparedTo(a.get) : a.give.comparedTo(b.give);
    else order = new Dec(b.rate).comparedTo(a.rate);
    if (order !== 0) return order;
    if (a.reserve !== b.reserve) {
      if (a.reserve === null) return 1;
      if (b.reserve === null) return -1;
      order = new Dec(b.reserve).comparedTo(a.reserve);
      if (order !== 0) return order;
    }
    return b.updatedAt.getTime() - a.updatedAt.getTime();
  };
}
