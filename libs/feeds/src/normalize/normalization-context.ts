import { cleanCode } from '@app/domain';

export interface CatalogEntry {
  code: string;
  ticker: string;
  iso: string;
  kind: string;
  enabled: boolean;
}

/** What the normalizer needs to know besides the feed: the catalog and the aliases that apply. */
export interface NormalizationContext {
  readonly currencies: ReadonlyMap<string, CatalogEntry>;
  /** Cleaned alias → catalog code; global ones. */
  readonly globalAliases: ReadonlyMap<string, string>;
  /** Cleaned alias → catalog code; this exchanger's own (they win over global ones). */
  readonly exchangerAliases: ReadonlyMap<string, string>;
}

export function buildContext(
  currencies: Iterable<CatalogEntry>,
  globalAliases: Iterable<[string, string]> = [],
  exchangerAliases: Iterable<[string, string]> = [],
): NormalizationContext {
  const clean = (entries: Iterable<[string, string]>) => new Map([...entries].map(([alias, code]) => [cleanCode(alias), code] as [string, string]));
  return {
    currencies: new Map([...currencies].map((c) => [c.code, c])),
    globalAliases: clean(globalAliases),
    exchangerAliases: clean(exchangerAliases),
  };
}
