import { BadRequestException, Controller, Get, Headers, HttpCode, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiExtraModels, ApiOkResponse, ApiOperation, getSchemaPath } from '@nestjs/swagger';
import type { FeedReport } from '@app/feeds';
import { LimitQuery } from '../../common/validation';
import { AdminAuthGuard, AdminRequest } from '../admin-auth.guard';
import { AdminApi, AdminErrors } from '../admin-docs';
import {
  AuditListDto,
  ClickCountsDto,
  ClicksQuery,
  FeedCheckQuery,
  FeedCheckUrlDto,
  FeedReportDto,
  QueuesDto,
} from './operations.dto';
import { OperationsService } from './operations.service';

@AdminApi('admin: operations')
@ApiExtraModels(FeedCheckUrlDto)
@UseGuards(AdminAuthGuard)
@Controller('v1/admin')
export class AdminOperationsController {
  constructor(private readonly operations: OperationsService) {}

  @Get('audit')
  @ApiOperation({ summary: 'The admin audit log, newest first' })
  @ApiOkResponse({ type: AuditListDto })
  @AdminErrors([400], { 400: 'limit is out of range' })
  async audit(@Query() query: LimitQuery) {
    return { items: await this.operations.auditLog(query.limit ?? 50) };
  }

  /** Clicks grouped by exchanger and direction, with unique counts. */
  @Get('clicks')
  @ApiOperation({
    summary: 'Clicks by exchanger and direction, with unique counts',
    description: 'The last 24 hours unless a window is given; optionally of one exchanger and direction.',
  })
  @ApiOkResponse({ type: ClickCountsDto })
  @AdminErrors([400], { 400: 'an invalid window, slug or currency code' })
  clicks(@Query() query: ClicksQuery) {
    return this.operations.clickCounts(query);
  }

  /**
   * The validator: `{"url": "…"}` (fetched through the same fetcher and SSRF guard) or a raw body
   * (text/xml, application/json, text/plain). Nothing is stored.
   */
  @Post('feed-check')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Check a feed without storing anything',
    description:
      'Send `{"url": "…"}` as JSON (fetched through the same fetcher and SSRF guard as a poll), or the feed itself ' +
      'as the body: XML (text/xml, application/xml), JSON (application/json) or TXT (text/plain). A broken feed is ' +
      'a 200 whose report says what is wrong.',
  })
  @ApiConsumes('application/json', 'text/xml', 'application/xml', 'text/plain')
  @ApiBody({
    description: '`{"url": "…"}`, or the raw feed: a JSON feed object, or XML/TXT text',
    schema: {
      anyOf: [
        { $ref: getSchemaPath(FeedCheckUrlDto) },
        { type: 'object', additionalProperties: true, description: 'a JSON feed, e.g. {"rates": [...]}' },
        { type: 'string', description: 'an XML or TXT feed, as text' },
      ],
    },
  })
  @ApiOkResponse({ type: FeedReportDto })
  @AdminErrors([400, 413, 415], {
    400: 'no URL and no body, or an invalid format parameter',
    413: 'the feed is larger than the body limit',
    415: 'a content type other than JSON, XML or text',
  })
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
  @ApiOperation({ summary: 'Jobs per queue by state, and how many schedulers' })
  @ApiOkResponse({ type: QueuesDto })
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
