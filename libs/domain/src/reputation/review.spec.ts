import { describe, expect, it } from 'vitest';
import { TransitionError } from './errors';
import { nextReviewState, publishedDelta } from './review';

describe('a review life', () => {
  it('goes from pending to published or rejected', () => {
    expect(nextReviewState('pending', 'publish')).toBe('published');
    expect(nextReviewState('pending', 'reject')).toBe('rejected');
  });

  it('lets a published review be taken down, and a rejected one stay rejected', () => {
    expect(nextReviewState('published', 'reject')).toBe('rejected');
    expect(() => nextReviewState('published', 'publish')).toThrow(TransitionError);
    expect(() => nextReviewState('rejected', 'publish')).toThrow('a rejected review cannot be published');
    expect(() => nextReviewState('rejected', 'reject')).toThrow(TransitionError);
  });

  it('moves the counts only when a review enters or leaves published', () => {
    expect(publishedDelta('pending', 'published')).toBe(1);
    expect(publishedDelta('published', 'rejected')).toBe(-1);
    expect(publishedDelta('pending', 'rejected')).toBe(0);
  });
});
