import * as iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { Dec } from '@app/domain';
import { cp1251, datDecimal, datField, moscowLastUpdate, moscowNewsDate } from './text';

describe('datField', () => {
  it('keeps Cyrillic and the signs CP1251 has (— ё № €)', () => {
    expect(datField('Сбербанк RUB — ёлка № 1 €', 'X')).toBe('Сбербанк RUB — ёлка № 1 €');
  });

  it('never lets the separator, a quote or a line break through', () => {
    expect(datField('a;b"c\nd\r\ne\tf\u2028g', 'X')).toBe("a,b'c d e f g");
    // Full-width separators decompose to the plain ones: they must not split a row either.
    expect(datField('Obmen\uFF1BX\uFF02Y\uFE54Z', 'X')).toBe("Obmen,X'Y,Z");
  });

  it('writes letters CP1251 lacks as their base letter, known signs as their code, and drops the rest', () => {
    expect(datField('Şeker bank é ₽ ₸ 🚀 ß', 'X')).toBe('Seker bank e RUB KZT ss');
  });

  it('falls back to the code when nothing printable is left', () => {
    expect(datField(' \n🚀 ', 'SBERRUB')).toBe('SBERRUB');
  });

  it('always encodes to CP1251 and back unchanged', () => {
    for (const name of ['Москва', 'a;b"c\nd', 'Ünïcödé ₮ ₿', 'Київ', 'Алматы'])
      expect(iconv.decode(cp1251(datField(name, 'X')), 'win1251')).toBe(datField(name, 'X'));
    expect([...cp1251('Москва')]).toEqual([0xcc, 0xee, 0xf1, 0xea, 0xe2, 0xe0]);
    // Ukrainian letters exist in CP1251: Київ stays as it is.
    expect(datField('Київ', 'X')).toBe('Київ');
  });
});

describe('datDecimal', () => {
  it('writes plain decimals, at most 8 places half up, no trailing zeros, no exponent', () => {
    expect(datDecimal(new Dec('6900000.50'))).toBe('6900000.5');
    expect(datDecimal(new Dec('0.000000015'))).toBe('0.00000002');
    expect(datDecimal(new Dec('1e-12'))).toBe('0');
    expect(datDecimal(new Dec('12345678901234567890'))).toBe('12345678901234567890');
    expect(datDecimal(new Dec('2.345'), 2)).toBe('2.35');
  });
});

describe('Moscow dates', () => {
  it("writes bm_info.dat's last_update in Moscow time, the day without a leading zero, the month in the genitive", () => {
    expect(moscowLastUpdate(new Date('2026-01-17T12:07:37Z'))).toBe('15:07:37, 17 января');
    expect(moscowLastUpdate(new Date('2026-12-31T22:30:05Z'))).toBe('01:30:05, 1 января');
    expect(moscowLastUpdate(new Date('2026-05-03T00:00:00Z'))).toBe('03:00:00, 3 мая');
  });

  it("writes a bm_news.dat entry's date with the year", () => {
    expect(moscowNewsDate(new Date('2024-12-25T07:55:00Z'))).toBe('25 декабря 2024, 10:55');
  });
});
