import { ThrottlerGuard } from '@nestjs/throttler';
import {
  applyDecorators,
  CanActivate,
  Controller,
  ExecutionContext,
  Get,
  Injectable,
  Param,
  Req,
  ParseEnumPipe,
  BadRequestException,
  UseGuards,
} from '@nestjs/common';
import {
  ApiExtraModels,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiErrors } from '../../common/api-errors.decorator';
import { OpenKeyAccess, QuotasUncountedError } from '../keys/open-key-access.service';
import { OpenChangersDto, OpenCurrenciesDto, OpenPresencesDto, OpenRateDto, OpenRatesDto } from './open-api.dto';
import { MAX_PAIRS, OpenApiService, OpenLang } from './open-api.service';

/** The header a partner may send its key in instead of the path. */
export const OPEN_KEY_HEADER = 'x-api-key';

/** The key a request presents: the `{key}` path segment (BestChange's way), else the X-Api-Key header. */
export function presentedOpenKey(request: FastifyRequest): string | undefined {
  const fromPath = (request.params as { key?: string } | undefined)?.key;
  if (fromPath !== undefined) return fromPath;
  const header = request.headers[OPEN_KEY_HEADER];
  return Array.isArray(header) ? header[0] : header;
}

const CURRENCIES = {
  summary: 'Currencies with their ids (BestChange v2 `currencies`)',
  description: 'Every enabled currency of the catalog, with the ids info.zip and the other calls use, named in `lang`.',
};
const CHANGERS = {
  summary: 'Exchangers (BestChange v2 `changers`)',
  description: 'Every active exchanger with its reserve in US dollars and its review counts (as /v1/rates shows them).',
};
const PRESENCES = {
  summary: 'Directions with shown offers (BestChange v2 `presences`)',
  description: 'The pairs (from-to ids) that have at least one shown offer, narrowed by the pair asked for.',
};
const RATES = {
  summary: 'Rates of up to 500 pairs (BestChange v2 `rates`)',
  description:
    'Per pair, the shown offers (the ones /v1/rates shows: fresh feeds, active exchangers, nothing held back) ' +
    'best first, with `rate` and `rankrate` as given per 1 received, the reserve, the give-side limits and the ' +
    'flags as `marks`. `rates` is the only key of the answer.',
};
const PAIR_PARAM = {
  name: 'pair',
  type: String,
  example: '93-0',
  description: 'from id - to id; 0 on a side matches any currency',
};
const PAIR_ERROR = 'the pair is not from-to with currency ids, or names an unknown id';
const RATES_ERROR = `a pair that is not from-to with currency ids, an unknown id, or more than ${MAX_PAIRS} pairs`;

/** The route's wildcard (`rates/*`): read from the request, so the OpenAPI document names it `path` only. */
const wildcardOf = (request: FastifyRequest): string => (request.params as { '*'?: string })['*'] ?? '';

/**
 * Admits a request of the keyed API: 401/403 for the key, 429 with Retry-After past its quotas, 503 with
 * Retry-After when they cannot be counted.
 */
@Injectable()
export class OpenKeyGuard implements CanActivate {
  constructor(private readonly access: OpenKeyAccess) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    try {
      await this.access.admit(presentedOpenKey(http.getRequest<FastifyRequest>()));
    } catch (error) {
      // The error filter answers 503 for it; when to come back is this error's to say.
      if (error instanceof QuotasUncountedError)
        http.getResponse<FastifyReply>().header('retry-after', String(error.retryAfterSeconds));
      throw error;
    }
    return true;
  }
}

const LANG = new ParseEnumPipe(['en', 'ru'], {
  exceptionFactory: () => new BadRequestException('lang must be en or ru'),
});

/**
 * The OpenAPI side of one keyed operation, in its two spellings: the key in the path (BestChange's, for its
 * clients) or in the X-Api-Key header.
 */
function OpenOperation(keyIn: 'path' | 'header', summary: string, description: string): MethodDecorator {
  return applyDecorators(
    ApiOperation({
      summary: keyIn === 'path' ? summary : `${summary}, the key in X-Api-Key`,
      description:
        keyIn === 'path'
          ? `${description} BestChange v2's URL with ratewatch's base: \`/v1/open/{key}/…\`.`
          : `${description} The same as with the key in the path, for clients that keep keys out of URLs.`,
    }),
    keyIn === 'path'
      ? ApiParam({
          name: 'key',
          type: String,
          description: 'your open-data key (never logged: the request log prints ***)',
        })
      : ApiHeader({ name: 'X-Api-Key', required: true, schema: { type: 'string' }, description: 'your open-data key' }),
  );
}

const PAIRS_PARAM = ApiParam({
  name: 'path',
  type: String,
  example: '93-42+42-93',
  description: `pairs from-to of currency ids joined by +, at most ${MAX_PAIRS}`,
});

/**
 * The keyed JSON API (`/v1/open/{key}/…`), shaped like BestChange's API v2: a client of
 * `https://www.bestchange.app/v2/{key}/` works with the base URL `https://<ratewatch>/v1/open/{key}/`.
 * Each route also answers without the key in the path, with the key in `X-Api-Key`. No security scheme is
 * declared: the key is a path segment (which OpenAPI schemes cannot name) or the header parameter.
 */
@ApiTags('open data')
@ApiSecurity({})
@ApiExtraModels(OpenRateDto)
@ApiErrors({
  401: 'no open-data key, or a key never issued here',
  403: 'the key was revoked',
  429: "past the key's quota per minute or per day: Retry-After says when to come back",
  503: undefined,
})
// The per-IP limit first: a flood of made-up keys must not cost a key lookup each.
@UseGuards(ThrottlerGuard, OpenKeyGuard)
@Controller('v1/open')
export class OpenApiController {
  constructor(private readonly open: OpenApiService) {}

  @Get(':key/currencies/:lang')
  @OpenOperation('path', CURRENCIES.summary, CURRENCIES.description)
  @ApiParam({ name: 'lang', type: String, enum: ['en', 'ru'] })
  @ApiOkResponse({ type: OpenCurrenciesDto, description: 'every enabled currency' })
  @ApiErrors({ 400: 'lang is not en or ru' })
  currencies(@Param('lang', LANG) lang: OpenLang): Promise<OpenCurrenciesDto> {
    return this.open.currencies(lang);
  }

  @Get('currencies/:lang')
  @OpenOperation('header', CURRENCIES.summary, CURRENCIES.description)
  @ApiParam({ name: 'lang', type: String, enum: ['en', 'ru'] })
  @ApiOkResponse({ type: OpenCurrenciesDto, description: 'every enabled currency' })
  @ApiErrors({ 400: 'lang is not en or ru' })
  currenciesKeyInHeader(@Param('lang', LANG) lang: OpenLang): Promise<OpenCurrenciesDto> {
    return this.open.currencies(lang);
  }

  @Get(':key/changers/:lang')
  @OpenOperation('path', CHANGERS.summary, CHANGERS.description)
  @ApiParam({ name: 'lang', type: String, enum: ['en', 'ru'] })
  @ApiOkResponse({ type: OpenChangersDto, description: 'every active exchanger' })
  @ApiErrors({ 400: 'lang is not en or ru' })
  changers(@Param('lang', LANG) _lang: OpenLang): Promise<OpenChangersDto> {
    return this.open.changers();
  }

  @Get('changers/:lang')
  @OpenOperation('header', CHANGERS.summary, CHANGERS.description)
  @ApiParam({ name: 'lang', type: String, enum: ['en', 'ru'] })
  @ApiOkResponse({ type: OpenChangersDto, description: 'every active exchanger' })
  @ApiErrors({ 400: 'lang is not en or ru' })
  changersKeyInHeader(@Param('lang', LANG) _lang: OpenLang): Promise<OpenChangersDto> {
    return this.open.changers();
  }

  @Get(':key/presences/:pair')
  @OpenOperation('path', PRESENCES.summary, PRESENCES.description)
  @ApiParam(PAIR_PARAM)
  @ApiOkResponse({ type: OpenPresencesDto, description: 'the pairs with shown offers' })
  @ApiErrors({ 400: PAIR_ERROR })
  presences(@Param('pair') pair: string): Promise<OpenPresencesDto> {
    return this.open.presences(pair);
  }

  @Get('presences/:pair')
  @OpenOperation('header', PRESENCES.summary, PRESENCES.description)
  @ApiParam(PAIR_PARAM)
  @ApiOkResponse({ type: OpenPresencesDto, description: 'the pairs with shown offers' })
  @ApiErrors({ 400: PAIR_ERROR })
  presencesKeyInHeader(@Param('pair') pair: string): Promise<OpenPresencesDto> {
    return this.open.presences(pair);
  }

  // A wildcard, not a parameter: 500 pairs are ~6,000 characters, past the router's 100 per parameter.
  @Get(':key/rates/*')
  @OpenOperation('path', RATES.summary, RATES.description)
  @PAIRS_PARAM
  @ApiOkResponse({ type: OpenRatesDto, description: 'per pair asked for, its shown offers, best first' })
  @ApiErrors({ 400: RATES_ERROR })
  rates(@Req() request: FastifyRequest): Promise<OpenRatesDto> {
    return this.open.rates(wildcardOf(request));
  }

  @Get('rates/*')
  @OpenOperation('header', RATES.summary, RATES.description)
  @PAIRS_PARAM
  @ApiOkResponse({ type: OpenRatesDto, description: 'per pair asked for, its shown offers, best first' })
  @ApiErrors({ 400: RATES_ERROR })
  ratesKeyInHeader(@Req() request: FastifyRequest): Promise<OpenRatesDto> {
    return this.open.rates(wildcardOf(request));
  }
}
