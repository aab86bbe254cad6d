import { BadRequestException, Controller, Get, Headers, HttpCode, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FeedReport } from '@app/feeds';
import { LimitQuery } from '../../common/validation';
import { AdminAuthGuard, AdminRequest } from '../admin-auth.guard';
import { ClicksQuery, FeedCheckQuery } from './operations.dto';
import { OperationsService } from './operations.service';

@ApiTags('admin')
@ApiBearerAuth('admin')
@UseGuards(AdminAuthGuard)
@Controller('v1/admin')
export class AdminOperationsController {
  constructor(private readonly operations: OperationsService) {}

  @Get('audit') async audit(@Query() query: LimitQuery) {
    return { items: await this.operations.auditLog(query.limit ?? 50) };
  }

  /** Clicks grouped by exchanger and direction, with unique counts. */
  @Get('clicks') clicks(@Query() query: ClicksQuery) {
    return this.operations.clickCounts(query);
  }

  /**
   * The validator: `{"url": "…"}` (fetched through the same fetcher and SSRF guard) or a raw body
   * (text/xml, application/json, text/plain). Nothing is stored.
   */
  @Post('feed-check')
  @HttpCode(200)
  feedCheck(
    @Req() request: AdminRequest & { rawBody?: Buffer },
    @Headers('content-type') contentType: string | undefined,
    @Query() query: FeedCheckQuery,
  ): Promise<FeedReport> {
    const format = query.format ?? 'auto';
    const body: unknown = request.body;
    if (isUrlRequest(body)) return this.operations.checkFeed({ url: body.url }, format);
    const raw = Buffer.isBuffer(body) ? body : request.rawBody;
    if (!raw || raw.length === 0)
      throw new BadRequestException(
        'send {"url": "…"} as JSON, or the feed itself as text/xml, application/json or text/plain',
      );
    return this.operations.checkFeed({ body: raw, contentType: contentType ?? null }, format);
  }

  /** Per queue: waiting, active, delayed, failed, and how many schedulers. */
  @Get('queues')
  queues() {
    return this.operations.queues();
  }
}

function isUrlRequest(body: unknown): body is { url: string } {
  return (
    typeof body === 'object' &&
    body !== null &&
    !Buffer.isBuffer(body) &&
    typeof (body as { url?: unknown }).url === 'string' &&
    !('rates' in body)
  );
}
