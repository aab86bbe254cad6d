import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures (DESIGN.md §12; API.md: `X-Ratewatch-Signature: sha256=…`):
 * `X-Ratewatch-Signature: sha256=<hex HMAC-SHA256 of "<t>.<body>" keyed with the alert's secret>` and
 * `X-Ratewatch-Timestamp: <t>` (unix seconds). The timestamp is inside the signed text, so a receiver can
 * refuse replays older than a few minutes.
 */
export const SIGNATURE_HEADER = 'X-Ratewatch-Signature';
export const TIMESTAMP_HEADER = 'X-Ratewatch-Timestamp';
export const EVENT_HEADER = 'X-Ratewatch-Event';
export const DELIVERY_HEADER = 'X-Ratewatch-Delivery';

/** What a receiver reads to check a notice: the two headers' values. */
export interface WebhookSignature {
  readonly signature: string;
  readonly timestamp: string;
}

/** The signature headers' values for `body` sent at `at`. */
export function signWebhook(secret: string, body: string, at: Date): WebhookSignature {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const hmac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return { signature: `sha256=${hmac}`, timestamp };
}

/** The headers that sign `body` (X-Ratewatch-Signature and X-Ratewatch-Timestamp). */
export function signatureHeaders(secret: string, body: string, at: Date): Record<string, string> {
  const { signature, timestamp } = signWebhook(secret, body, at);
  return { [SIGNATURE_HEADER]: signature, [TIMESTAMP_HEADER]: timestamp };
}

/**
 * Whether `signed` signs `body` with `secret`, made at most `toleranceSeconds` before (or after) `now`. The
 * comparison takes the same time whatever the bytes (no timing oracle for a forger).
 */
export function verifyWebhookSignature(
  secret: string,
  signed: WebhookSignature,
  body: string,
  now: Date,
  toleranceSeconds = 300,
): boolean {
  const { signature, timestamp } = signed;
  const hex = /^sha256=([0-9a-f]{64})$/.exec(signature)?.[1];
  if (!hex || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(hex, 'hex'));
}

/** A new random credential (an alert's token, or its signing secret): 32 bytes, base64url, with a prefix saying what it is. */
export function newAlertCredential(prefix: 'rwa' | 'rws'): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

/** What the database keeps of an alert's token: its SHA-256 (the token itself is shown once, at creation). */
export function hashAlertToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Whether `token` is the one whose hash is `storedHash`, in constant time. */
export function alertTokenMatches(token: string, storedHash: string): boolean {
  const given = Buffer.from(hashAlertToken(token), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}
