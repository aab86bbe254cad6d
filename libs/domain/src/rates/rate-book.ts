import { Dec } from '../decimal';
import { CurrencyUnit, Fee, OfferTerms } from '../model/offer';
import { calculate, calculatePrepared, PreparedTerms, prepareTerms } from './calculator';
import { compareOffers } from './ranking';
import { TimeSlicer } from './time-slicer';

/** What a direction's table needs of an offer besides its terms. */
export interface BookOffer extends OfferTerms {
  city: string | null;
  flags: string[];
  updatedAt: Date;
}

/** One row of a ranked table: the offer and, with an amount, what the visitor gives and gets. */
export interface RankedOffer<T> {
  offer: T;
  give: Dec | null;
  get: Dec | null;
}

export interface BookQuery {
  /** Only this city's offers (null: all). */
  city: string | null;
  /** Leave out offers with any of these flags. */
  exclude: ReadonlySet<string>;
  /** The calculator's amount (null: ranked by rate). */
  amount: Dec | null;
  side: 'give' | 'get';
  limit: number;
}

/**
 * A direction's shown offers, prepared once for many tables: sorted once in the order of the table
 * without amount (rate, then reserve, then freshness), with each offer's terms decoded into decimals on
 * first use. `rank` gives exactly the rows that sorting every calculated offer with `compareOffers` (a
 * stable sort of `offers` as given) and keeping the first `limit` would — without calculating most of
 * them:
 *
 * With an amount, the offers are walked in rate order while the best `limit` found so far are kept. An
 * offer whose fees are all non-negative can get at most `round(amount × rate)` (side=give) and must
 * give at least `round(amount ÷ rate)` (side=get), both rounded to the calculator's 40 digits: every
 * step of the calculator only takes fees away, and correctly rounded decimal operations are monotonic.
 * Along the rate order these bounds only get worse, so once one is strictly worse than the last of the
 * best `limit`, no later offer can enter the table (equal bounds are still calculated: ties are broken
 * by reserve and freshness). Offers with a negative fee (or an unusual term) are always calculated.
 * Limits on the amount's own side are checked before any fee math, exactly as the calculator does.
 *
 * Long walks pause every few milliseconds (TimeSlicer), so one table never blocks the event loop long.
 */
export class RateBook<T extends BookOffer> {
  /** Offer indices in the order of the table without amount. */
  private order: Int32Array = new Int32Array(0);
  /** 1 for offers whose calculation cannot beat the rate bound: rate > 0 and every fee a plain non-negative decimal. */
  private readonly bounded: Uint8Array;
  /** The other offers (negative or unusual fees), in rate order: always calculated. */
  private unbounded: number[] = [];
  private readonly terms: Array<PreparedTerms | null>;
  /** Offers for which `prepareTerms` threw: calculated the slow way (which throws the same error). */
  private readonly unprepared = new Set<number>();
  /** How many offers `rank` has calculated so far (a measure of the walk, for tests and benches). */
  calculations = 0;

  private constructor(
    readonly offers: readonly T[],
    readonly from: CurrencyUnit,
    readonly to: CurrencyUnit,
  ) {
    this.bounded = new Uint8Array(offers.length);
    this.terms = new Array<PreparedTerms | null>(offers.length).fill(null);
  }

  /** Sorts `offers` into the rate order, pausing as `slicer` says. */
  static async build<T extends BookOffer>(
    offers: readonly T[],
    from: CurrencyUnit,
    to: CurrencyUnit,
    slicer: TimeSlicer = new TimeSlicer(),
  ): Promise<RateBook<T>> {
    const book = new RateBook(offers, from, to);
    const rateKeys = new Array<string>(offers.length);
    const reserveKeys = new Array<string | null>(offers.length);
    const times = new Float64Array(offers.length);
    for (let i = 0; i < offers.length; i++) {
      const offer = offers[i]!;
      rateKeys[i] = decimalSortKey(offer.rate);
      reserveKeys[i] = offer.reserve === null ? null : decimalSortKey(offer.reserve);
      times[i] = offer.updatedAt.getTime();
      book.bounded[i] =
        rateKeys[i] !== '' && offer.fromFee.every(plainNonNegative) && offer.toFee.every(plainNonNegative) ? 1 : 0;
      if (slicer.due()) await slicer.pause();
    }
    // compareOffers(side, false), then the position in `offers` (a stable sort).
    book.order = await mergeSortIndices(
      offers.length,
      (a, b) => {
        const ra = rateKeys[a]!;
        const rb = rateKeys[b]!;
        if (ra !== rb) return ra < rb ? 1 : -1;
        const va = reserveKeys[a]!;
        const vb = reserveKeys[b]!;
        if (va !== vb) {
          if (va === null) return 1;
          if (vb === null) return -1;
          return va < vb ? 1 : -1;
        }
        return times[b]! - times[a]! || a - b;
      },
      slicer,
    );
    book.unbounded = Array.from(book.order).filter((index) => !book.bounded[index]);
    return book;
  }

  get size(): number {
    return this.offers.length;
  }

  /** The table of `query`: the first `limit` rows in the order of `compareOffers(query.side, amount !== null)`. */
  async rank(query: BookQuery, slicer: TimeSlicer = new TimeSlicer()): Promise<Array<RankedOffer<T>>> {
    const shown = (offer: T) =>
      (query.city === null || offer.city === query.city) &&
      (query.exclude.size === 0 || !offer.flags.some((flag) => query.exclude.has(flag)));
    if (query.amount === null) {
      const rows: Array<RankedOffer<T>> = [];
      for (let n = 0; n < this.order.length && rows.length < query.limit; n++) {
        const offer = this.offers[this.order[n]!]!;
        if (shown(offer)) rows.push({ offer, give: null, get: null });
        if (slicer.due()) await slicer.pause();
      }
      return rows;
    }
    const { amount, side } = query;
    const byAmount = compareOffers(side, true);
    const best = new BestRows<Entry<T>>(query.limit, (a, b) => byAmount(a, b) || a.index - b.index);
    // Bounds use the amount as the calculator's first operation sees it: rounded to 40 digits.
    const rounded = amount.plus(0);
    const consider = (index: number, terms: PreparedTerms | null) => {
      const offer = this.offers[index]!;
      this.calculations++;
      const result =
        terms === null
          ? calculate(offer, amount, side, this.from, this.to)
          : calculatePrepared(offer, terms, amount, side, this.from, this.to);
      if (result.ok)
        best.add({
          index,
          offer,
          rate: offer.rate,
          reserve: offer.reserve,
          updatedAt: offer.updatedAt,
          give: result.give,
          get: result.get,
        });
    };
    const visit = (index: number) => {
      const terms = this.prepared(index);
      if (terms === null) consider(index, null);
      else if (!refusedOnItsOwnSide(terms, amount, side)) consider(index, terms);
    };
    for (const index of this.unbounded) {
      if (shown(this.offers[index]!)) visit(index);
      if (slicer.due()) await slicer.pause();
    }
    for (let n = 0; n < this.order.length; n++) {
      const index = this.order[n]!;
      if (!this.bounded[index] || !shown(this.offers[index]!)) continue;
      if (best.full) {
        const worst = best.worst;
        const rate = this.prepared(index)?.rate;
        // Every later offer has a rate no better, so a bound no better: none can enter the table.
        if (
          rate !== undefined &&
          (side === 'give' ? rounded.times(rate).lt(worst.get!) : rounded.div(rate).gt(worst.give!))
        )
          break;
      }
      visit(index);
      if (slicer.due()) await slicer.pause();
    }
    return best.sorted().map(({ offer, give, get }) => ({ offer, give, get }));
  }

  private prepared(index: number): PreparedTerms | null {
    const known = this.terms[index];
    if (known) return known;
    if (this.unprepared.has(index)) return null;
    let terms: PreparedTerms;
    try {
      terms = prepareTerms(this.offers[index]!, this.from, this.to);
    } catch {
      this.unprepared.add(index);
      return null;
    }
    this.terms[index] = terms;
    return terms;
  }
}

const plainNonNegative = (fee: Fee) => PLAIN_NON_NEGATIVE.test(fee.value) && /\d/.test(fee.value);

interface Entry<T> extends RankedOffer<T> {
  index: number;
  rate: string;
  reserve: string | null;
  updatedAt: Date;
}

/** The calculator's limits on the side the amount is given for, checked before any fee math (same comparisons). */
function refusedOnItsOwnSide(terms: PreparedTerms, amount: Dec, side: 'give' | 'get'): boolean {
  if (side === 'give')
    return (
      (terms.fromMin !== null && !amount.gte(terms.fromMin)) || (terms.fromMax !== null && !amount.lte(terms.fromMax))
    );
  return (
    (terms.toMin !== null && !amount.gte(terms.toMin)) ||
    (terms.toMax !== null && !amount.lte(terms.toMax)) ||
    (terms.reserve !== null && !amount.lte(terms.reserve))
  );
}

/** The best `limit` items under a total order (a binary heap with the worst of them on top). */
class BestRows<E> {
  private readonly heap: E[] = [];

  constructor(
    private readonly limit: number,
    private readonly compare: (a: E, b: E) => number,
  ) {}

  get full(): boolean {
    return this.heap.length >= this.limit;
  }

  /** The last of the best (only when full). */
  get worst(): E {
    return this.heap[0]!;
  }

  add(item: E): void {
    const heap = this.heap;
    if (this.limit <= 0) return;
    if (heap.length < this.limit) {
      heap.push(item);
      let i = heap.length - 1;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (this.compare(heap[i]!, heap[parent]!) <= 0) break;
        [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
        i = parent;
      }
      return;
    }
    if (this.compare(item, heap[0]!) >= 0) return;
    heap[0] = item;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let worst = i;
      if (left < heap.length && this.compare(heap[left]!, heap[worst]!) > 0) worst = left;
      if (right < heap.length && this.compare(heap[right]!, heap[worst]!) > 0) worst = right;
      if (worst === i) break;
      [heap[i], heap[worst]] = [heap[worst]!, heap[i]!];
      i = worst;
    }
  }

  sorted(): E[] {
    return [...this.heap].sort(this.compare);
  }
}

const PLAIN_NON_NEGATIVE = /^(\d*)(?:\.(\d*))?$/;
/** Offset and width keep every exponent below ±4e15 positive, the same length and exact in a double. */
const EXPONENT_OFFSET = 4e15;
const EXPONENT_WIDTH = 16;

/**
 * A string that sorts (by `<`) as the non-negative decimal `value` does: the power of ten of its leading
 * digit, fixed width, then its significant digits. Equal keys for equal values (`1.50` and `1.5`).
 */
export function decimalSortKey(value: string): string {
  let match = PLAIN_NON_NEGATIVE.exec(value);
  if (!match || value === '' || value === '.') {
    const parsed = new Dec(value);
    if (!parsed.isFinite() || parsed.isNeg()) throw new RangeError(`no sort key for ${value}`);
    match = PLAIN_NON_NEGATIVE.exec(parsed.toFixed())!;
  }
  const integer = match[1]!.replace(/^0+/, '');
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  if (integer !== '') return exponentKey(integer.length - 1) + (integer + fraction).replace(/0+$/, '');
  const zeros = /^0*/.exec(fraction)![0].length;
  // Zero sorts before every positive value.
  if (zeros === fraction.length) return '';
  return exponentKey(-zeros - 1) + fraction.slice(zeros);
}

function exponentKey(exponent: number): string {
  if (Math.abs(exponent) >= EXPONENT_OFFSET) throw new RangeError(`no sort key for an exponent of ${exponent}`);
  return String(EXPONENT_OFFSET + exponent).padStart(EXPONENT_WIDTH, '0');
}

/** The indices 0…n-1 sorted by `compare` (a total order), merge sort in passes that pause as `slicer` says. */
async function mergeSortIndices(
  n: number,
  compare: (a: number, b: number) => number,
  slicer: TimeSlicer,
): Promise<Int32Array> {
  let source = new Int32Array(n);
  for (let i = 0; i < n; i++) source[i] = i;
  let target = new Int32Array(n);
  for (let width = 1; width < n; width *= 2) {
    for (let low = 0; low < n; low += 2 * width) {
      const middle = Math.min(low + width, n);
      const high = Math.min(low + 2 * width, n);
      let i = low;
      let j = middle;
      for (let k = low; k < high; k++) {
        target[k] = j >= high || (i < middle && compare(source[i]!, source[j]!) <= 0) ? source[i++]! : source[j++]!;
        if (slicer.due()) await slicer.pause();
      }
    }
    [source, target] = [target, source];
  }
  return source;
}
