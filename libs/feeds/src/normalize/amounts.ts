import { canonicalDecimal, decimalBoundsProblem, Fee, isNegativeCanonical } from '@app/domain';
import type { RawFee } from '../raw-item';
import { isCanonicalDecimal } from './decimal-scan';

export type { Fee };

/** Thrown while normalizing one item: the item is rejected with this message, the feed goes on. */
export class ItemRejection extends Error {}

/** A feed's text, shortened and quoted for a message (control characters escaped, never stored raw). */
export function shown(raw: string, max = 40): string {
  return JSON.stringify(raw.length > max ? `${raw.slice(0, max)}…` : raw);
}

export interface Quantity {
  /** A canonical decimal string. */
  value: string;
  /** The unit written after the number, upper-cased (`BTC`, `USD`), or null when bare. */
  unit: string | null;
}

const WITH_UNIT = /^(.*?[\d.])\s*([A-Za-z][A-Za-z0-9_-]{0,15})$/;
const HAS_LETTER = /[a-z]/i;
/** `1e400` is an (overflowing) exponent, not the number 1 in a currency called E400. */
const EXPONENT = /^e[+-]?\d+$/i;

/** `0.002 BTC` → 0.002 and BTC; `25 000` → 25000 and no unit. Null when there is no readable number. */
export function parseQuantity(raw: string): Quantity | null {
  // Most limits are already plain canonical digits: no trim, no regex, no new string.
  if (isCanonicalDecimal(raw)) return { value: raw, unit: null };
  const text = raw.trim();
  if (text === '') return null;
  // Only a text with a letter can carry a unit: bare numbers (most values) skip the unit regex.
  const match = HAS_LETTER.test(text) ? WITH_UNIT.exec(text) : null;
  if (match?.[2] === undefined || EXPONENT.test(match[2])) {
    const bare = canonicalDecimal(text);
    return bare === null ? null : { value: bare, unit: null };
  }
  const value = canonicalDecimal(match[1]);
  return value === null ? null : { value, unit: match[2].toUpperCase() };
}

/**
 * Refuses a value no column should hold and no visitor should see (DECIMAL_BOUNDS): the item is
 * rejected with the field, the text as written and why.
 */
export function checkBounds(value: string, field: string, raw: string): string {
  const problem = decimalBoundsProblem(value);
  if (problem !== null) throw new ItemRejection(`${field} ${shown(raw)} is out of range: ${problem}`);
  return value;
}

/** A comma between two digits is a decimal mark; any other comma separates components. */
const COMPONENT_SEPARATOR = /,(?!\d)|(?<!\d),/;

/** `0.5 USD, 1 %` → `0.5 USD` and ` 1 %`; `0,5 %` stays one component (its comma is a decimal mark). */
export function splitComponents(text: string): string[] {
  return text.split(COMPONENT_SEPARATOR);
}

/**
 * Fee components as feeds write them (DESIGN.md §2): `0.5 USD, 1 %` → fixed 0.5 USD and 1 percent;
 * a bare number is a fixed fee in `bareUnit`. EREF 1.1 says which with a `type` attribute (`%`, `abs`)
 * and repeats the element once per component: every component applies. Zero components are dropped
 * (no fee); unreadable ones are reported through `warn`; out-of-range ones reject the item.
 */
/**
 * The fee list of an offer without fees (most of them): one shared empty array, frozen so that code
 * that would add to an offer's list fails loudly instead of adding to every offer's.
 */
const NO_FEES = Object.freeze([]) as unknown as Fee[];

export function parseFees(
  raw: readonly RawFee[] | undefined,
  field: string,
  bareUnit: string,
  warn: (message: string) => void,
): Fee[] {
  if (raw === undefined) return NO_FEES;
  const fees: Fee[] = [];
  for (const component of raw) {
    if (component.type === undefined) {
      for (const part of splitComponents(component.text)) addFee(fees, part.trim(), field, bareUnit, warn);
      continue;
    }
    const type = component.type.trim().toLowerCase();
    const text = component.text.trim();
    if (type === '%' || type === 'percent')
      addFee(fees, text.endsWith('%') ? text : `${text} %`, field, bareUnit, warn);
    else if (type === 'abs' || type === 'fixed' || type === 'fix') addFee(fees, text, field, bareUnit, warn);
    else warn(`${field} of unknown type ${shown(component.type)} ignored: ${shown(text)}`);
  }
  return fees.length === 0 ? NO_FEES : fees;
}

function addFee(fees: Fee[], text: string, field: string, bareUnit: string, warn: (message: string) => void): void {
  if (text === '') return;
  if (text.endsWith('%')) {
    const value = canonicalDecimal(text.slice(0, -1).trim());
    if (value === null || isNegativeCanonical(value)) warn(`unreadable ${field} ${shown(text)}`);
    else if (value !== '0') fees.push({ kind: 'percent', value: checkBounds(value, field, text) });
    return;
  }
  const quantity = parseQuantity(text);
  if (quantity === null || isNegativeCanonical(quantity.value)) warn(`unreadable ${field} ${shown(text)}`);
  else if (quantity.value !== '0')
    fees.push({ kind: 'fixed', value: checkBounds(quantity.value, field, text), unit: quantity.unit ?? bareUnit });
}
