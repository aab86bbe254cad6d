import type { CurrencyUnit, OfferTerms } from '../../model/offer';

export const BTC: CurrencyUnit = { code: 'BTC', ticker: 'BTC', iso: 'BTC', kind: 'crypto' };
export const SBERRUB: CurrencyUnit = { code: 'SBERRUB', ticker: 'RUB', iso: 'RUB', kind: 'online_banking' };
export const PMUSD: CurrencyUnit = { code: 'PMUSD', ticker: 'USD', iso: 'USD', kind: 'emoney' };
export const USDTTRC20: CurrencyUnit = { code: 'USDTTRC20', ticker: 'USDT', iso: 'USD', kind: 'crypto' };

export function offer(fields: Partial<OfferTerms> = {}): OfferTerms {
  return {
    rate: '6850000',
    reserve: null,
    fromMin: null,
    fromMax: null,
    toMin: null,
    toMax: null,
    fromFee: [],
    toFee: [],
    minFee: [],
    ...fields,
  };
}
