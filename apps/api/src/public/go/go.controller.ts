import { Controller, Get, Headers, Ip, Param, Query, Res, UseGuards } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import {
  ApiBadRequestResponse,
  ApiFoundResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiErrorDto } from '../../common/api-error.dto';
import { RedirectService } from './redirect.service';

/**
 * The click-through: 302 to the registered exchanger's referral URL with `cur_from`/`cur_to` (and
 * `city`). The target is built only from the registered URL and catalog codes: never an open redirect.
 */
@ApiTags('public')
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
  @ApiFoundResponse({ description: 'redirect to the exchanger' })
  @ApiBadRequestResponse({ type: ApiErrorDto, description: 'a malformed code or city, or from equal to to' })
  @ApiNotFoundResponse({ type: ApiErrorDto, description: 'no active exchanger of this slug, or an unknown currency' })
  @ApiTooManyRequestsResponse({ type: ApiErrorDto, description: 'past the per-address limit (Retry-After)' })
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
