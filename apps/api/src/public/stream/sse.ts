import { createHash } from 'node:crypto';

/** The name of the event that carries a table (EventSource: `addEventListener('table', …)`). */
export const TABLE_EVENT = 'table';

/** How long a client waits before reconnecting after the stream ends (the `retry:` hint), ms. */
export const RETRY_MS = 3000;

/** The comment line a heartbeat writes (SSE ignores it; proxies see traffic on an idle connection). */
export const HEARTBEAT = Buffer.from(': hb\n\n');

/** The first bytes of every stream: the reconnect hint, and a comment so clients see the stream open at once. */
export const OPENING = Buffer.from(`retry: ${RETRY_MS}\n: open\n\n`);

/**
 * The version of a rate table: a hash of its body without `generatedAt` (the time it was made, different
 * in every render). Two renders of the same offers have one version, in every api replica: the event id a
 * client sends back as Last-Event-ID means the same thing whichever replica it reconnects to.
 */
export function tableVersion(body: string): string {
  const marker = '"generatedAt":"';
  const start = body.indexOf(marker);
  const end = start < 0 ? -1 : body.indexOf('"', start + marker.length);
  const content = end < 0 ? body : body.slice(0, start) + body.slice(end + 1);
  return createHash('sha1').update(content).digest('base64url');
}

/**
 * One table event (TABLE_EVENT): its id (the version) and the body as data. A JSON body is one line (JSON.stringify
 * escapes line breaks), so it is one `data:` field; any line break left is split into fields all the same.
 */
export function ratesEvent(version: string, body: string): Buffer {
  const data = body
    .split(/\r\n|\r|\n/)
    .map((line) => `data: ${line}\n`)
    .join('');
  return Buffer.from(`id: ${version}\nevent: ${TABLE_EVENT}\n${data}\n`);
}
