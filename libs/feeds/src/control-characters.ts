/**
 * C0 and C1 control characters, tab and line feed excepted. No flag, code or stored message needs
 * them, and Postgres refuses NUL in text and jsonb: one NUL in a feed would otherwise fail the write.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** `text` without control characters (see CONTROL). */
export function withoutControlCharacters(text: string): string {
  return text.replace(CONTROL, '');
}

/** `text` with each control character shown as U+FFFD, for messages (what was there stays visible). */
export function printable(text: string): string {
  return text.replace(CONTROL, '\uFFFD');
}
