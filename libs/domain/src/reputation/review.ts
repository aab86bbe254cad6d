import { TransitionError } from './errors';

export const REVIEW_TONES = ['positive', 'neutral', 'negative'] as const;
export type ReviewTone = (typeof REVIEW_TONES)[number];

export const REVIEW_STATES = ['pending', 'published', 'rejected'] as const;
export type ReviewState = (typeof REVIEW_STATES)[number];

/** What a moderator does to a review. */
export type ReviewAction = 'publish' | 'reject';

/**
 * A review's life: every review waits (`pending`) until a moderator publishes or rejects it (a reason is
 * required). A published review may still be taken down (rejected, with a reason) when it turns out to be
 * bought or fake; a rejected review stays rejected — its author writes a new one. Only published reviews
 * are shown and counted.
 */
const REVIEW_TRANSITIONS: Record<ReviewState, Partial<Record<ReviewAction, ReviewState>>> = {
  pending: { publish: 'published', reject: 'rejected' },
  published: { reject: 'rejected' },
  rejected: {},
};

/** The state `action` leads a review in `state` to, or a TransitionError. */
export function nextReviewState(state: ReviewState, action: ReviewAction): ReviewState {
  const next = REVIEW_TRANSITIONS[state][action];
  if (!next)
    throw new TransitionError(`a ${state} review cannot be ${action === 'publish' ? 'published' : 'rejected'}`);
  return next;
}

/** How a review's move changes its exchanger's counts: +1/-1 on its tone when it enters/leaves `published`. */
export function publishedDelta(from: ReviewState, to: ReviewState): -1 | 0 | 1 {
  if (from === to) return 0;
  if (to === 'published') return 1;
  return from === 'published' ? -1 : 0;
}
