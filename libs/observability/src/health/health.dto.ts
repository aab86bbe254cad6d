import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';

/** `/health/live`: the process is up. */
export class HealthLiveDto {
  @ApiProperty({ enum: ['ok'], example: 'ok' }) status!: 'ok';
}

/** Indicator name → its state: `{ status: 'up' | 'down', message? }` (Terminus's shape). */
const INDICATOR_STATE: SchemaObject = {
  type: 'object',
  required: ['status'],
  properties: {
    status: { type: 'string', enum: ['up', 'down'] },
    message: { type: 'string', description: 'why it is down' },
  },
};
const INDICATORS = { type: 'object', additionalProperties: INDICATOR_STATE } as const;

/** `/health/ready`: Terminus's health report, the same shape whether ready (200) or not (503). */
export class HealthReportDto {
  @ApiProperty({
    enum: ['ok', 'error', 'shutting_down'],
    example: 'ok',
    description: 'ok when every indicator is up; shutting_down while the process drains before it stops',
  })
  status!: 'ok' | 'error' | 'shutting_down';

  @ApiPropertyOptional({
    ...INDICATORS,
    nullable: true,
    example: { database: { status: 'up' } },
    description: 'the indicators that are up',
  })
  info?: Record<string, { status: string; message?: string }> | null;

  @ApiPropertyOptional({
    ...INDICATORS,
    nullable: true,
    example: { redis: { status: 'down', message: 'connection reconnecting' } },
    description: 'the indicators that are down',
  })
  error?: Record<string, { status: string; message?: string }> | null;

  @ApiProperty({
    ...INDICATORS,
    example: { database: { status: 'up' }, redis: { status: 'down', message: 'connection reconnecting' } },
    description: 'every indicator checked: database, and redis in fleet mode',
  })
  details!: Record<string, { status: string; message?: string }>;
}
