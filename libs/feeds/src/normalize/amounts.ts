import { canonicalDecimal, Fee, isNegativeCanonical } from '@app/domain';

export type { Fee };

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
