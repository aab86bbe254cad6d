import { STATUS_CODES } from 'node:http';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { ThrottlerException } from '@nestjs/throttler';
import { errorCodes, type FastifyReply, type FastifyRequest } from 'fastify';
import { isDatabaseUnavailable } from '@app/database';
import {
  BusyError,
  ConflictError,
  ForbiddenError,
  InvalidFieldError,
  InvalidRequestError,
  NotFoundError,
  UnavailableError,
} from '@app/domain';
import type { ApiErrorBody } from './api-error.dto';
import { MAX_BODY_BYTES } from './validation';

/** Seconds a client is asked to wait when the database is unreachable (a restart takes a few). */
const RETRY_AFTER_SECONDS = 5;

/** How much of a caller's own text (a JSON parser's complaint, a Content-Type) an answer repeats. */
const ECHO_CHARS = 200;

/** The standard name of an HTTP status ("Bad Request"). */
const statusName = (status: number): string => STATUS_CODES[status] ?? 'Error';

/** The caller's text, printable and short, to repeat in a message. */
const echo = (text: string): string =>
  // eslint-disable-next-line no-control-regex
  text.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, ECHO_CHARS);

/** An error body of `status` with one message (and the per-field details, when there are any). */
export function apiError(status: number, message: string, details?: ApiErrorBody['details']): ApiErrorBody {
  return { statusCode: status, error: statusName(status), message, ...(details ? { details } : {}) };
}

/** An error that Fastify raised before Nest had the request (body parsing: malformed JSON, 413, 415). */
interface FastifyHttpError {
  statusCode: number;
  message: string;
  code?: string;
}

function isFastifyHttpError(error: unknown): error is FastifyHttpError {
  if (typeof error !== 'object' || error === null) return false;
  const { statusCode, message } = error as Partial<FastifyHttpError>;
  return typeof statusCode === 'number' && statusCode >= 400 && statusCode < 600 && typeof message === 'string';
}

/**
 * Every error answer of the API is made here, in one shape (ApiErrorDto): `{ statusCode, error,
 * message, details? }`, `message` always one string. The domain's errors become their statuses (not
 * found 404, conflict 409, invalid request 400, busy 429 with Retry-After, unavailable 503), an
 * unreachable database a 503 with Retry-After (nothing is wrong with the request: clients and load
 * balancers should retry), Fastify's own refusals (malformed JSON, a body too large, an unsupported
 * media type, an unknown route) the same shape with a message saying what to fix, and anything else a
 * 500 that is logged and says nothing of the internals.
 */
@Catch()
export class ApiErrorFilter extends BaseExceptionFilter implements ExceptionFilter {
  private static readonly log = new Logger('ExceptionsHandler');

  override catch(error: unknown, host: ArgumentsHost): void {
    // `/health/ready`'s 503 is a health report (Terminus: status, info, error, details per indicator), which
    // probes and operators read as it is: it is not an error of the request.
    if (error instanceof HttpException && isHealthReport(error.getResponse())) return super.catch(error, host);
    const body = this.bodyOf(error, host);
    return super.catch(new HttpException(body, body.statusCode), host);
  }

  private bodyOf(error: unknown, host: ArgumentsHost): ApiErrorBody {
    if (error instanceof ThrottlerException)
      return apiError(
        HttpStatus.TOO_MANY_REQUESTS,
        'too many requests from this address; wait for the seconds in Retry-After, then retry',
      );
    if (error instanceof HttpException) return fromHttpException(error, () => this.contentType(host));
    if (error instanceof NotFoundError) return apiError(HttpStatus.NOT_FOUND, error.message);
    if (error instanceof ConflictError) return apiError(HttpStatus.CONFLICT, error.message);
    if (error instanceof ForbiddenError) return apiError(HttpStatus.FORBIDDEN, error.message);
    if (error instanceof InvalidFieldError)
      return apiError(HttpStatus.BAD_REQUEST, error.message, [{ message: error.message }]);
    if (error instanceof InvalidRequestError) return apiError(HttpStatus.BAD_REQUEST, error.message);
    if (error instanceof UnavailableError) return apiError(HttpStatus.SERVICE_UNAVAILABLE, error.message);
    if (error instanceof BusyError) {
      this.header(host, 'retry-after', String(error.retryAfterSeconds));
      return apiError(HttpStatus.TOO_MANY_REQUESTS, error.message);
    }
    if (isDatabaseUnavailable(error)) {
      this.header(host, 'retry-after', String(RETRY_AFTER_SECONDS));
      return apiError(HttpStatus.SERVICE_UNAVAILABLE, 'the database is unavailable for a moment; retry shortly');
    }
    if (isFastifyHttpError(error) && error.statusCode < 500)
      return fromFastifyError(error.statusCode, error.code, error.message, this.contentType(host));
    ApiErrorFilter.log.error(error);
    const status = isFastifyHttpError(error) ? error.statusCode : HttpStatus.INTERNAL_SERVER_ERROR;
    return apiError(status, status === 500 ? 'Internal server error' : statusName(status));
  }

  private header(host: ArgumentsHost, name: string, value: string): void {
    if (host.getType() === 'http') host.switchToHttp().getResponse<FastifyReply>().header(name, value);
  }

  private contentType(host: ArgumentsHost): string {
    if (host.getType() !== 'http') return '';
    return String(host.switchToHttp().getRequest<FastifyRequest>().headers?.['content-type'] ?? '');
  }
}

function isHealthReport(response: unknown): boolean {
  return (
    typeof response === 'object' &&
    response !== null &&
    'status' in response &&
    'info' in response &&
    'error' in response &&
    'details' in response
  );
}

/** Nest's and our own HttpExceptions: a string, Nest's `{ message: string | string[] }`, or already our shape. */
function fromHttpException(error: HttpException, contentType: () => string): ApiErrorBody {
  const status = error.getStatus();
  const response = error.getResponse();
  if (typeof response === 'string') {
    // Nest passes Fastify's own refusals on as HttpException(message, status): the code is gone, the message is Fastify's constant.
    const code = FASTIFY_CODE_BY_MESSAGE.get(response);
    return code ? fromFastifyError(status, code, response, contentType()) : apiError(status, response);
  }
  const { message, details } = response as { message?: unknown; details?: ApiErrorBody['details'] };
  if (Array.isArray(message)) {
    const messages = message.map(String);
    return apiError(status, messages.join('; '), details ?? messages.map((m) => ({ message: m })));
  }
  if (typeof message === 'string') {
    if (status === 404 && /^Cannot [A-Z]+ /.test(message))
      return apiError(
        status,
        `no such route: ${echo(message.slice('Cannot '.length))} (the API is described at /docs)`,
      );
    return apiError(status, message, details);
  }
  return apiError(status, statusName(status));
}

/** Fastify's refusals of a request body, in words that say what to send instead (by Fastify's error code). */
const FASTIFY_REFUSALS: Readonly<Record<string, (contentType: string) => string>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: () => `the request body is too large: at most ${MAX_BODY_BYTES} bytes`,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: (contentType) =>
    `unsupported Content-Type ${JSON.stringify(echo(contentType))}: send application/json ` +
    '(a raw feed to feed-check may also be text/xml, application/xml or text/plain)',
  FST_ERR_CTP_EMPTY_JSON_BODY: () => 'the body is empty but Content-Type says application/json: send a JSON body',
  FST_ERR_CTP_INVALID_JSON_BODY: () => 'the body is not valid JSON (Content-Type says application/json)',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => 'the body is not as long as Content-Length says',
};

/** The refusals above, found by Fastify's message for them (Nest passes them on without the code). */
const FASTIFY_CODE_BY_MESSAGE: ReadonlyMap<string, string> = new Map(
  Object.keys(FASTIFY_REFUSALS).map((code) => [new errorCodes[code as keyof typeof errorCodes]().message, code]),
);

/** A Fastify refusal of a request body in the API's words; any other in its own (short, printable). */
function fromFastifyError(
  status: number,
  code: string | undefined,
  message: string,
  contentType: string,
): ApiErrorBody {
  const refusal = code === undefined ? undefined : FASTIFY_REFUSALS[code];
  return apiError(status, refusal ? refusal(contentType) : echo(message));
}
