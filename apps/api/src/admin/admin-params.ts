import { BadRequestException, ParseIntPipe } from '@nestjs/common';
import type { Actor } from '@app/database';
import type { AdminRequest } from './admin-auth.guard';

/** Who makes an admin change: the key the guard found (null for the bootstrap key). */
export const actorOf = (request: AdminRequest): Actor => ({ keyId: request.adminKey?.id ?? null });

/** `:id` path parameters: whole numbers, else a 400 that says so. */
export const ID = new ParseIntPipe({
  exceptionFactory: () => new BadRequestException('the id must be a whole number'),
});
