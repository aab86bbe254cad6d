import { Dec, rateOf } from '../decimal';
import { CurrencyUnit, OfferTerms } from '../model/offer';
import { calculatePrepared, decimalsOf, PreparedTerms, prepareTerms } from '../rates/calculator';

/**
 * The rate a visitor gets at the reference amount (BestChange's `rankrate`): what the offer yields for
 * the reference amount of `from`, fees, limits and rounding included, as get ÷ give.
 * `at` says which amount it was computed at: `reference`, or — when the offer's limits or reserve exclude
 * the reference amount — the nearest amount they admit: its `minimum` (fromMin, or the give for toMin) or
 * its `maximum` (fromMax, or the give for the lesser of toMax and the reserve).
 */
export interface Rankrate {
  rate: Dec;
  give: Dec;
  get: Dec;
  at: 'reference' | 'minimum' | 'maximum';
}

/**
 * The amount of a currency worth `referenceUsd` US dollars at `usdValue` dollars per unit, to the
 * currency's decimals (the calculator's: 8 for crypto, 2 for the rest), rounded half-up and at least one
 * smallest unit.
 */
export function referenceAmount(referenceUsd: Dec, usdValue: Dec, from: CurrencyUnit): Dec {
  if (usdValue.lte(0)) throw new RangeError('a USD value must be positive');
  const decimals = decimalsOf(from);
  const amount = referenceUsd.div(usdValue).toDecimalPlaces(decimals, Dec.ROUND_HALF_UP);
  const smallest = new Dec(1).div(new Dec(10).pow(decimals));
  return Dec.max(amount, smallest);
}

const NO_LIMITS = { fromMin: null, fromMax: null, toMin: null, toMax: null, reserve: null } as const;

/**
 * rankrate of one offer at `amount` of `from` (`referenceAmount`), through the `/v1/rates` calculator.
 *
 * An offer whose limits exclude the amount is rated at the nearest amount it admits (decided so: rankrate
 * compares offers at a typical size, it does not filter them; an exchanger asking for at least $1,000 is
 * still an exchanger a $300 visitor may weigh, and `fromMin`/`fromMax` travel beside rankrate for
 * clients that filter). In order: the give amount is clamped into [fromMin, fromMax]; if what it yields is
 * below toMin, the offer is rated at getting exactly toMin; if above the lesser of toMax and the reserve,
 * at getting exactly that. Null when no amount is admitted (limits that contradict each other, a reserve
 * below the minimum, fees that eat the amount) — such an offer has no rankrate and sorts last.
 */
export function rankrateOf(
  offer: OfferTerms,
  amount: Dec,
  from: CurrencyUnit,
  to: CurrencyUnit,
  terms: PreparedTerms = prepareTerms(offer, from, to),
): Rankrate | null {
  let give = amount;
  let at: Rankrate['at'] = 'reference';
  if (terms.fromMin !== null && give.lt(terms.fromMin)) [give, at] = [terms.fromMin, 'minimum'];
  if (terms.fromMax !== null && give.gt(terms.fromMax)) [give, at] = [terms.fromMax, 'maximum'];
  const free = calculatePrepared(offer, { ...terms, ...NO_LIMITS }, give, 'give', from, to);
  if (!free.ok) return null;
  const cap =
    terms.toMax === null ? terms.reserve : terms.reserve === null ? terms.toMax : Dec.min(terms.toMax, terms.reserve);
  let result;
  if (terms.toMin !== null && free.get.lt(terms.toMin)) {
    result = calculatePrepared(offer, terms, terms.toMin, 'get', from, to);
    at = 'minimum';
  } else if (cap !== null && free.get.gt(cap)) {
    if (cap.lte(0)) return null;
    // What the visitor can get at most, to the `to` currency's decimals (a reserve of 12.345 pays 12.34).
    result = calculatePrepared(offer, terms, cap.toDecimalPlaces(decimalsOf(to), Dec.ROUND_DOWN), 'get', from, to);
    at = 'maximum';
  } else {
    result = calculatePrepared(offer, terms, give, 'give', from, to);
  }
  if (!result.ok || result.get.lte(0) || result.give.lte(0)) return null;
  return { rate: rateOf(result.give, result.get), give: result.give, get: result.get, at };
}
