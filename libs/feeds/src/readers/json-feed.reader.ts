import { emptyRawItem, RawFeedItem, setRawField } from '../raw-item';
import { errorAnswer, FeedReader, MAX_FEED_ITEMS, ReadResult, readError, tooManyItems } from './feed-reader';

/** A JSON string, or a number literal outside strings (captured). */
const STRING_OR_NUMBER = /"(?:[^"\\]|\\.)*"|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;
/** A number literal in value position (after `:` `[` `,`, before `,` `]` `}`). */
const NUMBER_VALUE = /([:[,]\s*)(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?=\s*[,\]}])/g;

/**
 * JSON feeds: `{"rates": [ {…} ]}` (or a bare array), in the current field names or the older dialect
 * (`in_min_amount`, `in_fee`, `options: [...]`, …).
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
      return readError('json', 'json_malformed', `malformed JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
    const list = rateList(parsed);
    if (list === null) {
      if (isRecord(parsed) && typeof parsed.error === 'string') return errorAnswer('json', parsed.error);
      return readError('json', 'json_unexpected_shape', 'expected {"rates": [ … ]} or an array of rates');
    }
    if (list.length > MAX_FEED_ITEMS) return tooManyItems('json');
    return { kind: 'items', format: 'json', items: list.map(toRawItem) };
  }
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
 *  3. the exact tokenizing pass quotes every number literal outside strings.
 */
function parseExact(input: string): unknown {
  if (!NOT_FLOAT_SAFE.test(input)) return JSON.parse(input);
  try {
    return JSON.parse(input.replace(NUMBER_VALUE, '$1"$2"'));
  } catch {
    return JSON.parse(input.replace(STRING_OR_NUMBER, (match, number: string | undefined) => (number === undefined ? match : `"${number}"`)));
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
    else if (Array.isArray(value)) {
      const parts = value.filter((v) => typeof v === 'string' || typeof v === 'number').map(String);
      const lower = key.toLowerCase();
      if (lower === 'minamount' || lower === 'maxamount') for (const part of parts) setRawField(item, key, part);
      else setRawField(item, key, parts.join(','));
    }
  }
  return item;
}
