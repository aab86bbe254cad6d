/** ISO 4217 units of the fiat currencies in the catalog. */
const FIAT_UNITS: ReadonlySet<string> = new Set(
  (
    'AED AMD ARS AUD AZN BGN BRL BYN CAD CHF CNY COP CZK EGP EUR GBP GEL HKD HUF IDR ILS INR JPY KGS KRW KZT ' +
    'MDL MXN MYR NGN NOK NZD PHP PKR PLN RON RUB SEK SGD THB TJS TRY UAH USD UZS VND'
  ).split(' '),
);

/** Fiat units without minor units in ISO 4217 (shown with 0 decimals); every other fiat unit has 2. */
const ZERO_DECIMAL_UNITS: ReadonlySet<string> = new Set(['JPY', 'KRW', 'VND']);

/** Coins an e-money balance may be held in (an exchange's USDT balance is counted in USDT, not USD). */
const COIN_BALANCE_TICKERS: ReadonlySet<string> = new Set(['USDT', 'USDC']);

/** Decimals shown for a coin pegged to a fiat unit or to gold (USDT, DAI, EURT, XAUT). */
export const STABLECOIN_PRECISION = 6;
/** Decimals shown for every other coin (BTC, ETH, TON…): a satoshi is 1e-8. */
export const COIN_PRECISION = 8;

export interface DisplayedCurrency {
  kind: string;
  ticker: string;
  iso: string;
}

/**
 * What an amount of the currency is shown in: the ticker for crypto (`USDT` for USDTTRC20, `BTCB` for
 * BTCBEP20), the ISO unit for every fiat kind (`RUB` for SBERRUB, `USD` for CASHUSD and WMZ), except an
 * e-money balance held in a coin (`USDT` for Exmo USDT).
 */
export function displayUnitOf(c: DisplayedCurrency): string {
  if (c.kind === 'crypto') return c.ticker;
  if (COIN_BALANCE_TICKERS.has(c.ticker)) return c.ticker;
  return c.iso;
}

/**
 * Decimal places to show: a fiat unit's ISO 4217 minor units (2; 0 for JPY, KRW, VND), 6 for a coin
 * pegged to fiat or gold (its ISO unit is fiat or XAU), 8 for any other coin.
 */
export function displayPrecisionOf(c: DisplayedCurrency): number {
  const unit = displayUnitOf(c);
  if (FIAT_UNITS.has(unit)) return ZERO_DECIMAL_UNITS.has(unit) ? 0 : 2;
  if (FIAT_UNITS.has(c.iso) || c.iso === 'XAU') return STABLECOIN_PRECISION;
  return COIN_PRECISION;
}
