import { CatalogEntry, CityDirectory, cleanCode, CurrencyAlias } from '@app/domain';

export type { CatalogEntry };

/** What the normalizer needs to know besides the feed: the catalog and the aliases that apply. */
export interface NormalizationContext {
  readonly currencies: ReadonlyMap<string, CatalogEntry>;
  /** Cleaned alias → catalog code; global ones. */
  readonly globalAliases: ReadonlyMap<string, string>;
  /** Cleaned alias → catalog code; this exchanger's own (they win over global ones). */
  readonly exchangerAliases: ReadonlyMap<string, string>;
  /** The city catalog: a feed's `Moscow` or `ST.PETERSBURG` is stored as its code (MSK, SPB). Absent: cities as written. */
  readonly cities?: CityDirectory;
}

export function buildContext(
  currencies: Iterable<CatalogEntry>,
  globalAliases: Iterable<[string, string]> = [],
  exchangerAliases: Iterable<[string, string]> = [],
): NormalizationContext {
  const clean = (entries: Iterable<[string, string]>) =>
    new Map([...entries].map(([alias, code]) => [cleanCode(alias), code] as [string, string]));
  return {
    currencies: new Map([...currencies].map((c) => [c.code, c])),
    globalAliases: clean(globalAliases),
    exchangerAliases: clean(exchangerAliases),
  };
}

/** The context of one exchanger (null: global aliases only) from the whole catalog and alias list. */
export function contextForExchanger(
  currencies: Iterable<CatalogEntry>,
  aliases: readonly CurrencyAlias[],
  exchangerId: number | null,
): NormalizationContext {
  return buildContext(
    currencies,
    aliases.filter((a) => a.exchangerId === null).map((a) => [a.alias, a.code]),
    aliases.filter((a) => exchangerId !== null && a.exchangerId === exchangerId).map((a) => [a.alias, a.code]),
  );
}
