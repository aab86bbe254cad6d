import * as iconv from 'iconv-lite';
import { Dec, toPlain } from '@app/domain';

/** Every character Windows-1251 can encode (its 256 bytes decoded; 0x98 decodes to U+FFFD and is left out). */
const CP1251_CHARS: ReadonlySet<string> = new Set(
  [...iconv.decode(Buffer.from(Array.from({ length: 256 }, (_, i) => i)), 'win1251')].filter((c) => c !== '\ufffd'),
);

/** Signs CP1251 lacks, written out the way a reader of a rate table would (₽ is RUB, not "?"). */
const SIGNS: Readonly<Record<string, string>> = {
  '₽': 'RUB',
  '₴': 'UAH',
  '₸': 'KZT',
  '₮': 'MNT',
  '₺': 'TRY',
  '₹': 'INR',
  '₿': 'BTC',
  '₾': 'GEL',
  '₼': 'AZN',
  '¥': 'JPY',
  '£': 'GBP',
  ß: 'ss',
  ı: 'i',
  ł: 'l',
  Ł: 'L',
  ø: 'o',
  Ø: 'O',
  đ: 'd',
  Đ: 'D',
  æ: 'ae',
  Æ: 'AE',
  œ: 'oe',
  Œ: 'OE',
};

/**
 * A name as a field of a BestChange `.dat` file: one line of CP1251 text that every public client splits
 * safely. `;` (the separator) becomes `,`; line breaks, tabs and other control characters become a space;
 * `"` becomes `'` (a csv-parse reader would take it for a quote); a character CP1251 lacks is written as its
 * base letter (ş → s, é → e), a known sign as its code (₽ → RUB), else dropped; runs of spaces collapse. An
 * empty result is `fallback` (the code).
 */
export function datField(text: string, fallback: string): string {
  let out = '';
  for (const ch of text.normalize('NFC')) {
    if (ch === ';') out += ',';
    else if (ch === '"') out += "'";
    else if (/[\p{Cc}\p{Zl}\p{Zp}]/u.test(ch)) out += ' ';
    else if (CP1251_CHARS.has(ch)) out += ch;
    else if (SIGNS[ch] !== undefined) out += SIGNS[ch];
    else {
      // Its base letters, under the same rules: a full-width ； or ＂ decomposes to a plain ; or ".
      const base = [...ch.normalize('NFKD')].filter((c) => CP1251_CHARS.has(c) && !/\p{M}/u.test(c)).join('');
      if (base !== '') out += base.replace(/;/g, ',').replace(/"/g, "'");
    }
  }
  const clean = out.replace(/\s+/g, ' ').trim();
  return clean === '' ? fallback : clean;
}

/** CP1251 bytes of text that `datField` made (no BOM). */
export function cp1251(text: string): Buffer {
  return iconv.encode(text, 'win1251');
}

/** A decimal as BestChange writes it: plain, at most `places` decimals (rounded half up), no trailing zeros. */
export function datDecimal(value: Dec, places = 8): string {
  return toPlain(value.toDecimalPlaces(places, Dec.ROUND_HALF_UP));
}

const MONTHS_GENITIVE = [
  'января',
  'февраля',
  'марта',
  'апреля',
  'мая',
  'июня',
  'июля',
  'августа',
  'сентября',
  'октября',
  'ноября',
  'декабря',
];

/** Moscow time is UTC+3 all year (no daylight saving since 2014). */
const MOSCOW_OFFSET_MS = 3 * 3_600_000;

/** `HH:MM:SS, D <месяца>` in Moscow time, as `bm_info.dat`'s last_update (no year, no leading zero on the day). */
export function moscowLastUpdate(at: Date): string {
  const m = new Date(at.getTime() + MOSCOW_OFFSET_MS);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(m.getUTCHours())}:${two(m.getUTCMinutes())}:${two(m.getUTCSeconds())}, ${m.getUTCDate()} ${MONTHS_GENITIVE[m.getUTCMonth()]!}`;
}

/** `D <месяца> YYYY, HH:MM` in Moscow time, as a `bm_news.dat` entry's date. */
export function moscowNewsDate(at: Date): string {
  const m = new Date(at.getTime() + MOSCOW_OFFSET_MS);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${m.getUTCDate()} ${MONTHS_GENITIVE[m.getUTCMonth()]!} ${m.getUTCFullYear()}, ${two(m.getUTCHours())}:${two(m.getUTCMinutes())}`;
}
