import { describe, expect, it } from 'vitest';
import { Dec } from '../../decimal';
import { compareOffers, RankedEntry } from '../ranking';

const entry = (
  name: string,
  rate: string,
  reserve: string | null,
  secondsAgo: number,
  get: string | null = null,
  give: string | null = null,
) => ({
  name,
  rate,
  reserve,
  updatedAt: new Date(Date.UTC(2026, 10, 25, 10, 0, 0) - secondsAgo * 1000),
  get: get === null ? null : new Dec(get),
  give: give === null ? null : new Dec(give),
});
const order = (entries: Array<RankedEntry & { name: string }>, side: 'give' | 'get', withAmount: boolean) =>
  [...entries].sort(compareOffers(side, withAmount)).map((e) => e.name);

describe('scenario: ranking and its ties', () => {
  it('sorts by rate, exactly, without an amount', () => {
    expect(
      order(
        [
          entry('a', '9.99999999999999999999', null, 0),
          entry('b', '10', null, 0),
          entry('c', '9.99999999999999999998', null, 0),
        ],
        'give',
        false,
      ),
    ).toEqual(['b', 'a', 'c']);
  });

  it('breaks a rate tie by the larger reserve (unknown last), then by freshness', () => {
    const tied = [
      entry('unknown', '10', null, 0),
      entry('small', '10', '5', 0),
      entry('big-old', '10', '100', 30),
      entry('big-new', '10', '100', 1),
    ];
    expect(order(tied, 'give', false)).toEqual(['big-new', 'big-old', 'small', 'unknown']);
  });

  it('sorts by what the visitor gets with an amount (side=give) and by what they give (side=get)', () => {
    const byAmount = [
      entry('x', '10', null, 0, '95', '10'),
      entry('y', '9', null, 0, '97', '10.3'),
      entry('z', '11', null, 0, '90', '9.9'),
    ];
    expect(order(byAmount, 'give', true)).toEqual(['y', 'x', 'z']);
    expect(order(byAmount, 'get', true)).toEqual(['z', 'x', 'y']);
  });
});
