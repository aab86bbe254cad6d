import { ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { FEED_DEFAULTS, FEED_FORMAT_SETTINGS } from '@app/domain';
import { HttpUrlField } from '../../common/validation';

export class CreateFeedDto {
  @HttpUrlField('url', { example: 'https://aura.example/request-exportxml.xml' })
  url!: string;

  @ApiPropertyOptional({ enum: FEED_FORMAT_SETTINGS, default: 'auto' })
  @IsOptional()
  @IsIn(FEED_FORMAT_SETTINGS, { message: `format must be one of ${FEED_FORMAT_SETTINGS.join(', ')}` })
  format?: (typeof FEED_FORMAT_SETTINGS)[number];

  @ApiPropertyOptional({ default: FEED_DEFAULTS.intervalSeconds, minimum: 5, maximum: 86400 })
  @IsOptional()
  @IsInt({ message: 'intervalSeconds must be a whole number' })
  @Min(5, { message: 'intervalSeconds must be at least 5' })
  @Max(86400, { message: 'intervalSeconds must be at most 86400 (24 h)' })
  intervalSeconds?: number;

  @ApiPropertyOptional({ default: FEED_DEFAULTS.timeoutMs, minimum: 100, maximum: 120000 })
  @IsOptional()
  @IsInt({ message: 'timeoutMs must be a whole number' })
  @Min(100, { message: 'timeoutMs must be at least 100' })
  @Max(120000, { message: 'timeoutMs must be at most 120000' })
  timeoutMs?: number;

  @ApiPropertyOptional({ default: FEED_DEFAULTS.staleAfterSeconds, minimum: 10 })
  @IsOptional()
  @IsInt({ message: 'staleAfterSeconds must be a whole number' })
  @Min(10, { message: 'staleAfterSeconds must be at least 10' })
  @Max(604800, { message: 'staleAfterSeconds must be at most 604800 (7 days)' })
  staleAfterSeconds?: number;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean({ message: 'enabled must be true or false' })
  enabled?: boolean;
}

export class UpdateFeedDto extends PartialType(CreateFeedDto) {}

export class RefreshQuery {
  @ApiPropertyOptional({ description: 'true: answer with the finished run' })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'wait must be true or false' })
  wait?: 'true' | 'false';
}
