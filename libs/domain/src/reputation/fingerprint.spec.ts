import { describe, expect, it } from 'vitest';
import {
  fingerprintDistance,
  isNearDuplicate,
  NEAR_DUPLICATE_MAX_BITS,
  normalizeForFingerprint,
  textFingerprint,
} from './fingerprint';

const REVIEWS = [
  'Exchanged 500 USDT to Sberbank rubles, money arrived in fifteen minutes, support answered quickly.',
  'Обменял 0.01 BTC на карту Сбербанка, деньги пришли через 20 минут, оператор вежливый, рекомендую.',
  'Terrible service, they froze my Bitcoin for three days and asked for a selfie with passport.',
  'Fast and reliable, used them five times already, the rate was the best on the monitor that day.',
  'Good exchanger, rate fair, but the verification took too long for a small amount of money.',
  'Деньги не пришли уже второй день, поддержка молчит, не рекомендую никому этот обменник.',
  'Всё прошло отлично, курс хороший, обмен занял минут десять, буду пользоваться ещё.',
  'Scam! Do not use, lost my 300 dollars and they blocked me in telegram chat.',
];
const distance = (a: string, b: string) => fingerprintDistance(textFingerprint(a), textFingerprint(b));

describe('text fingerprint (near-duplicates)', () => {
  it('is a signed 64-bit integer, the same for the same text', () => {
    const fingerprint = textFingerprint(REVIEWS[0]!);
    expect(BigInt(fingerprint)).toBeGreaterThanOrEqual(-(2n ** 63n));
    expect(BigInt(fingerprint)).toBeLessThan(2n ** 63n);
    expect(textFingerprint(REVIEWS[0]!)).toBe(fingerprint);
  });

  it('ignores case, spaces, punctuation, invisible characters and Cyrillic look-alikes of Latin letters', () => {
    const text = REVIEWS[0]!;
    for (const variant of [
      text.toUpperCase(),
      text.replace(/ /g, '   ').replace(/,/g, ' ;; '),
      `!!! ${text} ...`,
      text.replace(/\s+/g, '\n'),
      text.replace(/a/g, 'а').replace(/o/g, 'о').replace(/e/g, 'е'), // Cyrillic а, о, е
      text.replace(/ /g, '\u200B'),
    ])
      expect(distance(text, variant), variant).toBe(0);
    expect(normalizeForFingerprint('Hello, WORLD — 42!')).toBe('helloworld42');
  });

  it('catches most small edits (a word added, removed or replaced, a letter changed): SimHash is statistical', () => {
    const distances = REVIEWS.flatMap((text) => {
      const words = text.split(' ');
      return [
        `${text} Thanks!`,
        `Hello! ${text}`,
        words.slice(0, -1).join(' '),
        [...words.slice(0, 3), 'really', ...words.slice(3)].join(' '),
        text.replace(/e/, 'a').replace(/o/, 'u'),
      ].map((edit) => distance(text, edit));
    });
    const caught = distances.filter((bits) => bits <= NEAR_DUPLICATE_MAX_BITS).length;
    expect(caught / distances.length).toBeGreaterThanOrEqual(0.85);
    expect(Math.max(...distances)).toBeLessThan(20); // still closer than any two different reviews
  });

  it('keeps different reviews far apart, even on the same subject in the same words', () => {
    const texts = [
      ...REVIEWS,
      'Good exchanger, fast exchange, fair rate, I recommend it to everyone who needs USDT.',
      'Good exchanger, the exchange was fast and the rate fair, recommended for buying Bitcoin.',
    ];
    for (let i = 0; i < texts.length; i++)
      for (let j = i + 1; j < texts.length; j++)
        expect(isNearDuplicate(textFingerprint(texts[i]!), textFingerprint(texts[j]!)), `${i} ${j}`).toBe(false);
  });

  it('counts differing bits over the whole 64, sign bit included', () => {
    expect(fingerprintDistance('0', '-1')).toBe(64);
    expect(fingerprintDistance('-9223372036854775808', '0')).toBe(1);
    expect(fingerprintDistance('5', '6')).toBe(2);
  });
});
