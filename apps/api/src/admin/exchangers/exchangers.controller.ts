import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Req, UseGuards } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { AdminAuthGuard, AdminRequest } from '../admin-auth.guard';
import { AdminApi, AdminErrors } from '../admin-docs';
import { actorOf, ID } from '../admin-params';
import { CreateFeedDto, FeedDto, FeedListDto } from '../feeds/feeds.dto';
import { FeedAdminService } from '../feeds/feeds.service';
import { CreateExchangerDto, ExchangerDto, ExchangerListDto, UpdateExchangerDto } from './exchangers.dto';
import { ExchangerAdminService } from './exchangers.service';

@AdminApi('admin: exchangers')
@UseGuards(AdminAuthGuard)
@Controller('v1/admin/exchangers')
export class AdminExchangersController {
  constructor(
    private readonly exchangers: ExchangerAdminService,
    private readonly feeds: FeedAdminService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Every exchanger' })
  @ApiOkResponse({ type: ExchangerListDto })
  async list() {
    return { items: await this.exchangers.list() };
  }

  @Post()
  @ApiOperation({ summary: 'Add an exchanger' })
  @ApiCreatedResponse({ type: ExchangerDto })
  @AdminErrors([400, 409], { 409: 'an exchanger with this slug exists' })
  create(@Req() request: AdminRequest, @Body() dto: CreateExchangerDto) {
    return this.exchangers.create(actorOf(request), dto);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One exchanger' })
  @ApiOkResponse({ type: ExchangerDto })
  @AdminErrors([400, 404], { 400: 'the id is not a whole number', 404: 'no exchanger with this id' })
  one(@Param('id', ID) exchangerId: number) {
    return this.exchangers.get(exchangerId);
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Change an exchanger',
    description: "A status change reschedules the exchanger's feeds at once and drops every cached table.",
  })
  @ApiOkResponse({ type: ExchangerDto })
  @AdminErrors([400, 404, 409], { 404: 'no exchanger with this id', 409: 'another exchanger has this slug' })
  update(@Req() request: AdminRequest, @Param('id', ID) exchangerId: number, @Body() dto: UpdateExchangerDto) {
    return this.exchangers.update(actorOf(request), exchangerId, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an exchanger with its feeds and offers' })
  @ApiNoContentResponse({ description: 'deleted' })
  @AdminErrors([400, 404], { 400: 'the id is not a whole number', 404: 'no exchanger with this id' })
  async remove(@Req() request: AdminRequest, @Param('id', ID) exchangerId: number): Promise<void> {
    await this.exchangers.delete(actorOf(request), exchangerId);
  }

  @Get(':id/feeds')
  @ApiOperation({ summary: "An exchanger's feeds" })
  @ApiOkResponse({ type: FeedListDto })
  @AdminErrors([400, 404], { 400: 'the id is not a whole number', 404: 'no exchanger with this id' })
  async feedsOf(@Param('id', ID) exchangerId: number) {
    return { items: await this.feeds.listOfExchanger(exchangerId) };
  }

  @Post(':id/feeds')
  @ApiOperation({
    summary: 'Add a feed to an exchanger',
    description:
      'The timeout must be shorter than the interval, and the address public unless FETCH_ALLOW_PRIVATE. ' +
      'The feed is scheduled at once.',
  })
  @ApiCreatedResponse({ type: FeedDto })
  @AdminErrors([400, 404, 409], { 404: 'no exchanger with this id', 409: 'a feed with this URL exists' })
  createFeed(@Req() request: AdminRequest, @Param('id', ID) exchangerId: number, @Body() dto: CreateFeedDto) {
    return this.feeds.create(actorOf(request), exchangerId, dto);
  }
}
