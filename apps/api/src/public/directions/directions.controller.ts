import { Controller, Get, Inject, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, AppConfig } from '@app/config';
import { RatesRepository } from '@app/database';
import { CurrencyCodeField } from '../../common/validation';
import { sendCacheable } from '../cacheable-reply';
import { CatalogCache } from '../catalog-cache.service';
import { PublicCache } from '../public-cache.service';

export class DirectionsQuery {
  @CurrencyCodeField('from', { optional: true })
  from?: string;
}

@ApiTags('public')
@UseGuards(ThrottlerGuard)
@Controller('v1/directions')
export class DirectionsController {
  constructor(
    private readonly rates: RatesRepository,
    private readonly catalog: CatalogCache,
    private readonly cache: PublicCache,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Directions with fresh offers: `{ items: [{ from, to, offers, bestRate }] }`. */
  @Get()
  async list(@Query() query: DirectionsQuery, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<FastifyReply> {
    if (query.from) await this.catalog.require(query.from);
    const answer = await this.cache.get('*', `directions:${query.from ?? ''}`, async () => ({ items: await this.rates.listDirections(query.from ?? null) }));
    return sendCacheable(request, reply, answer, this.config.public.cacheSeconds);
  }
}
