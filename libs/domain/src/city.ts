/** A currency's url name (`sberbank-rub`, `bitcoin`): 1–64 lower-case letters, digits and single dashes. */
export const URL_NAME_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;
export const URL_NAME_MAX_LENGTH = 64;

/**
 * How a city's spelling is compared: lower case, `ё` as `е`, and nothing but letters and digits, so
 * `ST.PETERSBURG`, `Saint Petersburg`, `saint-petersburg` and `SaintPetersburg` are one key.
 */
export function cityKey(text: string): string {
  // The common case (a feed's `MSK`, `SAM`): plain letters and digits need no Unicode work.
  if (/^[A-Za-z0-9]*$/.test(text)) return text.toLowerCase();
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/ё/g, 'е')
    .replace(/[^\p{L}\p{N}]+/gu, '');
}

/** What a written city is: a catalog code, another name of one (an alias), or nothing known. */
export type CityResolution = { kind: 'code'; code: string } | { kind: 'alias'; code: string } | { kind: 'unknown' };

/**
 * The city catalog as a lookup: codes (any case) and their aliases (any spelling that gives the same
 * `cityKey`). Pure: the api's `city` parameters and the feed normalizer read the same one.
 */
export class CityDirectory {
  private readonly codes: ReadonlySet<string>;
  private readonly byKey: ReadonlyMap<string, string>;

  constructor(codes: Iterable<string>, aliases: Iterable<{ alias: string; code: string }>) {
    this.codes = new Set(codes);
    const byKey = new Map<string, string>();
    for (const { alias, code } of aliases) if (this.codes.has(code)) byKey.set(cityKey(alias), code);
    this.byKey = byKey;
  }

  get size(): number {
    return this.codes.size;
  }

  resolve(text: string): CityResolution {
    const upper = text.trim().toUpperCase();
    if (this.codes.has(upper)) return { kind: 'code', code: upper };
    const code = this.byKey.get(cityKey(text));
    return code === undefined ? { kind: 'unknown' } : { kind: 'alias', code };
  }

  /** A feed's city as the code it names: the code itself, an alias's code, else the text unchanged. */
  canonical(upperCased: string): string {
    if (this.codes.has(upperCased)) return upperCased;
    return this.byKey.get(cityKey(upperCased)) ?? upperCased;
  }
}
