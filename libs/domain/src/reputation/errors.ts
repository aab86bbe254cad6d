import { BusyError, ConflictError } from '../errors';

/**
 * A submission over one of the abuse limits (`limit` names it). It is a BusyError, so the api answers
 * 429 with Retry-After: the seconds until the UTC day that counts it is over.
 */
export class SubmissionLimitError extends BusyError {
  override name = 'SubmissionLimitError';
  constructor(
    readonly limit: SubmissionLimit,
    message: string,
    retryAfterSeconds: number,
  ) {
    super(message, retryAfterSeconds);
  }
}

export type SubmissionLimit = 'exchanger-per-day' | 'visitor-per-day' | 'ip-per-day';

/** The same text, or a small edit of it, was already posted about this exchanger (409). */
export class DuplicateTextError extends ConflictError {
  override name = 'DuplicateTextError';
}

/** A review or claim cannot move from its state by this act: `moderate a published review`, … (409). */
export class TransitionError extends ConflictError {
  override name = 'TransitionError';
}
