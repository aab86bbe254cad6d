import type { FeedFormat, FeedFormatSetting } from '@app/domain';
import { FeedReader, isMaintenanceText, ReadResult, readError } from './feed-reader';
import { JsonFeedReader } from './json-feed.reader';
import { LINE_END, TxtFeedReader } from './txt-feed.reader';
import { XmlFeedReader } from './xml-feed.reader';

const READERS: Readonly<Record<FeedFormat, FeedReader>> = {
  xml: new XmlFeedReader(),
  json: new JsonFeedReader(),
  txt: new TxtFeedReader(),
};

const HTML = /^(<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]|<meta[\s>]|<title[\s>]|<script[\s>]|<div[\s>])/i;
/** A line of at least four `;`-separated fields: a TXT feed, whatever its comments say. */
const TXT_LINE = /^[^\n;]*;[^\n;]*;[^\n;]*;/m;
/** Apache's stock 503 text names maintenance and overload alike: it says nothing of the exchanger. */
const GENERIC_503 = /maintenance downtime or capacity problems/i;
/** What may come before an XML root: the prolog, processing instructions, comments, whitespace. */
const XML_MISC = /^(?:\s+|<\?[\s\S]*?\?>|<!--[\s\S]*?-->)*/;
const PHP_ERROR = /^(<br\s*\/?>\s*)*(<b>)?\s*(php\s+)?(fatal error|parse error|warning|notice|deprecated)(<\/b>)?\s*:/i;

/**
 * Reads a decoded body: answers that are not a feed at all (empty, an HTML page, a PHP error, a plain
 * maintenance notice) are told apart first, whatever format the feed is configured with; then the
 * configured reader, or the one the content points to for `auto`.
 */
export function readFeed(text: string, format: FeedFormatSetting): ReadResult {
  const picked = pickFormat(text, format);
  return 'kind' in picked ? picked : readAs(picked.format, picked.body);
}

/** The body `pickFormat` gave, read by the reader of its format. */
export function readAs(format: FeedFormat, body: string): ReadResult {
  return READERS[format].read(body);
}

/**
 * What `readFeed` decides before a reader reads: the answer when the body is no feed at all, else the
 * format to read it in and the body (leading whitespace trimmed) to give the reader.
 */
export function pickFormat(text: string, format: FeedFormatSetting): ReadResult | { format: FeedFormat; body: string } {
  const body = text.trimStart();
  if (body.trim() === '') return readError(format === 'auto' ? null : format, 'empty_body', 'the body is empty');
  const head = body.slice(0, 1024);
  const skipped = body.startsWith('<') ? XML_MISC.exec(body.slice(0, 65_536))![0].length : 0;
  const firstElement = body.slice(skipped, skipped + 1024);
  if (HTML.test(firstElement) || (/<html[\s>]/i.test(head) && !/<(\w+:)?(rates|items?)[\s>/]/i.test(head))) {
    return readError(null, 'html_page', `an HTML page instead of a feed (title: ${htmlTitle(body) ?? 'none'})`);
  }
  if (looksBinary(head)) return readError(null, 'not_a_feed', 'binary data, not a text feed');
  if (PHP_ERROR.test(head))
    return readError(null, 'php_error', `a PHP error instead of a feed: ${stripTags(head).slice(0, 200)}`);
  const first = body[0];
  if (first !== '<' && first !== '{' && first !== '[' && isMaintenanceText(body.trim()) && !TXT_LINE.test(body)) {
    return { kind: 'maintenance', format: format === 'auto' ? null : format, message: body.trim() };
  }
  const chosen = format === 'auto' ? sniffFormat(body) : format;
  if (chosen === null)
    return readError(null, 'not_a_feed', `not XML, JSON or TXT: starts with ${JSON.stringify(body.slice(0, 40))}`);
  return { format: chosen, body };
}

/**
 * The maintenance notice in an error answer's body (a 503 from an exchanger that is offline): a feed's
 * own maintenance answer in any format, or an HTML page whose title or opening text says so. Null when
 * the body says nothing of maintenance — then the answer is an ordinary HTTP error.
 */
export function maintenanceNotice(text: string): string | null {
  if (GENERIC_503.test(text)) return null;
  const read = readFeed(text, 'auto');
  if (read.kind === 'maintenance') return read.message;
  if (read.kind !== 'error' || read.code !== 'html_page') return null;
  const title = htmlTitle(text);
  if (title !== null && isMaintenanceText(title)) return title;
  const opening = stripTags(text.replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')).slice(0, 500);
  return isMaintenanceText(opening) ? opening : null;
}

/** The format a body's first character points to; null when it looks like none. */
export function sniffFormat(body: string): FeedFormat | null {
  const first = body[0];
  if (first === '<') return 'xml';
  if (first === '{' || first === '[') return 'json';
  // The first line that is not a `#` comment (TXT feeds may open with one).
  const firstLine =
    body
      .slice(0, 4096)
      .split(LINE_END)
      .find((line) => line.trim() !== '' && !line.trimStart().startsWith('#')) ?? '';
  return firstLine.split(';').length >= 4 ? 'txt' : null;
}

/**
 * NUL bytes (more than one in a hundred characters: UTF-16 without a BOM, an image, an archive) or
 * many control characters: not a text feed. A stray NUL in an otherwise good feed is not binary: the
 * normalizer strips it or rejects the one item that carries it.
 */
function looksBinary(head: string): boolean {
  let control = 0;
  let nul = 0;
  for (let i = 0; i < head.length; i++) {
    const c = head.charCodeAt(i);
    if (c === 0) nul++;
    if (c < 32 && c !== 9 && c !== 10 && c !== 13) control++;
  }
  return nul > head.length / 100 || control > head.length / 10;
}

function htmlTitle(body: string): string | null {
  // Bounded: `<title` repeated without a `>` must not make every match scan the rest of the body.
  const match = /<title[^<>]{0,200}>([^<]{0,120})/i.exec(body);
  return match?.[1]?.trim() || null;
}

function stripTags(text: string): string {
  return text
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}
