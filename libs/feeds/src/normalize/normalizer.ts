import { canonicalDecimal, Dec, isNegativeCanonical, isPositiveCanonical, OfferTerms, rateOfCanonical, sideOfUnit } from '@app/domain';
import type { RawFeedItem } from '../raw-item';
import { parseFees, parseQuantity, Quantity } from './amounts';
import { CodeResolver } from './code-resolver';
import type { CatalogEntry, NormalizationContext } from './normalization-context';

/** One offer after normalization (DESIGN.md §3). Decimals are plain strings. */
export interface NormalizedOffer extends OfferTerms {
  from: string;
  to: string;
  city: string | null;
  in: string;
  out: string;
  flags: string[];
}

export interface RejectedItem {
  /** 0-based position of the item in the feed. */
  index: number;
  reason: string;
}

export interface NormalizationResult {
  offers: NormalizedOffer[];
  /** The first MAX_KEPT_REJECTS rejected items. */
  rejected: RejectedItem[];
  rejectedCount: number;
  duplicates: number;
  warnings: string[];
}

export const MAX_KEPT_REJECTS = 100;
export const MAX_KEPT_WARNINGS = 100;
const MAX_FLAGS = 20;
const CITY = /^[A-Z0-9][A-Z0-9_-]{0,31}$/;

class Rejection extends Error {}

/**
 * Normalizes the raw items of one feed: codes through aliases into the catalog, decimals, validity,
 * limits matched to their side, fees, flags, one offer per city, duplicates (first wins). Pure.
 */
export function normalizeItems(items: readonly RawFeedItem[], context: NormalizationContext): NormalizationResult {
  const codes = new CodeResolver(context);
  const offers: NormalizedOffer[] = [];
  const rejected: RejectedItem[] = [];
  const warnings: string[] = [];
  const seen = new Set<string>();
  let rejectedCount = 0;
  let duplicates = 0;
  let warningCount = 0;
  let index = 0;
  // One closure for the whole feed (this is the hot loop): it reads the current index.
  const warn = (message: string): void => {
    warningCount++;
    if (warnings.length < MAX_KEPT_WARNINGS) warnings.push(`item ${index}: ${message}`);
  };

  for (; index < items.length; index++) {
    let expanded: NormalizedOffer[];
    try {
      expanded = normalizeItem(items[index]!, codes, warn);
    } catch (error) {
      if (!(error instanceof Rejection)) throw error;
      rejectedCount++;
      if (rejected.length < MAX_KEPT_REJECTS) rejected.push({ index, reason: error.message });
      continue;
    }
    for (const offer of expanded) {
      const key = offer.city === null ? `${offer.from}|${offer.to}` : `${offer.from}|${offer.to}|${offer.city}`;
      if (seen.has(key)) {
        duplicates++;
        continue;
      }
      seen.add(key);
      offers.push(offer);
    }
  }
  if (warningCount > warnings.length) warnings.push(`… and ${warningCount - warnings.length} more warnings`);
  return { offers, rejected, rejectedCount, duplicates, warnings };
}

function normalizeItem(item: RawFeedItem, codes: CodeResolver, warn: (message: string) => void): NormalizedOffer[] {
  const from = resolve(codes, item.from, 'from');
  const to = resolve(codes, item.to, 'to');
  if (from.code === to.code) throw new Rejection(`from and to are the same currency (${from.code})`);
  const amountIn = positive(item.in, 'in');
  const amountOut = positive(item.out, 'out');

  const limits = new Limits();
  for (const raw of item.minamount) limits.add('min', raw, from, to, warn);
  for (const raw of item.maxamount) limits.add('max', raw, from, to, warn);
  if (item.frommin !== undefined) limits.addSided('from', 'min', item.frommin, warn);
  if (item.frommax !== undefined) limits.addSided('from', 'max', item.frommax, warn);
  if (item.tomin !== undefined) limits.addSided('to', 'min', item.tomin, warn);
  if (item.tomax !== undefined) limits.addSided('to', 'max', item.tomax, warn);

  const rate = rateOfCanonical(amountIn, amountOut);
  const reserve = reserveOf(item.amount, warn);
  const fromFee = parseFees(item.fromfee, from.code, warn);
  const toFee = parseFees(item.tofee, to.code, warn);
  const minFee = parseFees(item.minfee, from.code, warn);
  const flags = flagsOf(item.param);
  const offer = (city: string | null): NormalizedOffer => ({
    from: from.code,
    to: to.code,
    city,
    in: amountIn,
    out: amountOut,
    rate,
    reserve,
    fromMin: limits.fromMin,
    fromMax: limits.fromMax,
    toMin: limits.toMin,
    toMax: limits.toMax,
    fromFee,
    toFee,
    minFee,
    flags,
  });

  const cities = item.city === undefined ? NO_CITIES : citiesOf(item.city, warn);
  if (cities.length === 0) {
    if (from.kind === 'cash' || to.kind === 'cash') warn(`${from.code}→${to.code} is a cash direction without a city`);
    return [offer(null)];
  }
  return cities.map(offer);
}

const NO_CITIES: readonly string[] = [];

function resolve(codes: CodeResolver, raw: string | undefined, side: 'from' | 'to'): CatalogEntry {
  const resolution = codes.resolve(raw, side);
  if (!resolution.ok) throw new Rejection(resolution.reason);
  return resolution.currency;
}

function positive(raw: string | undefined, field: 'in' | 'out'): string {
  const value = raw === undefined ? null : canonicalDecimal(raw);
  if (value === null || !isPositiveCanonical(value)) {
    throw new Rejection(`${field} must be a positive number, got ${raw === undefined ? 'nothing' : JSON.stringify(raw.slice(0, 40))}`);
  }
  return value;
}

/** Negative reserve → 0; missing or unreadable → unknown (null). */
function reserveOf(raw: string | undefined, warn: (message: string) => void): string | null {
  if (raw === undefined || raw === '') return null;
  const value = canonicalDecimal(raw);
  if (value === null) {
    if (raw.trim() !== '') warn(`unreadable reserve ${JSON.stringify(raw.slice(0, 40))}`);
    return null;
  }
  return isNegativeCanonical(value) ? '0' : value;
}

function flagsOf(raw: string | undefined): string[] {
  if (raw === undefined || raw === '') return [];
  const flags = new Set<string>();
  for (const part of raw.split(',')) {
    const flag = part.trim().toLowerCase().slice(0, 64);
    if (flag !== '' && flags.size < MAX_FLAGS) flags.add(flag);
  }
  return [...flags];
}

function citiesOf(raw: string, warn: (message: string) => void): string[] {
  const cities: string[] = [];
  for (const part of raw.split(',')) {
    const city = part.trim().toUpperCase();
    if (city === '') continue;
    if (!CITY.test(city)) warn(`ignored city ${JSON.stringify(city.slice(0, 40))}`);
    else if (!cities.includes(city)) cities.push(city);
  }
  return cities;
}

/** Several limits on one side: the minimum is the largest, the maximum the smallest. */
class Limits {
  fromMin: string | null = null;
  fromMax: string | null = null;
  toMin: string | null = null;
  toMax: string | null = null;

  add(kind: 'min' | 'max', raw: string, from: CatalogEntry, to: CatalogEntry, warn: (message: string) => void): void {
    const quantity = this.read(raw, kind, warn);
    if (!quantity) return;
    let side: 'from' | 'to' = 'from';
    if (quantity.unit !== null) {
      const named = sideOfUnit(quantity.unit, from, to);
      if (named === null) warn(`${kind} amount unit ${quantity.unit} names neither ${from.code} nor ${to.code}; taken as a ${from.code} limit`);
      else side = named;
    }
    this.set(side, kind, quantity.value);
  }

  addSided(side: 'from' | 'to', kind: 'min' | 'max', raw: string | undefined, warn: (message: string) => void): void {
    if (raw === undefined) return;
    const quantity = this.read(raw, kind, warn);
    if (quantity) this.set(side, kind, quantity.value);
  }

  private read(raw: string, kind: 'min' | 'max', warn: (message: string) => void): Quantity | null {
    if (raw.trim() === '') return null;
    const quantity = parseQuantity(raw);
    if (quantity === null || isNegativeCanonical(quantity.value)) {
      warn(`unreadable ${kind} amount ${JSON.stringify(raw.slice(0, 40))}`);
      return null;
    }
    // A zero limit means "no limit".
    return quantity.value === '0' ? null : quantity;
  }

  private set(side: 'from' | 'to', kind: 'min' | 'max', value: string): void {
    const key = `${side}${kind === 'min' ? 'Min' : 'Max'}` as const;
    const current = this[key];
    if (current === null) {
      this[key] = value;
      return;
    }
    const order = new Dec(value).comparedTo(current);
    if (kind === 'min' ? order > 0 : order < 0) this[key] = value;
  }
}
