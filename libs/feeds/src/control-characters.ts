/**
 * C0 and C1 control characters, tab and line feed excepted. No flag, code or stored message needs
 * them, and Postgres refuses NUL in text and jsonb: one NUL in a feed would otherwise fail the write.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** A UTF-16 surrogate without its pair: JSON.stringify writes it as `\ud800`, which Postgres jsonb refuses. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** U+FFFD, what a decoder puts for a character it could not read (`&#0;`, a broken byte). */
const REPLACEMENT = /\uFFFD/g;

/** `text` without control characters, lone surrogates or U+FFFD: for values kept as data (flags, cities). */
export function withoutControlCharacters(text: string): string {
  return text.replace(CONTROL, '').replace(LONE_SURROGATE, '').replace(REPLACEMENT, '');
}

/** `text` with each control character and lone surrogate shown as U+FFFD, for messages (what was there stays visible). */
export function printable(text: string): string {
  return text.replace(CONTROL, '\uFFFD').replace(LONE_SURROGATE, '\uFFFD');
}
