import { ApiProperty } from '@nestjs/swagger';
import { QueryLimit } from '../common/validation';
import { DATE_TIME, NULLABLE_DATE_TIME } from '../admin/admin-docs';

export class AlertDeliveriesQuery {
  @QueryLimit(50, 500)
  limit?: number;
}

export class AlertDeliveryDto {
  @ApiProperty({ example: '42' }) id!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'null: an operators’ notice' })
  alertId!: string | null;
  @ApiProperty({ example: 'alert.fired' }) event!: string;
  @ApiProperty({ example: 'bot.example', description: 'the webhook’s host (its path may hold the receiver’s secret)' })
  host!: string;
  @ApiProperty({ enum: ['pending', 'delivered', 'failed', 'dropped'], example: 'failed' }) status!: string;
  @ApiProperty({ example: 6 }) attempts!: number;
  @ApiProperty({ type: String, nullable: true, example: 'HTTP 500' }) lastError!: string | null;
  @ApiProperty({ type: Number, nullable: true, example: 500 }) lastHttpStatus!: number | null;
  @ApiProperty(DATE_TIME) createdAt!: string;
  @ApiProperty(NULLABLE_DATE_TIME) finishedAt!: string | null;
}

export class AlertDeliveryCountsDto {
  @ApiProperty({ example: 0 }) pending!: number;
  @ApiProperty({ example: 120 }) delivered!: number;
  @ApiProperty({ example: 2 }) failed!: number;
  @ApiProperty({ example: 1 }) dropped!: number;
}

export class AlertDeliveryListDto {
  @ApiProperty({ type: AlertDeliveryCountsDto, description: 'every notice kept, by status' })
  counts!: AlertDeliveryCountsDto;
  @ApiProperty({ example: 2, description: 'notices undelivered for good in the last 24 hours' })
  failedLastDay!: number;
  @ApiProperty({
    type: [AlertDeliveryDto],
    description: 'the latest notices not delivered at the first try (failed, dropped or retrying), newest first',
  })
  items!: AlertDeliveryDto[];
}
