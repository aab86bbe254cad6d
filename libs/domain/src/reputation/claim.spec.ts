import { describe, expect, it } from 'vitest';
import { CLAIM_STATES, nextClaimState, openClaimDelta } from './claim';
import { TransitionError } from './errors';

describe('a claim life', () => {
  it('goes pending → open → answered → resolved or rejected', () => {
    expect(nextClaimState('pending', 'accept')).toBe('open');
    expect(nextClaimState('open', 'answer')).toBe('answered');
    expect(nextClaimState('answered', 'answer')).toBe('answered');
    expect(nextClaimState('answered', 'resolve')).toBe('resolved');
    expect(nextClaimState('answered', 'reject')).toBe('rejected');
  });

  it('lets the operator close a claim the exchanger never answered, and reject spam before it is public', () => {
    expect(nextClaimState('open', 'resolve')).toBe('resolved');
    expect(nextClaimState('open', 'reject')).toBe('rejected');
    expect(nextClaimState('pending', 'reject')).toBe('rejected');
  });

  it('refuses every other move: no answer before acceptance, nothing after the end', () => {
    expect(() => nextClaimState('pending', 'answer')).toThrow('a pending claim cannot be answered');
    expect(() => nextClaimState('pending', 'resolve')).toThrow(TransitionError);
    expect(() => nextClaimState('open', 'accept')).toThrow(TransitionError);
    for (const final of ['resolved', 'rejected'] as const)
      for (const action of ['accept', 'answer', 'resolve', 'reject'] as const)
        expect(() => nextClaimState(final, action)).toThrow(TransitionError);
  });

  it('counts a claim as open while it is open or answered', () => {
    expect(openClaimDelta('pending', 'open')).toBe(1);
    expect(openClaimDelta('open', 'answered')).toBe(0);
    expect(openClaimDelta('answered', 'resolved')).toBe(-1);
    expect(openClaimDelta('open', 'rejected')).toBe(-1);
    expect(openClaimDelta('pending', 'rejected')).toBe(0);
    expect(CLAIM_STATES).toHaveLength(5);
  });
});
