import { Dec } from '../decimal';
import { InvalidFieldError } from '../errors';
import { CURRENCY_CODE_PATTERN } from '../patterns';

/** Review and claim texts: 20–2,000 characters (code points) once cleaned. */
export const TEXT_MIN = 20;
export const TEXT_MAX = 2000;
/** An exchanger's reply to a review or answer to a claim may be short ("Refunded, sorry."). */
export const REPLY_MIN = 2;
export const REPLY_MAX = 2000;
/** A moderator's reason for rejecting a review or a claim. */
export const REASON_MIN = 3;
export const REASON_MAX = 500;
/** An order reference as the exchanger's site shows it (an id, a number, a short code). */
export const ORDER_REF_MAX = 64;

// Control characters (C0 but tab and line feed, DEL, C1) and the invisible ones used to disguise text:
// zero-width characters, bidirectional overrides and isolates, the byte-order mark.
const INVISIBLE =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;
/** A UTF-16 surrogate without its pair: it would reach the database as U+FFFD. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Text as ratewatch keeps it: plain text, exactly as typed except that line ends become `\n`, control
 * and invisible characters (and broken surrogates) are removed, runs of blank lines shrink to one and the ends are trimmed.
 * Nothing is escaped or interpreted: `<script>` stays the eight characters it is, and pages render it
 * as text (`textContent`), never as HTML.
 */
export function plainText(raw: string): string {
  return raw
    .replace(/\r\n?/g, '\n')
    .replace(INVISIBLE, '')
    .replace(LONE_SURROGATE, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** `raw` cleaned by `plainText`, or an InvalidFieldError naming `field` when its length is out of bounds. */
export function boundedText(field: string, raw: string, min: number, max: number): string {
  const text = plainText(raw);
  const length = Array.from(text).length;
  if (length < min || length > max)
    throw new InvalidFieldError(`${field} must be ${min}–${max} characters of text (it has ${length})`);
  return text;
}

/** A review's or claim's text (20–2,000 characters). */
export const cleanReviewText = (raw: string) => boundedText('text', raw, TEXT_MIN, TEXT_MAX);
/** An exchanger's reply or answer. */
export const cleanReplyText = (raw: string) => boundedText('text', raw, REPLY_MIN, REPLY_MAX);
/** A moderator's reason. */
export const cleanReason = (raw: string) => boundedText('reason', raw, REASON_MIN, REASON_MAX);

/** An optional order reference: one line, up to 64 characters; empty means none. */
export function cleanOrderRef(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined) return null;
  const ref = plainText(raw);
  if (ref === '') return null;
  if (ref.includes('\n') || Array.from(ref).length > ORDER_REF_MAX)
    throw new InvalidFieldError(`orderRef must be one line of at most ${ORDER_REF_MAX} characters`);
  return ref;
}

/** A claim's disputed amount: a positive decimal with its currency code, or neither. */
export function cleanClaimAmount(
  amount: string | null | undefined,
  currency: string | null | undefined,
): { amount: string | null; currency: string | null } {
  if ((amount ?? null) === null && (currency ?? null) === null) return { amount: null, currency: null };
  if (!amount || !currency) throw new InvalidFieldError('amount and currency go together');
  if (!/^\d{1,20}(\.\d{1,18})?$/.test(amount) || new Dec(amount).lte(0))
    throw new InvalidFieldError('amount must be a positive decimal number such as 150.5');
  if (!CURRENCY_CODE_PATTERN.test(currency))
    throw new InvalidFieldError('currency must be a currency code such as USDT');
  return { amount: new Dec(amount).toFixed(), currency };
}
