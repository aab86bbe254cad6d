import type { FeedErrorCode, FeedFormat } from '@app/domain';
import type { RawFeedItem } from '../raw-item';

/**
 * The dialect a reader recognised, as `feed:check` and the admin validator name it (DESIGN.md §2):
 * BestChange's XML and its EREF 1.1 (as Premium Exchanger writes it: typed and repeated fees, flag
 * elements), the usual JSON (older field names included) and Premium Exchanger's JSON "version 1.3",
 * TXT with five fields and with the sixth, the cash city.
 */
export const FEED_DIALECTS = {
  xml: 'XML (BestChange)',
  'xml-eref-1.1': 'XML EREF 1.1 (fee types, flag elements)',
  json: 'JSON {"rates": [...]}',
  'json-1.3': 'JSON version 1.3 (Premium Exchanger: currency ids, signed xr)',
  txt: 'TXT from;to;in;out;amount',
  'txt-cities': 'TXT from;to;in;out;amount;city',
} as const;
export type FeedDialect = keyof typeof FEED_DIALECTS;

/** What a reader makes of a decoded body. */
export type ReadResult =
  | { kind: 'items'; format: FeedFormat; dialect: FeedDialect; items: RawFeedItem[]; warnings: string[] }
  | { kind: 'maintenance'; format: FeedFormat | null; message: string }
  | { kind: 'error'; format: FeedFormat | null; code: FeedErrorCode; message: string };

/** One reader per format, picked by the feed's format or by sniffing (`auto`). */
export interface FeedReader {
  readonly format: FeedFormat;
  read(text: string): ReadResult;
}

/**
 * A feed may not hold more items than this, nor yield more offers after city fan-out (a million-key
 * JSON is an attack, not an exchanger).
 */
export const MAX_FEED_ITEMS = 100_000;

const MAINTENANCE = /техническ\S*\s+(обслуживан|работ)|технічн\S*\s+обслуговуван|maintenance|на обслуживании/i;

/** True when a short answer says the exchanger is offline for maintenance. */
export function isMaintenanceText(text: string): boolean {
  return text.length <= 500 && MAINTENANCE.test(text);
}

export function readError(format: FeedFormat | null, code: FeedErrorCode, message: string): ReadResult {
  return { kind: 'error', format, code, message };
}

export function tooManyItems(format: FeedFormat): ReadResult {
  return readError(format, 'too_many_items', `the feed holds more than ${MAX_FEED_ITEMS} items`);
}

/** The text of an error answer (`<error>…</error>` or `{"error": "…"}`): maintenance or a feed error. */
export function errorAnswer(format: FeedFormat, text: string): ReadResult {
  const message = text.trim().slice(0, 300);
  return isMaintenanceText(message)
    ? { kind: 'maintenance', format, message }
    : readError(format, 'feed_error_answer', `the feed answered an error: ${message || '(empty)'}`);
}
