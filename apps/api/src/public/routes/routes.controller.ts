import { Controller, Get, Inject, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { ApiOperation } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, AppConfig } from '@app/config';
import { ApiErrors } from '../../common/api-errors.decorator';
import { sendCacheable } from '../cacheable-reply';
import { ApiCacheableOk, PublicApi } from '../public-docs';
import { MAX_ROUTES, RoutesDto, RoutesQuery } from './routes.dto';
import { LEG_WIDTH, MAX_INTERMEDIATES, RoutesService } from './routes.service';

@PublicApi('routes')
@UseGuards(ThrottlerGuard)
@Controller('v1/routes')
export class RoutesController {
  constructor(
    private readonly routes: RoutesService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The best single offers and two-hop routes of a direction at an amount. */
  @Get()
  @ApiOperation({
    summary: 'The best ways from one currency to another: single offers and routes through one intermediate',
    description:
      'For `amount` of from (side=give) or of to (side=get): the best single offers (`direct`, as /v1/rates ' +
      'with that amount ranks them) and the best routes through one intermediate currency across two ' +
      'exchangers (`routes`): from → via at one, via → to at the next, the second receiving exactly what the ' +
      'first pays — fees, limits, reserves and rounding of both legs applied; side=get works backwards from what you want. ' +
      `Each leg carries its /go link. Ranked best first (side=give: most got; side=get: least given), \`limit\` ` +
      `of each (default 5, at most ${MAX_ROUTES}). The ${MAX_INTERMEDIATES} intermediates with offers on both legs ` +
      `and the best market rates are tried, ${LEG_WIDTH} offers per leg. A cash intermediate only with a city; a ` +
      'leg touching a cash currency is ranked in that city. Unknown currency → 404; a missing or malformed ' +
      'amount, from equal to to, or a city that is not a catalog code → 400.',
  })
  @ApiCacheableOk(RoutesDto)
  @ApiErrors({
    400: 'a missing or malformed amount, from equal to to, an unknown side, a limit out of 1..20, or a city that is not a code of /v1/cities',
    404: 'an unknown currency code',
    429: 'past the per-address limit, or too many route searches waiting at once (Retry-After)',
  })
  async find(
    @Query() query: RoutesQuery,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    return sendCacheable(request, reply, await this.routes.cachedRoutes(query), this.config.public.cacheSeconds);
  }
}
