import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { HttpUrlField, TimeWindowQuery } from '../../common/validation';

export class PartnerAccountDto {
  @HttpUrlField('apiUrl', {
    example: 'https://aura.example/service/partner/api.php',
    refuseCredentials: 'send the key as apiKey (stored encrypted, never shown)',
  })
  apiUrl!: string;

  @ApiProperty({ description: 'write-only: stored encrypted, never returned' })
  @IsString({ message: 'apiKey must be text' })
  @Length(4, 512, { message: 'apiKey must be 4-512 characters' })
  apiKey!: string;

  @ApiPropertyOptional({
    enum: ['get', 'post', 'both'],
    default: 'both',
    description: 'where the start_time/end_time filters go',
  })
  @IsOptional()
  @IsIn(['get', 'post', 'both'], { message: 'requestStyle must be get, post or both' })
  requestStyle?: 'get' | 'post' | 'both';

  @ApiPropertyOptional({ default: 900, minimum: 60, maximum: 86400 })
  @IsOptional()
  @IsInt({ message: 'syncIntervalSeconds must be a whole number' })
  @Min(60, { message: 'syncIntervalSeconds must be at least 60' })
  @Max(86400, { message: 'syncIntervalSeconds must be at most 86400' })
  syncIntervalSeconds?: number;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean({ message: 'enabled must be true or false' })
  enabled?: boolean;
}

/** The partner report's window (default: the last 30 days). */
export class ReportQuery extends TimeWindowQuery {}
