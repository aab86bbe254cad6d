import { Body, Controller, Delete, Get, Headers, HttpCode, Inject, NotFoundException, Param, ParseIntPipe, Patch, Post, Query, Req, Res, UseGuards, BadRequestException, Optional } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Queue } from 'bullmq';
import type { FastifyReply } from 'fastify';
import { APP_CONFIG, AppConfig } from '@app/config';
import { Actor, AdminRepository, CatalogRepository } from '@app/database';
import { checkFeed, contextForExchanger, FeedReport } from '@app/feeds';
import { checkFeedUrl, FeedFetcher, FeedScheduler } from '@app/ingestion';
import { QUEUES } from '@app/queue';
import { AdminAuthGuard, AdminRequest } from './admin-auth.guard';
import { AdminPartnersController } from './admin-partners.controller';
import { ClicksQuery, CreateAliasDto, CreateCurrencyDto, CreateExchangerDto, CreateFeedDto, FeedCheckQuery, RefreshQuery, RunsQuery, UpdateCurrencyDto, UpdateExchangerDto, UpdateFeedDto } from './admin.dto';
import { AdminService } from './admin.service';
import { FeedRefresher } from './feed-refresher.service';

const actor = (request: AdminRequest): Actor => ({ keyId: request.adminKey?.id ?? null });
const id = new ParseIntPipe({ exceptionFactory: () => new BadRequestException('the id must be a whole number') });

@ApiTags('admin')
@ApiBearerAuth('admin')
@UseGuards(AdminAuthGuard)
@Controller('v1/admin/exchangers')
export class AdminExchangersController {
  constructor(
    private readonly service: AdminService,
    private readonly admin: AdminRepository,
  ) {}

  @Get() async list() {
    return { items: await this.admin.listExchangers() };
  }

  @Post() create(@Req() request: AdminRequest, @Body() dto: CreateExchangerDto) {
    return this.service.createExchanger(actor(request), dto);
  }

  @Get(':id') one(@Param('id', id) exchangerId: number) {
    return this.service.exchanger(exchangerId);
  }

  @Patch(':id') update(@Req() request: AdminRequest, @Param('id', id) exchangerId: number, @Body() dto: UpdateExchangerDto) {
    return this.service.updateExchanger(actor(request), exchangerId, dto);
  }

  @Delete(':id') @HttpCode(204) async remove(@Req() request: AdminRequest, @Param('id', id) exchangerId: number): Promise<void> {
    await this.service.deleteExchanger(actor(request), exchangerId);
  }

  @Get(':id/feeds') async feeds(@Param('id', id) exchangerId: number) {
    return { items: await this.service.feeds(exchangerId) };
  }

  @Post(':id/feeds') createFeed(@Req() request: AdminRequest, @Param('id', id) exchangerId: number, @Body() dto: CreateFeedDto) {
    return this.service.createFeed(actor(request), exchangerId, dto);
  }
}

@ApiTags('admin')
@ApiBearerAuth('admin')
@UseGuards(AdminAuthGuard)
@Controller('v1/admin/feeds')
export class AdminFeedsController {
  constructor(
    private readonly service: AdminService,
    private readonly admin: AdminRepository,
    private readonly refresher: FeedRefresher,
  ) {}

  /** Every feed with lastSuccessAt, lastStatus, lastError, consecutiveFailures and fresh. */
  @Get('health') async health() {
    return { items: await this.admin.feedHealth() };
  }

  @Get(':id') one(@Param('id', id) feedId: number) {
    return this.service.feed(feedId);
  }

  @Patch(':id') update(@Req() request: AdminRequest, @Param('id', id) feedId: number, @Body() dto: UpdateFeedDto) {
    return this.service.updateFeed(actor(request), feedId, dto);
  }

  @Delete(':id') @HttpCode(204) async remove(@Req() request: AdminRequest, @Param('id', id) feedId: number): Promise<void> {
    await this.service.deleteFeed(actor(request), feedId);
  }

  /** Polls now: 202 with a job id, or with `?wait=true` the finished run. */
  @Post(':id/refresh')
  async refresh(@Param('id', id) feedId: number, @Query() query: RefreshQuery, @Res() reply: FastifyReply) {
    await this.service.feed(feedId);
    const wait = query.wait === 'true';
    const { jobId } = await this.refresher.refresh(feedId, wait);
    if (!wait) return reply.code(202).send({ jobId, feedId });
    const [run] = await this.admin.listRuns(feedId, 1);
    return reply.code(200).send({ jobId, run: run ?? null });
  }

  @Get(':id/runs') async runs(@Param('id', id) feedId: number, @Query() query: RunsQuery) {
    await this.service.feed(feedId);
    return { items: await this.admin.listRuns(feedId, query.limit ?? 50) };
  }
}

@ApiTags('admin')
@ApiBearerAuth('admin')
@UseGuards(AdminAuthGuard)
@Controller('v1/admin')
export class AdminCatalogController {
  constructor(private readonly admin: AdminRepository) {}

  @Get('currencies') async currencies() {
    return { items: await this.admin.listCurrencies() };
  }

  @Post('currencies') createCurrency(@Req() request: AdminRequest, @Body() dto: CreateCurrencyDto) {
    return this.admin.createCurrency(actor(request), { ...dto, enabled: dto.enabled ?? true });
  }

  @Patch('currencies/:code') async updateCurrency(@Req() request: AdminRequest, @Param('code') code: string, @Body() dto: UpdateCurrencyDto) {
    const row = await this.admin.updateCurrency(actor(request), code.toUpperCase(), dto);
    if (!row) throw new NotFoundException(`no currency ${code.slice(0, 16)}`);
    return row;
  }

  @Get('currency-aliases') async aliases() {
    return { items: await this.admin.listAliases() };
  }

  /** An alias applies from the next poll (the catalog version changes with it). */
  @Post('currency-aliases') async createAlias(@Req() request: AdminRequest, @Body() dto: CreateAliasDto) {
    const currencies = (await this.admin.listCurrencies()) as Array<{ code: string }>;
    if (!currencies.some((c) => c.code === dto.code)) throw new BadRequestException([`code ${dto.code} is not in the catalog`]);
    if (dto.exchangerId != null && !(await this.admin.findExchanger(dto.exchangerId))) throw new BadRequestException([`exchangerId ${dto.exchangerId} is not an exchanger`]);
    return this.admin.createAlias(actor(request), { alias: dto.alias, code: dto.code, exchangerId: dto.exchangerId ?? null });
  }

  @Delete('currency-aliases/:id') @HttpCode(204) async deleteAlias(@Req() request: AdminRequest, @Param('id', id) aliasId: number): Promise<void> {
    if (!(await this.admin.deleteAlias(actor(request), aliasId))) throw new NotFoundException(`no alias ${aliasId}`);
  }

  @Get('audit') async audit(@Query() query: RunsQuery) {
    return { items: await this.admin.listAudit(query.limit ?? 50) };
  }

  /** Clicks grouped by exchanger and direction, with unique counts. */
  @Get('clicks') async clicks(@Query() query: ClicksQuery) {
    const until = query.until ? new Date(query.until) : new Date();
    const since = query.since ? new Date(query.since) : new Date(until.getTime() - 86_400_000);
    if (since >= until) throw new BadRequestException(['since must be before until']);
    return { since: since.toISOString(), until: until.toISOString(), items: await this.admin.clickCounts({ since, until, exchanger: query.exchanger ?? null, from: query.from ?? null, to: query.to ?? null }) };
  }
}

@ApiTags('admin')
@ApiBearerAuth('admin')
@UseGuards(AdminAuthGuard)
@Controller('v1/admin')
export class AdminOperationsController {
  constructor(
    private readonly catalog: CatalogRepository,
    private readonly fetcher: FeedFetcher,
    private readonly scheduler: FeedScheduler,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() @InjectQueue(QUEUES.feedPoll) private readonly queue?: Queue,
  ) {}

  /**
   * The validator: `{"url": "…"}` (fetched through the same fetcher and SSRF guard) or a raw body
   * (text/xml, application/json, text/plain). Nothing is stored.
   */
  @Post('feed-check')
  @HttpCode(200)
  async feedCheck(@Req() request: AdminRequest & { rawBody?: Buffer }, @Headers('content-type') contentType: string | undefined, @Query() query: FeedCheckQuery): Promise<FeedReport> {
    const format = query.format ?? 'auto';
    const [currencies, aliases] = await Promise.all([this.catalog.loadCurrencies(), this.catalog.loadAliases()]);
    const context = contextForExchanger(currencies, aliases, null);
    const body: unknown = request.body;
    if (isUrlRequest(body)) {
      return checkFeedUrl(this.fetcher, body.url, format, context);
    }
    const raw = Buffer.isBuffer(body) ? body : request.rawBody;
    if (!raw || raw.length === 0) throw new BadRequestException('send {"url": "…"} as JSON, or the feed itself as text/xml, application/json or text/plain');
    return checkFeed(raw, { format, contentType: contentType ?? null }, context);
  }

  /** Per queue: waiting, active, delayed, failed, and how many schedulers. */
  @Get('queues')
  async queues() {
    if (!this.queue) return { mode: 'standalone', items: [{ name: 'in-process', schedulers: (await this.scheduler.scheduledFeedIds()).length }] };
    const counts = await this.queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized');
    return { mode: this.config.mode, items: [{ name: this.queue.name, ...counts, schedulers: await this.queue.getJobSchedulersCount() }] };
  }
}

function isUrlRequest(body: unknown): body is { url: string } {
  return typeof body === 'object' && body !== null && !Buffer.isBuffer(body) && typeof (body as { url?: unknown }).url === 'string' && !('rates' in body);
}

export const ADMIN_CONTROLLERS = [AdminExchangersController, AdminFeedsController, AdminCatalogController, AdminOperationsController, AdminPartnersController];
