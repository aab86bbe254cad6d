import { Controller, Get, Inject, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, AppConfig } from '@app/config';
import { CurrencyCodeField } from '../../common/validation';
import { sendCacheable } from '../cacheable-reply';
import { DirectionsService } from './directions.service';

export class DirectionsQuery {
  @CurrencyCodeField('from', { optional: true })
  from?: string;
}

@ApiTags('public')
@UseGuards(ThrottlerGuard)
@Controller('v1/directions')
export class DirectionsController {
  constructor(
    private readonly directions: DirectionsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Directions with fresh offers: `{ items: [{ from, to, offers, bestRate }] }`. */
  @Get()
  async list(
    @Query() query: DirectionsQuery,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    return sendCacheable(request, reply, await this.directions.list(query.from), this.config.public.cacheSeconds);
  }
}
