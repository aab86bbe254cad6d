import { describe, expect, it } from 'vitest';
import { normalizeItems } from '../normalizer';
import { context, item } from './catalog.fixture';

const feesOf = (fields: Parameters<typeof item>[0]) => normalizeItems([item(fields)], context()).offers[0]!;
const text = (value: string) => [{ text: value }];

describe('scenario: fees', () => {
  it('splits a list into fixed and percent components', () => {
    expect(feesOf({ fromfee: text('0.5 USD, 1 %') }).fromFee).toEqual([
      { kind: 'fixed', value: '0.5', unit: 'USD' },
      { kind: 'percent', value: '1' },
    ]);
  });

  it('reads percent written without a space and with a comma decimal', () => {
    expect(feesOf({ tofee: text('0.2%') }).toFee).toEqual([{ kind: 'percent', value: '0.2' }]);
    expect(feesOf({ tofee: text('0,5 %') }).toFee).toEqual([{ kind: 'percent', value: '0.5' }]);
  });

  it('gives a bare fixed fee the unit of its side', () => {
    const offer = feesOf({ fromfee: text('1'), tofee: text('150'), minfee: text('0.0001') });
    expect(offer.fromFee).toEqual([{ kind: 'fixed', value: '1', unit: 'BTC' }]);
    expect(offer.toFee).toEqual([{ kind: 'fixed', value: '150', unit: 'SBERRUB' }]);
    expect(offer.minFee).toEqual([{ kind: 'fixed', value: '0.0001', unit: 'BTC' }]);
  });

  it('drops zero fees and warns about unreadable ones', () => {
    const result = normalizeItems([item({ fromfee: text('0 %, abc %, -1 USD') })], context());
    expect(result.offers[0]?.fromFee).toEqual([]);
    expect(result.warnings).toEqual(['item 0: unreadable fromfee "abc %"', 'item 0: unreadable fromfee "-1 USD"']);
  });

  it('keeps long padded decimals exact', () => {
    expect(feesOf({ tofee: text('0.0000016000 BTCLN') }).toFee).toEqual([
      { kind: 'fixed', value: '0.0000016', unit: 'BTCLN' },
    ]);
  });
});

describe('scenario: EREF 1.1 fee types and repeated fee elements', () => {
  it('reads type="%" as a percent, never as a fixed amount of the side currency', () => {
    expect(feesOf({ fromfee: [{ text: '0.5', type: '%' }] }).fromFee).toEqual([{ kind: 'percent', value: '0.5' }]);
  });

  it('reads type="abs" as a fixed amount in that side’s currency, a unit after it winning', () => {
    expect(feesOf({ tofee: [{ text: '150', type: 'abs' }] }).toFee).toEqual([
      { kind: 'fixed', value: '150', unit: 'SBERRUB' },
    ]);
    expect(feesOf({ fromfee: [{ text: '10 USD', type: 'abs' }] }).fromFee).toEqual([
      { kind: 'fixed', value: '10', unit: 'USD' },
    ]);
  });

  it('keeps every repeated component: all of them apply', () => {
    expect(
      feesOf({
        tofee: [
          { text: '1', type: 'abs' },
          { text: '0.2', type: '%' },
        ],
      }).toFee,
    ).toEqual([
      { kind: 'fixed', value: '1', unit: 'SBERRUB' },
      { kind: 'percent', value: '0.2' },
    ]);
  });

  it('accepts a percent sign inside a typed percent and warns about an unknown type', () => {
    const result = normalizeItems(
      [
        item({
          fromfee: [
            { text: '1 %', type: '%' },
            { text: '3', type: 'per-mille' },
          ],
        }),
      ],
      context(),
    );
    expect(result.offers[0]?.fromFee).toEqual([{ kind: 'percent', value: '1' }]);
    expect(result.warnings).toEqual(['item 0: fromfee of unknown type "per-mille" ignored: "3"']);
  });

  it('rejects the item when a fee is out of range, keeping the others', () => {
    const result = normalizeItems(
      [item({ fromfee: [{ text: `0.${'0'.repeat(40)}1`, type: '%' }] }), item({ to: 'ETH' })],
      context(),
    );
    expect(result.offers.map((o) => o.to)).toEqual(['ETH']);
    expect(result.rejected[0]?.reason).toMatch(/^fromfee ".*" is out of range: smaller than 1e-30$/);
  });
});
