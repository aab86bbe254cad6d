import { decodeBody } from '../decode/decode-body';
import type { FeedError } from '../feed-error';
import { normalizeItems, NormalizedOffer, RejectedItem } from '../normalize/normalizer';
import type { NormalizationContext } from '../normalize/normalization-context';
import type { FeedFormat } from '../readers/feed-reader';
import { readFeed } from '../readers/pick-reader';

export type FeedStatus = 'ok' | 'empty' | 'maintenance' | 'error';

/** The report of one feed run, in the shape of API.md "CLI". */
export interface FeedReport {
  status: FeedStatus;
  format: FeedFormat | null;
  error: FeedError | null;
  offers: NormalizedOffer[];
  rejected: RejectedItem[];
  warnings: string[];
  stats: { items: number; offers: number; rejected: number; duplicates: number };
}

export interface CheckOptions {
  format: FeedFormat | 'auto';
  contentType?: string | null;
}

/**
 * Reads and normalizes one body: decode, pick the reader, normalize. Never throws for bad input;
 * every problem is in the report. A feed whose items are all rejected is an error (`no_valid_items`):
 * applying it would wipe the exchanger's snapshot because of, say, a missing alias.
 */
export function checkFeed(body: Uint8Array, options: CheckOptions, context: NormalizationContext): FeedReport {
  const decoded = decodeBody(body, options.contentType);
  const read = readFeed(decoded.text, options.format);
  switch (read.kind) {
    case 'error':
      return failedReport(read.format, { code: read.code, message: read.message }, decoded.warnings);
    case 'maintenance':
      return { ...emptyReport(read.format, decoded.warnings), status: 'maintenance' };
    case 'items': {
      const result = normalizeItems(read.items, context);
      const stats = { items: read.items.length, offers: result.offers.length, rejected: result.rejectedCount, duplicates: result.duplicates };
      const warnings = [...decoded.warnings, ...result.warnings];
      if (read.items.length > 0 && result.offers.length === 0) {
        const first = result.rejected[0]?.reason ?? 'no offers';
        return {
          ...failedReport(read.format, { code: 'no_valid_items', message: `none of the ${read.items.length} items could be used (first: ${first})` }, warnings),
          rejected: result.rejected,
          stats,
        };
      }
      return { status: read.items.length === 0 ? 'empty' : 'ok', format: read.format, error: null, offers: result.offers, rejected: result.rejected, warnings, stats };
    }
  }
}

export function failedReport(format: FeedFormat | null, error: FeedError, warnings: string[] = []): FeedReport {
  return { ...emptyReport(format, warnings), status: 'error', error };
}

function emptyReport(format: FeedFormat | null, warnings: string[]): FeedReport {
  return { status: 'ok', format, error: null, offers: [], rejected: [], warnings, stats: { items: 0, offers: 0, rejected: 0, duplicates: 0 } };
}
