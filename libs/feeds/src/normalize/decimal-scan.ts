import { canonicalDecimal } from '@app/domain';

/**
 * True when `raw` is already what `canonicalDecimal` makes of it by its plain-digits path: digits (at
 * most 30, no leading zero but a lone `0`), optionally a dot and 1 to 40 digits not ending in zero.
 * A scan of the characters: no regular expression, no new string — the decimal is validated, not built.
 */
export function isCanonicalDecimal(raw: string): boolean {
  const length = raw.length;
  if (length === 0 || length > 71) return false;
  let i = 0;
  let c = raw.charCodeAt(0);
  if (c === 48) {
    if (length === 1) return true;
    if (raw.charCodeAt(1) !== 46) return false;
    i = 1;
  } else {
    while (i < length) {
      c = raw.charCodeAt(i);
      if (c < 48 || c > 57) break;
      i++;
    }
    if (i === 0 || i > 30) return false;
    if (i === length) return true;
    if (c !== 46) return false;
  }
  // raw[i] is the dot.
  const fraction = i + 1;
  if (fraction === length || length - fraction > 40) return false;
  for (let j = fraction; j < length; j++) {
    c = raw.charCodeAt(j);
    if (c < 48 || c > 57) return false;
  }
  return raw.charCodeAt(length - 1) !== 48;
}

/** `canonicalDecimal`, answering a value that is already canonical with itself. */
export function fastCanonical(raw: string): string | null {
  return isCanonicalDecimal(raw) ? raw : canonicalDecimal(raw);
}
