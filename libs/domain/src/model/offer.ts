/** A fee component as feeds write it: `1 %`, `0.5 USD`, a bare number. Values are decimal strings. */
export interface Fee {
  kind: 'fixed' | 'percent';
  value: string;
  unit?: string;
}

/** Floating-rate terms: the rate may move by up to `percent` within `minutes` (either may be unknown). */
export interface FloatingTerms {
  percent: string | null;
  minutes: number | null;
}

/**
 * The terms of an offer that decide what a visitor gets: the rate, the reserve, the limits on each
 * side and the fees. Decimals are plain strings. The normalized offer, the stored offer and the
 * calculator's input all share this shape.
 */
export interface OfferTerms {
  rate: string;
  reserve: string | null;
  fromMin: string | null;
  fromMax: string | null;
  toMin: string | null;
  toMax: string | null;
  fromFee: Fee[];
  toFee: Fee[];
  minFee: Fee[];
}

/** One offer after normalization (DESIGN.md §3), as the feed reader yields it and the snapshot writer stores it. */
export interface NormalizedOffer extends OfferTerms {
  from: string;
  to: string;
  city: string | null;
  in: string;
  out: string;
  flags: string[];
  /** Present when the offer's rate floats (its flags then include `floating`). */
  floating: FloatingTerms | null;
  /** Minutes the exchange may take (`<delay>`), when the feed says. */
  delayMinutes: number | null;
}

/** What rate math needs to know of a currency: its code, ticker, ISO unit and kind. */
export interface CurrencyUnit {
  code: string;
  ticker: string;
  iso: string;
  kind: string;
}

/** A catalog currency as feeds are normalized against it: disabled ones are known, but refused. */
export interface CatalogEntry extends CurrencyUnit {
  enabled: boolean;
}

/** A currency alias: global when `exchangerId` is null, else that exchanger's own (DESIGN.md §3). */
export interface CurrencyAlias {
  alias: string;
  code: string;
  exchangerId: number | null;
}

/**
 * Which side of a direction a unit (`25 USDT`, `0.5 USD`) names: the code or ticker of either side
 * first, then the ISO unit — so `25 USDT` on PMUSD→USDTTRC20 is the `to` side while `20 USD` is the
 * `from` side. Null when it names neither.
 */
export function sideOfUnit(unit: string, from: CurrencyUnit, to: CurrencyUnit): 'from' | 'to' | null {
  if (unit === from.code || unit === from.ticker) return 'from';
  if (unit === to.code || unit === to.ticker) return 'to';
  if (unit === from.iso) return 'from';
  if (unit === to.iso) return 'to';
  return null;
}
