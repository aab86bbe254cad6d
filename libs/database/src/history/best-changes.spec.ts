import { describe, expect, it } from 'vitest';
import { markValues } from './best-changes';

describe('markValues (the history mark of a write: two array literals and the feed)', () => {
  it('writes plain codes as they are, in the pairs’ order', () => {
    expect(
      markValues(
        [
          ['BTC', 'ETH'],
          ['USDTTRC20', 'CASHUSD'],
        ],
        7,
        12,
      ),
    ).toEqual([7, '{BTC,USDTTRC20}', '{ETH,CASHUSD}', 12]);
    expect(markValues([], null, null)).toEqual([null, '{}', '{}', null]);
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
    ).toEqual([1, '{"NULL","A B","q\\"q"}', '{"","x,y","b\\\\s"}', null]);
  });
});
