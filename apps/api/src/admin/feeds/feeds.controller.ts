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
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { LimitQuery } from '../../common/validation';
import { AdminAuthGuard, AdminRequest } from '../admin-auth.guard';
import { actorOf, ID } from '../admin-params';
import { RefreshQuery, UpdateFeedDto } from './feeds.dto';
import { FeedAdminService } from './feeds.service';

@ApiTags('admin')
@ApiBearerAuth('admin')
@UseGuards(AdminAuthGuard)
@Controller('v1/admin/feeds')
export class AdminFeedsController {
  constructor(private readonly feeds: FeedAdminService) {}

  /** Every feed with lastSuccessAt, lastStatus, lastError, consecutiveFailures and fresh. */
  @Get('health') async health() {
    return { items: await this.feeds.health() };
  }

  @Get(':id') one(@Param('id', ID) feedId: number) {
    return this.feeds.get(feedId);
  }

  @Patch(':id') update(@Req() request: AdminRequest, @Param('id', ID) feedId: number, @Body() dto: UpdateFeedDto) {
    return this.feeds.update(actorOf(request), feedId, dto);
  }

  @Delete(':id') @HttpCode(204) async remove(
    @Req() request: AdminRequest,
    @Param('id', ID) feedId: number,
  ): Promise<void> {
    await this.feeds.delete(actorOf(request), feedId);
  }

  /** Polls now: 202 with a job id, or with `?wait=true` the finished run. */
  @Post(':id/refresh')
  async refresh(@Param('id', ID) feedId: number, @Query() query: RefreshQuery, @Res() reply: FastifyReply) {
    const wait = query.wait === 'true';
    const { jobId, run } = await this.feeds.refresh(feedId, wait);
    return wait ? reply.code(200).send({ jobId, run }) : reply.code(202).send({ jobId, feedId });
  }

  @Get(':id/runs') async runs(@Param('id', ID) feedId: number, @Query() query: LimitQuery) {
    return { items: await this.feeds.runs(feedId, query.limit ?? 50) };
  }
}
