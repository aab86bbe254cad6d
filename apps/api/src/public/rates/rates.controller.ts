import { Controller, Get, Inject, OnModuleInit, Query, Req, Res, UseGuards } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ThrottlerGuard } from '@nestjs/throttler';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, AppConfig } from '@app/config';
import { ApiErrors } from '../../common/api-errors.decorator';
import { sendCacheable } from '../cacheable-reply';
import { PublicCache } from '../public-cache.service';
import { ApiCacheableOk, PublicApi } from '../public-docs';
import { RateHistoryDto, RateHistoryQuery, RatesQuery, RatesTableDto } from './rates.dto';
import { RatesService } from './rates.service';

@PublicApi('rates')
@UseGuards(ThrottlerGuard)
@Controller('v1/rates')
export class RatesController implements OnModuleInit {
  constructor(
    private readonly rates: RatesService,
    private readonly cache: PublicCache,
    private readonly adapterHost: HttpAdapterHost,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Hot answers skip Nest's pipeline: a Fastify hook serves a /v1/rates URL answered in the last
   * PUBLIC_CACHE_SECONDS straight from the cache (rate limiting applies to the misses that reach the
   * database, not to these cheap hits).
   */
  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onRequest', (request, reply, done) => {
      if (request.method !== 'GET' || !request.url.startsWith('/v1/rates?')) return done();
      const hit = this.cache.peekRaw(request.url);
      if (!hit) return done();
      sendCacheable(request, reply, hit, this.config.public.cacheSeconds);
    });
  }

  /** The best-rate table of a direction, with the amount calculator and filters. */
  @Get()
  @ApiOperation({
    summary: 'The best-rate table of a direction',
    description:
      'The shown offers of a direction (from, to and, for cash, city), ranked best first; with `amount`, what ' +
      'each offer gives for it (side=give) or takes to get it (side=get). `exclude` hides offers by flag. ' +
      "Each row's exchanger carries its standing: published reviews by tone, open claims, listing date. " +
      'Unknown currency → 404; from equal to to, an unknown flag or a city that is not a catalog code → 400.',
  })
  @ApiCacheableOk(RatesTableDto)
  @ApiErrors({
    400: 'a malformed query, from equal to to, an unknown exclude flag, or a city that is not a code of /v1/cities',
    404: 'an unknown currency code',
  })
  async table(
    @Query() query: RatesQuery,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    return sendCacheable(
      request,
      reply,
      await this.rates.cachedTable(query, request.url),
      this.config.public.cacheSeconds,
    );
  }

  /** The best rate of a direction a minute over the last hours (the minutes in which someone looked at it). */
  @Get('history')
  @ApiOperation({
    summary: 'The best rate of a direction over the last hours',
    description:
      'The best rate a minute, oldest first, over the last `hours` (default 6, at most 48): only the minutes ' +
      'in which someone looked at the direction. Unknown currency → 404.',
  })
  @ApiOkResponse({ type: RateHistoryDto, description: 'the best rate a minute, oldest first' })
  @ApiErrors({
    400: 'a malformed query, from equal to to, hours out of 1..48, or a city that is not a code of /v1/cities',
    404: 'an unknown currency code',
  })
  historyOf(@Query() query: RateHistoryQuery): Promise<RateHistoryDto> {
    return this.rates.historyOf(query);
  }
}
