import { Body, Controller, Get, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { AdminAuthGuard, AdminRequest } from '../admin-auth.guard';
import { AdminApi, AdminErrors } from '../admin-docs';
import { actorOf } from '../admin-params';
import { AcceptQuarantineDto, QuarantineAcceptedDto, QuarantineListDto } from './quarantine.dto';
import { QuarantineAdminService } from './quarantine.service';

@AdminApi('admin: quarantine')
@UseGuards(AdminAuthGuard)
@Controller('v1/admin/quarantine')
export class AdminQuarantineController {
  constructor(private readonly quarantine: QuarantineAdminService) {}

  /** Offers the rate guard holds back, with reference, deviation, reason and since; flagged exchangers; exceptions. */
  @Get()
  @ApiOperation({
    summary: 'What the rate guard holds back',
    description: 'Held offers with reference, deviation, reason and since; flagged exchangers; exceptions in force.',
  })
  @ApiOkResponse({ type: QuarantineListDto })
  list() {
    return this.quarantine.list();
  }

  /** Accepts an exchanger's direction for N hours (audited): its offers there are shown whatever the guard says. */
  @Post('accept')
  @HttpCode(200)
  @ApiOperation({
    summary: "Accept an exchanger's direction for some hours",
    description: 'Audited. Its offers there are shown whatever the guard says; those held now are shown at once.',
  })
  @ApiOkResponse({ type: QuarantineAcceptedDto })
  @AdminErrors([400, 404], {
    400: 'invalid input',
    404: 'no exchanger with this id, or a currency code not in the catalog',
  })
  accept(@Req() request: AdminRequest, @Body() dto: AcceptQuarantineDto) {
    return this.quarantine.accept(actorOf(request), dto);
  }
}
