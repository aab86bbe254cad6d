import {
  ArgumentsHost,
  BadRequestException,
  Logger,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  BusyError,
  ConflictError,
  InvalidFieldError,
  InvalidRequestError,
  NotFoundError,
  UnavailableError,
} from '@app/domain';
import type { ApiErrorBody } from './api-error.dto';
import { ApiErrorFilter } from './api-errors.filter';

/** What the filter answers for `error`: status, body and the headers it set. */
function answerTo(error: unknown): { status: number; body: ApiErrorBody; headers: Record<string, string> } {
  const headers: Record<string, string> = {};
  const reply = { header: (name: string, value: string) => (headers[name] = value) };
  let sent: { body: ApiErrorBody; status: number } | null = null;
  const adapter = {
    isHeadersSent: () => false,
    reply: (_response: unknown, body: ApiErrorBody, status: number) => (sent = { body, status }),
    end: () => undefined,
  };
  const host = {
    getType: () => 'http',
    getArgByIndex: () => reply,
    switchToHttp: () => ({ getResponse: () => reply, getRequest: () => ({ headers: {} }) }),
  } as unknown as ArgumentsHost;
  new ApiErrorFilter(adapter as never).catch(error, host);
  const { body, status } = sent!;
  return { status, body, headers };
}

describe('ApiErrorFilter: one shape for every error', () => {
  afterEach(() => vi.restoreAllMocks());

  it("leaves /health/ready's 503 health report as probes and operators read it", () => {
    const report = {
      status: 'error',
      info: { database: { status: 'up' } },
      error: { redis: { status: 'down' } },
      details: { database: { status: 'up' }, redis: { status: 'down' } },
    };
    const answer = answerTo(new ServiceUnavailableException(report));
    expect(answer.status).toBe(503);
    expect(answer.body).toEqual(report);
  });

  it.each([
    [new NotFoundError('no exchanger aura'), 404, 'Not Found', 'no exchanger aura'],
    [new ConflictError('slug aura is taken'), 409, 'Conflict', 'slug aura is taken'],
    [new InvalidRequestError('since must be before until'), 400, 'Bad Request', 'since must be before until'],
    [
      new UnavailableError('the job queue (Redis) does not answer'),
      503,
      'Service Unavailable',
      'the job queue (Redis) does not answer',
    ],
    [new UnauthorizedException('no admin API key sent'), 401, 'Unauthorized', 'no admin API key sent'],
    [new BadRequestException(['a is wrong', 'b is wrong']), 400, 'Bad Request', 'a is wrong; b is wrong'],
  ])('%s → %i', (error, status, name, message) => {
    const { status: answered, body } = answerTo(error);
    expect(answered).toBe(status);
    expect(body).toMatchObject({ statusCode: status, error: name, message });
  });

  it('a field error lists its message in details', () => {
    expect(answerTo(new InvalidFieldError('timeoutMs must be shorter than the interval')).body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'timeoutMs must be shorter than the interval',
      details: [{ message: 'timeoutMs must be shorter than the interval' }],
    });
    expect(answerTo(new BadRequestException(['a is wrong', 'b is wrong'])).body.details).toEqual([
      { message: 'a is wrong' },
      { message: 'b is wrong' },
    ]);
  });

  it('busy: 429 with the Retry-After the error asks for', () => {
    const { status, body, headers } = answerTo(new BusyError('too many checks waiting', 7));
    expect(status).toBe(429);
    expect(body).toEqual({ statusCode: 429, error: 'Too Many Requests', message: 'too many checks waiting' });
    expect(headers['retry-after']).toBe('7');
  });

  it('the throttler: 429 saying to wait', () => {
    const { status, body } = answerTo(new ThrottlerException());
    expect(status).toBe(429);
    expect(body.message).toMatch(/^too many requests from this address/);
  });

  it('an unreachable database: 503 with Retry-After, no driver text', () => {
    const error = Object.assign(new Error('connect ECONNREFUSED 10.1.2.3:5432'), { code: 'ECONNREFUSED' });
    const { status, body, headers } = answerTo(error);
    expect(status).toBe(503);
    expect(body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'the database is unavailable for a moment; retry shortly',
    });
    expect(headers['retry-after']).toBe('5');
  });

  it('anything else: a logged 500 that says nothing of the internals', () => {
    const logged = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const { status, body } = answerTo(new TypeError("Cannot read properties of undefined (reading 'secretColumn')"));
    expect(status).toBe(500);
    expect(body).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' });
    expect(logged).toHaveBeenCalledTimes(1);
  });
});
