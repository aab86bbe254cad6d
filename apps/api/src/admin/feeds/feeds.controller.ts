import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { ApiAcceptedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { LimitQuery } from '../../common/validation';
import { AdminAuthGuard, AdminRequest } from '../admin-auth.guard';
import { AdminApi, AdminErrors } from '../admin-docs';
import { actorOf, ID } from '../admin-params';
import {
  FeedDto,
  FeedHealthListDto,
  FeedRefreshAcceptedDto,
  FeedRefreshFinishedDto,
  FeedRunListDto,
  RefreshQuery,
  UpdateFeedDto,
} from './feeds.dto';
import { FeedAdminService } from './feeds.service';

@AdminApi('admin: feeds')
@UseGuards(AdminAuthGuard)
@Controller('v1/admin/feeds')
export class AdminFeedsController {
  constructor(private readonly feeds: FeedAdminService) {}

  /** Every feed with lastSuccessAt, lastStatus, lastError, consecutiveFailures, fresh and what it rejects. */
  @Get('health')
  @ApiOperation({
    summary: 'Every feed with its last poll, failures, freshness and rejected items',
    description:
      '`rejecting` flags a feed whose recent reads each rejected items (unknown codes, invalid items): it loses ' +
      'offers on every poll although it is neither failing nor stale.',
  })
  @ApiOkResponse({ type: FeedHealthListDto })
  async health() {
    return { items: await this.feeds.health() };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One feed' })
  @ApiOkResponse({ type: FeedDto })
  @AdminErrors([400, 404], { 400: 'the id is not a whole number', 404: 'no feed with this id' })
  one(@Param('id', ID) feedId: number) {
    return this.feeds.get(feedId);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a feed', description: 'Its schedule follows the change at once.' })
  @ApiOkResponse({ type: FeedDto })
  @AdminErrors([400, 404, 409], { 404: 'no feed with this id', 409: 'another feed has this URL' })
  update(@Req() request: AdminRequest, @Param('id', ID) feedId: number, @Body() dto: UpdateFeedDto) {
    return this.feeds.update(actorOf(request), feedId, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a feed and its offers' })
  @ApiNoContentResponse({ description: 'deleted' })
  @AdminErrors([400, 404], { 400: 'the id is not a whole number', 404: 'no feed with this id' })
  async remove(@Req() request: AdminRequest, @Param('id', ID) feedId: number): Promise<void> {
    await this.feeds.delete(actorOf(request), feedId);
  }

  /** Polls now: 202 with a job id, or with `?wait=true` the finished run. */
  @Post(':id/refresh')
  @ApiOperation({
    summary: 'Poll a feed now',
    description:
      'Without `wait`: 202 as soon as the poll is queued (fleet mode: a job any worker takes, one pending per ' +
      'feed) or started (standalone). With `?wait=true`: 200 when it has finished, with its run.',
  })
  @ApiAcceptedResponse({ type: FeedRefreshAcceptedDto, description: 'the poll is queued or started' })
  @ApiOkResponse({ type: FeedRefreshFinishedDto, description: '`?wait=true`: the poll has finished' })
  @AdminErrors([400, 404], {
    400: 'the id is not a whole number, or wait is not true/false',
    404: 'no feed with this id',
  })
  async refresh(@Param('id', ID) feedId: number, @Query() query: RefreshQuery, @Res() reply: FastifyReply) {
    const wait = query.wait === 'true';
    const { jobId, run } = await this.feeds.refresh(feedId, wait);
    return wait ? reply.code(200).send({ jobId, run }) : reply.code(202).send({ jobId, feedId });
  }

  @Get(':id/runs')
  @ApiOperation({ summary: "A feed's latest runs, newest first" })
  @ApiOkResponse({ type: FeedRunListDto })
  @AdminErrors([400, 404], {
    400: 'the id is not a whole number, or limit is out of range',
    404: 'no feed with this id',
  })
  async runs(@Param('id', ID) feedId: number, @Query() query: LimitQuery) {
    return { items: await this.feeds.runs(feedId, query.limit ?? 50) };
  }
}
