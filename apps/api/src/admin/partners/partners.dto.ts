import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { HttpUrlField, TimeWindowQuery } from '../../common/validation';
import { NULLABLE_DATE_TIME, StoredErrorDto, TimeWindowDto } from '../admin-docs';

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

/** An exchanger's partner account as stored (the API key is never returned). */
export class PartnerAccountViewDto {
  @ApiProperty({ example: 3 }) exchangerId!: number;
  @ApiProperty({ example: 'https://aura.example/service/partner/api.php' }) apiUrl!: string;
  @ApiProperty({ enum: ['get', 'post', 'both'] }) requestStyle!: string;
  @ApiProperty({ example: 900 }) syncIntervalSeconds!: number;
  @ApiProperty() enabled!: boolean;
  @ApiProperty(NULLABLE_DATE_TIME) lastSyncAt!: string | null;
  @ApiProperty(NULLABLE_DATE_TIME) lastSuccessAt!: string | null;
  @ApiProperty({ type: StoredErrorDto, nullable: true }) lastError!: StoredErrorDto | null;
}

/** What a sync now did: `ok` with its counts, or `error` with why. */
export class PartnerSyncOutcomeDto {
  @ApiProperty({ enum: ['ok', 'error'] }) status!: 'ok' | 'error';
  @ApiPropertyOptional({ description: 'ok: the balance differed from the last one stored' }) balanceChanged?: boolean;
  @ApiPropertyOptional({ example: 4, description: 'ok: exchanges read' }) exchanges?: number;
  @ApiPropertyOptional({ example: 31, description: 'ok: visits read' }) visits?: number;
  @ApiPropertyOptional({ example: 'auth_failed', description: 'error: what failed' }) code?: string;
  @ApiPropertyOptional({ example: 'the partner API refused the key', description: 'error: in words' })
  message?: string;
}

/** One direction of an exchanger in the partner report. */
export class PartnerReportDirectionDto {
  @ApiProperty({ example: 'BTC' }) from!: string;
  @ApiProperty({ example: 'SBERRUB' }) to!: string;
  @ApiProperty({ example: 12 }) partnerVisits!: number;
  @ApiProperty({ example: 10 }) uniqueClicks!: number;
  @ApiProperty({ type: String, nullable: true, example: '1.200', description: 'a decimal; null with no unique click' })
  visitsPerUniqueClick!: string | null;
}

/** One exchanger with a partner account, over the report's window. */
export class PartnerReportItemDto {
  @ApiProperty({ example: 'aura', description: "the exchanger's slug" }) exchanger!: string;
  @ApiProperty({ example: 'Aura' }) name!: string;
  @ApiProperty({ type: String, nullable: true, example: '125.50', description: 'the latest balance, a decimal' })
  balance!: string | null;
  @ApiProperty({ example: 9 }) referredExchanges!: number;
  @ApiProperty({ example: 7 }) successfulExchanges!: number;
  @ApiProperty({ example: '3.75', description: 'the reward of successful exchanges, a decimal' }) reward!: string;
  @ApiProperty({ example: 40 }) partnerVisits!: number;
  @ApiProperty({ example: 44 }) clicks!: number;
  @ApiProperty({ example: 38 }) uniqueClicks!: number;
  @ApiProperty(NULLABLE_DATE_TIME) lastSyncAt!: string | null;
  @ApiProperty({ type: StoredErrorDto, nullable: true }) lastError!: StoredErrorDto | null;
  @ApiProperty({ type: [PartnerReportDirectionDto] }) byDirection!: PartnerReportDirectionDto[];
  @ApiProperty({ type: String, nullable: true, example: '1.053', description: 'a decimal; null with no unique click' })
  visitsPerUniqueClick!: string | null;
}

export class PartnerReportDto extends TimeWindowDto {
  @ApiProperty({ type: [PartnerReportItemDto] }) items!: PartnerReportItemDto[];
}
