import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ApiErrorDto } from './api-error.dto';

/** The error statuses the API answers, each with what it means when the operation does not say more. */
const DEFAULT_DESCRIPTIONS = {
  400: 'invalid input: a malformed parameter or body (details lists every problem with its field)',
  401: 'missing or wrong credentials',
  403: 'authenticated but not allowed',
  404: 'not found',
  409: 'conflicts with the current state',
  413: 'the body is too large',
  415: 'the body is not JSON',
  422: 'well-formed but breaks a domain rule',
  429: 'past the per-address rate limit (Retry-After says when to come back)',
  503: 'a dependency (database, Redis) is unavailable for now; retry later',
} as const;

export type ApiErrorStatus = keyof typeof DEFAULT_DESCRIPTIONS;

/**
 * Documents the error answers an operation (or every operation of a controller) can give, all with the
 * one error schema ApiErrorDto.
 *
 *   @ApiErrors(400, 429)                                   // the default descriptions
 *   @ApiErrors({ 404: 'no such exchanger', 429: undefined }) // your own, or undefined for the default
 *   @ApiErrors(429, { 404: 'no such exchanger' })            // both mixed
 */
export function ApiErrors(
  ...specs: Array<ApiErrorStatus | Partial<Record<ApiErrorStatus, string | undefined>>>
): MethodDecorator & ClassDecorator {
  const descriptions = new Map<ApiErrorStatus, string>();
  for (const spec of specs) {
    if (typeof spec === 'number') {
      descriptions.set(spec, DEFAULT_DESCRIPTIONS[spec]);
      continue;
    }
    for (const [key, description] of Object.entries(spec)) {
      const status = Number(key) as ApiErrorStatus;
      if (!(status in DEFAULT_DESCRIPTIONS)) throw new Error(`ApiErrors: ${key} is not a documented error status`);
      descriptions.set(status, description ?? DEFAULT_DESCRIPTIONS[status]);
    }
  }
  return applyDecorators(
    ...[...descriptions].map(([status, description]) => ApiResponse({ status, type: ApiErrorDto, description })),
  );
}
