import { ArgumentsHost, Catch, ConflictException, ExceptionFilter, HttpException, ServiceUnavailableException } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { ConflictError, isDatabaseUnavailable } from '@app/database';

/** Seconds a client is asked to wait when the database is unreachable (a restart takes a few). */
const RETRY_AFTER_SECONDS = 5;

/**
 * Errors that are not HTTP answers yet become them here, in one place: a domain conflict is a 409,
 * an unreachable database a 503 with Retry-After (not a 500: nothing is wrong with the request, and
 * clients and load balancers should retry). Everything else goes to Nest's default handling.
 */
@Catch()
export class ApiErrorFilter extends BaseExceptionFilter implements ExceptionFilter {
  override catch(error: unknown, host: ArgumentsHost): void {
    if (error instanceof HttpException) return super.catch(error, host);
    if (error instanceof ConflictError) return super.catch(new ConflictException(error.message), host);
    if (isDatabaseUnavailable(error) && host.getType() === 'http') {
      host.switchToHttp().getResponse<FastifyReply>().header('retry-after', String(RETRY_AFTER_SECONDS));
      return super.catch(new ServiceUnavailableException('the database is unavailable for a moment; retry shortly'), host);
    }
    return super.catch(error, host);
  }
}
