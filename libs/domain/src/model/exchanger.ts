/** An exchanger's status (DESIGN.md §1): only `active` ones are polled and shown. */
export const EXCHANGER_STATUSES = ['active', 'paused', 'disabled'] as const;
export type ExchangerStatus = (typeof EXCHANGER_STATUSES)[number];

/** Kinds of currencies in the catalog (`../shared/data/currencies.csv`). */
export const CURRENCY_KINDS = ['crypto', 'emoney', 'bank', 'online_banking', 'cash', 'transfer'] as const;
export type CurrencyKind = (typeof CURRENCY_KINDS)[number];
