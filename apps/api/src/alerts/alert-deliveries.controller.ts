import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { AlertDeliveriesRepository } from '@app/database';
import { AdminAuthGuard } from '../admin/admin-auth.guard';
import { AdminApi, AdminErrors } from '../admin/admin-docs';
import { AlertDeliveriesQuery, AlertDeliveryListDto } from './alert-deliveries.dto';

/** The operator's view of alerts' notices (DESIGN.md §12): what is failing to reach its webhook. */
@AdminApi('admin: alert deliveries')
@UseGuards(AdminAuthGuard)
@Controller('v1/admin/alert-deliveries')
export class AdminAlertDeliveriesController {
  constructor(private readonly deliveries: AlertDeliveriesRepository) {}

  @Get()
  @ApiOperation({
    summary: 'Alert notices failing to be delivered',
    description:
      'Counts by status, notices failed in the last 24 hours, and the latest notices (visitors’ and operators’) ' +
      'not delivered at the first try, with attempts and the last error.',
  })
  @ApiOkResponse({ type: AlertDeliveryListDto, description: 'counts and the latest undelivered notices' })
  @AdminErrors([400], { 400: 'a bad limit' })
  async list(@Query() query: AlertDeliveriesQuery): Promise<AlertDeliveryListDto> {
    const [counts, failedLastDay, items] = await Promise.all([
      this.deliveries.counts(),
      this.deliveries.failedSince(24),
      this.deliveries.recentUndelivered(query.limit ?? 50),
    ]);
    return {
      counts,
      failedLastDay,
      items: items.map((d) => ({
        ...d,
        createdAt: d.createdAt.toISOString(),
        finishedAt: d.finishedAt?.toISOString() ?? null,
      })),
    };
  }
}
