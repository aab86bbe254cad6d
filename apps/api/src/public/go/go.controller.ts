import { Controller, Get, Headers, Ip, Param, Query, Res, UseGuards } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { ApiFoundResponse, ApiOperation, ApiQuery } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiErrors } from '../../common/api-errors.decorator';
import { PublicApi } from '../public-docs';
import { RedirectService } from './redirect.service';

/**
 * The click-through: 302 to the registered exchanger's referral URL with `cur_from`/`cur_to` (and
 * `city`). The target is built only from the registered URL and catalog codes: never an open redirect.
 */
@PublicApi('go')
@UseGuards(ThrottlerGuard)
@Controller('go')
export class GoController {
  constructor(private readonly redirects: RedirectService) {}

  @Get(':slug')
  @ApiOperation({
    summary: "Go to an exchanger's page for a direction",
    description:
      "302 to the exchanger's registered referral URL with cur_from/cur_to (and city); records a click. " +
      'Query: from, to (currency codes, different), optional city.',
  })
  @ApiQuery({ name: 'from', type: String, example: 'BTC', description: 'the currency you give (a catalog code)' })
  @ApiQuery({
    name: 'to',
    type: String,
    example: 'SBERRUB',
    description: 'the currency you get (a catalog code other than from)',
  })
  @ApiQuery({
    name: 'city',
    type: String,
    required: false,
    example: 'MSK',
    description: 'city code, for cash directions',
  })
  @ApiFoundResponse({
    description: "redirect to the exchanger's referral URL (no body)",
    headers: {
      Location: {
        description: 'the registered referral URL with cur_from, cur_to (and city)',
        schema: { type: 'string', format: 'uri' },
      },
    },
  })
  @ApiErrors({
    400: 'a malformed code or city, or from equal to to',
    404: 'no active exchanger of this slug, or an unknown currency',
    429: 'past the per-address limit (Retry-After)',
    503: undefined,
  })
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
    const location = await this.redirects.target(
      slug,
      { from, to, city },
      { ip, userAgent: userAgent ?? '', referrer: referrer?.slice(0, 1000) ?? null },
    );
    return reply.code(302).header('location', location).header('cache-control', 'no-store').send();
  }
}
