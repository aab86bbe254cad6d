import type { CurrencyKind } from '@app/domain';

/**
 * `bm_cy.dat`'s kind codes of BestChange 2.03 (read from its 2025 files): 0 crypto, 1 e-money, 2 bank card
 * or account, 3 internet banking, 4 money transfer, 5 cash. Also the API's `group`.
 */
export const KIND_CODES: Readonly<Record<CurrencyKind, number>> = {
  crypto: 0,
  emoney: 1,
  bank: 2,
  online_banking: 3,
  transfer: 4,
  cash: 5,
};

/** ISO 4217 numeric codes of the fiat units the catalog uses (`bm_bcodes.dat` ids, as BestChange's). */
export const ISO_NUMERIC: Readonly<Record<string, number>> = {
  AED: 784,
  AMD: 51,
  ARS: 32,
  AUD: 36,
  AZN: 944,
  BGN: 975,
  BRL: 986,
  BYN: 933,
  CAD: 124,
  CHF: 756,
  CNY: 156,
  COP: 170,
  CZK: 203,
  EGP: 818,
  EUR: 978,
  GBP: 826,
  GEL: 981,
  HKD: 344,
  HUF: 348,
  IDR: 360,
  ILS: 376,
  INR: 356,
  JPY: 392,
  KGS: 417,
  KRW: 410,
  KZT: 398,
  MDL: 498,
  MXN: 484,
  MYR: 458,
  NGN: 566,
  NOK: 578,
  NZD: 554,
  PHP: 608,
  PKR: 586,
  PLN: 985,
  RON: 946,
  RUB: 643,
  SEK: 752,
  SGD: 702,
  THB: 764,
  TJS: 972,
  TRY: 949,
  UAH: 980,
  USD: 840,
  UZS: 860,
  VND: 704,
  XAU: 959,
};

/** The few coins whose BestChange money-code ids are public (1050 BTC, 1045 ETH, 1022 LUNA); others get ours. */
export const COIN_CODES: Readonly<Record<string, number>> = { BTC: 1050, ETH: 1045, LUNA: 1022 };

/** `bm_bcodes.dat`'s id of USD: `bm_brates.dat` values every unit against it. */
export const USD_BCODE = 840;
