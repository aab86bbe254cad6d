import type { NormalizedOffer } from '@app/domain';

/** A normalized offer BTC → ETH at 20, no limits, fees or flags; override what a test is about. */
export function offerOf(fields: Partial<NormalizedOffer> = {}): NormalizedOffer {
  const rate = fields.rate ?? fields.out ?? '20';
  return {
    from: 'BTC',
    to: 'ETH',
    city: null,
    in: '1',
    out: rate,
    rate,
    reserve: null,
    fromMin: null,
    fromMax: null,
    toMin: null,
    toMax: null,
    fromFee: [],
    toFee: [],
    minFee: [],
    flags: [],
    floating: null,
    delayMinutes: null,
    ...fields,
  };
}
