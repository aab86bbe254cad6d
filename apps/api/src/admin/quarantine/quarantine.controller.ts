import { Body, Controller, Get, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AdminAuthGuard, AdminRequest } from '../admin-auth.guard';
import { actorOf } from '../admin-params';
import { AcceptQuarantineDto } from './quarantine.dto';
import { QuarantineAdminService } from './quarantine.service';

@ApiTags('admin')
@ApiBearerAuth('admin')
@UseGuards(AdminAuthGuard)
@Controller('v1/admin/quarantine')
export class AdminQuarantineController {
  constructor(private readonly quarantine: QuarantineAdminService) {}

  /** Offers the rate guard holds back, with reference, deviation, reason and since; flagged exchangers; exceptions. */
  @Get() list() {
    return this.quarantine.list();
  }

  /** Accepts an exchanger's direction for N hours (audited): its offers there are shown whatever the guard says. */
  @Post('accept') @HttpCode(200) accept(@Req() request: AdminRequest, @Body() dto: AcceptQuarantineDto) {
    return this.quarantine.accept(actorOf(request), dto);
  }
}
