import { Controller, Get, Inject, NotFoundException, Param, Req, Res, UseGuards } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, AppConfig } from '@app/config';
import { ExchangerSummary, RatesRepository } from '@app/database';
import { SLUG_PATTERN } from '@app/domain';
import { sendCacheable } from '../cacheable-reply';
import { PublicCache } from '../public-cache.service';

function publicFields(e: ExchangerSummary) {
  return { slug: e.slug, name: e.name, siteUrl: e.siteUrl, status: e.status, offers: e.offers, updatedAt: e.updatedAt ? new Date(e.updatedAt).toISOString() : null, fresh: e.fresh };
}

@ApiTags('public')
@UseGuards(ThrottlerGuard)
@Controller('v1/exchangers')
export class ExchangersController {
  constructor(
    private readonly rates: RatesRepository,
    private readonly cache: PublicCache,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Active exchangers with their shown offers and freshness. */
  @Get()
  async list(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<FastifyReply> {
    const answer = await this.cache.get('*', 'exchangers', async () => ({ items: (await this.rates.listExchangers()).map(publicFields) }));
    return sendCacheable(request, reply, answer, this.config.public.cacheSeconds);
  }

  /** One active exchanger, with the directions it shows. */
  @Get(':slug')
  async one(@Param('slug') slug: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<FastifyReply> {
    if (!SLUG_PATTERN.test(slug)) throw new NotFoundException(`no exchanger ${slug.slice(0, 64)}`);
    const answer = await this.cache.get('*', `exchanger:${slug}`, async () => {
      const [exchanger] = await this.rates.listExchangers(slug);
      if (!exchanger) throw new NotFoundException(`no exchanger ${slug}`);
      return { ...publicFields(exchanger), directions: await this.rates.exchangerDirections(exchanger.id) };
    });
    return sendCacheable(request, reply, answer, this.config.public.cacheSeconds);
  }
}
