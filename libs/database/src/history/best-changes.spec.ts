import { describe, expect, it } from 'vitest';
import { markValues } from './best-changes';

describe('markValues (the history mark of a write, as array literals)', () => {
  it('writes plain codes as they are, in the pairs’ order', () => {
    expect(
      markValues(
        [
          ['BTC', 'ETH'],
          ['USDTTRC20', 'CASHUSD'],
        ],
        7,
        null,
      ),
    ).toEqual([7, '{BTC,USDTTRC20}', '{ETH,CASHUSD}', null, null, null, null]);
    expect(markValues([], null, null)).toEqual([null, '{}', '{}', null, null, null, null]);
  });

  it('quotes what an array literal would misread: NULL, empty, spaces, commas, quotes and backslashes', () => {
    expect(
      markValues(
        [
          ['NULL', ''],
          ['A B', 'x,y'],
          ['q"q', 'b\\s'],
        ],
        1,
        null,
      ),
    ).toEqual([1, '{"NULL","A B","q\\"q"}', '{"","x,y","b\\\\s"}', null, null, null, null]);
  });

  it('carries the feed’s shown offers in the marked pairs: ordinals, cities and rates, none the guard holds', () => {
    const offer = (from: string, to: string, city: string | null, rate: string) => ({ from, to, city, rate });
    expect(
      markValues(
        [
          ['BTC', 'ETH'],
          ['CASHUSD', 'BTC'],
          ['XMR', 'LTC'],
        ],
        7,
        {
          feedId: 12,
          offers: [
            offer('LTC', 'XMR', null, '0.4'), // a pair not marked
            offer('CASHUSD', 'BTC', 'MSK', '0.000010'),
            offer('BTC', 'ETH', null, '30.5'),
            offer('CASHUSD', 'BTC', 'SPB', '0.000011'), // held by the guard
            offer('CASHUSD', 'BTC', 'Нью Йорк', '0.000009'),
          ],
          held: new Set(['CASHUSD\u001fBTC\u001fSPB', 'LTC\u001fXMR\u001f']),
        },
      ),
    ).toEqual([
      7,
      '{BTC,CASHUSD,XMR}',
      '{ETH,BTC,LTC}',
      12,
      '{2,1,2}',
      '{MSK,"","Нью Йорк"}',
      '{0.000010,30.5,0.000009}',
    ]);
  });
});
