import { describe, expect, it } from 'vitest';
import { Dec } from '../decimal';
import { BTC, offer, PMUSD, SBERRUB, USDTTRC20 } from '../rates/scenarios/scenario.fixture';
import { rankrateOf, referenceAmount } from './rankrate';

/**
 * Scenario: rankrate at $300 on BTC → SBERRUB, BTC worth 60,000 USD, so the reference amount is 0.005 BTC.
 * The offer: 6,000,000 RUB per BTC, 1 % + 0.0001 BTC on what is given, 50 RUB on what is received.
 * At 0.005 BTC: fee 0.0001 + 0.00005 = 0.00015, net 0.00485 × 6,000,000 = 29,100 − 50 = 29,050 RUB,
 * rankrate 29,050 / 0.005 = 5,810,000 (the table rate 6,000,000 minus what the fees cost at $300).
 */
describe('scenario: rankrate at $300 with fees on both sides and limits', () => {
  const amount = referenceAmount(new Dec(300), new Dec(60000), BTC);
  const terms = (fields: Parameters<typeof offer>[0] = {}) =>
    offer({
      rate: '6000000',
      fromFee: [
        { kind: 'percent', value: '1' },
        { kind: 'fixed', value: '0.0001', unit: 'BTC' },
      ],
      toFee: [{ kind: 'fixed', value: '50', unit: 'RUB' }],
      ...fields,
    });
  const rankrate = (fields: Parameters<typeof offer>[0] = {}) => rankrateOf(terms(fields), amount, BTC, SBERRUB);

  it('gives 0.005 BTC for $300 at 60,000 USD per BTC', () => {
    expect(amount.toFixed()).toBe('0.005');
  });

  it('is what the calculator yields at the reference amount, per 1 given', () => {
    const r = rankrate();
    expect(r && { rate: r.rate.toFixed(), give: r.give.toFixed(), get: r.get.toFixed(), at: r.at }).toEqual({
      rate: '5810000',
      give: '0.005',
      get: '29050',
      at: 'reference',
    });
  });

  it('takes the minimum when a min limit is above the reference amount', () => {
    // fromMin 0.01 BTC ($600): fee 0.0001 + 0.0001 = 0.0002, net 0.0098 × 6,000,000 = 58,800 − 50 = 58,750;
    // 58,750 / 0.01 = 5,875,000 — the fixed fees weigh less at the larger amount.
    const r = rankrate({ fromMin: '0.01' });
    expect(r && [r.rate.toFixed(), r.give.toFixed(), r.get.toFixed(), r.at]).toEqual([
      '5875000',
      '0.01',
      '58750',
      'minimum',
    ]);
  });

  it('takes the give for toMin when what $300 yields is below the least the exchanger pays', () => {
    // Get 40,000 RUB: gross 40,050, ÷ 6,000,000 = 0.006675; (0.006675 + 0.0001) / 0.99 = 0.0068434343… → up: 0.00684344.
    const r = rankrate({ toMin: '40000' });
    expect(r && [r.give.toFixed(), r.get.toFixed(), r.at]).toEqual(['0.00684344', '40000', 'minimum']);
    expect(r!.rate.toFixed()).toBe('5845013.618881731994435547034824591141297');
  });

  it('takes what the reserve can pay when $300 would yield more', () => {
    // Get 20,000 RUB: gross 20,050 ÷ 6,000,000 = 0.0033416…; + 0.0001, ÷ 0.99 = 0.0034764309… → up: 0.00347644.
    const capped = rankrate({ reserve: '20000' });
    expect(capped && [capped.give.toFixed(), capped.get.toFixed(), capped.rate.toFixed()]).toEqual([
      '0.00347644',
      '20000',
      '5753011.701625801106879451392804132963606',
    ]);
    // A reserve of 20,000.559 pays 20,000.55 (2 decimals): (20,050.55 / 6,000,000 + 0.0001) / 0.99 = 0.0034765235… → 0.00347653.
    const r = rankrate({ reserve: '20000.559' });
    expect(r && [r.give.toFixed(), r.get.toFixed(), r.at]).toEqual(['0.00347653', '20000.55', 'maximum']);
    // toMax caps the same way; the lesser of the two wins.
    expect(rankrate({ toMax: '20000', reserve: '90000' })?.get.toFixed()).toBe('20000');
  });

  it('takes fromMax when the reference amount is above it', () => {
    // 0.002 BTC: fee 0.0001 + 0.00002 = 0.00012, net 0.00188 × 6,000,000 = 11,280 − 50 = 11,230; / 0.002 = 5,615,000.
    const r = rankrate({ fromMax: '0.002' });
    expect(r && [r.rate.toFixed(), r.at]).toEqual(['5615000', 'maximum']);
  });

  it('has no rankrate when no amount is admitted or the fees eat it', () => {
    expect(rankrate({ fromMin: '0.01', fromMax: '0.002' })).toBeNull();
    expect(rankrate({ reserve: '0' })).toBeNull();
    // The give for toMin is above fromMax.
    expect(rankrate({ toMin: '40000', fromMax: '0.006' })).toBeNull();
    expect(rankrate({ fromFee: [{ kind: 'fixed', value: '0.01', unit: 'BTC' }] })).toBeNull();
  });

  it('rounds the reference amount to the currency decimals, at least one smallest unit', () => {
    // $300 of RUB at 0.0107 USD: 28,037.383177… → 28037.38 (2 decimals for fiat).
    expect(referenceAmount(new Dec(300), new Dec('0.0107'), SBERRUB).toFixed()).toBe('28037.38');
    expect(referenceAmount(new Dec(300), new Dec(1), PMUSD).toFixed()).toBe('300');
    // Half-up at the last decimal: 300 / 7 = 42.857142… → 42.86.
    expect(referenceAmount(new Dec(300), new Dec(7), USDTTRC20).toFixed()).toBe('42.85714286');
    expect(referenceAmount(new Dec('0.000001'), new Dec(1), PMUSD).toFixed()).toBe('0.01');
    expect(() => referenceAmount(new Dec(300), new Dec(0), PMUSD)).toThrow(RangeError);
  });
});
