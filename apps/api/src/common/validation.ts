import {
  applyDecorators,
  ArgumentMetadata,
  BadRequestException,
  ValidationError,
  ValidationPipe,
} from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsInt, IsISO8601, IsOptional, IsUrl, Matches, Max, MaxLength, Min, ValidateBy } from 'class-validator';
import { CITY_PATTERN, CURRENCY_CODE_PATTERN, InvalidFieldError, SLUG_PATTERN, UNIT_PATTERN } from '@app/domain';
import { isCredentialParameter } from '@app/observability';

interface FieldOptions {
  /** Absent is fine (a query filter, an optional body field). */
  optional?: boolean;
  example?: string;
  description?: string;
}

/** Trims and upper-cases a string value before it is validated (codes and cities are case-insensitive). */
export const toUpperCase = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim().toUpperCase() : value;

function field(pattern: RegExp, message: string, options: FieldOptions, upperCase: boolean): PropertyDecorator {
  const doc = { example: options.example, description: options.description };
  return applyDecorators(
    ...(options.optional ? [ApiPropertyOptional(doc), IsOptional()] : [ApiProperty(doc)]),
    ...(upperCase ? [Transform(toUpperCase)] : []),
    Matches(pattern, { message }),
  );
}

/** A currency code field (`from`, `to`, `code`), case-insensitive: the domain's CURRENCY_CODE_PATTERN. */
export function CurrencyCodeField(name: string, options: FieldOptions = {}): PropertyDecorator {
  return field(
    CURRENCY_CODE_PATTERN,
    `${name} must be a currency code (2-16 letters and digits)`,
    { example: 'BTC', ...options },
    true,
  );
}

/** A currency's ticker or ISO unit field, case-insensitive: the domain's UNIT_PATTERN. */
export function CurrencyUnitField(name: string, options: FieldOptions = {}): PropertyDecorator {
  return field(UNIT_PATTERN, `${name} must be 1-16 letters and digits`, { example: 'USD', ...options }, true);
}

/** An exchanger slug field: the domain's SLUG_PATTERN. */
export function SlugField(name: string, options: FieldOptions = {}): PropertyDecorator {
  return field(
    SLUG_PATTERN,
    `${name} must be 2-63 lower-case letters, digits and dashes, starting with a letter or digit`,
    { example: 'aura', ...options },
    false,
  );
}

/** A cash city code field, case-insensitive: the domain's CITY_PATTERN. */
export function CityField(name: string, options: FieldOptions = {}): PropertyDecorator {
  return field(CITY_PATTERN, `${name} must be a city code like MSK`, { example: 'MSK', ...options }, true);
}

/**
 * The `to` of a direction: must not be its `from` (compared after both are upper-cased). A direction from
 * a currency to itself has no offers, so asking for one is a mistake worth saying.
 */
export function DiffersFromField(other: string, message: string): PropertyDecorator {
  return ValidateBy({
    name: 'differsFrom',
    validator: {
      validate: (value: unknown, args) =>
        typeof value !== 'string' || value !== (args?.object as Record<string, unknown>)[other],
      defaultMessage: () => message,
    },
  });
}

/** An optional `limit` query parameter: a whole number from 1 to `max`, `fallback` when absent. */
export function QueryLimit(fallback: number, max: number): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ default: fallback, minimum: 1, maximum: max }),
    IsOptional(),
    Type(() => Number),
    IsInt({ message: 'limit must be a whole number' }),
    Min(1, { message: 'limit must be at least 1' }),
    Max(max, { message: `limit must be at most ${max}` }),
  );
}

/** What `@IsUrl` accepts for the URLs an admin registers: http(s) only, with a scheme; intranet names allowed (the fetcher's guard decides). */
const HTTP_URL = { protocols: ['http', 'https'], require_protocol: true, require_tld: false };

interface UrlFieldOptions extends FieldOptions {
  /** Refuse query parameters named like credentials (`token`, `api_key`, `secret`…): they belong in a write-only field. */
  refuseCredentials?: string;
}

/**
 * A URL an admin registers (a feed, a site, a referral link, a partner API): http(s), at most 2,048
 * characters, one that the fetcher's own URL parser reads the same way (`http://[fe80::1%25lo]/` passes
 * a lenient check but no fetcher can use it), and a host named plainly — no `user:password@` (stored and
 * shown in clear, and it makes `https://aura.example@evil.example/` send visitors elsewhere than the text
 * seems to say) and no backslash (read as `/` by browsers).
 */
export function HttpUrlField(name: string, options: UrlFieldOptions = {}): PropertyDecorator {
  const doc = { example: options.example, description: options.description, maxLength: 2048 };
  return applyDecorators(
    ...(options.optional ? [ApiPropertyOptional(doc), IsOptional()] : [ApiProperty(doc)]),
    MaxLength(2048, { message: `${name} must be at most 2048 characters` }),
    IsUrl(HTTP_URL, { message: `${name} must be an http(s) URL` }),
    ValidateBy({
      name: 'plainHttpUrl',
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || urlProblem(value, options) === null,
        defaultMessage: (args) => `${name} ${urlProblem(String(args?.value), options)}`,
      },
    }),
  );
}

function urlProblem(value: string, options: UrlFieldOptions): string | null {
  if (!URL.canParse(value)) return 'must be an http(s) URL';
  const url = new URL(value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http(s) URL';
  if (value.includes('\\') || url.username || url.password)
    return 'must not carry user:password@ or a backslash: the host must be named plainly (credentials would be stored and shown in clear)';
  const credential = options.refuseCredentials ? [...url.searchParams.keys()].find(isCredentialParameter) : undefined;
  if (credential !== undefined)
    return `must not carry a credential (${credential}=…) in its query: ${options.refuseCredentials}`;
  return null;
}

/** `?limit=` of a list (runs, audit): 1 to 500, 50 by default. */
export class LimitQuery {
  @QueryLimit(50, 500)
  limit?: number;
}

/** Largest request body the API takes (a raw feed to feed-check included). */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Most problems one error answer lists (a body with thousands of unknown fields gets the first ones and a count). */
export const MAX_ERROR_DETAILS = 50;

/** Deepest JSON body the API takes: admin bodies are two levels deep; a deeper one is an attack or a mistake. */
export const MAX_BODY_DEPTH = 16;

/** True when `value` nests objects or arrays deeper than `max` levels (iterative: no recursion to blow up). */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<{ node: unknown; depth: number }> = [{ node: value, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    // Scalars have no depth; a raw feed body (feed-check) is a Buffer: walking its bytes would cost a megabyte of work per request.
    if (node === null || typeof node !== 'object' || ArrayBuffer.isView(node)) continue;
    if (depth >= max) return true;
    for (const child of Object.values(node as Record<string, unknown>)) stack.push({ node: child, depth: depth + 1 });
  }
  return false;
}

/**
 * Every problem of a validation, one per failed constraint, with its field (dotted when nested) and the
 * message class-validator wrote (nested ones prefixed with their parent's path, as Nest writes them).
 */
export function fieldProblems(errors: readonly ValidationError[]): Array<{ field: string; message: string }> {
  const problems: Array<{ field: string; message: string }> = [];
  const stack = [...errors].reverse().map((error) => ({ error, parent: '' }));
  while (stack.length > 0) {
    const { error, parent } = stack.pop()!;
    const field = parent ? `${parent}.${error.property}` : error.property;
    for (const message of Object.values(error.constraints ?? {}))
      problems.push({ field, message: parent ? `${parent}.${message}` : message });
    for (const child of [...(error.children ?? [])].reverse()) stack.push({ error: child, parent: field });
  }
  return problems;
}

/** The 400 of invalid input: every problem in `details`, all of them joined in `message`. */
export function invalidInput(problems: ReadonlyArray<{ field?: string; message: string }>): BadRequestException {
  const shown = problems.slice(0, MAX_ERROR_DETAILS);
  const more = problems.length - shown.length;
  const message = shown.map((p) => p.message).join('; ') + (more > 0 ? `; and ${more} more` : '');
  return new BadRequestException({ statusCode: 400, error: 'Bad Request', message, details: shown });
}

/**
 * The API's ValidationPipe (whitelist, no unknown fields, transform), which first refuses bodies
 * nested deeper than MAX_BODY_DEPTH: class-transformer walks them recursively and would overflow the
 * stack (a 500) on a few thousand levels. Its 400 has the API's error shape: every problem with its
 * field in `details`, joined in `message`.
 */
export class ApiValidationPipe extends ValidationPipe {
  constructor() {
    super({
      transform: true,
      whitelist: true,
      forbidNonWhitelisted: true,
      exceptionFactory: (errors) => invalidInput(fieldProblems(errors)),
    });
  }

  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && nestedDeeperThan(value, MAX_BODY_DEPTH)) {
      throw invalidInput([{ message: `the JSON body is nested deeper than ${MAX_BODY_DEPTH} levels` }]);
    }
    return super.transform(value, metadata);
  }
}

/** `?since=&until=` of a report: ISO times; the endpoint says how far back `since` defaults. */
export class TimeWindowQuery {
  @ApiPropertyOptional({ description: "ISO time; default: the report's usual window before until" })
  @IsOptional()
  @IsISO8601({}, { message: 'since must be an ISO-8601 time' })
  since?: string;

  @ApiPropertyOptional({ description: 'ISO time; default now' })
  @IsOptional()
  @IsISO8601({}, { message: 'until must be an ISO-8601 time' })
  until?: string;
}

/** The window a TimeWindowQuery asks for: until now and `defaultMs` back unless given; since must come first. */
export function timeWindow(query: TimeWindowQuery, defaultMs: number): { since: Date; until: Date } {
  const until = query.until ? new Date(query.until) : new Date();
  const since = query.since ? new Date(query.since) : new Date(until.getTime() - defaultMs);
  if (since >= until) throw new InvalidFieldError('since must be before until');
  return { since, until };
}
