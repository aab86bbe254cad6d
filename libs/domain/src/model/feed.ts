/** The formats a feed is read in. */
export const FEED_FORMATS = ['xml', 'json', 'txt'] as const;
export type FeedFormat = (typeof FEED_FORMATS)[number];

/** A feed's configured format: one of FEED_FORMATS, or `auto` (sniffed from the body). */
export const FEED_FORMAT_SETTINGS = ['auto', ...FEED_FORMATS] as const;
export type FeedFormatSetting = (typeof FEED_FORMAT_SETTINGS)[number];

/** Statuses of one poll, as stored on feed runs and as the feed's last status. */
export const FEED_RUN_STATUSES = ['ok', 'empty', 'maintenance', 'not_modified', 'unchanged', 'error'] as const;
export type FeedRunStatus = (typeof FEED_RUN_STATUSES)[number];

/** A failed run's error as stored on the run and the feed. */
export interface StoredError {
  code: string;
  message: string;
}

/** One rejected item of a run: its 0-based position in the feed and why. */
export interface StoredReject {
  index: number;
  reason: string;
}

/** A new feed's settings where the admin gives none (the API's defaults, documented in its OpenAPI). */
export const FEED_DEFAULTS = {
  format: 'auto',
  intervalSeconds: 30,
  timeoutMs: 10_000,
  staleAfterSeconds: 300,
  enabled: true,
} as const satisfies {
  format: FeedFormatSetting;
  intervalSeconds: number;
  timeoutMs: number;
  staleAfterSeconds: number;
  enabled: boolean;
};
