import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Req, UseGuards } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { AdminAuthGuard, AdminRequest } from '../admin-auth.guard';
import { AdminApi, AdminErrors } from '../admin-docs';
import { actorOf, ID } from '../admin-params';
import {
  PartnerAccountDto,
  PartnerAccountViewDto,
  PartnerReportDto,
  PartnerSyncOutcomeDto,
  ReportQuery,
} from './partners.dto';
import { PartnerAdminService } from './partners.service';

/** Partner accounts of exchangers and the referral-earnings report. */
@AdminApi('admin: partners')
@UseGuards(AdminAuthGuard)
@Controller('v1/admin')
export class AdminPartnersController {
  constructor(private readonly partners: PartnerAdminService) {}

  /** Connects (or changes) an exchanger's partner account; the key is encrypted under SECRET_KEY. */
  @Put('exchangers/:id/partner')
  @ApiOperation({
    summary: "Connect or change an exchanger's partner account",
    description: 'The key is stored encrypted under SECRET_KEY and never returned; the sync schedule follows at once.',
  })
  @ApiOkResponse({ type: PartnerAccountViewDto })
  @AdminErrors([400, 404], {
    400: 'invalid input, a private address, or SECRET_KEY not set on the api',
    404: 'no exchanger with this id',
  })
  put(@Req() request: AdminRequest, @Param('id', ID) exchangerId: number, @Body() dto: PartnerAccountDto) {
    return this.partners.putAccount(actorOf(request), exchangerId, dto);
  }

  @Delete('exchangers/:id/partner')
  @HttpCode(204)
  @ApiOperation({ summary: "Disconnect an exchanger's partner account" })
  @ApiNoContentResponse({ description: 'deleted' })
  @AdminErrors([400, 404], { 400: 'the id is not a whole number', 404: 'the exchanger has no partner account' })
  async remove(@Req() request: AdminRequest, @Param('id', ID) exchangerId: number): Promise<void> {
    await this.partners.deleteAccount(actorOf(request), exchangerId);
  }

  /** Syncs now and answers with the outcome. */
  @Post('exchangers/:id/partner/sync')
  @HttpCode(200)
  @ApiOperation({
    summary: "Sync an exchanger's partner account now",
    description: 'Fleet mode: through the job queue, like a feed refresh. A failed sync is a 200 with status `error`.',
  })
  @ApiOkResponse({ type: PartnerSyncOutcomeDto })
  @AdminErrors([400, 404], {
    400: 'the id is not a whole number',
    404: 'no partner account, or it is disabled or its exchanger not active',
  })
  syncNow(@Param('id', ID) exchangerId: number) {
    return this.partners.syncNow(exchangerId);
  }

  /** Per exchanger: balance, referred and successful exchanges, reward, partner visits vs our clicks. */
  @Get('partner/report')
  @ApiOperation({
    summary: 'Referral earnings per exchanger',
    description:
      'Balance, referred and successful exchanges, reward, partner visits against our clicks; the last 30 days ' +
      'unless a window is given.',
  })
  @ApiOkResponse({ type: PartnerReportDto })
  @AdminErrors([400], { 400: 'an invalid window' })
  report(@Query() query: ReportQuery) {
    return this.partners.report(query);
  }
}
