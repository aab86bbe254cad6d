import { Controller, Get, Inject, Param, Req, Res, UseGuards } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, AppConfig } from '@app/config';
import { sendCacheable } from '../cacheable-reply';
import { ExchangerProfilesService } from './exchangers.service';

@ApiTags('public')
@UseGuards(ThrottlerGuard)
@Controller('v1/exchangers')
export class ExchangersController {
  constructor(
    private readonly exchangers: ExchangerProfilesService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Active exchangers with their shown offers and freshness. */
  @Get()
  async list(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<FastifyReply> {
    return sendCacheable(request, reply, await this.exchangers.list(), this.config.public.cacheSeconds);
  }

  /** One active exchanger, with the directions it shows. */
  @Get(':slug')
  async one(
    @Param('slug') slug: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    return sendCacheable(request, reply, await this.exchangers.profile(slug), this.config.public.cacheSeconds);
  }
}
