/** Whitespace and every Unicode format character (zero-width, BOM, soft hyphen, bidi controls such as U+202E). */
const INVISIBLE = /[\s\u00a0\u202f\p{Cf}]/gu;
const SEPARATORS = /[\s_\-()./\\]/g;

/** Trim, drop whitespace and invisible characters anywhere inside, upper-case. */
export function cleanCode(raw: string): string {
  return raw.replace(INVISIBLE, '').toUpperCase();
}

/** The retry form of a code: separators removed (`USDT_TRC20`, `usdt-trc20`, `USDT(TRC20)` → `USDTTRC20`). */
export function stripCodeSeparators(code: string): string {
  return cleanCode(code).replace(SEPARATORS, '');
}

/**
 * Global aliases ratewatch ships for variants seen in the wild (DESIGN.md §3); admins add more.
 * Keys are cleaned codes, values are catalog codes.
 */
export const DEFAULT_CURRENCY_ALIASES: Readonly<Record<string, string>> = {
  USDTTRC: 'USDTTRC20',
  USDTERC: 'USDTERC20',
  USDTBEP: 'USDTBEP20',
  USDTBSC: 'USDTBEP20',
  USDCERC: 'USDCERC20',
  USDCTRC: 'USDCTRC20',
  TINKOFF: 'TCSBRUB',
  TINKOFFRUB: 'TCSBRUB',
  SBER: 'SBERRUB',
  SBERBANK: 'SBERRUB',
  ALFA: 'ACRUB',
  ALFABANK: 'ACRUB',
  QIWI: 'QWRUB',
  YOOMONEY: 'YAMRUB',
  YANDEX: 'YAMRUB',
  PERFECTMONEY: 'PMUSD',
  BITCOIN: 'BTC',
  // Renamed coins: real exports still carry the old ticker (Polygon's MATIC became POL in 2024).
  MATIC: 'POL',
  MATICPOLYGON: 'POL',
  ETHEREUM: 'ETH',
};
