import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures (DESIGN.md §12), as Stripe-style receivers expect them:
 * `X-Ratewatch-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with the alert's secret>`.
 * The timestamp inside the signed text lets a receiver refuse replays older than a few minutes.
 */
export const SIGNATURE_HEADER = 'X-Ratewatch-Signature';
export const EVENT_HEADER = 'X-Ratewatch-Event';
export const DELIVERY_HEADER = 'X-Ratewatch-Delivery';

/** The value of X-Ratewatch-Signature for `body` sent at `at`. */
export function signWebhook(secret: string, body: string, at: Date): string {
  const t = Math.floor(at.getTime() / 1000);
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${v1}`;
}

/**
 * Whether `header` signs `body` with `secret`, made at most `toleranceSeconds` before (or after) `now`. The
 * comparison takes the same time whatever the bytes (no timing oracle for a forger).
 */
export function verifyWebhookSignature(
  secret: string,
  header: string,
  body: string,
  now: Date,
  toleranceSeconds = 300,
): boolean {
  const parts = new Map(
    header.split(',').map((part) => {
      const at = part.indexOf('=');
      return [part.slice(0, at).trim(), part.slice(at + 1).trim()] as const;
    }),
  );
  const t = parts.get('t');
  const v1 = parts.get('v1');
  if (!t || !/^\d{1,12}$/.test(t) || !v1 || !/^[0-9a-f]{64}$/.test(v1)) return false;
  if (Math.abs(now.getTime() / 1000 - Number(t)) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(v1, 'hex'));
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
