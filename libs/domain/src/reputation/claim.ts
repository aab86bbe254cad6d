import { TransitionError } from './errors';

export const CLAIM_STATES = ['pending', 'open', 'answered', 'resolved', 'rejected'] as const;
export type ClaimState = (typeof CLAIM_STATES)[number];

/** Who acted on a claim: the visitor who filed it, the exchanger (by a key scoped to it), an admin key. */
export const CLAIM_ACTORS = ['visitor', 'exchanger', 'admin'] as const;
export type ClaimActor = (typeof CLAIM_ACTORS)[number];

export type ClaimAction = 'file' | 'accept' | 'answer' | 'resolve' | 'reject';

/**
 * A claim's life (DESIGN.md §11: open → answered → resolved or rejected by the operator), with one gate
 * in front, as for reviews — a claim counts against an exchanger, so anybody could sink a competitor
 * with invented ones:
 *  - `file` (visitor) → `pending`: seen by moderators and by the exchanger in its cabinet, not public;
 *  - `accept` (admin): pending → `open`, public and counted in `claimsOpen`;
 *  - `answer` (exchanger): open → `answered`; answering again keeps it answered (each answer is kept);
 *  - `resolve` (admin): open | answered → `resolved`, the exchanger settled it;
 *  - `reject` (admin, with a reason): pending | open | answered → `rejected`, unfounded or spam.
 * An operator may close a claim the exchanger never answered (open → resolved | rejected): silence must not
 * keep a claim open for ever, nor keep a settled one counted. Resolved and rejected are final.
 */
const CLAIM_TRANSITIONS: Record<ClaimState, Partial<Record<ClaimAction, ClaimState>>> = {
  pending: { accept: 'open', reject: 'rejected' },
  open: { answer: 'answered', resolve: 'resolved', reject: 'rejected' },
  answered: { answer: 'answered', resolve: 'resolved', reject: 'rejected' },
  resolved: {},
  rejected: {},
};

/** Who may do what: exchangers only answer, visitors only file, admins moderate. */
export const CLAIM_ACTION_ACTOR: Record<ClaimAction, ClaimActor> = {
  file: 'visitor',
  accept: 'admin',
  answer: 'exchanger',
  resolve: 'admin',
  reject: 'admin',
};

/** The state `action` leads a claim in `state` to, or a TransitionError. */
export function nextClaimState(state: ClaimState, action: Exclude<ClaimAction, 'file'>): ClaimState {
  const next = CLAIM_TRANSITIONS[state][action];
  if (!next) throw new TransitionError(`a ${state} claim cannot be ${PAST[action]}`);
  return next;
}

const PAST: Record<Exclude<ClaimAction, 'file'>, string> = {
  accept: 'accepted',
  answer: 'answered',
  resolve: 'resolved',
  reject: 'rejected',
};

/** The states counted as an open claim next to the exchanger's rates: public and not settled. */
export const OPEN_CLAIM_STATES: readonly ClaimState[] = ['open', 'answered'];

/** How a claim's move changes its exchanger's `claimsOpen`. */
export function openClaimDelta(from: ClaimState, to: ClaimState): -1 | 0 | 1 {
  const was = OPEN_CLAIM_STATES.includes(from);
  const is = OPEN_CLAIM_STATES.includes(to);
  return was === is ? 0 : is ? 1 : -1;
}
