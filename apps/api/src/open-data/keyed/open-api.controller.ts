import {
  CanActivate,
  Controller,
  ExecutionContext,
  Get,
  Injectable,
  Param,
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
import type { FastifyRequest } from 'fastify';
import { ApiErrors } from '../../common/api-errors.decorator';
import { OpenKeyAccess } from '../keys/open-key-access.service';
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

/** Admits a request of the keyed API: 401/403 for the key, 429 with Retry-After past its quotas. */
@Injectable()
export class OpenKeyGuard implements CanActivate {
  constructor(private readonly access: OpenKeyAccess) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    await this.access.admit(presentedOpenKey(context.switchToHttp().getRequest<FastifyRequest>()));
    return true;
  }
}

const LANG = new ParseEnumPipe(['en', 'ru'], {
  exceptionFactory: () => new BadRequestException('lang must be en or ru'),
});

const KEY_PARAM = ApiParam({
  name: 'key',
  description: 'your open-data key (or leave it out of the path and send it as X-Api-Key); never logged',
});

/**
 * The keyed JSON API (`/v1/open/{key}/…`), shaped like BestChange's API v2: a client of
 * `https://www.bestchange.app/v2/{key}/` works with the base URL `https://<ratewatch>/v1/open/{key}/`.
 * Each route also answers without the key in the path, with the key in `X-Api-Key`.
 */
@ApiTags('open data')
@ApiSecurity('open-data-key')
@ApiExtraModels(OpenRateDto)
@ApiHeader({ name: 'X-Api-Key', required: false, description: 'the open-data key, when it is not in the path' })
@ApiErrors({
  401: 'no open-data key, or a key never issued here',
  403: 'the key was revoked',
  429: "past the key's quota per minute or per day: Retry-After says when to come back",
  503: undefined,
})
@UseGuards(OpenKeyGuard)
@Controller('v1/open')
export class OpenApiController {
  constructor(private readonly open: OpenApiService) {}

  @Get([':key/currencies/:lang', 'currencies/:lang'])
  @KEY_PARAM
  @ApiParam({ name: 'lang', enum: ['en', 'ru'] })
  @ApiOperation({
    summary: 'Currencies with their ids (BestChange v2 `currencies`)',
    description: 'Every enabled currency of the catalog, with the ids info.zip and the other calls use.',
  })
  @ApiOkResponse({ type: OpenCurrenciesDto })
  @ApiErrors({ 400: 'lang is not en or ru' })
  currencies(@Param('lang', LANG) lang: OpenLang): Promise<OpenCurrenciesDto> {
    return this.open.currencies(lang);
  }

  @Get([':key/changers/:lang', 'changers/:lang'])
  @KEY_PARAM
  @ApiParam({ name: 'lang', enum: ['en', 'ru'] })
  @ApiOperation({
    summary: 'Exchangers (BestChange v2 `changers`)',
    description:
      'Every active exchanger with its reserve in US dollars and its review counts (as /v1/rates shows them).',
  })
  @ApiOkResponse({ type: OpenChangersDto })
  @ApiErrors({ 400: 'lang is not en or ru' })
  changers(@Param('lang', LANG) _lang: OpenLang): Promise<OpenChangersDto> {
    return this.open.changers();
  }

  @Get([':key/presences/:pair', 'presences/:pair'])
  @KEY_PARAM
  @ApiParam({ name: 'pair', example: '93-0', description: 'from id - to id; 0 on a side matches any currency' })
  @ApiOperation({
    summary: 'Directions with shown offers (BestChange v2 `presences`)',
    description: 'The pairs (from-to ids) that have at least one shown offer, narrowed by the pair asked for.',
  })
  @ApiOkResponse({ type: OpenPresencesDto })
  @ApiErrors({ 400: 'the pair is not from-to with currency ids, or names an unknown id' })
  presences(@Param('pair') pair: string): Promise<OpenPresencesDto> {
    return this.open.presences(pair);
  }

  @Get([':key/rates/*', 'rates/*'])
  @KEY_PARAM
  @ApiParam({
    name: '*',
    example: '93-42+42-93',
    description: `pairs from-to of currency ids joined by +, at most ${MAX_PAIRS}`,
  })
  @ApiOperation({
    summary: 'Rates of up to 500 pairs (BestChange v2 `rates`)',
    description:
      'Per pair, the shown offers (the ones /v1/rates shows: fresh feeds, active exchangers, nothing held back) ' +
      'best first, with `rate` and `rankrate` as given per 1 received, the reserve, the give-side limits and the ' +
      'flags as `marks`. `rates` is the only key of the answer.',
  })
  @ApiOkResponse({ type: OpenRatesDto })
  @ApiErrors({
    400: `a pair that is not from-to with currency ids, an unknown id, or more than ${MAX_PAIRS} pairs`,
  })
  rates(@Param('*') pairs: string): Promise<OpenRatesDto> {
    return this.open.rates(pairs);
  }
}
