import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator';
import { LimitQuery } from '../common/validation';
import { ID } from '../admin/admin-params';
import { FeedHealthListDto, FeedRunListDto } from '../admin/feeds/feeds.dto';
import { PageQuery } from '../public/reputation/reputation.dto';
import { SmallBodyGuard } from '../public/reputation/small-body.guard';
import {
  CabinetClaimDto,
  CabinetClaimListDto,
  CabinetClicksDto,
  CabinetClicksQuery,
  CabinetDto,
  CabinetReplyBodyDto,
  CabinetReviewDto,
  CabinetReviewListDto,
  CLICKS_WINDOW,
} from './exchanger.dto';
import { exchangerOf, ExchangerKeyGuard, ExchangerRequest } from './exchanger-key.guard';
import { ExchangerCabinetService } from './exchanger.service';

const ROW_ID = (what: string) =>
  ApiParam({ name: 'id', example: '42', description: `the ${what}'s id (a decimal string)` });

/**
 * The exchanger's cabinet (`/v1/exchanger/…`, DESIGN.md §11): its feeds and their runs, clicks, reviews
 * and claims, and its replies — through a key scoped to it. Nothing of another exchanger, nothing of the
 * admin API.
 */
@ApiTags('exchanger cabinet')
@ApiBearerAuth('exchanger')
@ApiErrors({
  401: 'no key, a malformed Authorization header, or a key never issued here',
  403: 'the key was revoked, is an admin key (it has no exchanger), or the id names something of another exchanger',
  503: undefined,
})
@UseGuards(ExchangerKeyGuard)
@Controller('v1/exchanger')
export class ExchangerCabinetController {
  constructor(private readonly cabinet: ExchangerCabinetService) {}

  @Get()
  @ApiOperation({ summary: 'The exchanger the key is scoped to, with its review counts and open claims' })
  @ApiOkResponse({ type: CabinetDto, description: 'the exchanger, its counts and the key' })
  itself(@Req() request: ExchangerRequest): Promise<CabinetDto> {
    return this.cabinet.itself(exchangerOf(request));
  }

  @Get('feeds')
  @ApiOperation({
    summary: 'Its feeds with their health',
    description: 'The fields of the admin health list: last poll, failures, freshness and what the reads rejected.',
  })
  @ApiOkResponse({ type: FeedHealthListDto, description: 'its feeds, by id' })
  async feeds(@Req() request: ExchangerRequest) {
    return { items: await this.cabinet.feedHealth(exchangerOf(request)) };
  }

  @Get('feeds/:id/runs')
  @ApiOperation({ summary: "One of its feeds' latest runs, newest first, with every rejected item" })
  @ApiOkResponse({ type: FeedRunListDto, description: 'the runs, newest first' })
  @ApiErrors({
    400: 'the id is not a whole number, or limit is out of range',
    404: 'no feed with this id',
  })
  async runs(@Req() request: ExchangerRequest, @Param('id', ID) feedId: number, @Query() query: LimitQuery) {
    return { items: await this.cabinet.runsOfFeed(exchangerOf(request), feedId, query.limit ?? 50) };
  }

  @Get('clicks')
  @ApiOperation({ summary: 'Its clicks by UTC day and direction', description: CLICKS_WINDOW })
  @ApiOkResponse({ type: CabinetClicksDto, description: 'the window and its clicks by day and direction' })
  @ApiErrors({ 400: 'an invalid time, since not before until, or a window longer than allowed' })
  clicks(@Req() request: ExchangerRequest, @Query() query: CabinetClicksQuery): Promise<CabinetClicksDto> {
    return this.cabinet.clicksByDay(exchangerOf(request), query);
  }

  @Get('reviews')
  @ApiOperation({ summary: 'Its published reviews, newest first, with its replies' })
  @ApiOkResponse({ type: CabinetReviewListDto, description: 'a page of its published reviews' })
  @ApiErrors({ 400: 'limit out of range, or a cursor that is not a nextCursor' })
  reviews(@Req() request: ExchangerRequest, @Query() query: PageQuery): Promise<CabinetReviewListDto> {
    return this.cabinet.listReviews(exchangerOf(request), query);
  }

  @Post('reviews/:id/reply')
  @HttpCode(200)
  @UseGuards(SmallBodyGuard)
  @ROW_ID('review')
  @ApiOperation({
    summary: 'Reply to one of its published reviews',
    description: 'A new reply replaces the previous one.',
  })
  @ApiOkResponse({ type: CabinetReviewDto, description: 'the review with the reply' })
  @ApiErrors({
    400: 'text missing, not a string, or not 2-2000 characters',
    404: 'no published review with this id',
    413: 'the body is too large',
    415: undefined,
  })
  reply(
    @Req() request: ExchangerRequest,
    @Param('id') reviewId: string,
    @Body() dto: CabinetReplyBodyDto,
  ): Promise<CabinetReviewDto> {
    return this.cabinet.reply(exchangerOf(request), reviewId, dto.text);
  }

  @Get('claims')
  @ApiOperation({ summary: 'Claims against it that a moderator accepted, newest first, with every step' })
  @ApiOkResponse({ type: CabinetClaimListDto, description: 'a page of its claims' })
  @ApiErrors({ 400: 'limit out of range, or a cursor that is not a nextCursor' })
  claims(@Req() request: ExchangerRequest, @Query() query: PageQuery): Promise<CabinetClaimListDto> {
    return this.cabinet.listClaims(exchangerOf(request), query);
  }

  @Post('claims/:id/answer')
  @HttpCode(200)
  @UseGuards(SmallBodyGuard)
  @ROW_ID('claim')
  @ApiOperation({
    summary: 'Answer one of its claims',
    description: 'An open or answered claim becomes answered; every answer is kept as a step of its life.',
  })
  @ApiOkResponse({ type: CabinetClaimDto, description: 'the claim with the answer as its latest step' })
  @ApiErrors({
    400: 'text missing, not a string, or not 2-2000 characters',
    404: 'no claim with this id that a moderator accepted',
    409: 'the claim is closed (resolved or rejected)',
    413: 'the body is too large',
    415: undefined,
  })
  answer(
    @Req() request: ExchangerRequest,
    @Param('id') claimId: string,
    @Body() dto: CabinetReplyBodyDto,
  ): Promise<CabinetClaimDto> {
    return this.cabinet.answer(exchangerOf(request), claimId, dto.text);
  }
}
