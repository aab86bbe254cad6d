/**
 * Why a feed run failed, as stored on the run and shown to admins. One list for fetch and read errors,
 * so the admin API, the CLI and the metrics speak the same codes.
 */
export const FEED_ERROR_CODES = [
  // fetching
  'invalid_url',
  'forbidden_address',
  'dns_failed',
  'connect_failed',
  'timeout',
  'too_large',
  'too_many_redirects',
  'http_error',
  'decompress_failed',
  'network_error',
  // reading
  'empty_body',
  'html_page',
  'php_error',
  'not_a_feed',
  'decode_failed',
  'xml_malformed',
  'xml_doctype',
  'xml_unexpected_root',
  'json_malformed',
  'json_unexpected_shape',
  'txt_malformed',
  'feed_error_answer',
  'too_many_items',
  'no_valid_items',
  'internal_error',
] as const;
export type FeedErrorCode = (typeof FEED_ERROR_CODES)[number];

export interface FeedError {
  code: FeedErrorCode;
  message: string;
}
