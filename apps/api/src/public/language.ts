import { applyDecorators, Header } from '@nestjs/common';
import { ApiHeader, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';

/** The languages the catalog has names in. */
export const LANGUAGES = ['en', 'ru'] as const;
export type Language = (typeof LANGUAGES)[number];

/**
 * A handler whose answer depends on `Accept-Language`: says so to caches (`Vary`) and documents the header
 * as optional (Nest's `@Headers('accept-language')` alone would make generated clients require it).
 */
export function AcceptsLanguage(): MethodDecorator {
  return applyDecorators(
    Header('vary', 'Accept-Language'),
    ApiHeader({
      name: 'accept-language',
      required: false,
      description: 'en or ru preferred, when `lang` is not given',
    }),
  );
}

/** `?lang=`: which of the names an answer shows where it shows one (`displayName`). */
export class LanguageQuery {
  @ApiPropertyOptional({
    enum: LANGUAGES,
    description: 'names to show in `displayName`; default: the first of en/ru in Accept-Language, else en',
  })
  @IsOptional()
  @IsIn(LANGUAGES, { message: 'lang must be en or ru' })
  lang?: Language;
}

/**
 * The language of an answer: `?lang=` when given, else the first of en/ru that `Accept-Language` accepts
 * (by quality, `ru-RU` counting as ru), else English.
 */
export function languageOf(lang: Language | undefined, acceptLanguage: string | undefined): Language {
  if (lang !== undefined) return lang;
  const ranked = (acceptLanguage ?? '')
    .slice(0, 512)
    .split(',')
    .map((part, index) => {
      const [range = '', ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((p) => /^\s*q=([01](?:\.\d{0,3})?)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { primary: range.split('-')[0]!.trim(), q: q === undefined ? 1 : Number(q), index };
    })
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  const first = ranked.find((r) => (LANGUAGES as readonly string[]).includes(r.primary));
  return (first?.primary as Language | undefined) ?? 'en';
}

/** A name in both languages. */
export interface Names {
  en: string;
  ru: string;
}
