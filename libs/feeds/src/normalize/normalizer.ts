import {
  canonicalDecimal,
  CITY_PATTERN,
  CityDirectory,
  compareDecimalStrings,
  decimalBoundsProblem,
  FloatingTerms,
  isNegativeCanonical,
  isPositiveCanonical,
  NormalizedOffer,
  RATE_BOUNDS,
  rateOfCanonical,
  sideOfUnit,
  StoredReject,
} from '@app/domain';
import { withoutControlCharacters } from '../control-characters';
import type { RawFeedItem, RawFloating } from '../raw-item';
import { checkBounds, ItemRejection, parseFees, parseQuantity, Quantity, shown, splitComponents } from './amounts';
import { CodeResolver } from './code-resolver';
import { fastCanonical, isCanonicalDecimal } from './decimal-scan';
import type { CatalogEntry, NormalizationContext } from './normalization-context';

/** A rejected item: its 0-based position in the feed and why. */
export type RejectedItem = StoredReject;

export interface NormalizationResult {
  offers: NormalizedOffer[];
  /** The first MAX_KEPT_REJECTS rejected items. */
  rejected: RejectedItem[];
  rejectedCount: number;
  duplicates: number;
  warnings: string[];
  /** True when the offers (after city fan-out, duplicates included) passed `maxOffers`: normalizing stopped there. */
  overflow: boolean;
}

export const MAX_KEPT_REJECTS = 100;
export const MAX_KEPT_WARNINGS = 100;
/** One item may name this many cities; more is not a cash desk list but an attack on the offer cap. */
export const MAX_CITIES_PER_ITEM = 500;
const MAX_FLAGS = 20;
const NUMERIC_TOKEN = /^[\d.,\s]+$/;

/**
 * Normalizes the raw items of one feed: codes through aliases into the catalog, decimals within
 * bounds, validity, limits matched to their side, fees, flags, one offer per city, duplicates (first
 * wins). Pure. One item can never fail the feed: whatever is wrong with it rejects that item alone.
 */
export function normalizeItems(
  items: readonly RawFeedItem[],
  context: NormalizationContext,
  maxOffers = Number.POSITIVE_INFINITY,
): NormalizationResult {
  const normalizer = new FeedNormalizer(context, maxOffers);
  for (const item of items) {
    if (normalizer.overflow) break;
    normalizer.add(item);
  }
  return normalizer.result();
}

/**
 * `normalizeItems` an item at a time, for a reader that hands items over as it reads them: `add` each
 * item in the feed's order (once `overflow` is true, further items are ignored, as normalizeItems stops
 * there), then `result`. Keeps nothing of an item but what it makes of it: the reader may reuse it.
 */
export class FeedNormalizer {
  private readonly codes: CodeResolver;
  private readonly offers: NormalizedOffer[] = [];
  private readonly rejected: RejectedItem[] = [];
  private readonly warnings: string[] = [];
  private readonly seen = new SeenOffers();
  private rejectedCount = 0;
  private duplicates = 0;
  private warningCount = 0;
  private index = 0;
  overflow = false;
  /** One closure for the whole feed (this is the hot loop): it reads the current index. */
  private readonly warn = (message: string): void => {
    this.warningCount++;
    if (this.warnings.length < MAX_KEPT_WARNINGS) this.warnings.push(`item ${this.index}: ${message}`);
  };

  constructor(
    private readonly context: NormalizationContext,
    private readonly maxOffers = Number.POSITIVE_INFINITY,
  ) {
    this.codes = new CodeResolver(context);
  }

  add(item: RawFeedItem): void {
    if (this.overflow) return;
    const index = this.index;
    let expanded: NormalizedOffer[];
    try {
      expanded = normalizeItem(item, this.codes, this.context.cities, this.warn);
    } catch (error) {
      if (!(error instanceof ItemRejection)) throw error;
      this.rejectedCount++;
      if (this.rejected.length < MAX_KEPT_REJECTS) this.rejected.push({ index, reason: error.message });
      this.index++;
      return;
    }
    this.index++;
    const { offers, seen } = this;
    for (const offer of expanded) {
      if (!seen.add(offer)) {
        this.duplicates++;
        continue;
      }
      offers.push(offer);
    }
    // Duplicates count too: 100,000 lines of the same 500 cities are 50 million offers to build.
    if (offers.length + this.duplicates > this.maxOffers) this.overflow = true;
  }

  result(): NormalizationResult {
    const { offers, rejected, warnings, warningCount } = this;
    if (warningCount > warnings.length) warnings.push(`… and ${warningCount - warnings.length} more warnings`);
    return {
      offers,
      rejected,
      rejectedCount: this.rejectedCount,
      duplicates: this.duplicates,
      warnings,
      overflow: this.overflow,
    };
  }
}

/** What makes two offers of one feed duplicates: the direction and the city. */
export function offerKey(offer: NormalizedOffer): string {
  return offer.city === null ? `${offer.from}|${offer.to}` : `${offer.from}|${offer.to}|${offer.city}`;
}

/**
 * The directions (and cities) of one feed's offers so far: duplicates are found without building a key
 * string per offer — catalog codes are the same string objects every time, their hashes kept.
 */
export class SeenOffers {
  private readonly byFrom = new Map<string, Set<string>>();
  private readonly withCity = new Set<string>();

  /** True when the offer's direction (and city) is new, which it then remembers. */
  add(offer: NormalizedOffer): boolean {
    // One hash lookup, not two: adding what a set has leaves its size as it was.
    if (offer.city !== null) {
      const size = this.withCity.size;
      return this.withCity.add(offerKey(offer)).size !== size;
    }
    let to = this.byFrom.get(offer.from);
    if (to === undefined) {
      to = new Set();
      this.byFrom.set(offer.from, to);
    }
    const size = to.size;
    return to.add(offer.to).size !== size;
  }
}

/**
 * What normalizing one item yields, kept whole so that it can be replayed at another position of a
 * later feed (FeedMemo): its offers, its warnings (without the `item N:`
 * prefix, which depends on the position), or its rejection — warnings first, as `normalizeItems` gives
 * them. A pure function of the item and the context.
 */
export interface ItemOutcome {
  readonly offers: readonly NormalizedOffer[];
  readonly warnings: readonly string[] | null;
  readonly reject: string | null;
}

const NO_OFFERS: readonly NormalizedOffer[] = [];

/** The warnings of the item itemOutcome is normalizing (one item at a time: normalizing is synchronous). */
let outcomeWarnings: string[] | null = null;
/** One function for every item, not a closure per item. */
const warnOutcome = (message: string): void => {
  (outcomeWarnings ??= []).push(message);
};

export function itemOutcome(item: RawFeedItem, codes: CodeResolver, cities: CityDirectory | undefined): ItemOutcome {
  outcomeWarnings = null;
  try {
    const offers = normalizeItem(item, codes, cities, warnOutcome);
    const warnings = outcomeWarnings;
    outcomeWarnings = null;
    return { offers, warnings, reject: null };
  } catch (error) {
    const warnings = outcomeWarnings;
    outcomeWarnings = null;
    if (!(error instanceof ItemRejection)) throw error;
    return { offers: NO_OFFERS, warnings, reject: error.message };
  }
}

function normalizeItem(
  item: RawFeedItem,
  codes: CodeResolver,
  cityDirectory: CityDirectory | undefined,
  warn: (message: string) => void,
): NormalizedOffer[] {
  if (item.defect !== undefined) throw new ItemRejection(item.defect);
  const from = resolve(codes, item.from, 'from');
  const to = resolve(codes, item.to, 'to');
  if (from.code === to.code) throw new ItemRejection(`from and to are the same currency (${from.code})`);
  const amountIn = sideAmount(item.in, 'in', from, from, to, codes);
  const amountOut = sideAmount(item.out, 'out', to, from, to, codes);
  const rate = rateOfCanonical(amountIn, amountOut);
  const rateProblem = decimalBoundsProblem(rate, RATE_BOUNDS);
  if (rateProblem !== null)
    throw new ItemRejection(`the rate ${amountOut}/${amountIn} is out of range: ${rateProblem}`);

  // No closures per item (this is the hot loop): the limits know the sides and how to name them.
  const limits = new Limits(from, to, codes, warn);
  for (const raw of item.minamount) limits.add('min', raw);
  for (const raw of item.maxamount) limits.add('max', raw);
  limits.addSided('from', 'min', item.frommin);
  limits.addSided('from', 'max', item.frommax);
  limits.addSided('to', 'min', item.tomin);
  limits.addSided('to', 'max', item.tomax);

  const reserve = reserveOf(item.amount, from, to, codes, warn);
  const fromFee = parseFees(item.fromfee, 'fromfee', from.code, warn);
  const toFee = parseFees(item.tofee, 'tofee', to.code, warn);
  const minFee = parseFees(item.minfee, 'minfee', from.code, warn);
  const floating = item.floating === undefined ? null : floatingOf(item.floating, warn);
  const flags = flagsOf(item.param, item.flags, floating !== null);
  const delayMinutes = item.delay === undefined ? null : minutesOf(item.delay, 'delay', warn);
  const offer: NormalizedOffer = {
    from: from.code,
    to: to.code,
    city: null,
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
    floating,
    delayMinutes,
  };

  const cities = item.city === undefined ? NO_CITIES : citiesOf(item.city, cityDirectory, warn);
  if (cities.length === 0) {
    if (from.kind === 'cash' || to.kind === 'cash') warn(`${from.code}→${to.code} is a cash direction without a city`);
    return [offer];
  }
  return cities.map((city) => ({ ...offer, city }));
}

const NO_CITIES: readonly string[] = [];

function resolve(codes: CodeResolver, raw: string | undefined, side: 'from' | 'to'): CatalogEntry {
  const resolution = codes.resolve(raw, side);
  if (!resolution.ok) throw new ItemRejection(resolution.reason);
  return resolution.currency;
}

/**
 * Which side a unit names: the code, ticker or ISO unit of either side (`sideOfUnit`), else the
 * catalog code the unit resolves to through the aliases (`USDTTRC` → USDTTRC20). Null when neither.
 */
function unitSide(unit: string, from: CatalogEntry, to: CatalogEntry, codes: CodeResolver): 'from' | 'to' | null {
  const named = sideOfUnit(unit, from, to);
  if (named !== null) return named;
  const resolution = codes.resolve(unit, 'from');
  if (!resolution.ok) return null;
  if (resolution.currency.code === from.code) return 'from';
  if (resolution.currency.code === to.code) return 'to';
  return null;
}

/**
 * `in` or `out`: a positive decimal within bounds. A unit after it (`1 USDTTRC`) must name that side's
 * currency; a unit naming anything else makes the item ambiguous and rejects it.
 */
function sideAmount(
  raw: string | undefined,
  field: 'in' | 'out',
  own: CatalogEntry,
  from: CatalogEntry,
  to: CatalogEntry,
  codes: CodeResolver,
): string {
  let value = raw === undefined ? null : fastCanonical(raw);
  if (value === null && raw !== undefined) {
    const quantity = parseQuantity(raw);
    if (quantity?.unit != null) {
      const side = unitSide(quantity.unit, from, to, codes);
      if ((side === 'from' ? from : side === 'to' ? to : null) !== own) {
        throw new ItemRejection(
          `${field} ${shown(raw)} is in ${quantity.unit}, which is not the ${field === 'in' ? 'from' : 'to'} currency ${own.code}`,
        );
      }
      value = quantity.value;
    }
  }
  if (value === null || !isPositiveCanonical(value)) {
    throw new ItemRejection(`${field} must be a positive number, got ${raw === undefined ? 'nothing' : shown(raw)}`);
  }
  return checkBounds(value, field, raw!);
}

/** Negative reserve → 0; missing or unreadable → unknown (null). A unit must name the `to` currency. */
function reserveOf(
  raw: string | undefined,
  from: CatalogEntry,
  to: CatalogEntry,
  codes: CodeResolver,
  warn: (message: string) => void,
): string | null {
  if (raw === undefined || raw === '') return null;
  // Most reserves are plain canonical digits (never negative): only the bounds to check.
  if (isCanonicalDecimal(raw)) return decimalBoundsProblem(raw) === null ? raw : checkBounds(raw, 'the reserve', raw);
  const bare = fastCanonical(raw);
  const quantity = bare === null ? parseQuantity(raw) : { value: bare, unit: null };
  if (quantity === null) {
    if (raw.trim() !== '') warn(`unreadable reserve ${shown(raw)}`);
    return null;
  }
  if (quantity.unit !== null && unitSide(quantity.unit, from, to, codes) !== 'to') {
    throw new ItemRejection(
      `the reserve ${shown(raw)} is in ${quantity.unit}, which is not the to currency ${to.code}`,
    );
  }
  return isNegativeCanonical(quantity.value) ? '0' : checkBounds(quantity.value, 'the reserve', raw);
}

/**
 * Flags from `param` (split on `,`, trimmed, lower-cased, de-duplicated, unknown ones kept) and from
 * flag elements. Numeric-only tokens (`<param>0</param>`) are not flags; control characters go.
 */
function flagsOf(param: string | undefined, elements: readonly string[] | undefined, floating: boolean): string[] {
  if ((param === undefined || param === '') && elements === undefined && !floating) return NO_FLAGS;
  const flags = new Set<string>(elements);
  if (floating) flags.add('floating');
  if (param !== undefined) {
    for (const part of param.split(',')) {
      const flag = withoutControls(part).trim().toLowerCase().slice(0, 64);
      if (flag !== '' && !NUMERIC_TOKEN.test(flag) && flags.size < MAX_FLAGS) flags.add(flag);
    }
  }
  return [...flags];
}

/** The flags of an offer without flags (most of them): shared, frozen (see NO_FEES). */
const NO_FLAGS = Object.freeze([]) as unknown as string[];

const FALSE = /^(false|0|no|off)$/i;

/**
 * `<floating percent="1" minutes="30"/>`, the older text `1%,30`, or a bare `true`: the offer floats.
 * `false` or `0` means it does not (null).
 */
function floatingOf(raw: RawFloating, warn: (message: string) => void): FloatingTerms | null {
  let percent = raw.percent;
  let minutes = raw.minutes;
  const text = raw.text?.trim();
  if (text !== undefined && text !== '') {
    if (FALSE.test(text)) return null;
    for (const part of splitComponents(text)) {
      const token = part.trim();
      if (token.endsWith('%')) percent ??= token.slice(0, -1);
      else if (/^\d+$/.test(token)) minutes ??= token;
    }
  }
  let percentValue: string | null = null;
  if (percent !== undefined && percent.trim() !== '') {
    percentValue = canonicalDecimal(percent.trim().replace(/%$/, ''));
    if (percentValue === null || isNegativeCanonical(percentValue) || decimalBoundsProblem(percentValue) !== null) {
      warn(`unreadable floating percent ${shown(percent)}`);
      percentValue = null;
    }
  }
  return {
    percent: percentValue,
    minutes: minutes === undefined ? null : minutesOf(minutes, 'floating minutes', warn),
  };
}

/** Whole minutes, 0 to a year; anything else is warned about and unknown. */
function minutesOf(raw: string, field: string, warn: (message: string) => void): number | null {
  const text = raw.trim();
  if (text === '') return null;
  if (/^\d{1,6}$/.test(text) && Number(text) <= 525_600) return Number(text);
  warn(`unreadable ${field} ${shown(raw)}`);
  return null;
}

function citiesOf(raw: string, directory: CityDirectory | undefined, warn: (message: string) => void): string[] {
  const cities: string[] = [];
  for (const part of raw.split(',')) {
    const written = withoutControls(part).trim().toUpperCase();
    const city = directory === undefined || written === '' ? written : directory.canonical(written);
    if (city === '') continue;
    if (!CITY_PATTERN.test(city)) warn(`ignored city ${shown(city)}`);
    else if (!cities.includes(city)) {
      if (cities.length >= MAX_CITIES_PER_ITEM)
        throw new ItemRejection(`more than ${MAX_CITIES_PER_ITEM} cities in one item`);
      cities.push(city);
    }
  }
  return cities;
}

/** withoutControlCharacters, skipping its three replaces for printable ASCII (nothing to remove there). */
function withoutControls(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return withoutControlCharacters(text);
  }
  return text;
}

/** Several limits on one side: the minimum is the largest, the maximum the smallest. */
class Limits {
  fromMin: string | null = null;
  fromMax: string | null = null;
  toMin: string | null = null;
  toMax: string | null = null;

  constructor(
    private readonly from: CatalogEntry,
    private readonly to: CatalogEntry,
    private readonly codes: CodeResolver,
    private readonly warn: (message: string) => void,
  ) {}

  add(kind: 'min' | 'max', raw: string): void {
    // Most limits are plain canonical digits: no unit (a from-side limit), no Quantity to build.
    if (isCanonicalDecimal(raw)) {
      if (raw !== '0') this.set('from', kind, limitWithinBounds(raw, kind));
      return;
    }
    const { from, to, warn } = this;
    const quantity = this.read(raw, kind, warn);
    if (!quantity) return;
    let side: 'from' | 'to' = 'from';
    if (quantity.unit !== null) {
      const named = unitSide(quantity.unit, from, to, this.codes);
      if (named === null)
        warn(
          `${kind} amount unit ${quantity.unit} names neither ${from.code} nor ${to.code}; taken as a ${from.code} limit`,
        );
      else side = named;
    }
    this.set(side, kind, quantity.value);
  }

  /**
   * An EREF 1.1 limit (`frommin`, `tomax`, …) belongs to its field's side; a unit after it that names
   * the other side moves it there (`<frommin>0.01 BTC</frommin>` on SBERRUB→BTC limits what is received).
   */
  addSided(side: 'from' | 'to', kind: 'min' | 'max', raw: string | undefined): void {
    if (raw === undefined) return;
    if (isCanonicalDecimal(raw)) {
      if (raw !== '0') this.set(side, kind, limitWithinBounds(raw, kind));
      return;
    }
    const { from, to, warn } = this;
    const quantity = this.read(raw, kind, warn);
    if (!quantity) return;
    const named = quantity.unit === null ? side : unitSide(quantity.unit, from, to, this.codes);
    if (named === null)
      warn(
        `${side}${kind} unit ${quantity.unit} names neither ${from.code} nor ${to.code}; taken as a ${side === 'from' ? from.code : to.code} limit`,
      );
    this.set(named ?? side, kind, quantity.value);
  }

  private read(raw: string, kind: 'min' | 'max', warn: (message: string) => void): Quantity | null {
    if (raw.trim() === '') return null;
    const quantity = parseQuantity(raw);
    if (quantity === null || isNegativeCanonical(quantity.value)) {
      warn(`unreadable ${kind} amount ${shown(raw)}`);
      return null;
    }
    // A zero limit means "no limit".
    if (quantity.value === '0') return null;
    checkBounds(quantity.value, `the ${kind} amount`, raw);
    return quantity;
  }

  /** Named fields, not this[`${side}Min`]: no key string built and no generic keyed store per limit. */
  private set(side: 'from' | 'to', kind: 'min' | 'max', value: string): void {
    if (side === 'from') {
      if (kind === 'min') this.fromMin = tighter(kind, this.fromMin, value);
      else this.fromMax = tighter(kind, this.fromMax, value);
    } else if (kind === 'min') this.toMin = tighter(kind, this.toMin, value);
    else this.toMax = tighter(kind, this.toMax, value);
  }
}

/** The limit that binds of the one kept and a new one: the larger minimum, the smaller maximum. */
function tighter(kind: 'min' | 'max', current: string | null, value: string): string {
  if (current === null) return value;
  const order = compareDecimalStrings(value, current);
  return (kind === 'min' ? order > 0 : order < 0) ? value : current;
}

/** A canonical limit as `checkBounds` checks it, the message built only for a value out of bounds. */
function limitWithinBounds(value: string, kind: 'min' | 'max'): string {
  return decimalBoundsProblem(value) === null ? value : checkBounds(value, `the ${kind} amount`, value);
}
