import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AdminAuthGuard, AdminRequest } from '../admin-auth.guard';
import { actorOf, ID } from '../admin-params';
import { PartnerAccountDto, ReportQuery } from './partners.dto';
import { PartnerAdminService } from './partners.service';

/** Partner accounts of exchangers and the referral-earnings report. */
@ApiTags('admin')
@ApiBearerAuth('admin')
@UseGuards(AdminAuthGuard)
@Controller('v1/admin')
export class AdminPartnersController {
  constructor(private readonly partners: PartnerAdminService) {}

  /** Connects (or changes) an exchanger's partner account; the key is encrypted under SECRET_KEY. */
  @Put('exchangers/:id/partner')
  put(@Req() request: AdminRequest, @Param('id', ID) exchangerId: number, @Body() dto: PartnerAccountDto) {
    return this.partners.putAccount(actorOf(request), exchangerId, dto);
  }

  @Delete('exchangers/:id/partner')
  @HttpCode(204)
  async remove(@Req() request: AdminRequest, @Param('id', ID) exchangerId: number): Promise<void> {
    await this.partners.deleteAccount(actorOf(request), exchangerId);
  }

  /** Syncs now and answers with the outcome. */
  @Post('exchangers/:id/partner/sync')
  @HttpCode(200)
  syncNow(@Param('id', ID) exchangerId: number) {
    return this.partners.syncNow(exchangerId);
  }

  /** Per exchanger: balance, referred and successful exchanges, reward, partner visits vs our clicks. */
  @Get('partner/report')
  report(@Query() query: ReportQuery) {
    return this.partners.report(query);
  }
}
