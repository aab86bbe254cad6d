import { Controller, Get, Inject, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, AppConfig } from '@app/config';
import { sendCacheable } from '../cacheable-reply';
import { PublicCache } from '../public-cache.service';
import { RatesQuery, RatesTableDto } from './rates.dto';
import { RatesService } from './rates.service';

@ApiTags('public')
@UseGuards(ThrottlerGuard)
@Controller('v1/rates')
export class RatesController {
  constructor(
    private readonly rates: RatesService,
    private readonly cache: PublicCache,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The best-rate table of a direction, with the amount calculator and filters. */
  @Get()
  @ApiOkResponse({ type: RatesTableDto })
  async table(@Query() query: RatesQuery, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<FastifyReply> {
    const key = JSON.stringify([query.city ?? null, query.amount ?? null, query.side ?? 'give', query.exclude ?? '', query.limit ?? 100]);
    const answer = await this.cache.get(`${query.from}|${query.to}`, key, () => this.rates.table(query));
    return sendCacheable(request, reply, answer, this.config.public.cacheSeconds);
  }
}
