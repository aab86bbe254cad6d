import { Controller, Get, Inject, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { ApiOperation } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, AppConfig } from '@app/config';
import { ApiErrors } from '../../common/api-errors.decorator';
import { sendCacheable } from '../cacheable-reply';
import { ApiCacheableOk, PublicApi } from '../public-docs';
import { RateHistoryDto, RateHistoryQuery, RatesQuery, RatesTableDto } from './rates.dto';
import { RatesService } from './rates.service';

@PublicApi('rates')
@UseGuards(ThrottlerGuard)
@Controller('v1/rates')
export class RatesController {
  constructor(
    private readonly rates: RatesService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * The best-rate table of a direction, with the amount calculator and filters. A table answered in the last
   * PUBLIC_CACHE_SECONDS under the same raw URL never gets here: serveHotRatesFirst writes it.
   */
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

  /** The best rate of a direction over time, from the history the workers record of every direction. */
  @Get('history')
  @ApiOperation({
    summary: 'The best rate of a direction over time',
    description:
      'The best shown rate of a direction (and city) in minute, hour or day buckets (open, high, low, close, ' +
      'offers shown at the close), oldest first, recorded by the workers for every direction whether or not ' +
      'anyone looked at it. Only buckets in which the best changed are listed: between two points the rate ' +
      'stayed at the close of the first. `since` defaults to 6 hours (minute), 7 days (hour) or 365 days (day) ' +
      'before `until` (default now); minutes are kept 7 days and hours 90 days by default (HISTORY_RETENTION). ' +
      '`hours=1…48` is kept for older clients: the same as resolution=minute&since=now − hours. ' +
      'Unknown currency → 404; a range of more than 3000 buckets → 400 (narrow it or ask for a coarser resolution).',
  })
  @ApiCacheableOk(RateHistoryDto, 'the buckets in which the best changed, oldest first, with the ETag')
  @ApiErrors({
    400:
      'a malformed query, from equal to to, an unknown resolution, since or until not an ISO-8601 time or since ' +
      'not before until, too many buckets, hours out of 1..48 or given with since or another resolution, or a ' +
      'city that is not a code of /v1/cities',
    404: 'an unknown currency code',
  })
  async historyOf(
    @Query() query: RateHistoryQuery,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    return sendCacheable(request, reply, await this.rates.cachedHistory(query), this.config.public.cacheSeconds);
  }
}
