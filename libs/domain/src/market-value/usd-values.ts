import { Dec } from '../decimal';

/** The ISO unit whose currencies are worth exactly one US dollar each (USDTTRC20, PMUSD, CARDUSD, CASHUSD…). */
export const USD_UNIT = 'USD';

/**
 * What the aggregated market says of one direction (all cities together): the median of its exchangers'
 * rates (one per exchanger — a cash exchanger's the lower median of its cities', so twelve cities are one
 * vote — of the shown offers, quarantined ones left out), its best rate, and how many distinct exchangers
 * offer it. Rates are `to` per 1 `from`, as everywhere.
 */
export interface DirectionStat {
  from: string;
  to: string;
  median: Dec;
  best: Dec;
  exchangers: number;
  /**
   * The distinct exchangers (ids) behind `median`: a currency's value gives each exchanger one vote however
   * many of its directions it lists (without ids, each direction weighs its `exchangers`).
   */
  exchangerIds?: readonly number[];
}

/** A currency as valuation needs it: its code and ISO unit. */
export interface ValuedCurrency {
  code: string;
  iso: string;
}

/**
 * One currency's value in US dollars and where it comes from: `unit` (its ISO unit is USD: exactly 1),
 * `direct` (the weighted median of its directions with USD-unit currencies), `hop` (no such direction:
 * the weighted median through currencies valued directly; `through` names the heaviest of them).
 */
export interface UsdValue {
  value: Dec;
  via: 'unit' | 'direct' | 'hop';
  /** Distinct exchangers behind the estimates (sum over the directions used). */
  exchangers: number;
  /** For `hop`: the intermediate currency with the most exchangers among those used. */
  through: string | null;
}

interface Estimate {
  value: Dec;
  weight: number;
  through: string;
}

/**
 * Weighs each estimate so that every exchanger has one vote in all: an exchanger behind k of the directions
 * used adds 1/k to each of them (one exchanger listing a currency against twelve USD units is one vote, not
 * twelve). A direction without exchanger ids weighs its exchanger count.
 */
function oneVoteEach(estimates: Array<Estimate & { ids?: readonly number[] }>): Estimate[] {
  const directions = new Map<number, number>();
  for (const e of estimates) for (const id of e.ids ?? []) directions.set(id, (directions.get(id) ?? 0) + 1);
  return estimates.map(({ ids, ...e }) =>
    ids === undefined ? e : { ...e, weight: ids.reduce((sum, id) => sum + 1 / directions.get(id)!, 0) },
  );
}

/** Distinct exchangers behind the estimates. */
function exchangersOf(stats: ReadonlyArray<DirectionStat>): number {
  if (stats.some((s) => s.exchangerIds === undefined)) return stats.reduce((n, s) => n + s.exchangers, 0);
  return new Set(stats.flatMap((s) => s.exchangerIds!)).size;
}

/**
 * The weighted median (the lower one): the estimates sorted by value, the first whose running weight
 * reaches half the total. One exchanger's typo on a thin direction weighs 1 against the exchangers of
 * every other direction, and a typo inside a direction is already outvoted by that direction's median.
 */
export function weightedMedian(values: ReadonlyArray<{ value: Dec; weight: number }>): Dec | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a.value.comparedTo(b.value));
  const total = sorted.reduce((sum, e) => sum + e.weight, 0);
  let running = 0;
  for (const e of sorted) {
    running += e.weight;
    if (running * 2 >= total) return e.value;
  }
  return sorted[sorted.length - 1]!.value;
}

/**
 * Every currency's value in US dollars from the market's direction medians — the market itself is the
 * price source (DESIGN.md §13):
 * - a currency whose ISO unit is USD is worth 1;
 * - another is valued `direct`ly from its directions with USD-unit currencies: X→U at median m says
 *   1 X = m USD, U→X says 1 X = 1/m USD; the estimates are combined by their median weighted by each
 *   direction's exchangers;
 * - one with no such direction is valued through one hop: X→C at m says 1 X = m × value(C), C→X says
 *   1 X = value(C) / m, for every C valued `unit` or `direct`, combined the same way;
 * - anything else has no value (absent from the answer).
 * Exact decimals throughout (40 significant digits for the quotients).
 */
export class UsdValuation {
  private readonly unitCodes = new Set<string>();
  private readonly known = new Set<string>();
  /** Every direction touching a currency, by currency. */
  private readonly byCurrency = new Map<string, Map<string, DirectionStat>>();
  private readonly values = new Map<string, UsdValue>();
  private readonly touched = new Set<string>();

  constructor(currencies: Iterable<ValuedCurrency>) {
    for (const c of currencies) {
      this.known.add(c.code);
      if (c.iso === USD_UNIT) {
        this.unitCodes.add(c.code);
        this.values.set(c.code, { value: new Dec(1), via: 'unit', exchangers: 0, through: null });
      }
    }
  }

  /** Puts (or, with null, removes) the stats of directions, then values again the currencies they touch. */
  update(changes: Iterable<{ from: string; to: string; stat: DirectionStat | null }>): void {
    for (const { from, to, stat } of changes) this.set(from, to, stat);
    const touched = this.takeTouched();
    for (const code of touched) this.revalue(code);
    if (touched.length > 0) this.revalueHops();
  }

  /**
   * Puts (or, with null, removes) one direction's stats without valuing anything yet: `takeTouched`,
   * `revalue` and `revalueHops` then do what `update` does, in steps a caller may spread over time.
   */
  set(from: string, to: string, stat: DirectionStat | null): void {
    const key = `${from}|${to}`;
    for (const code of [from, to]) {
      if (!this.known.has(code)) continue;
      let directions = this.byCurrency.get(code);
      if (!directions) this.byCurrency.set(code, (directions = new Map<string, DirectionStat>()));
      if (stat) directions.set(key, stat);
      else directions.delete(key);
      this.touched.add(code);
    }
  }

  /** The currencies whose directions changed since the last call. */
  takeTouched(): string[] {
    const touched = [...this.touched];
    this.touched.clear();
    return touched;
  }

  /** Values `code` again from its directions with USD-unit currencies (a USD unit stays 1). */
  revalue(code: string): void {
    if (!this.unitCodes.has(code)) this.valueDirectly(code);
  }

  /**
   * Values again every currency without a direct value, through one hop: they depend on their neighbours'
   * direct values, so any change may move them (they are the few thin ones).
   */
  revalueHops(): void {
    for (const code of this.known)
      if (!this.unitCodes.has(code) && this.values.get(code)?.via !== 'direct') this.valueThroughHop(code);
  }

  /** The value of `code` (undefined: the market does not value it). */
  get(code: string): UsdValue | undefined {
    return this.values.get(code);
  }

  /** Every valued currency. */
  all(): ReadonlyMap<string, UsdValue> {
    return this.values;
  }

  /** Every direction the stats hold from `code` (to the other currency) — for route search. */
  directionsOf(code: string): Iterable<DirectionStat> {
    return this.byCurrency.get(code)?.values() ?? [];
  }

  private valueDirectly(code: string): void {
    const raw: Array<Estimate & { ids?: readonly number[] }> = [];
    const used: DirectionStat[] = [];
    for (const stat of this.byCurrency.get(code)?.values() ?? []) {
      const other = stat.from === code ? stat.to : stat.from;
      if (!this.unitCodes.has(other) || stat.median.lte(0)) continue;
      const value = stat.from === code ? stat.median : new Dec(1).div(stat.median);
      raw.push({ value, weight: stat.exchangers, through: other, ids: stat.exchangerIds });
      used.push(stat);
    }
    const value = weightedMedian(oneVoteEach(raw));
    if (value === null) {
      if (this.values.get(code)?.via === 'direct') this.values.delete(code);
      return;
    }
    const exchangers = exchangersOf(used);
    this.values.set(code, { value, via: 'direct', exchangers, through: null });
  }

  private valueThroughHop(code: string): void {
    const raw: Array<Estimate & { ids?: readonly number[] }> = [];
    const used: DirectionStat[] = [];
    for (const stat of this.byCurrency.get(code)?.values() ?? []) {
      const other = stat.from === code ? stat.to : stat.from;
      const known = this.values.get(other);
      if (!known || known.via === 'hop' || stat.median.lte(0)) continue;
      const value = stat.from === code ? stat.median.times(known.value) : known.value.div(stat.median);
      raw.push({ value, weight: stat.exchangers, through: other, ids: stat.exchangerIds });
      used.push(stat);
    }
    const estimates = oneVoteEach(raw);
    const value = weightedMedian(estimates);
    if (value === null) {
      this.values.delete(code);
      return;
    }
    const heaviest = estimates.reduce((a, b) =>
      b.weight > a.weight || (b.weight === a.weight && b.through < a.through) ? b : a,
    );
    this.values.set(code, { value, via: 'hop', exchangers: exchangersOf(used), through: heaviest.through });
  }
}
