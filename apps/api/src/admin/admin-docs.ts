import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ApiErrorStatus } from '../common/api-errors.decorator';

/** What each error status of an admin operation means, as the OpenAPI document says it. */
const ADMIN_ERRORS = {
  400: 'invalid input: every problem in `details`, one per field',
  401: 'no admin API key, a malformed Authorization header, or a key never issued here',
  403: 'the admin API key was revoked, or the key is scoped to one exchanger (its cabinet only)',
  404: 'the resource does not exist',
  409: 'it would duplicate an existing one',
  413: 'the body is larger than the limit',
  415: 'a content type the operation does not read',
  503: 'the database or the job queue is not answering (or busy): retry shortly',
} as const;

export type AdminErrorStatus = keyof typeof ADMIN_ERRORS & ApiErrorStatus;

/**
 * The error answers of one admin operation, each with the shared error schema (through ApiErrors), in
 * words for an admin; `notes` words a status for this operation.
 */
export function AdminErrors(
  statuses: AdminErrorStatus[],
  notes: Partial<Record<AdminErrorStatus, string>> = {},
): MethodDecorator & ClassDecorator {
  return ApiErrors(Object.fromEntries(statuses.map((status) => [status, notes[status] ?? ADMIN_ERRORS[status]])));
}

/**
 * The OpenAPI side of an admin controller: its tag, the admin bearer scheme and the errors every admin
 * operation can answer (401, 403 from the key guard; 503 when the database is not answering).
 */
export function AdminApi(tag: string): ClassDecorator {
  return applyDecorators(ApiTags(tag), ApiBearerAuth('admin'), AdminErrors([401, 403, 503]));
}

/** A `{code, message}` error a feed or partner sync stored. */
export class StoredErrorDto {
  @ApiProperty({ example: 'http_status' }) code!: string;
  @ApiProperty({ example: 'the feed answered HTTP 502' }) message!: string;
}

/** A point in time, as the API writes it (ISO 8601, UTC). */
export const DATE_TIME = { type: String, format: 'date-time', example: '2026-12-02T12:00:00.000Z' } as const;

/** A point in time that may be absent. */
export const NULLABLE_DATE_TIME = { ...DATE_TIME, nullable: true } as const;

/** The window of a report, echoed back. */
export class TimeWindowDto {
  @ApiProperty({ ...DATE_TIME, description: 'the window starts here (inclusive)' }) since!: string;
  @ApiProperty({ ...DATE_TIME, description: 'the window ends here (exclusive)' }) until!: string;
}
