import { compareDecimalStrings as compare } from '@app/domain';
import { PairMap } from '../pair-map';

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
  writersOf: (from: string, to: string) => { has(writer: number): boolean } | undefined,
  offers: readonly WriterOffer[],
  recorded: readonly RecordedBest[],
): { own: DecidedBest[]; redo: Array<[string, string]> } {
  // The writers' best per scope (and its exchanger), and each writer's own best there: per pair, by from and
  // then to, and per city — no key string built per offer (a drain decides hundreds of thousands of them).
  const pairs = new PairMap<WritersPair>();
  const redo: WritersPair[] = [];
  const markRedo = (pair: WritersPair) => {
    if (pair.redo) return;
    pair.redo = true;
    redo.push(pair);
  };
  const pairOf = (from: string, to: string) => {
    let pair = pairs.get(from, to);
    if (pair === undefined) pairs.set(from, to, (pair = new WritersPair(from, to)));
    return pair;
  };
  for (const offer of offers) {
    const pair = pairOf(offer.from, offer.to);
    pair.add('', offer);
    if (offer.city !== '') pair.add(offer.city, offer);
  }
  const own: Array<{ pair: WritersPair; decided: DecidedBest }> = [];
  for (const c of recorded) {
    const pair = pairs.get(c.from, c.to);
    const m = pair?.scopes.get(c.city);
    if (m !== undefined) m.seen = true;
    const rate = c.rate;
    const wrote = c.holder !== null && (writersOf(c.from, c.to)?.has(c.holder) ?? false);
    const holderNow = wrote ? (m?.rateOf(c.holder!) ?? null) : null;
    const beats = m !== undefined && (rate === null || compare(m.rate, rate) > 0);
    if (wrote && rate !== null && (holderNow === null || compare(holderNow, rate) < 0) && !beats) {
      // A writer holds a scope it shows no longer (maybe nowhere in the pair), or lower.
      markRedo(pair ?? pairOf(c.from, c.to));
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
        pair: pair!,
        decided: {
          id: c.id,
          from: c.from,
          to: c.to,
          city: c.city,
          rate: m.rate,
          holder: m.holder,
          previous: c.rate,
          moved: beats,
        },
      });
  }
  // A scope the writers show that history has no row for: the pair over every offer.
  for (const pair of pairs.values()) for (const scope of pair.scopes.values()) if (!scope.seen) markRedo(pair);
  return {
    own: own.filter((o) => !o.pair.redo).map((o) => o.decided),
    redo: redo.map((pair) => [pair.from, pair.to]),
  };
}

/** A scope's writers: their best rate and its exchanger, each writer's own best, and whether history has it. */
class WritersScope {
  seen = false;
  /** Each writer's own best here, as exchanger and rate one after the other (a scope has a writer or a few). */
  private readonly mine: Array<number | string>;

  constructor(
    public rate: string,
    public holder: number,
  ) {
    this.mine = [holder, rate];
  }

  add(exchangerId: number, rate: string): void {
    const cmp = compare(rate, this.rate);
    if (cmp > 0 || (cmp === 0 && exchangerId < this.holder)) {
      this.rate = rate;
      this.holder = exchangerId;
    }
    for (let i = 0; i < this.mine.length; i += 2) {
      if (this.mine[i] !== exchangerId) continue;
      if (compare(rate, this.mine[i + 1] as string) > 0) this.mine[i + 1] = rate;
      return;
    }
    this.mine.push(exchangerId, rate);
  }

  /** A writer's own best rate here, or null when it shows none. */
  rateOf(exchangerId: number): string | null {
    for (let i = 0; i < this.mine.length; i += 2) if (this.mine[i] === exchangerId) return this.mine[i + 1] as string;
    return null;
  }
}

/** A pair the writers show: its scopes (the pair overall, '', and each city) and whether it needs every offer. */
class WritersPair {
  readonly scopes = new Map<string, WritersScope>();
  redo = false;

  constructor(
    readonly from: string,
    readonly to: string,
  ) {}

  add(city: string, offer: WriterOffer): void {
    const scope = this.scopes.get(city);
    if (scope === undefined) this.scopes.set(city, new WritersScope(offer.rate, offer.exchangerId));
    else scope.add(offer.exchangerId, offer.rate);
  }
}
