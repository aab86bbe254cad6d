import { describe, expect, it } from 'vitest';
import type { DirectionOfferRow } from '@app/database';
import { replaceFeedRows } from './direction-books.service';

const row = (feedId: number, city: string | null = null) => ({ feedId, city }) as DirectionOfferRow;
const ids = (rows: DirectionOfferRow[]) => rows.map((r) => `${r.feedId}${r.city ?? ''}`);

describe('replaceFeedRows', () => {
  const kept = [row(1), row(2, 'MSK'), row(2, 'SPB'), row(4), row(7)];

  it("puts the changed feeds' rows where a whole read would have them, by feed", () => {
    expect(ids(replaceFeedRows(kept, new Set([2]), [row(2, 'KZN')]))).toEqual(['1', '2KZN', '4', '7']);
    // New in the direction: before, between and after the kept feeds.
    expect(ids(replaceFeedRows(kept, new Set([0, 5, 9]), [row(0), row(5), row(9)]))).toEqual([
      '0',
      '1',
      '2MSK',
      '2SPB',
      '4',
      '5',
      '7',
      '9',
    ]);
  });

  it('drops the rows of a changed feed that has none any more, and keeps the rest as they were', () => {
    expect(ids(replaceFeedRows(kept, new Set([2, 7]), []))).toEqual(['1', '4']);
    expect(ids(replaceFeedRows(kept, new Set([3]), []))).toEqual(['1', '2MSK', '2SPB', '4', '7']);
    expect(ids(replaceFeedRows([], new Set([3]), [row(3)]))).toEqual(['3']);
  });
});
