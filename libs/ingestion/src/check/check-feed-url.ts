import type { FeedFormatSetting } from '@app/domain';
import {
  checkFeed,
  failedReport,
  FeedReport,
  maintenanceInErrorAnswer,
  maintenanceReport,
  NormalizationContext,
} from '@app/feeds';
import { SafeHttpClient, FetchError } from '@app/http-client';

/** How long the validator waits for a feed (a poll uses the feed's own timeout). */
export const CHECK_TIMEOUT_MS = 30_000;

/**
 * The validator's fetch-and-read of one URL (`feed:check <url>` and `POST /v1/admin/feed-check`):
 * through the same fetcher and SSRF guard as a poll, read the way a poll reads it — a 503 page that
 * says "maintenance" is maintenance, a failed fetch is an error report. Nothing is stored.
 */
export async function checkFeedUrl(
  fetcher: SafeHttpClient,
  url: string,
  format: FeedFormatSetting,
  context: NormalizationContext,
): Promise<FeedReport> {
  try {
    const answer = await fetcher.fetch({ url, timeoutMs: CHECK_TIMEOUT_MS });
    if (answer.kind === 'not_modified')
      return failedReport(null, { code: 'http_error', message: 'HTTP 304 to an unconditional request' });
    return checkFeed(answer.body, { format, contentType: answer.contentType }, context);
  } catch (error) {
    if (!(error instanceof FetchError)) throw error;
    const notice = error.errorBody && maintenanceInErrorAnswer(error.errorBody.body, error.errorBody.contentType);
    return notice
      ? maintenanceReport(`HTTP ${error.httpStatus}: ${notice}`)
      : failedReport(null, { code: error.code, message: error.message });
  }
}
