import { BadRequestException, Controller, Get, Headers, Ip, NotFoundException, Param, Query, Res, UseGuards } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { ApiFoundResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { RatesRepository } from '@app/database';
import { buildReferralUrl, CITY_PATTERN, CURRENCY_CODE_PATTERN, SLUG_PATTERN } from '@app/domain';
import { CatalogCache } from '../catalog-cache.service';
import { ClickRecorder } from './click-recorder.service';

/** The query's value upper-cased when it is one string matching `pattern` (codes and cities are case-insensitive), else null. */
function upperMatching(value: unknown, pattern: RegExp): string | null {
  return typeof value === 'string' && pattern.test(value.toUpperCase()) ? value.toUpperCase() : null;
}

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
    const fromCode = upperMatching(from, CURRENCY_CODE_PATTERN);
    const toCode = upperMatching(to, CURRENCY_CODE_PATTERN);
    const cityCode = city === undefined ? null : upperMatching(city, CITY_PATTERN);
    if (fromCode === null) throw new BadRequestException('from must be a currency code from the catalog');
    if (toCode === null) throw new BadRequestException('to must be a currency code from the catalog');
    if (city !== undefined && cityCode === null) throw new BadRequestException('city must be a city code like MSK');
    const target = SLUG_PATTERN.test(slug) ? await this.rates.findRedirectTarget(slug) : null;
    if (!target) throw new NotFoundException(`no active exchanger ${slug.slice(0, 64)}`);
    if (!(await this.catalog.has(fromCode))) throw new BadRequestException(`unknown currency code ${fromCode}`);
    if (!(await this.catalog.has(toCode))) throw new BadRequestException(`unknown currency code ${toCode}`);

    const location = buildReferralUrl(target.referralUrl, fromCode, toCode, cityCode);
    void this.clicks
      .record({ exchangerId: target.id, from: fromCode, to: toCode, city: cityCode, at: new Date(), referrer: referrer?.slice(0, 1000) ?? null, ip, userAgent: userAgent ?? '' })
      .catch(() => undefined);
    return reply.code(302).header('location', location).header('cache-control', 'no-store').send();
  }
}
