import { Controller, Get, Inject, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { ApiOperation } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, AppConfig } from '@app/config';
import { ApiErrors } from '../../common/api-errors.decorator';
import { sendCacheable } from '../cacheable-reply';
import { ApiCacheableOk, PublicApi } from '../public-docs';
import { DirectionsPageDto, DirectionsQuery } from './directions.dto';
import { DirectionsService } from './directions.service';

@PublicApi('directions')
@UseGuards(ThrottlerGuard)
@Controller('v1/directions')
export class DirectionsController {
  constructor(
    private readonly directions: DirectionsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Directions with fresh offers, a page at a time: `{ items: [{ from, to, offers, bestRate }], nextCursor }`. */
  @Get()
  @ApiOperation({
    summary: 'Directions with offers, paged',
    description:
      'Directions with fresh offers in (from, to) order, optionally only those from or to one currency. ' +
      'At most `limit` (default 100, at most 1000) a page; pass `nextCursor` as `cursor` for the next one ' +
      '(null on the last page). Pages are keyed: a walk sees no direction twice and skips none that stays ' +
      'shown while rates change. Unknown currency → 404; from equal to to → 400.',
  })
  @ApiCacheableOk(DirectionsPageDto)
  @ApiErrors({
    400: 'a malformed query or cursor, or from equal to to',
    404: 'an unknown currency code',
  })
  async list(
    @Query() query: DirectionsQuery,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    return sendCacheable(request, reply, await this.directions.page(query), this.config.public.cacheSeconds);
  }
}
