import Decimal from 'decimal.js';

/**
 * The one decimal type of ratewatch. Rates and amounts are never JavaScript numbers:
 * 40 significant digits, half-even rounding for intermediate results, and plain
 * (exponent-free) output through `toPlain`.
 */
export const Dec = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_EVEN, toExpNeg: -9e15, toExpPos: 9e15 });
export type Dec = Decimal;

/** Values at or above this magnitude are treated as overflow (garbage, not a real rate or amount). */
export const DECIMAL_OVERFLOW = new Dec('1e30');

const SPACES = /[\s\u00a0\u202f\u2009\u2007\u200b\ufeff]/g;
// One way to split any text: digits, then optionally a dot and digits (no backtracking between `\d+` and `\d*`).
const PLAIN_DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d{1,4})?$/i;

/**
 * Reads a decimal as exchangers write it (DESIGN.md §3 "Numbers"): spaces, NBSP and U+202F are
 * thousands separators; with both `,` and `.` the right-most is the decimal mark; a single `,` is the
 * decimal mark, several are thousands separators; an exponent is allowed. Returns null for anything
 * unreadable, NaN, Infinity or a magnitude of 1e30 and more.
 */
export function parseDecimal(raw: string | number | null | undefined): Dec | null {
  if (raw === null || raw === undefined) return null;
  let text = String(raw).replace(SPACES, '');
  if (text === '') return null;
  const lastComma = text.lastIndexOf(',');
  const lastDot = text.lastIndexOf('.');
  if (lastComma !== -1 && lastDot !== -1) {
    const decimalMark = lastComma > lastDot ? ',' : '.';
    const thousands = decimalMark === ',' ? '.' : ',';
    text = text.split(thousands).join('');
    if (decimalMark === ',') text = text.replace(',', '.');
  } else if (lastComma !== -1) {
    text = text.indexOf(',') === lastComma ? text.replace(',', '.') : text.split(',').join('');
  }
  if (!PLAIN_DECIMAL.test(text)) return null;
  const value = new Dec(text);
  if (!value.isFinite() || value.abs().gte(DECIMAL_OVERFLOW)) return null;
  return value;
}

const SIMPLE_DECIMAL = /^(\d{1,30})(?:\.(\d{1,40}))?$/;

/**
 * `parseDecimal` straight to the canonical plain string (`"084.20"` → `"84.2"`), without building a
 * decimal object for the usual case of plain digits — the normalizer's hot path.
 */
export function canonicalDecimal(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined) return null;
  const simple = SIMPLE_DECIMAL.exec(raw);
  if (simple) {
    const integer = simple[1]!.replace(/^0+(?=\d)/, '');
    if (integer.length > 30) return null;
    const fraction = simple[2] ? simple[2].replace(/0+$/, '') : '';
    return fraction === '' ? integer : `${integer}.${fraction}`;
  }
  const value = parseDecimal(raw);
  return value === null ? null : toPlain(value);
}

/**
 * What ratewatch stores of a decimal read from a feed (DESIGN.md §3): at most 40 significant digits and
 * a magnitude from 1e-30 to below 1e30 (zero passes). A 20,000-digit fraction or `1e-400` is garbage
 * that no column should hold and no visitor should see.
 */
export const DECIMAL_BOUNDS = { maxSignificantDigits: 40, minExponent: -30, maxExponent: 29 } as const;

/**
 * A rate (out / in) is sane from 1e-18 to below 1e18: one BTC buys some 10^10 of the smallest meme
 * coins, and the other way round is 10^-10 — a rate eight orders beyond either is a typo or an attack.
 */
export const RATE_BOUNDS = { minExponent: -18, maxExponent: 17 } as const;

/** For a non-zero canonical string: the power of ten of its leading digit (`1234.5` → 3, `0.002` → -3). */
export function exponentOfCanonical(value: string): number {
  const digits = value.startsWith('-') ? value.slice(1) : value;
  const dot = digits.indexOf('.');
  const integer = dot === -1 ? digits : digits.slice(0, dot);
  if (integer !== '0') return integer.length - 1;
  let zeros = 0;
  while (digits.charCodeAt(dot + 1 + zeros) === 48) zeros++;
  return -(zeros + 1);
}

/** Significant digits of a non-zero canonical string (`0.00120` is canonical `0.0012`: 2). */
function significantDigitsOfCanonical(value: string): number {
  let count = 0;
  for (let i = value.search(/[1-9]/); i >= 0 && i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 48 && c <= 57) count++;
  }
  return count;
}

/**
 * Why a canonical decimal is outside what ratewatch stores (DECIMAL_BOUNDS), or null when it is
 * inside. `bounds` narrows the magnitude (rates use RATE_BOUNDS).
 */
export function decimalBoundsProblem(
  value: string,
  bounds: { minExponent: number; maxExponent: number } = DECIMAL_BOUNDS,
): string | null {
  // A short canonical string cannot be out of bounds: it has too few characters for that many digits or
  // zeros (the hot path: almost every value a feed writes).
  if (
    value.length <= Math.min(bounds.maxExponent + 1, 2 - bounds.minExponent, DECIMAL_BOUNDS.maxSignificantDigits) ||
    value === '0'
  )
    return null;
  const exponent = exponentOfCanonical(value);
  if (exponent > bounds.maxExponent) return `larger than 1e${bounds.maxExponent + 1}`;
  if (exponent < bounds.minExponent) return `smaller than 1e${bounds.minExponent}`;
  if (significantDigitsOfCanonical(value) > DECIMAL_BOUNDS.maxSignificantDigits)
    return `more than ${DECIMAL_BOUNDS.maxSignificantDigits} significant digits`;
  return null;
}

/** For canonical strings: negative? */
export function isNegativeCanonical(value: string): boolean {
  return value.startsWith('-');
}

/** For canonical strings: strictly positive? */
export function isPositiveCanonical(value: string): boolean {
  return !value.startsWith('-') && value !== '0';
}

/** out / in of canonical strings, exact when `in` is 1 (most feeds), else 40 significant digits. */
export function rateOfCanonical(amountIn: string, amountOut: string): string {
  return amountIn === '1' ? amountOut : toPlain(rateOf(new Dec(amountIn), new Dec(amountOut)));
}

/** A decimal as API.md wants it in JSON: a plain string, no exponent, no trailing zeros. */
export function toPlain(value: Dec): string {
  const plain = value.toFixed();
  return plain === '-0' ? '0' : plain;
}

/** Rate = out / in: units of `to` received per 1 unit of `from` (DESIGN.md §1). */
export function rateOf(amountIn: Dec, amountOut: Dec): Dec {
  if (amountIn.lte(0)) throw new RangeError('the `in` side of a rate must be positive');
  return amountOut.div(amountIn);
}

/** Digits only: an optional minus, digits, an optional fraction (PostgreSQL's numeric text, canonical strings). */
const DIGITS_DECIMAL = /^-?\d+(?:\.\d+)?$/;

/**
 * Compares two decimal strings exactly, for sorting without floats (ascending): -1, 0 or 1. Plain decimals
 * (leading or trailing zeros allowed) are compared digit by digit, without allocating — history's drain
 * compares every written offer's rate, and a decimal object per comparison was a measurable share of the
 * worker's garbage (bench:scale); anything else (an exponent) through the decimal library.
 */
export function compareDecimalStrings(a: string, b: string): number {
  if (!DIGITS_DECIMAL.test(a) || !DIGITS_DECIMAL.test(b)) return new Dec(a).comparedTo(new Dec(b));
  const negativeA = a.charCodeAt(0) === MINUS;
  const negativeB = b.charCodeAt(0) === MINUS;
  const magnitude = compareMagnitudes(a, negativeA ? 1 : 0, b, negativeB ? 1 : 0);
  if (negativeA === negativeB) return negativeA ? 0 - magnitude : magnitude;
  // -0 and 0 are equal; otherwise the negative one is smaller.
  return magnitude === 0 && isZeroFrom(a, negativeA ? 1 : 0) ? 0 : negativeA ? -1 : 1;
}

const MINUS = 45;
const ZERO = 48;
const DOT = 46;

/** Compares the magnitudes of plain decimals `a` from `i` and `b` from `j` (past any sign). */
function compareMagnitudes(a: string, i: number, b: string, j: number): number {
  i = firstSignificant(a, i);
  j = firstSignificant(b, j);
  const pointA = pointOf(a, i);
  const pointB = pointOf(b, j);
  if (pointA - i !== pointB - j) return pointA - i < pointB - j ? -1 : 1;
  for (; i < pointA; i++, j++) {
    const d = a.charCodeAt(i) - b.charCodeAt(j);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  // The fractions, the shorter one padded with zeros.
  for (let p = pointA + 1, q = pointB + 1; p < a.length || q < b.length; p++, q++) {
    const d = (p < a.length ? a.charCodeAt(p) : ZERO) - (q < b.length ? b.charCodeAt(q) : ZERO);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** The integer part's first digit that is not a leading zero (its last digit when all are zeros). */
function firstSignificant(value: string, i: number): number {
  while (value.charCodeAt(i) === ZERO && i + 1 < value.length && value.charCodeAt(i + 1) !== DOT) i++;
  return i;
}

/** Where the integer part from `i` ends: the point, or the end. */
function pointOf(value: string, i: number): number {
  while (i < value.length && value.charCodeAt(i) !== DOT) i++;
  return i;
}

function isZeroFrom(value: string, i: number): boolean {
  for (; i < value.length; i++) if (value.charCodeAt(i) !== ZERO && value.charCodeAt(i) !== DOT) return false;
  return true;
}
