import { describe, expect, it } from 'vitest';
import { normalizeItems } from '../normalizer';
import { context, item } from './catalog.fixture';

const feesOf = (fields: Parameters<typeof item>[0]) => normalizeItems([item(fields)], context()).offers[0]!;

describe('scenario: fees', () => {
  it('splits a list into fixed and percent components', () => {
    expect(feesOf({ fromfee: '0.5 USD, 1 %' }).fromFee).toEqual([
      { kind: 'fixed', value: '0.5', unit: 'USD' },
      { kind: 'percent', value: '1' },
    ]);
  });

  it('reads percent written without a space and with a comma decimal', () => {
    expect(feesOf({ tofee: '0.2%' }).toFee).toEqual([{ kind: 'percent', value: '0.2' }]);
    expect(feesOf({ tofee: '0,5 %' }).toFee).toEqual([{ kind: 'percent', value: '0.5' }]);
  });

  it('gives a bare fixed fee the unit of its side', () => {
    const offer = feesOf({ fromfee: '1', tofee: '150', minfee: '0.0001' });
    expect(offer.fromFee).toEqual([{ kind: 'fixed', value: '1', unit: 'BTC' }]);
    expect(offer.toFee).toEqual([{ kind: 'fixed', value: '150', unit: 'SBERRUB' }]);
    expect(offer.minFee).toEqual([{ kind: 'fixed', value: '0.0001', unit: 'BTC' }]);
  });

  it('drops zero fees and warns about unreadable ones', () => {
    const result = normalizeItems([item({ fromfee: '0 %, abc %, -1 USD' })], context());
    expect(result.offers[0]?.fromFee).toEqual([]);
    expect(result.warnings).toEqual(['item 0: unreadable fee "abc %"', 'item 0: unreadable fee "-1 USD"']);
  });

  it('keeps long padded decimals exact', () => {
    expect(feesOf({ tofee: '0.0000016000 BTCLN' }).toFee).toEqual([{ kind: 'fixed', value: '0.0000016', unit: 'BTCLN' }]);
  });
});
