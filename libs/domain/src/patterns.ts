/**
 * The one definition of each identifier's shape, used by the API's validators, the feed normalizer,
 * the catalog loader and the partner sync alike (the database's CHECK constraints say the same).
 */

/** Currency codes (DESIGN.md §1): 2–16 upper-case letters and digits. */
export const CURRENCY_CODE_PATTERN = /^[A-Z0-9]{2,16}$/;

/** A currency's ticker or ISO unit (`USDT`, `USD`, `RUB`): 1–16 upper-case letters and digits. */
export const UNIT_PATTERN = /^[A-Z0-9]{1,16}$/;

/** Exchanger slugs: 2–63 lower-case letters, digits and dashes, starting with a letter or digit. */
export const SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{1,62}$/;

/** Cash city codes, upper-cased (`MSK`, `SPB`, `NEW-YORK`): a letter or digit, then up to 31 more with `_` and `-`. */
export const CITY_PATTERN = /^[A-Z0-9][A-Z0-9_-]{0,31}$/;
