import type { OpenDataRead, OpenOffer } from '@app/database';
import { Dec, TimeSlicer, toPlain } from '@app/domain';
import { COIN_CODES, ISO_NUMERIC, KIND_CODES, USD_BCODE } from './codes';
import { datDecimal, datField, moscowLastUpdate, moscowNewsDate } from './text';

/** A currency as the export numbers it. */
export interface ExportCurrency {
  code: string;
  /** `bm_cy` id: the catalog's bestchange_id, or ours (from 1000000) when it has none. */
  id: number;
  /** 1..N, the catalog's order. */
  position: number;
  nameRu: string;
  nameEn: string;
  viewname: string;
  bcode: number;
  iso: string;
  kindCode: number;
}

export interface ExportExchanger {
  id: number;
  name: string;
  /** Whole US dollars: the reserves of its shown offers, each receiving currency once, at the market's USD values. */
  reserveUsd: string;
  /** `claims.positive`, as in `bm_rates.dat` (open claims and published positive reviews). */
  reviews: string;
  claims: number;
  positive: number;
  neutral: number;
  negative: number;
}

/** One shown offer in BestChange's terms (decimals as strings). */
export interface ExportRate {
  offer: OpenOffer;
  fromId: number;
  toId: number;
  exchangerId: number;
  cityId: number;
  /** `bm_rates` fields 4 and 5: one of them is 1, the other ≥ 1 (8 decimals). */
  give: string;
  get: string;
  /** In the receiving currency; 0 when the feed gives none. */
  reserve: string;
  /** Give-side limits (see `limitsOf`). */
  min: string;
  max: string;
}

/** What the export and the keyed API show, made from one read. */
export interface OpenDataModel {
  currencies: ExportCurrency[];
  byId: Map<number, ExportCurrency>;
  byCode: Map<string, ExportCurrency>;
  exchangers: ExportExchanger[];
  cities: Array<{ id: number; code: string; nameRu: string; nameEn: string }>;
  /** Shown offers by `fromId-toId`, best first (the highest out ÷ in; ties by exchanger id). */
  rates: Map<string, ExportRate[]>;
}

/** The ids the export gives what the catalog names by code (`OpenDataRepository.ensureIds`). */
export interface ExportIds {
  currency: Map<string, number>;
  city: Map<string, number>;
  bcode: Map<string, number>;
}

/** The money-code id of an ISO unit: ISO 4217 numeric for fiat, BestChange's for the few known coins, else ours. */
export function bcodeOf(iso: string, ids: ReadonlyMap<string, number>): number | null {
  return ISO_NUMERIC[iso] ?? COIN_CODES[iso] ?? ids.get(iso) ?? null;
}

/** The units `bcodeOf` cannot number without an id of ours. */
export function unitsWithoutCode(read: OpenDataRead): string[] {
  return [...new Set(read.currencies.map((c) => c.iso))].filter((iso) => bcodeOf(iso, new Map()) === null);
}

/**
 * BestChange's two sides of a rate: `in` given for `out` received, written so that one side is 1 and the
 * other at least 1 (8 decimals, half up).
 */
export function sidesOf(amountIn: string, amountOut: string): { give: string; get: string } {
  // Most feeds give 1 unit: the other side is the feed's own number when it has at most 8 decimals.
  if (isOne(amountIn)) {
    const out = shortDecimal(amountOut);
    if (out !== null && compareDecimalText(out, '1') >= 0) return { give: '1', get: out };
  }
  if (isOne(amountOut)) {
    const given = shortDecimal(amountIn);
    if (given !== null && compareDecimalText(given, '1') >= 0) return { give: given, get: '1' };
  }
  const i = new Dec(amountIn);
  const o = new Dec(amountOut);
  return i.gte(o) ? { give: datDecimal(i.div(o)), get: '1' } : { give: '1', get: datDecimal(o.div(i)) };
}

const PLAIN = /^(\d+)(?:\.(\d+))?$/;

/** True for `1`, `1.0`, `01.000`. */
function isOne(text: string): boolean {
  const m = PLAIN.exec(text);
  return m !== null && /^0*1$/.test(m[1]!) && /^0*$/.test(m[2] ?? '');
}

/** A plain decimal with at most 8 decimals, without leading or trailing zeros; null otherwise (round it with Dec). */
function shortDecimal(text: string): string | null {
  const m = PLAIN.exec(text);
  if (!m) return null;
  const whole = m[1]!.replace(/^0+(?=\d)/, '');
  const fraction = (m[2] ?? '').replace(/0+$/, '');
  if (fraction.length > 8) return null;
  return fraction === '' ? whole : `${whole}.${fraction}`;
}

/**
 * Compares two non-negative plain decimals (`numeric::text`: digits and one dot, no exponent) exactly,
 * without making Decimals: sorting a direction of 100,000 offers must stay cheap.
 */
export function compareDecimalText(a: string, b: string): number {
  const [ai, af = ''] = a.split('.') as [string, string?];
  const [bi, bf = ''] = b.split('.') as [string, string?];
  const aw = ai.replace(/^0+/, '');
  const bw = bi.replace(/^0+/, '');
  if (aw.length !== bw.length) return aw.length < bw.length ? -1 : 1;
  if (aw !== bw) return aw < bw ? -1 : 1;
  const length = Math.max(af.length, bf.length);
  const ap = af.padEnd(length, '0');
  const bp = bf.padEnd(length, '0');
  return ap === bp ? 0 : ap < bp ? -1 : 1;
}

/** The API's `rate`: in ÷ out (what is given per 1 unit received), 16 significant digits. */
export function giveRateOf(amountIn: string, amountOut: string): string {
  return toPlain(new Dec(amountIn).div(new Dec(amountOut)).toSignificantDigits(16, Dec.ROUND_HALF_UP));
}

/**
 * Give-side limits (BestChange writes min and max in the currency given): fromMin, else toMin at the offer's
 * rate, else 0; fromMax, else toMax at the rate, else the reserve at the rate (what can be had at most), else 0.
 * 8 decimals, half up.
 */
export function limitsOf(offer: OpenOffer): { min: string; max: string } {
  if (offer.fromMin !== null && offer.fromMax !== null) {
    const [min, max] = [shortDecimal(offer.fromMin), shortDecimal(offer.fromMax)];
    if (min !== null && max !== null) return { min, max };
  }
  let givePerGet: Dec | null = null;
  const give = (value: string | null) =>
    value === null ? null : new Dec(value).mul((givePerGet ??= new Dec(offer.in).div(new Dec(offer.out))));
  const min = offer.fromMin !== null ? new Dec(offer.fromMin) : give(offer.toMin);
  const max = offer.fromMax !== null ? new Dec(offer.fromMax) : (give(offer.toMax) ?? give(offer.reserve));
  return { min: min === null ? '0' : datDecimal(min), max: max === null ? '0' : datDecimal(max) };
}

/** A reserve as written: plain, at most 8 decimals (rounded down: never more than the exchanger has), 0 when unknown. */
export function reserveOf(offer: OpenOffer): string {
  if (offer.reserve === null) return '0';
  return shortDecimal(offer.reserve) ?? toPlain(new Dec(offer.reserve).toDecimalPlaces(8, Dec.ROUND_DOWN));
}

/**
 * The model of one read: currencies numbered and placed, exchangers with their standing and reserve, and
 * every shown offer in BestChange's terms (`datFiles` writes it out). `usd` values a currency code in US
 * dollars when the market can. Pauses every few milliseconds: a million offers must not hold the event loop.
 */
export async function buildModel(
  read: OpenDataRead,
  ids: ExportIds,
  usd: ReadonlyMap<string, string>,
  slicer = new TimeSlicer(),
): Promise<OpenDataModel> {
  const currencies: ExportCurrency[] = [];
  for (const c of read.currencies) {
    const id = c.bestchangeId ?? ids.currency.get(c.code);
    const bcode = bcodeOf(c.iso, ids.bcode);
    if (id === undefined || bcode === null) continue;
    currencies.push({
      code: c.code,
      id,
      position: currencies.length + 1,
      nameRu: datField(c.nameRu, c.code),
      nameEn: datField(c.nameEn, c.code),
      viewname: datField(c.ticker, c.code),
      bcode,
      iso: c.iso,
      kindCode: KIND_CODES[c.kind],
    });
  }
  const byCode = new Map(currencies.map((c) => [c.code, c]));
  const byId = new Map(currencies.map((c) => [c.id, c]));
  const cities = read.cities
    .filter((c) => ids.city.has(c.code))
    .map((c) => ({
      id: ids.city.get(c.code)!,
      code: c.code,
      nameRu: datField(c.nameRu, c.code),
      nameEn: datField(c.nameEn, c.code),
    }));
  const cityIds = new Map(cities.map((c) => [c.code, c.id]));
  const standing = new Map(read.exchangers.map((e) => [e.id, e]));

  const rates = new Map<string, ExportRate[]>();
  // Per exchanger, the reserve of each currency it pays out (repeated on every direction into it): counted once.
  const reserves = new Map<number, Map<string, string>>();
  for (const offer of read.offers) {
    if (slicer.due()) await slicer.pause();
    const from = byCode.get(offer.from);
    const to = byCode.get(offer.to);
    const exchanger = standing.get(offer.exchangerId);
    const cityId = offer.city === null ? 0 : cityIds.get(offer.city);
    if (!from || !to || !exchanger || cityId === undefined) continue;
    const row: ExportRate = {
      offer,
      fromId: from.id,
      toId: to.id,
      exchangerId: offer.exchangerId,
      cityId,
      ...sidesOf(offer.in, offer.out),
      reserve: reserveOf(offer),
      ...limitsOf(offer),
    };
    const key = `${from.id}-${to.id}`;
    let list = rates.get(key);
    if (!list) rates.set(key, (list = []));
    list.push(row);
    if (offer.reserve !== null) {
      let byCurrency = reserves.get(offer.exchangerId);
      if (!byCurrency) reserves.set(offer.exchangerId, (byCurrency = new Map<string, string>()));
      const known = byCurrency.get(offer.to);
      if (known === undefined || compareDecimalText(offer.reserve, known) > 0) byCurrency.set(offer.to, offer.reserve);
    }
  }
  for (const list of rates.values()) {
    if (slicer.due()) await slicer.pause();
    list.sort((a, b) => compareDecimalText(b.offer.rate, a.offer.rate) || a.exchangerId - b.exchangerId);
  }

  const exchangers: ExportExchanger[] = read.exchangers.map((e) => {
    let total = new Dec(0);
    for (const [code, reserve] of reserves.get(e.id) ?? []) {
      const value = usd.get(code);
      if (value !== undefined) total = total.add(new Dec(reserve).mul(new Dec(value)));
    }
    return {
      id: e.id,
      name: datField(e.name, e.slug),
      reserveUsd: toPlain(total.toDecimalPlaces(0, Dec.ROUND_DOWN)),
      reviews: `${e.reviews.claimsOpen}.${e.reviews.positive}`,
      claims: e.reviews.claimsOpen,
      positive: e.reviews.positive,
      neutral: e.reviews.neutral,
      negative: e.reviews.negative,
    };
  });

  return { currencies, byId, byCode, exchangers, cities, rates };
}

/** Rows joined by LF, none after the last (every file but bm_info.dat). */
const lines = (rows: string[]) => rows.join('\n');

/** bm_rates.dat's rows one at a time, each after the LF that ends the one before: never the whole file at once. */
function* rateRows(m: OpenDataModel): Generator<string> {
  const reviewsOf = new Map(m.exchangers.map((e) => [e.id, e.reviews]));
  let separator = '';
  for (const list of m.rates.values()) {
    for (const r of list) {
      yield `${separator}${r.fromId};${r.toId};${r.exchangerId};${r.give};${r.get};${r.reserve};${reviewsOf.get(r.exchangerId)!};1;${r.min};${r.max};${r.cityId}`;
      separator = '\n';
    }
  }
}

/**
 * The ten `.dat` files of a model, in the order they go in the archive (DESIGN.md §13; the format as the
 * public clients read it: `;`-separated, LF between rows and none after the last except in bm_info.dat,
 * fixed field counts, names made safe by `datField`). bm_rates.dat, a row per shown offer, is made as it is
 * read (`infoZip` takes it in chunks); the others are small. `at` stamps bm_info.dat and bm_news.dat.
 */
export function datFiles(
  m: OpenDataModel,
  read: Pick<OpenDataRead, 'topDirections'>,
  usd: ReadonlyMap<string, string>,
  at: Date,
): Array<[string, Iterable<string>]> {
  // bm_cy: char k of a currency's mask is 1 when it has a shown direction to the currency at position k + 1.
  const n = m.currencies.length;
  const masks = new Map(m.currencies.map((c) => [c.id, new Uint8Array(n).fill(48)]));
  const byId = new Map(m.currencies.map((c) => [c.id, c]));
  for (const key of m.rates.keys()) {
    const [from, to] = key.split('-').map(Number) as [number, number];
    masks.get(from)![byId.get(to)!.position - 1] = 49;
  }
  const cyRows = m.currencies.map(
    (c) =>
      `${c.id};${c.position};${c.nameRu};${c.viewname};${c.bcode};${c.kindCode};${Buffer.from(masks.get(c.id)!).toString('latin1')}`,
  );

  // bm_bcodes: every money unit the currencies name, USD always (bm_brates values against it).
  const units = new Map<number, string>([[USD_BCODE, 'USD']]);
  for (const c of m.currencies) if (!units.has(c.bcode)) units.set(c.bcode, c.iso);
  const bcodeRows = [...units]
    .sort((a, b) => a[0] - b[0])
    .map(([id, iso]) => `${id};${datField(iso, 'X')};${datField(iso, 'X')};ratewatch`);

  // bm_brates: "1 unit of b = x units of a", each unit the market values against USD both ways.
  const unitUsd = new Map<number, Dec>();
  for (const c of m.currencies) {
    const value = usd.get(c.code);
    if (value === undefined || unitUsd.has(c.bcode) || c.bcode === USD_BCODE) continue;
    // The unit's own currency (BTC for BTC) is the best estimate; else the first in catalog order.
    const own = m.byCode.get(c.iso);
    const estimate = own && usd.get(own.code) !== undefined && own.bcode === c.bcode ? usd.get(own.code)! : value;
    if (new Dec(estimate).gt(0)) unitUsd.set(c.bcode, new Dec(estimate));
  }
  const brateRows = [`${USD_BCODE};${USD_BCODE};1`];
  const sig = (d: Dec) => toPlain(d.toSignificantDigits(16, Dec.ROUND_HALF_UP));
  for (const [bcode, value] of [...unitUsd].sort((a, b) => a[0] - b[0])) {
    brateRows.push(`${USD_BCODE};${bcode};${sig(value)}`, `${bcode};${USD_BCODE};${sig(new Dec(1).div(value))}`);
  }

  // bm_top: the day's clicks per direction as percent of the listed ones; never empty (a direction at 0).
  const top = read.topDirections.filter((t) => m.byCode.has(t.from) && m.byCode.has(t.to));
  const total = top.reduce((sum, t) => sum + t.clicks, 0);
  const topRows = top.map(
    (t) =>
      `${m.byCode.get(t.from)!.id};${m.byCode.get(t.to)!.id};${datDecimal(new Dec(t.clicks).mul(100).div(total), 2)}`,
  );
  if (topRows.length === 0) {
    const first = m.rates.keys().next();
    if (!first.done) topRows.push(`${first.value.replace('-', ';')};0`);
    else if (m.currencies.length > 0)
      topRows.push(`${m.currencies[0]!.id};${(m.currencies[1] ?? m.currencies[0]!).id};0`);
  }

  const info = `last_update=${moscowLastUpdate(at)}\n` + `current_version=2.03\n` + `compatible_version=2.02\n`;
  const news = `ratewatch[value_del]Rates of the exchangers ratewatch shows, in the format of BestChange's info.zip.[value_del]${moscowNewsDate(at)}`;

  return [
    ['bm_rates.dat', { [Symbol.iterator]: () => rateRows(m) }],
    ['bm_cy.dat', [lines(cyRows)]],
    ['bm_cycodes.dat', [lines(m.currencies.map((c) => `${c.id};${c.code}`))]],
    ['bm_exch.dat', [lines(m.exchangers.map((e) => `${e.id};${e.name};;0;${e.reserveUsd}`))]],
    ['bm_bcodes.dat', [lines(bcodeRows)]],
    ['bm_brates.dat', [lines(brateRows)]],
    ['bm_top.dat', [lines(topRows)]],
    ['bm_cities.dat', [lines(m.cities.map((c) => `${c.id};${c.nameRu}`))]],
    ['bm_news.dat', [news]],
    ['bm_info.dat', [info]],
  ];
}
