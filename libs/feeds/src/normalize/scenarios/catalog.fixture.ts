import { buildContext, CatalogEntry, NormalizationContext } from '../normalization-context';
import type { RawFeedItem } from '../../raw-item';

/** A small catalog for scenario tests: the real codes' tickers and ISO units. */
export const CATALOG: CatalogEntry[] = [
  { code: 'BTC', ticker: 'BTC', iso: 'BTC', kind: 'crypto', enabled: true },
  { code: 'ETH', ticker: 'ETH', iso: 'ETH', kind: 'crypto', enabled: true },
  { code: 'USDTTRC20', ticker: 'USDT', iso: 'USD', kind: 'crypto', enabled: true },
  { code: 'USDTERC20', ticker: 'USDT', iso: 'USD', kind: 'crypto', enabled: true },
  { code: 'PMUSD', ticker: 'USD', iso: 'USD', kind: 'emoney', enabled: true },
  { code: 'SBERRUB', ticker: 'RUB', iso: 'RUB', kind: 'online_banking', enabled: true },
  { code: 'TCSBRUB', ticker: 'RUB', iso: 'RUB', kind: 'online_banking', enabled: true },
  { code: 'CASHUSD', ticker: 'USD', iso: 'USD', kind: 'cash', enabled: true },
  { code: 'CASHRUB', ticker: 'RUB', iso: 'RUB', kind: 'cash', enabled: true },
  { code: 'QWRUB', ticker: 'RUB', iso: 'RUB', kind: 'emoney', enabled: false },
];

export function context(
  globalAliases: Array<[string, string]> = [
    ['USDTTRC', 'USDTTRC20'],
    ['TINKOFF', 'TCSBRUB'],
  ],
  exchangerAliases: Array<[string, string]> = [],
): NormalizationContext {
  return buildContext(CATALOG, globalAliases, exchangerAliases);
}

/** A raw item with the usual fields; override what the scenario is about. */
export function item(fields: Partial<RawFeedItem> = {}): RawFeedItem {
  return {
    from: 'BTC',
    to: 'SBERRUB',
    in: '1',
    out: '6850000.5',
    amount: '12500000',
    minamount: [],
    maxamount: [],
    ...fields,
  };
}
