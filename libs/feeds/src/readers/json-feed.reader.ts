import { emptyRawItem, fieldRole, RawFee, RawFeedItem, setRawField } from '../raw-item';
import { errorAnswer, FeedReader, MAX_FEED_ITEMS, ReadResult, readError, tooManyItems } from './feed-reader';

/** A JSON string, or a number literal outside strings (captured). */
const STRING_OR_NUMBER = /"(?:[^"\\]|\\.)*"|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;
/** A number literal in value position (after `:` `[` `,`, before `,` `]` `}`). */
const NUMBER_VALUE = /([:[,]\s*)(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?=\s*[,\]}])/g;

/**
 * JSON feeds: `{"rates": [ {…} ]}` (or a bare array), in the current field names or the older dialect
 * (`in_min_amount`, `in_fee`, `options: [...]`, …); Premium Exchanger's "version 1.3" (currencies by
 * numeric id, a signed rate `xr`: see `readVersion13`); and its maintenance answer
 * `["error", "Техническое обслуживание"]`.
 *
 * Numbers reach the normalizer with exactly the value written — `0.10000000000000000555` too: see
 * `parseExact` for how a float is only used where it provably cannot change a digit.
 */
export class JsonFeedReader implements FeedReader {
  readonly format = 'json' as const;

  read(input: string): ReadResult {
    let parsed: unknown;
    try {
      parsed = parseExact(input);
    } catch (error) {
      return readError(
        'json',
        'json_malformed',
        `malformed JSON: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (isErrorPair(parsed)) return errorAnswer('json', parsed[1]);
    if (isRecord(parsed) && isRecord(parsed.exchange) && isRecord(parsed.currencies))
      return readVersion13(parsed.exchange, parsed.currencies);
    const list = rateList(parsed);
    if (list === null) {
      if (isRecord(parsed) && typeof parsed.error === 'string') return errorAnswer('json', parsed.error);
      return readError(
        'json',
        'json_unexpected_shape',
        'expected {"rates": [ … ]}, an array of rates, or the version 1.3 {"currencies": …, "exchange": …}',
      );
    }
    if (list.length > MAX_FEED_ITEMS) return tooManyItems('json');
    return { kind: 'items', format: 'json', dialect: 'json', items: list.map(toRawItem), warnings: [] };
  }
}

/** `["error", "Техническое обслуживание"]`: the engine's JSON error answer. */
function isErrorPair(parsed: unknown): parsed is [string, string] {
  return (
    Array.isArray(parsed) &&
    parsed.length === 2 &&
    typeof parsed[0] === 'string' &&
    parsed[0].toLowerCase() === 'error' &&
    typeof parsed[1] === 'string'
  );
}

/**
 * Premium Exchanger's JSON "version 1.3": `currencies.list` maps numeric ids to codes,
 * `currencies.amounts` holds reserves by the id of the received currency, and each offer sits at
 * `exchange[fromId].to[toId]` with a signed rate `xr` — negative: 1 `from` gives |xr| `to`;
 * positive: xr `from` give 1 `to` — `min`/`max` (of what is given), fees `inFee`/`outFee` as a number,
 * `{"%": p}` or `["+", {"%": p}, sum]`, `options` (`manual`, `ident` = verifying, `auth` = registration)
 * and `cities[]` (one offer each).
 */
function readVersion13(exchange: Record<string, unknown>, currencies: Record<string, unknown>): ReadResult {
  const list = isRecord(currencies.list) ? currencies.list : {};
  const reserves = isRecord(currencies.amounts) ? currencies.amounts : {};
  const items: RawFeedItem[] = [];
  for (const fromId in exchange) {
    if (items.length >= MAX_FEED_ITEMS) return tooManyItems('json');
    const targets = exchange[fromId];
    const to = isRecord(targets) && isRecord(targets.to) ? targets.to : null;
    if (to === null) {
      items.push({ ...emptyRawItem(), defect: `exchange[${shownId(fromId)}] has no "to" object` });
      continue;
    }
    for (const toId in to) {
      if (items.length >= MAX_FEED_ITEMS) return tooManyItems('json');
      items.push(version13Item(fromId, toId, to[toId], list, reserves));
    }
  }
  return { kind: 'items', format: 'json', dialect: 'json-1.3', items, warnings: [] };
}

function version13Item(
  fromId: string,
  toId: string,
  entry: unknown,
  list: Record<string, unknown>,
  reserves: Record<string, unknown>,
): RawFeedItem {
  const item = emptyRawItem();
  const code = (id: string): string | undefined => (typeof list[id] === 'string' ? list[id] : undefined);
  item.from = code(fromId);
  item.to = code(toId);
  if (item.from === undefined || item.to === undefined) {
    item.defect = `currency id ${shownId(item.from === undefined ? fromId : toId)} is not in currencies.list`;
    return item;
  }
  if (!isRecord(entry)) {
    item.defect = `exchange[${shownId(fromId)}].to[${shownId(toId)}] is not an object`;
    return item;
  }
  const xr = scalarText(entry.xr);
  if (xr === undefined) item.defect = 'the rate xr is missing';
  else if (xr.trimStart().startsWith('-')) [item.in, item.out] = ['1', xr.trimStart().slice(1)];
  else [item.in, item.out] = [xr, '1'];
  item.amount = scalarText(entry.amount) ?? scalarText(reserves[toId]);
  item.frommin = scalarText(entry.min);
  item.frommax = scalarText(entry.max);
  if (entry.inFee !== undefined) item.fromfee = feeComponents(entry.inFee);
  if (entry.outFee !== undefined) item.tofee = feeComponents(entry.outFee);
  if (isRecord(entry.options)) setOptions(item, entry.options);
  if (Array.isArray(entry.cities)) item.city = entry.cities.filter((c) => typeof c === 'string').join(',');
  return item;
}

/** An id as a message shows it: quoted and shortened (ids are the feed's text). */
function shownId(id: string): string {
  return JSON.stringify(id.length > 20 ? `${id.slice(0, 20)}…` : id);
}

/** How deep `["+", …]` fee sums may nest (the engine writes one level). */
const MAX_FEE_DEPTH = 3;

/**
 * `1.5`, `{"%": 0.5}`, `["+", {"%": 0.5}, 100]` → its components; anything else (another shape, a sum
 * nested deeper than MAX_FEE_DEPTH) becomes a short text the normalizer warns about. Never recursion
 * or serialization proportional to what the feed nested.
 */
function feeComponents(fee: unknown, depth = 0): RawFee[] {
  const text = scalarText(fee);
  if (text !== undefined) return [{ text }];
  if (isRecord(fee) && scalarText(fee['%']) !== undefined) return [{ text: scalarText(fee['%'])!, type: '%' }];
  if (Array.isArray(fee) && fee[0] === '+' && depth < MAX_FEE_DEPTH)
    return fee.slice(1, 11).flatMap((part) => feeComponents(part, depth + 1));
  return [{ text: Array.isArray(fee) ? '[…]' : isRecord(fee) ? '{…}' : String(fee) }];
}

function scalarText(value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

/** `{"manual": 1, "ident": 1, "weekends": true}` → known flags, the rest as free-text flags. */
function setOptions(item: RawFeedItem, options: Record<string, unknown>): void {
  const other: string[] = [];
  for (const key in options) {
    const value = options[key];
    if (value === false || value === 0 || value === '0' || value === null || value === '') continue;
    if (fieldRole(key)?.role === 'flag') setRawField(item, key, '1');
    else other.push(key);
  }
  if (other.length > 0) setRawField(item, 'param', other.join(','));
}

/** 16 or more digits in a row (a dot allowed between them), or a 3-digit exponent: a float may not hold it. */
const NOT_FLOAT_SAFE = /\d(?:\.?\d){15}|[eE][+-]?\d{3}/;

/**
 * JSON.parse without ever losing a digit of a number.
 *  1. No literal in the text has more than 15 significant digits (nor a huge exponent): every number
 *     survives a float exactly — the shortest string that round-trips a double is the literal's own
 *     value — so plain JSON.parse is exact; `toRawItem` turns numbers back into strings.
 *  2. Otherwise quote numbers in value position with one native regex replace. If that touched the
 *     inside of a string, the text is no longer valid JSON (a string would be followed by a bare
 *     token) and JSON.parse fails, so:
 *  3. the exact tokenizing pass quotes every number literal outside strings (once the text is known
 *     to be valid JSON).
 */
function parseExact(input: string): unknown {
  if (!NOT_FLOAT_SAFE.test(input)) return JSON.parse(input);
  try {
    return JSON.parse(input.replace(NUMBER_VALUE, '$1"$2"'));
  } catch {
    // Malformed JSON fails here, with JSON.parse's own message: the tokenizing pass below is only
    // linear on valid JSON (an unterminated string would make it rescan the rest at every quote).
    JSON.parse(input);
    return JSON.parse(
      input.replace(STRING_OR_NUMBER, (match, number: string | undefined) =>
        number === undefined ? match : `"${number}"`,
      ),
    );
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rateList(parsed: unknown): unknown[] | null {
  if (Array.isArray(parsed)) return parsed as unknown[];
  if (!isRecord(parsed)) return null;
  const rates = parsed.rates;
  if (Array.isArray(rates)) return rates as unknown[];
  if (isRecord(rates) && Array.isArray(rates.item)) return rates.item as unknown[];
  if (isRecord(rates) && isRecord(rates.item)) return [rates.item];
  return null;
}

function toRawItem(entry: unknown): RawFeedItem {
  const item = emptyRawItem();
  if (!isRecord(entry)) return item;
  for (const key in entry) {
    const value = entry[key];
    if (typeof value === 'string') setRawField(item, key, value);
    else if (typeof value === 'number' || typeof value === 'boolean') setRawField(item, key, String(value));
    else if (isRecord(value) && key.toLowerCase() === 'options') setOptions(item, value);
    else if (Array.isArray(value)) {
      const parts = value.filter((v) => typeof v === 'string' || typeof v === 'number').map(String);
      const lower = key.toLowerCase();
      if (lower === 'minamount' || lower === 'maxamount') for (const part of parts) setRawField(item, key, part);
      else setRawField(item, key, parts.join(','));
    }
  }
  return item;
}
