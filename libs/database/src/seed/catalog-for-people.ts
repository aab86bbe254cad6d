import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CITY_PATTERN, cityKey, CURRENCY_CODE_PATTERN, URL_NAME_MAX_LENGTH, URL_NAME_PATTERN } from '@app/domain';

/** A currency's names for people and its url name (`currency-names.csv`). */
export interface CurrencyNames {
  code: string;
  en: string;
  ru: string;
  urlName: string;
}

/** A seeded cash city (`cities.csv`): code, names, ISO country and other spellings feeds and visitors use. */
export interface SeedCity {
  code: string;
  en: string;
  ru: string;
  country: string | null;
  aliases: string[];
}

/** Reads the rows of a small comma-separated file with a fixed header (no quoting: no field holds a comma). */
function rowsOf(text: string, header: string, file: string): string[][] {
  const lines = text
    .replace(/^\ufeff/, '')
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '');
  if (lines[0]?.trim() !== header) throw new Error(`${file} must start with the header "${header}"`);
  const width = header.split(',').length;
  return lines.slice(1).map((line, i) => {
    const fields = line.split(',').map((f) => f.trim());
    if (fields.length !== width || fields.slice(0, width - 1).some((f) => f === ''))
      throw new Error(`${file} line ${i + 2}: expected ${width} fields, got "${line}"`);
    return fields;
  });
}

/** Parses `code,en,ru,url_name`: every url name lower-case letters, digits and dashes, and unique. */
export function parseCurrencyNamesCsv(text: string): CurrencyNames[] {
  const seen = new Map<string, string>();
  return rowsOf(text, 'code,en,ru,url_name', 'currency-names.csv').map(([code, en, ru, urlName], i) => {
    const where = `currency-names.csv line ${i + 2}`;
    if (!CURRENCY_CODE_PATTERN.test(code!)) throw new Error(`${where}: bad code "${code}"`);
    if (!URL_NAME_PATTERN.test(urlName!) || urlName!.length > URL_NAME_MAX_LENGTH)
      throw new Error(`${where}: url name "${urlName}" must be lower-case letters, digits and single dashes`);
    const other = seen.get(urlName!);
    if (other !== undefined) throw new Error(`${where}: url name "${urlName}" is already ${other}'s`);
    seen.set(urlName!, code!);
    return { code: code!, en: en!, ru: ru!, urlName: urlName! };
  });
}

/** Parses `code,en,ru,country,aliases` (aliases separated by `|`): codes in CITY_PATTERN, no alias twice. */
export function parseCitiesCsv(text: string): SeedCity[] {
  const rows = rowsOf(text, 'code,en,ru,country,aliases', 'cities.csv');
  const codeKeys = new Set(rows.map(([code]) => cityKey(code!)));
  const aliasKeys = new Map<string, string>();
  return rows.map(([code, en, ru, country, aliases], i) => {
    const where = `cities.csv line ${i + 2}`;
    if (!CITY_PATTERN.test(code!)) throw new Error(`${where}: bad city code "${code}"`);
    if (country !== '' && !/^[A-Z]{2}$/.test(country!)) throw new Error(`${where}: bad country "${country}"`);
    const list = aliases === '' ? [] : aliases!.split('|').map((a) => a.trim());
    for (const alias of list) {
      const key = cityKey(alias);
      if (key === '') throw new Error(`${where}: empty alias`);
      // An alias spelled like its own code adds nothing (codes match in any case); like another code, it would hijack it.
      if (codeKeys.has(key) && key !== cityKey(code!))
        throw new Error(`${where}: alias "${alias}" is another city's code`);
      const other = aliasKeys.get(key);
      if (other !== undefined && other !== code) throw new Error(`${where}: alias "${alias}" is already ${other}'s`);
      aliasKeys.set(key, code!);
    }
    return {
      code: code!,
      en: en!,
      ru: ru!,
      country: country === '' ? null : country!,
      aliases: list.filter((a) => cityKey(a) !== cityKey(code!)),
    };
  });
}

export function readBundledCurrencyNames(): CurrencyNames[] {
  return parseCurrencyNamesCsv(readFileSync(bundledSeedPath('currency-names.csv'), 'utf8'));
}

export function readBundledCities(): SeedCity[] {
  return parseCitiesCsv(readFileSync(bundledSeedPath('cities.csv'), 'utf8'));
}

/** A seed file, from sources and from dist alike (walks up to the project root and takes the source file). */
export function bundledSeedPath(file: string): string {
  let dir = __dirname;
  for (;;) {
    const candidate = join(dir, 'libs', 'database', 'src', 'seed', file);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`${file} not found above ${__dirname}`);
    dir = parent;
  }
}
