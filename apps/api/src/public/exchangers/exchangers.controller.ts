import { Controller, Get, Inject, Param, Req, Res, UseGuards } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { ApiOperation, ApiParam } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, AppConfig } from '@app/config';
import { ApiErrors } from '../../common/api-errors.decorator';
import { sendCacheable } from '../cacheable-reply';
import { ApiCacheableOk, PublicApi } from '../public-docs';
import { PublicExchangerListDto, ExchangerProfileDto } from './exchangers.dto';
import { ExchangerProfilesService } from './exchangers.service';

@PublicApi('exchangers')
@UseGuards(ThrottlerGuard)
@Controller('v1/exchangers')
export class ExchangersController {
  constructor(
    private readonly exchangers: ExchangerProfilesService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Active exchangers with their shown offers and freshness. */
  @Get()
  @ApiOperation({
    summary: 'The active exchangers',
    description:
      'Every active exchanger by name, with its count of shown offers, whether its feeds are fresh, and its ' +
      'standing: published reviews by tone, open claims and when it was listed.',
  })
  @ApiCacheableOk(PublicExchangerListDto)
  async list(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<FastifyReply> {
    return sendCacheable(request, reply, await this.exchangers.list(), this.config.public.cacheSeconds);
  }

  /** One active exchanger, with the directions it shows. */
  @Get(':slug')
  @ApiOperation({
    summary: 'One exchanger, with its directions',
    description: 'An active exchanger by slug, with every direction (and city) it shows now and its rate there.',
  })
  @ApiParam({ name: 'slug', example: 'aura', description: 'the slug of an active exchanger' })
  @ApiCacheableOk(ExchangerProfileDto)
  @ApiErrors({ 404: 'no active exchanger of this slug' })
  async one(
    @Param('slug') slug: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    return sendCacheable(request, reply, await this.exchangers.profile(slug), this.config.public.cacheSeconds);
  }
}
