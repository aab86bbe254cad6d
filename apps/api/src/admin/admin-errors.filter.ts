import { ArgumentsHost, Catch, ConflictException, ExceptionFilter } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { ConflictError } from '@app/database';

/** Domain errors become HTTP answers here, in one place. */
@Catch(ConflictError)
export class DomainErrorFilter extends BaseExceptionFilter implements ExceptionFilter {
  override catch(error: ConflictError, host: ArgumentsHost): void {
    super.catch(new ConflictException(error.message), host);
  }
}
