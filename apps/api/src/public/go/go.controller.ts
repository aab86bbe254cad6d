import { BadRequestException, Controller, Get, Headers, Ip, NotFoundException, Param, Query, Res, UseGuards } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { ApiFoundResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { RatesRepository } from '@app/database';
import { buildReferralUrl } from '@app/domain';
import { CatalogCache } from '../catalog-cache.service';
import { ClickRecorder } from './click-recorder.service';

const SLUG = /^[a-z0-9][a-z0-9-]{1,62}$/;
const CODE = /^[A-Za-z0-9]{2,16}$/;
const CITY = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;

/**
 * The click-through: 302 to the registered exchanger's referral URL with `cur_from`/`cur_to` (and
 * `city`). The target is built only from the registered URL and catalog codes: never an open redirect.
 */
@ApiTags('public')
@UseGuards(ThrottlerGuard)
@Controller('go')
export class GoController {
  constructor(
    private readonly rates: RatesRepository,
    private readonly catalog: CatalogCache,
    private readonly clicks: ClickRecorder,
  ) {}

  @Get(':slug')
  @ApiFoundResponse({ description: 'redirect to the exchanger' })
  async go(
    @Param('slug') slug: string,
    @Query('from') from: unknown,
    @Query('to') to: unknown,
    @Query('city') city: unknown,
    @Headers('user-agent') userAgent: string | undefined,
    @Headers('referer') referrer: string | undefined,
    @Ip() ip: string,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    if (typeof from !== 'string' || !CODE.test(from)) throw new BadRequestException('from must be a currency code from the catalog');
    if (typeof to !== 'string' || !CODE.test(to)) throw new BadRequestException('to must be a currency code from the catalog');
    if (city !== undefined && (typeof city !== 'string' || !CITY.test(city))) throw new BadRequestException('city must be a city code like MSK');
    const target = SLUG.test(slug) ? await this.rates.findRedirectTarget(slug) : null;
    if (!target) throw new NotFoundException(`no active exchanger ${slug.slice(0, 64)}`);
    const [fromCode, toCode] = [from.toUpperCase(), to.toUpperCase()];
    if (!(await this.catalog.has(fromCode))) throw new BadRequestException(`unknown currency code ${fromCode}`);
    if (!(await this.catalog.has(toCode))) throw new BadRequestException(`unknown currency code ${toCode}`);
    const cityCode = typeof city === 'string' ? city.toUpperCase() : null;

    const location = buildReferralUrl(target.referralUrl, fromCode, toCode, cityCode);
    void this.clicks
      .record({ exchangerId: target.id, from: fromCode, to: toCode, city: cityCode, at: new Date(), referrer: referrer?.slice(0, 1000) ?? null, ip, userAgent: userAgent ?? '' })
      .catch(() => undefined);
    return reply.code(302).header('location', location).header('cache-control', 'no-store').send();
  }
}
