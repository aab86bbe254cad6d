/**
 * Domain errors: what went wrong, in the words of the domain. Services and repositories throw these;
 * the api maps them to HTTP answers in one place (`ApiErrorFilter`), so nothing below a controller
 * knows about HTTP.
 */

/** An error that is the request's own answer (what it asked for does not exist, or cannot be done as asked), not a failure of ratewatch. */
export abstract class RequestError extends Error {}

/** Something asked for does not exist: an exchanger, a feed, a currency (404). */
export class NotFoundError extends RequestError {
  override name = 'NotFoundError';
}

/** The caller is known but may not touch this: another exchanger's feed, review or claim (403). */
export class ForbiddenError extends RequestError {
  override name = 'ForbiddenError';
}

/** A change would break a uniqueness or reference rule; the message says which (409). */
export class ConflictError extends RequestError {
  override name = 'ConflictError';
}

/** A request that is well-formed but cannot be done as asked; the message says what to fix (400). */
export class InvalidRequestError extends RequestError {
  override name = 'InvalidRequestError';
}

/** One field of the request's input is not acceptable (400, listed like the validation messages). */
export class InvalidFieldError extends InvalidRequestError {
  override name = 'InvalidFieldError';
}

/** Too much of the same work is already waiting: the caller should come back shortly (429 with Retry-After). */
export class BusyError extends RequestError {
  override name = 'BusyError';
  constructor(
    message: string,
    readonly retryAfterSeconds = 1,
  ) {
    super(message);
  }
}

/** A dependency (Redis, the job queue) does not answer for a moment; retrying later helps (503). */
export class UnavailableError extends Error {
  override name = 'UnavailableError';
}
