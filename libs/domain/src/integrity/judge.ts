import { Dec } from '../decimal';

/** Where a direction's reference rate comes from (DESIGN.md §10), most trusted first. */
export type ReferenceSource = 'market' | 'history' | 'pivot';

/**
 * A direction's (and city's) reference: a robust centre of what the market offers. `market`: the median
 * rate of the fresh, shown offers of at least three distinct exchangers; `history`: the last market
 * reference of a direction that has fewer now; `pivot`: a cross rate through a liquid currency.
 */
export interface RateReference {
  readonly rate: string;
  readonly source: ReferenceSource;
  /** Distinct exchangers behind it (for a pivot, the smaller of the two legs). */
  readonly exchangers: number;
  readonly via: string | null;
}

/** Why an offer is held back: better than the market by more than the band, or the market's inverse. */
export type QuarantineReason = 'too_good' | 'inverted';

export interface Quarantine {
  readonly reason: QuarantineReason;
  /** The reference it was judged against, and how far above it the offer is, in percent. */
  readonly reference: string;
  readonly referenceSource: ReferenceSource;
  readonly deviationPercent: string;
}

/**
 * Judges one offer's rate (what a visitor gets for 1 given) against its direction's reference. Only an
 * offer **better** for the visitor than the reference by more than `bandPercent` is held back: a worse
 * one hurts nobody but its exchanger. A held offer whose rate is close to 1/reference has its sides
 * swapped (the exchanger wrote `in` for `out`) and is named `inverted`.
 */
export function judgeRate(rate: string, reference: RateReference, bandPercent: string): Quarantine | null {
  const ratio = new Dec(rate).div(reference.rate);
  const band = new Dec(bandPercent).div(100);
  if (ratio.lte(band.plus(1))) return null;
  // Swapped sides: rate × reference ≈ 1 (within the band, widened: the inverse of a spread is not the spread).
  const product = new Dec(rate).times(reference.rate);
  const inverted = product.minus(1).abs().lte(band.times(2));
  return {
    reason: inverted ? 'inverted' : 'too_good',
    reference: reference.rate,
    referenceSource: reference.source,
    deviationPercent: ratio.minus(1).times(100).toDecimalPlaces(2, Dec.ROUND_DOWN).toFixed(2),
  };
}

/**
 * The band of a direction: the wider of its two sides' bands by currency kind (a crypto side moves more
 * between two polls than a bank transfer does), or `fallback` for a kind without one.
 */
export function bandOf(
  fromKind: string,
  toKind: string,
  bands: Readonly<Record<string, string>>,
  fallback: string,
): string {
  const [a, b] = [new Dec(bands[fromKind] ?? fallback), new Dec(bands[toKind] ?? fallback)];
  return Dec.max(a, b).toString();
}

/**
 * Default bands in percent per currency kind. Honest exchangers of one direction sit within a few
 * percent of each other (BestChange's top ten for BTC → SBERRUB or USDTTRC20 → CASHRUB span 1-4 %;
 * e-money and bank pairs 1-3 %), a crypto rate can move 1-3 % between two polls, and the errors worth
 * catching are typos (10×, 100×, 1000×), swapped sides and bait rates of 10 % and more.
 */
export const DEFAULT_INTEGRITY_BANDS: Readonly<Record<string, string>> = {
  crypto: '10',
  cash: '8',
  emoney: '6',
  online_banking: '6',
  bank: '6',
  transfer: '6',
};
export const DEFAULT_INTEGRITY_BAND = '10';
