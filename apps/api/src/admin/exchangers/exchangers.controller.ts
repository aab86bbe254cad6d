import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AdminAuthGuard, AdminRequest } from '../admin-auth.guard';
import { actorOf, ID } from '../admin-params';
import { CreateFeedDto } from '../feeds/feeds.dto';
import { FeedAdminService } from '../feeds/feeds.service';
import { CreateExchangerDto, UpdateExchangerDto } from './exchangers.dto';
import { ExchangerAdminService } from './exchangers.service';

@ApiTags('admin')
@ApiBearerAuth('admin')
@UseGuards(AdminAuthGuard)
@Controller('v1/admin/exchangers')
export class AdminExchangersController {
  constructor(
    private readonly exchangers: ExchangerAdminService,
    private readonly feeds: FeedAdminService,
  ) {}

  @Get() async list() {
    return { items: await this.exchangers.list() };
  }

  @Post() create(@Req() request: AdminRequest, @Body() dto: CreateExchangerDto) {
    return this.exchangers.create(actorOf(request), dto);
  }

  @Get(':id') one(@Param('id', ID) exchangerId: number) {
    return this.exchangers.get(exchangerId);
  }

  @Patch(':id') update(
    @Req() request: AdminRequest,
    @Param('id', ID) exchangerId: number,
    @Body() dto: UpdateExchangerDto,
  ) {
    return this.exchangers.update(actorOf(request), exchangerId, dto);
  }

  @Delete(':id') @HttpCode(204) async remove(
    @Req() request: AdminRequest,
    @Param('id', ID) exchangerId: number,
  ): Promise<void> {
    await this.exchangers.delete(actorOf(request), exchangerId);
  }

  @Get(':id/feeds') async feedsOf(@Param('id', ID) exchangerId: number) {
    return { items: await this.feeds.listOfExchanger(exchangerId) };
  }

  @Post(':id/feeds') createFeed(
    @Req() request: AdminRequest,
    @Param('id', ID) exchangerId: number,
    @Body() dto: CreateFeedDto,
  ) {
    return this.feeds.create(actorOf(request), exchangerId, dto);
  }
}
