import { canonicalDecimal, isNegativeCanonical } from '@app/domain';
import type { CatalogEntry } from './normalization-context';

/** A fee component as API.md shows it: `{kind, value, unit?}` with a decimal string value. */
export interface Fee {
  kind: 'fixed' | 'percent';
  value: string;
  unit?: string;
}

export interface Quantity {
  /** A canonical decimal string. */
  value: string;
  /** The unit written after the number, upper-cased (`BTC`, `USD`), or null when bare. */
  unit: string | null;
}

const WITH_UNIT = /^(.*?[\d.])\s*([A-Za-z][A-Za-z0-9_-]{0,15})$/;

/** `0.002 BTC` → 0.002 and BTC; `25 000` → 25000 and no unit. Null when there is no readable number. */
export function parseQuantity(raw: string): Quantity | null {
  const text = raw.trim();
  if (text === '') return null;
  const match = WITH_UNIT.exec(text);
  const value = canonicalDecimal(match ? match[1]! : text);
  if (value === null) return null;
  return { value, unit: match ? match[2]!.toUpperCase() : null };
}

/**
 * Which side of a direction a unit names: the code or ticker of either side first, then the ISO unit —
 * so `25 USDT` on PMUSD→USDTTRC20 is the `to` side while `20 USD` is the `from` side. Null when the
 * unit names neither.
 */
export function sideOfUnit(unit: string, from: CatalogEntry, to: CatalogEntry): 'from' | 'to' | null {
  if (unit === from.code || unit === from.ticker) return 'from';
  if (unit === to.code || unit === to.ticker) return 'to';
  if (unit === from.iso) return 'from';
  if (unit === to.iso) return 'to';
  return null;
}

/** A comma between two digits is a decimal mark; any other comma separates components. */
const FEE_SEPARATOR = /,(?!\d)|(?<!\d),/;

/**
 * `0.5 USD, 1 %` → fixed 0.5 USD and 1 percent. A bare number is a fixed fee in `bareUnit`. Zero
 * components are dropped (no fee); unreadable ones are reported through `warn`.
 */
export function parseFees(raw: string | undefined, bareUnit: string, warn: (message: string) => void): Fee[] {
  if (raw === undefined || raw === '' || raw.trim() === '') return [];
  const fees: Fee[] = [];
  for (const part of raw.split(FEE_SEPARATOR)) {
    const text = part.trim();
    if (text === '') continue;
    if (text.endsWith('%')) {
      const value = canonicalDecimal(text.slice(0, -1).trim());
      if (value === null || isNegativeCanonical(value)) warn(`unreadable fee "${text}"`);
      else if (value !== '0') fees.push({ kind: 'percent', value });
      continue;
    }
    const quantity = parseQuantity(text);
    if (quantity === null || isNegativeCanonical(quantity.value)) warn(`unreadable fee "${text}"`);
    else if (quantity.value !== '0') fees.push({ kind: 'fixed', value: quantity.value, unit: quantity.unit ?? bareUnit });
  }
  return fees;
}
