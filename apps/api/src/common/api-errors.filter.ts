import {
  ArgumentsHost,
  BadRequestException,
  Catch,
  ConflictException,
  HttpStatus,
  ExceptionFilter,
  HttpException,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { isDatabaseUnavailable } from '@app/database';
import {
  BusyError,
  ConflictError,
  InvalidFieldError,
  InvalidRequestError,
  NotFoundError,
  UnavailableError,
} from '@app/domain';

/** Seconds a client is asked to wait when the database is unreachable (a restart takes a few). */
const RETRY_AFTER_SECONDS = 5;

/**
 * Errors that are not HTTP answers yet become them here, in one place: the domain's errors (not found
 * 404, conflict 409, invalid request 400, unavailable 503), and an unreachable database a 503 with
 * Retry-After (not a 500: nothing is wrong with the request, and clients and load balancers should
 * retry). Everything else goes to Nest's default handling.
 */
@Catch()
export class ApiErrorFilter extends BaseExceptionFilter implements ExceptionFilter {
  override catch(error: unknown, host: ArgumentsHost): void {
    if (error instanceof HttpException) return super.catch(error, host);
    if (error instanceof NotFoundError) return super.catch(new NotFoundException(error.message), host);
    if (error instanceof ConflictError) return super.catch(new ConflictException(error.message), host);
    if (error instanceof InvalidFieldError) return super.catch(new BadRequestException([error.message]), host);
    if (error instanceof InvalidRequestError) return super.catch(new BadRequestException(error.message), host);
    if (error instanceof UnavailableError) return super.catch(new ServiceUnavailableException(error.message), host);
    if (error instanceof BusyError) {
      if (host.getType() === 'http')
        host.switchToHttp().getResponse<FastifyReply>().header('retry-after', String(error.retryAfterSeconds));
      return super.catch(new HttpException(error.message, HttpStatus.TOO_MANY_REQUESTS), host);
    }
    if (isDatabaseUnavailable(error) && host.getType() === 'http') {
      host.switchToHttp().getResponse<FastifyReply>().header('retry-after', String(RETRY_AFTER_SECONDS));
      return super.catch(
        new ServiceUnavailableException('the database is unavailable for a moment; retry shortly'),
        host,
      );
    }
    return super.catch(error, host);
  }
}
