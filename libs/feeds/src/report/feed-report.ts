import type { FeedError, FeedFormat, FeedFormatSetting, NormalizedOffer } from '@app/domain';
import { printable } from '../control-characters';
import { BodyEncoding, bodyEncoding, decodeBody, decodeRange } from '../decode/decode-body';
import { FeedMemo, readXmlWithMemo } from '../normalize/feed-memo';
import { FeedNormalizer, NormalizationResult, normalizeItems, RejectedItem } from '../normalize/normalizer';
import type { NormalizationContext } from '../normalize/normalization-context';
import { FeedDialect, MAX_FEED_ITEMS } from '../readers/feed-reader';
import { maintenanceNotice, pickFormat, readAs } from '../readers/pick-reader';
import { FAST_PATH_REFUSED, PIECE_BYTES, scanXmlFeedEach, scanXmlPiecesEach } from '../readers/xml-fast-scanner';
import { XmlFeedReader } from '../readers/xml-feed.reader';
import type { RawFeedItem } from '../raw-item';

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
  /**
   * Reads XML with the reference reader alone (fast-xml-parser's validator, then htmlparser2): no fast
   * path, no memo. For tests that hold the fast paths to it.
   */
  referenceOnly?: boolean;
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
  const encoding = bodyEncoding(body, options.contentType);
  const { memo } = options;
  // Whether a fast pass may still read the body: none after one refused it (the others refuse it too).
  let fast = options.referenceOnly !== true;
  if (memo !== undefined && fast) {
    const memoised = readXmlWithMemo(body, encoding, options.format, context, memo);
    if (memoised === FAST_PATH_REFUSED) fast = false;
    else if (memoised !== null) {
      const { normalized } = memoised;
      return itemsReport(
        'xml',
        memoised.dialect,
        memoised.items,
        [...encoding.warnings, ...normalized.warnings],
        normalized,
      );
    }
    // Not an XML feed the fast path reads whole: the full path, and the memo starts again next time.
    memo.clear();
  }
  if (fast) {
    const pieces = readXmlInPieces(body, encoding, options.format, context);
    if (pieces === FAST_PATH_REFUSED) fast = false;
    else if (pieces !== null) return pieces;
  }
  const decoded = { text: decodeRange(body, encoding, encoding.offset, body.length), warnings: encoding.warnings };
  const picked = pickFormat(decoded.text, options.format);
  if (!('kind' in picked) && picked.format === 'xml' && fast) {
    const whole = fastXmlReport((onItem) => scanXmlFeedEach(picked.body, onItem), decoded.warnings, context);
    if (whole !== FAST_PATH_REFUSED) return whole;
  }
  // readFeed, from what pickFormat decided (XML the fast path refused: the reference reader).
  const read =
    'kind' in picked
      ? picked
      : picked.format === 'xml'
        ? XML_READER.readFully(picked.body)
        : readAs(picked.format, picked.body);
  switch (read.kind) {
    case 'error':
      return failedReport(read.format, { code: read.code, message: read.message }, decoded.warnings);
    case 'maintenance':
      return maintenanceReport(read.message, read.format, decoded.warnings);
    case 'items': {
      const result = normalizeItems(read.items, context, MAX_FEED_ITEMS);
      const warnings = [...decoded.warnings, ...read.warnings, ...result.warnings];
      return itemsReport(read.format, read.dialect, read.items.length, warnings, result);
    }
  }
}

/**
 * The head of a body read in pieces (readXmlInPieces): what pickFormat looks at — 64 KB for the XML declaration,
 * comments and whitespace before the root, 1 KB of the root — after at most LEAD_BYTES of leading whitespace.
 */
const HEAD_BYTES = 72 * 1024;
const LEAD_BYTES = 4 * 1024;

/**
 * The fast path's read of a large ASCII XML body in pieces of about PIECE_BYTES (scanXmlPiecesEach), never as
 * one string: the same report as the whole-text path, which pickFormat's look at the head decides is an XML
 * feed's exactly when it decides so of the whole text. Null for a body this does not take (not ASCII XML, or
 * small enough to read whole): the whole-text path reads it; FAST_PATH_REFUSED when the fast path refuses it
 * (as it refuses the whole text: scanXmlPiecesEach).
 */
export function readXmlInPieces(
  body: Uint8Array,
  encoding: BodyEncoding,
  format: FeedFormatSetting,
  context: NormalizationContext,
): FeedReport | typeof FAST_PATH_REFUSED | null {
  const headEnd = encoding.offset + HEAD_BYTES;
  if (!encoding.ascii || body.length <= headEnd + PIECE_BYTES || format === 'json' || format === 'txt') return null;
  const head = decodeRange(body, encoding, encoding.offset, headEnd);
  const lead = head.length - head.trimStart().length;
  if (lead > LEAD_BYTES) return null;
  const picked = pickFormat(head, format);
  if ('kind' in picked || picked.format !== 'xml') return null;
  const text = (start: number, end: number) => decodeRange(body, encoding, start, end);
  return fastXmlReport(
    (onItem) => scanXmlPiecesEach(body, encoding.offset + lead, text, onItem),
    encoding.warnings,
    context,
  );
}

/**
 * The report of the common XML shape, each item normalized as the fast path's `scan` reads it (into one reused
 * object); FAST_PATH_REFUSED when the fast path refuses the body.
 */
function fastXmlReport(
  scan: (onItem: (item: RawFeedItem) => void) => FeedDialect | null,
  warnings: readonly string[],
  context: NormalizationContext,
): FeedReport | typeof FAST_PATH_REFUSED {
  const normalizer = new FeedNormalizer(context, MAX_FEED_ITEMS);
  let items = 0;
  const dialect = scan((item) => {
    items++;
    normalizer.add(item);
  });
  if (dialect === null) return FAST_PATH_REFUSED;
  const result = normalizer.result();
  return itemsReport('xml', dialect, items, [...warnings, ...result.warnings], result);
}

/** The report of a feed that read as `items` items, normalized into `result`. */
function itemsReport(
  format: FeedFormat,
  dialect: FeedDialect,
  items: number,
  warnings: string[],
  result: NormalizationResult,
): FeedReport {
  const stats = { items, offers: result.offers.length, rejected: result.rejectedCount, duplicates: result.duplicates };
  if (result.overflow) {
    return {
      ...failedReport(
        format,
        {
          code: 'too_many_items',
          message: `the feed yields more than ${MAX_FEED_ITEMS} offers (cities and duplicates counted)`,
        },
        warnings,
      ),
      dialect,
    };
  }
  if (items > 0 && result.offers.length === 0) {
    const first = result.rejected[0]?.reason ?? 'no offers';
    return {
      ...failedReport(
        format,
        { code: 'no_valid_items', message: `none of the ${items} items could be used (first: ${first})` },
        warnings,
      ),
      dialect,
      rejected: result.rejected,
      stats,
    };
  }
  return {
    status: items === 0 ? 'empty' : 'ok',
    format,
    dialect,
    error: null,
    offers: result.offers,
    rejected: result.rejected,
    warnings,
    stats,
  };
}

const XML_READER = new XmlFeedReader();

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
