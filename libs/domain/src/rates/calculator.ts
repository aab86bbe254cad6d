import { Dec } from '../decimal';
import { CurrencyUnit, Fee, OfferTerms, sideOfUnit } from '../model/offer';

export type Calculation = { ok: true; give: Dec; get: Dec; warnings: string[] } | { ok: false; reason: string };

/**
 * Rounding (stated in the README): amounts of crypto currencies have 8 decimals, all others 2. What the
 * visitor gets is rounded down, what the visitor must give is rounded up — never in the visitor's favour
 * beyond what the exchanger promised.
 */
export function decimalsOf(currency: CurrencyUnit): number {
  return currency.kind === 'crypto' ? 8 : 2;
}

export interface SideFees {
  fixed: Dec;
  percent: Dec;
  minimum: Dec;
}

/**
 * Splits an offer's fees by the side they are charged on: percent fees on their field's side
 * (`fromFee` on what is given, `toFee` on what is received); fixed fees and `minFee` on the side their
 * unit names. A fee in a unit that names neither side is ignored, with a warning.
 */
export function feesBySide(
  offer: OfferTerms,
  from: CurrencyUnit,
  to: CurrencyUnit,
): { from: SideFees; to: SideFees; warnings: string[] } {
  const zero = (): SideFees => ({ fixed: new Dec(0), percent: new Dec(0), minimum: new Dec(0) });
  const sides = { from: zero(), to: zero() };
  const warnings: string[] = [];
  const fixedSide = (fee: Fee, fallback: 'from' | 'to'): 'from' | 'to' | null => {
    if (!fee.unit) return fallback;
    const side = sideOfUnit(fee.unit, from, to);
    if (side === null) warnings.push(`a fee in ${fee.unit} names neither ${from.code} nor ${to.code} and is ignored`);
    return side;
  };
  for (const [fees, fieldSide] of [
    [offer.fromFee, 'from'],
    [offer.toFee, 'to'],
  ] as const) {
    for (const fee of fees) {
      if (fee.kind === 'percent') sides[fieldSide].percent = sides[fieldSide].percent.plus(fee.value);
      else {
        const side = fixedSide(fee, fieldSide);
        if (side) sides[side].fixed = sides[side].fixed.plus(fee.value);
      }
    }
  }
  for (const fee of offer.minFee) {
    const side = fee.kind === 'percent' ? null : fixedSide(fee, 'from');
    if (side) sides[side].minimum = Dec.max(sides[side].minimum, fee.value);
  }
  return { from: sides.from, to: sides.to, warnings };
}

/** The fee on an amount: fixed + percent, but at least the minimum. */
function feeOn(amount: Dec, fees: SideFees): Dec {
  return Dec.max(fees.fixed.plus(amount.times(fees.percent).div(100)), fees.minimum);
}

/** The gross amount whose net after fees is `net` (inverse of `amount - feeOn(amount)`). */
function grossFor(net: Dec, fees: SideFees): Dec | null {
  const share = new Dec(1).minus(fees.percent.div(100));
  if (share.lte(0)) return null;
  const proportional = net.plus(fees.fixed).div(share);
  return feeOn(proportional, fees).gt(fees.fixed.plus(proportional.times(fees.percent).div(100)))
    ? net.plus(fees.minimum)
    : proportional;
}

/**
 * An offer's terms decoded into decimals once, for calculating many amounts (`calculatePrepared`): the
 * rate, the fees split by side, the limits and the reserve.
 */
export interface PreparedTerms {
  rate: Dec;
  fees: { from: SideFees; to: SideFees; warnings: string[] };
  fromMin: Dec | null;
  fromMax: Dec | null;
  toMin: Dec | null;
  toMax: Dec | null;
  reserve: Dec | null;
}

const decimalOrNull = (value: string | null) => (value === null ? null : new Dec(value));

export function prepareTerms(offer: OfferTerms, from: CurrencyUnit, to: CurrencyUnit): PreparedTerms {
  return {
    rate: new Dec(offer.rate),
    fees: feesBySide(offer, from, to),
    fromMin: decimalOrNull(offer.fromMin),
    fromMax: decimalOrNull(offer.fromMax),
    toMin: decimalOrNull(offer.toMin),
    toMax: decimalOrNull(offer.toMax),
    reserve: decimalOrNull(offer.reserve),
  };
}

/**
 * The calculator of `/v1/rates`: for `side=give` what the visitor gets for giving `amount`; for
 * `side=get` what the visitor must give to get `amount`. Fees included; an offer whose limits or
 * reserve cannot serve the amount is left out with the reason. Decimal arithmetic throughout.
 */
export function calculate(
  offer: OfferTerms,
  amount: Dec,
  side: 'give' | 'get',
  from: CurrencyUnit,
  to: CurrencyUnit,
): Calculation {
  return calculatePrepared(offer, prepareTerms(offer, from, to), amount, side, from, to);
}

/** `calculate` with the offer's terms already decoded (`prepareTerms` of the same offer and currencies). */
export function calculatePrepared(
  offer: OfferTerms,
  terms: PreparedTerms,
  amount: Dec,
  side: 'give' | 'get',
  from: CurrencyUnit,
  to: CurrencyUnit,
): Calculation {
  const { rate, fees } = terms;
  let give: Dec;
  let get: Dec;
  if (side === 'give') {
    give = amount;
    const net = give.minus(feeOn(give, fees.from));
    if (net.lte(0)) return { ok: false, reason: 'the fees exceed the amount' };
    const gross = net.times(rate);
    get = gross.minus(feeOn(gross, fees.to)).toDecimalPlaces(decimalsOf(to), Dec.ROUND_DOWN);
    if (get.lte(0)) return { ok: false, reason: 'the fees exceed the amount' };
  } else {
    get = amount;
    const gross = grossFor(get, fees.to);
    const net = gross === null ? null : gross.div(rate);
    const total = net === null ? null : grossFor(net, fees.from);
    if (total === null) return { ok: false, reason: 'the fees exceed the amount' };
    give = total.toDecimalPlaces(decimalsOf(from), Dec.ROUND_UP);
  }
  const limit = (bound: Dec | null, test: (bound: Dec) => boolean, reason: () => string) =>
    bound !== null && !test(bound) ? reason() : null;
  const refusal =
    limit(
      terms.fromMin,
      (min) => give.gte(min),
      () => `below the minimum of ${offer.fromMin} ${from.code}`,
    ) ??
    limit(
      terms.fromMax,
      (max) => give.lte(max),
      () => `above the maximum of ${offer.fromMax} ${from.code}`,
    ) ??
    limit(
      terms.toMin,
      (min) => get.gte(min),
      () => `below the minimum of ${offer.toMin} ${to.code}`,
    ) ??
    limit(
      terms.toMax,
      (max) => get.lte(max),
      () => `above the maximum of ${offer.toMax} ${to.code}`,
    ) ??
    limit(
      terms.reserve,
      (reserve) => get.lte(reserve),
      () => `more than the reserve of ${offer.reserve} ${to.code}`,
    );
  return refusal ? { ok: false, reason: refusal } : { ok: true, give, get, warnings: fees.warnings };
}
