import type { FeedError, FeedFormat, FeedFormatSetting, NormalizedOffer } from '@app/domain';
import { printable } from '../control-characters';
import type { RawFeedItem } from '../raw-item';
import { decodeBody } from '../decode/decode-body';
import { FeedMemo, MemoEntry, normalizeWithMemo } from '../normalize/feed-memo';
import { NormalizationResult, normalizeItems, RejectedItem } from '../normalize/normalizer';
import type { NormalizationContext } from '../normalize/normalization-context';
import { FeedDialect, MAX_FEED_ITEMS, ReadResult } from '../readers/feed-reader';
import { maintenanceNotice, pickFormat, readAs, readFeed } from '../readers/pick-reader';
import { scanXmlFeed } from '../readers/xml-fast-scanner';
import { XmlFeedReader } from '../readers/xml-feed.reader';

export type FeedStatus = 'ok' | 'empty' | 'maintenance' | 'error';

/** The report of one feed run, in the shape of API.md "CLI". */
export interface FeedReport {
  status: FeedStatus;
  format: FeedFormat | null;
  /** The dialect the reader recognised (FEED_DIALECTS), when it read items. */
  dialect: FeedDialect | null;
  error: FeedError | null;
  offers: NormalizedOffer[];
  rejected: RejectedItem[];
  warnings: string[];
  stats: { items: number; offers: number; rejected: number; duplicates: number };
}

export interface CheckOptions {
  format: FeedFormatSetting;
  contentType?: string | null;
  /**
   * This feed's items from its last poll (NormalizationMemo.forFeed), kept by the polling process: items
   * whose text did not change are not read or normalized again. The report is the same with or without.
   */
  memo?: FeedMemo;
}

/**
 * Reads and normalizes one body: decode, pick the reader, normalize. Never throws for bad input;
 * every problem is in the report, in text that can be stored as it is (no control characters). A feed
 * whose items are all rejected is an error (`no_valid_items`): applying it would wipe the exchanger's
 * snapshot because of, say, a missing alias. Offers are capped after city fan-out, like items.
 */
export function checkFeed(body: Uint8Array, options: CheckOptions, context: NormalizationContext): FeedReport {
  return storable(readAndNormalize(body, options, context));
}

function readAndNormalize(body: Uint8Array, options: CheckOptions, context: NormalizationContext): FeedReport {
  const decoded = decodeBody(body, options.contentType);
  const memoised = options.memo === undefined ? null : readWithMemo(decoded.text, options, options.memo, context);
  const read = memoised?.read ?? readFeed(decoded.text, options.format);
  switch (read.kind) {
    case 'error':
      return failedReport(read.format, { code: read.code, message: read.message }, decoded.warnings);
    case 'maintenance':
      return maintenanceReport(read.message, read.format, decoded.warnings);
    case 'items': {
      const result = memoised?.normalized ?? normalizeItems(read.items, context, MAX_FEED_ITEMS);
      const stats = {
        items: read.items.length,
        offers: result.offers.length,
        rejected: result.rejectedCount,
        duplicates: result.duplicates,
      };
      const warnings = [...decoded.warnings, ...read.warnings, ...result.warnings];
      if (result.overflow) {
        return {
          ...failedReport(
            read.format,
            {
              code: 'too_many_items',
              message: `the feed yields more than ${MAX_FEED_ITEMS} offers (cities and duplicates counted)`,
            },
            warnings,
          ),
          dialect: read.dialect,
        };
      }
      if (read.items.length > 0 && result.offers.length === 0) {
        const first = result.rejected[0]?.reason ?? 'no offers';
        return {
          ...failedReport(
            read.format,
            {
              code: 'no_valid_items',
              message: `none of the ${read.items.length} items could be used (first: ${first})`,
            },
            warnings,
          ),
          dialect: read.dialect,
          rejected: result.rejected,
          stats,
        };
      }
      const status = read.items.length === 0 ? 'empty' : 'ok';
      return {
        status,
        format: read.format,
        dialect: read.dialect,
        error: null,
        offers: result.offers,
        rejected: result.rejected,
        warnings,
        stats,
      };
    }
  }
}

const XML_READER = new XmlFeedReader();

/**
 * Reads a body with the feed's memo: an XML feed the fast path reads is normalized item by item through
 * the memo (only the items whose text changed are read and normalized), and the memo is replaced by this
 * poll's items. Anything else takes the ordinary path and empties the memo.
 */
function readWithMemo(
  text: string,
  options: CheckOptions,
  memo: FeedMemo,
  context: NormalizationContext,
): { read: ReadResult; normalized: NormalizationResult | null } {
  const picked = pickFormat(text, options.format);
  if ('kind' in picked || picked.format !== 'xml') {
    memo.clear();
    return { read: 'kind' in picked ? picked : readAs(picked.format, picked.body), normalized: null };
  }
  let scan = scanXmlFeed(picked.body, memo.lookupFor(context, options.format));
  if (scan !== null && memo.isOtherDialect(scan.dialect)) {
    memo.clear();
    scan = scanXmlFeed<MemoEntry>(picked.body, () => undefined);
  }
  if (scan === null) {
    memo.clear();
    return { read: XML_READER.readFully(picked.body), normalized: null };
  }
  const normalized = normalizeWithMemo(scan.items, scan.raws!, scan.eref11!, scan.hits!, context, memo, MAX_FEED_ITEMS);
  memo.commit(context, options.format, scan.dialect, normalized.bytes);
  // Only the count of items is read from here on: an item the memo knew is not there (null).
  const items = scan.items as RawFeedItem[];
  return { read: { kind: 'items', format: 'xml', dialect: scan.dialect, items, warnings: [] }, normalized };
}

/** The maintenance notice in the body of an HTTP error answer (a 503 page), or null (DESIGN.md §2). */
export function maintenanceInErrorAnswer(body: Uint8Array, contentType?: string | null): string | null {
  const notice = maintenanceNotice(decodeBody(body, contentType).text);
  return notice === null ? null : printable(notice).slice(0, 300);
}

/** The exchanger says it is offline: its offers are hidden at once (the notice is kept as a warning). */
export function maintenanceReport(
  notice: string,
  format: FeedFormat | null = null,
  warnings: string[] = [],
): FeedReport {
  return { ...emptyReport(format, [...warnings, `maintenance: ${notice.slice(0, 300)}`]), status: 'maintenance' };
}

export function failedReport(format: FeedFormat | null, error: FeedError, warnings: string[] = []): FeedReport {
  return { ...emptyReport(format, warnings), status: 'error', error };
}

function emptyReport(format: FeedFormat | null, warnings: string[]): FeedReport {
  return {
    status: 'ok',
    format,
    dialect: null,
    error: null,
    offers: [],
    rejected: [],
    warnings,
    stats: { items: 0, offers: 0, rejected: 0, duplicates: 0 },
  };
}

/** The report's texts (error, warnings, reject reasons) made safe to store and show. */
function storable(report: FeedReport): FeedReport {
  return {
    ...report,
    error: report.error && { ...report.error, message: printable(report.error.message) },
    warnings: report.warnings.map(printable),
    rejected: report.rejected.map((r) => ({ ...r, reason: printable(r.reason) })),
  };
}
