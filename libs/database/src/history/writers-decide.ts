import { compareDecimalStrings as compare } from '@app/domain';

/** A writer's shown offer in a pair it wrote (WRITERS_OFFERS_SQL): rate as PostgreSQL's text. */
export interface WriterOffer {
  exchangerId: number;
  from: string;
  to: string;
  /** '' for none. */
  city: string;
  rate: string;
}

/** What history holds for a scope (a pair overall, city '', or in a city). */
export interface RecordedBest {
  id: number;
  from: string;
  to: string;
  city: string;
  rate: string | null;
  holder: number | null;
}

/** A scope whose recorded best the writers decide: its new rate and holder, and whether the rate moved. */
export interface DecidedBest {
  id: number;
  from: string;
  to: string;
  city: string;
  rate: string;
  holder: number;
  previous: string | null;
  moved: boolean;
}

/**
 * Decides pairs by their writers' own offers (DESIGN.md §12): since history last recorded them only the
 * writers' offers changed there (every other write left its own mark), so per scope — the pair overall and
 * each city —
 * - the holder is not among the writers: its rate stands; the best is the greater of it and the writers'
 *   best (a tie to the smaller exchanger id);
 * - the holder is a writer: the writers' best beats the recorded one, or the holder still shows the recorded
 *   rate — decided as above; it lowered or withdrew it — the pair needs its next best over every offer
 *   (`redo`), as does a pair with a scope history has no row for yet.
 * Answers the scopes to write (a new rate, or only a new holder) and the pairs to compute over every offer.
 * Rates are compared as exact decimals, as text (compareDecimalStrings: no decimal object per offer).
 */
export function decideByWriters(
  writers: ReadonlyMap<string, { has(writer: number): boolean }>,
  offers: readonly WriterOffer[],
  recorded: readonly RecordedBest[],
): { own: DecidedBest[]; redo: Array<[string, string]> } {
  const pairKey = (from: string, to: string) => `${from}\u001f${to}`;
  const scopeKey = (from: string, to: string, city: string) => `${from}\u001f${to}\u001f${city}`;
  // The writers' best per scope (and its exchanger), and each writer's own best per scope.
  const best = new Map<string, { rate: string; holder: number }>();
  const each = new Map<string, string>();
  for (const offer of offers) {
    for (const city of offer.city === '' ? [''] : ['', offer.city]) {
      const scope = scopeKey(offer.from, offer.to, city);
      const top = best.get(scope);
      const cmp = top ? compare(offer.rate, top.rate) : 1;
      if (cmp > 0 || (cmp === 0 && offer.exchangerId < top!.holder))
        best.set(scope, { rate: offer.rate, holder: offer.exchangerId });
      const mine = `${scope}\u001f${offer.exchangerId}`;
      const own = each.get(mine);
      if (own === undefined || compare(offer.rate, own) > 0) each.set(mine, offer.rate);
    }
  }
  const redo = new Map<string, [string, string]>();
  const own: DecidedBest[] = [];
  const seen = new Set<string>();
  for (const c of recorded) {
    const scope = scopeKey(c.from, c.to, c.city);
    seen.add(scope);
    const m = best.get(scope);
    const rate = c.rate;
    const wrote = c.holder !== null && (writers.get(pairKey(c.from, c.to))?.has(c.holder) ?? false);
    const holderNow = wrote ? (each.get(`${scope}\u001f${c.holder}`) ?? null) : null;
    const beats = m !== undefined && (rate === null || compare(m.rate, rate) > 0);
    if (wrote && rate !== null && (holderNow === null || compare(holderNow, rate) < 0) && !beats) {
      redo.set(pairKey(c.from, c.to), [c.from, c.to]);
      continue;
    }
    const newHolder =
      m !== undefined &&
      rate !== null &&
      compare(m.rate, rate) === 0 &&
      m.holder < c.holder! &&
      (!wrote || (holderNow !== null && compare(holderNow, rate) === 0));
    if (m && (beats || newHolder))
      own.push({
        id: c.id,
        from: c.from,
        to: c.to,
        city: c.city,
        rate: m.rate,
        holder: m.holder,
        previous: c.rate,
        moved: beats,
      });
  }
  // A scope the writers show that history has no row for: the pair over every offer.
  for (const offer of offers)
    for (const city of offer.city === '' ? [''] : ['', offer.city])
      if (!seen.has(scopeKey(offer.from, offer.to, city)))
        redo.set(pairKey(offer.from, offer.to), [offer.from, offer.to]);
  return { own: own.filter((o) => !redo.has(pairKey(o.from, o.to))), redo: [...redo.values()] };
}
