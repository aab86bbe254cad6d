import { Controller, Get, Headers, Ip, Param, Query, Res, UseGuards } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { ApiFoundResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
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
    const location = await this.redirects.target(
      slug,
      { from, to, city },
      { ip, userAgent: userAgent ?? '', referrer: referrer?.slice(0, 1000) ?? null },
    );
    return reply.code(302).header('location', location).header('cache-control', 'no-store').send();
  }
}
