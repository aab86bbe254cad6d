import { describe, expect, it } from 'vitest';
import type { NormalizedOffer } from '@app/domain';
import { offerOf } from '../../../../test/support/offers';
import { arrayLiteral, copyText, offerFingerprint } from './snapshot-writer';
import { copyRows } from './snapshot-writer-copy';

const offer = (fields: Partial<NormalizedOffer> = {}): NormalizedOffer => offerOf({ reserve: '5', ...fields });

describe('offerFingerprint', () => {
  it('is the same for the same values and differs when any value changes', () => {
    const base = offerFingerprint(offer());
    expect(offerFingerprint(offer())).toBe(base);
    const variants = [
      offer({ out: '20.1' }),
      offer({ in: '2' }),
      offer({ reserve: null }),
      offer({ reserve: '50' }),
      offer({ fromMin: '5' }),
      offer({ toMax: '5' }),
      offer({ fromFee: [{ kind: 'percent', value: '1' }] }),
      offer({ toFee: [{ kind: 'fixed', value: '1', unit: 'ETH' }] }),
      offer({ minFee: [{ kind: 'fixed', value: '1', unit: 'BTC' }] }),
      offer({ flags: ['manual'] }),
      offer({ floating: { percent: '1', minutes: 30 } }),
      offer({ floating: { percent: '1', minutes: null } }),
      offer({ delayMinutes: 15 }),
    ];
    const prints = variants.map(offerFingerprint);
    expect(prints).not.toContain(base);
    expect(new Set(prints).size).toBe(prints.length);
  });

  it('tells a limit on the from side from the same limit on the to side', () => {
    expect(offerFingerprint(offer({ fromMin: '5' }))).not.toBe(offerFingerprint(offer({ toMin: '5' })));
  });

  it('is the value stored by earlier releases (hashed field by field, as over their joined text)', () => {
    // Values of the cyrb53-over-joined-text fingerprint: a changed function would rewrite every stored row once.
    expect(offerFingerprint(offerOf())).toBe('6552264536522852');
    expect(
      offerFingerprint(
        offerOf({
          reserve: '5',
          fromMin: '0.01',
          fromMax: '2',
          toMin: '3',
          toMax: '9',
          fromFee: [{ kind: 'percent', value: '0.5' }],
          toFee: [{ kind: 'fixed', value: '1', unit: 'ETH' }],
          minFee: [{ kind: 'fixed', value: '0.1', unit: 'BTC' }],
          flags: ['manual', 'cardverify'],
          floating: { percent: '1', minutes: 30 },
          delayMinutes: 15,
        }),
      ),
    ).toBe('1942480728243249');
    expect(
      offerFingerprint(offerOf({ in: '1000', out: '0.000001234', floating: { percent: null, minutes: null } })),
    ).toBe('8807620936511538');
  });

  it('fits a Postgres bigint', () => {
    expect(BigInt(offerFingerprint(offer()))).toBeLessThan(2n ** 53n);
  });
});

describe('COPY text encoding', () => {
  it('quotes every array element and escapes quotes and backslashes', () => {
    expect(arrayLiteral(['manual', 'a "b"', 'c\\d', '{x,y}'])).toBe('{"manual","a \\"b\\"","c\\\\d","{x,y}"}');
    expect(arrayLiteral([])).toBe('{}');
  });

  it('escapes tabs, newlines and backslashes for COPY', () => {
    expect(copyText('a\tb\nc\\d\re')).toBe('a\\tb\\nc\\\\d\\re');
  });
});

describe('copyRows (the staged write of changed offers)', () => {
  it('writes one line per offer, tab-separated, in the staging columns’ order, nulls as \\N', () => {
    const text = copyRows([
      { offer: offerOf(), fp: 6552264536522852, op: 'i' },
      {
        offer: offerOf({
          city: 'MSK',
          reserve: '5',
          fromMin: '0.01',
          toMax: '9',
          fromFee: [{ kind: 'percent', value: '0.5' }],
          minFee: [{ kind: 'fixed', value: '0.1', unit: 'BTC' }],
          flags: ['manual', 'cardverify'],
          floating: { percent: '1', minutes: null },
          delayMinutes: 15,
        }),
        fp: 1,
        op: 'u',
      },
    ]).toString('utf8');
    expect(text.split('\n')).toEqual([
      't\tBTC\tETH\t\t1\t20\t20\t\\N\t\\N\t\\N\t\\N\t\\N\t[]\t[]\t[]\t{}\t\\N\t\\N\t6552264536522852',
      'f\tBTC\tETH\tMSK\t1\t20\t20\t5\t0.01\t\\N\t\\N\t9\t[{"kind":"percent","value":"0.5"}]\t[]\t[{"kind":"fixed","value":"0.1","unit":"BTC"}]\t{"manual","cardverify"}\t{"percent":"1","minutes":null}\t15\t1',
      '',
    ]);
  });

  it('escapes backslashes, tabs, newlines and carriage returns, before and after other characters, in UTF-8', () => {
    const text = copyRows([
      { offer: offerOf({ city: 'a\\b\tc', flags: ['x\ny', 'Ü\r₽\\', '🚀\t'] }), fp: 2, op: 'u' },
    ]).toString('utf8');
    const fields = text.slice(0, -1).split('\t');
    expect(fields).toHaveLength(19);
    expect(fields[3]).toBe('a\\\\b\\tc');
    expect(fields[15]).toBe('{"x\\ny","Ü\\r₽\\\\\\\\","🚀\\t"}');
    expect(text.endsWith('\t2\n')).toBe(true);
  });

  it('grows its buffer past its first guess', () => {
    const long = 'x'.repeat(5_000);
    const text = copyRows([{ offer: offerOf({ city: long, flags: [long] }), fp: 3, op: 'u' }]).toString('utf8');
    expect(text.split('\t')[3]).toBe(long);
    expect(text.length).toBeGreaterThan(10_000);
  });
});
